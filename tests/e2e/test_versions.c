/*
 * Versions end to end: change summaries with exact counts (a CSV built
 * here and a real export from the corpus cut down), the diff pages, a
 * rollback, the duplicate notice of an inactive version, deletion with
 * the predecessor taking over, and a delete refused when no backup can be
 * taken.
 */
#include "socc_test.h"

#include "e2e.h"

#include "core/buf.h"

static struct e2e_server srv;

static int setup(void **state)
{
    (void)state;
    return e2e_start(&srv, NULL);
}

static int teardown(void **state)
{
    (void)state;
    e2e_stop(&srv);
    return 0;
}

/* POST text as name for company/tool; the new id (asserts 201). */
static long long upload_text(const struct e2e_server *s, const char *company,
                             const char *tool, const char *name,
                             const char *text)
{
    struct e2e_upload u = { company, tool, NULL, text, strlen(text), name, 0,
                            0 };
    struct e2e_resp r;
    long long id;

    e2e_post(s, &u, &r);
    if (r.status != 201)
        fprintf(stderr, "upload %s: %ld %s\n", name, r.status, r.body);
    assert_int_equal(r.status, 201);
    id = e2e_json_int(r.body, "id", -1);
    e2e_resp_free(&r);
    return id;
}

/* A request with method on path; *r filled. */
static void call(const struct e2e_server *s, const char *method,
                 const char *path, struct e2e_resp *r)
{
    char url[512];
    CURL *c = curl_easy_init();
    struct curl_slist *h;

    snprintf(url, sizeof(url), "%s%s", s->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    h = e2e_auth_header(s, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    e2e_perform(c, r);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

/* The summary numbers of version id. */
static void summary(long long id, long long *added, long long *removed,
                    long long *unchanged, char *cols_added, size_t n)
{
    char path[64];
    struct e2e_resp r;
    const char *sum, *ca;

    snprintf(path, sizeof(path), "/api/versions/%lld", id);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 200);
    sum = strstr(r.body, "\"summary\":");
    assert_non_null(sum);
    *added = e2e_json_int(sum, "rows_added", -1);
    *removed = e2e_json_int(sum, "rows_removed", -1);
    *unchanged = e2e_json_int(sum, "rows_unchanged", -1);
    ca = e2e_json_at(sum, "columns_added");
    assert_non_null(ca);
    snprintf(cols_added, n, "%.*s", (int)(strchr(ca, ']') - ca + 1), ca);
    e2e_resp_free(&r);
}

static const char V1[] = "host,ip,sev\na,1,high\nb,2,low\nc,3,low\nc,3,low\n";
static const char V2[] = "host,ip,sev\na,1,high\nb,2,mid\nc,3,low\nd,4,low\n";
static const char V3[] = "host,ip,sev,owner\na,1,high,x\nd,4,low\n";

static void summaries_count_rows_and_columns(void **state)
{
    long long v1, v2, v3, a, r, u;
    char cols[256];

    (void)state;
    v1 = upload_text(&srv, "acme", "siem", "v1.csv", V1);
    v2 = upload_text(&srv, "acme", "siem", "v2.csv", V2);
    v3 = upload_text(&srv, "acme", "siem", "v3.csv", V3);
    summary(v1, &a, &r, &u, cols, sizeof(cols));
    assert_int_equal(a, 4);
    assert_int_equal(r, 0);
    assert_int_equal(u, 0);
    assert_string_equal(cols, "[\"host\",\"ip\",\"sev\"]");
    /* a and one c stay; b changed its severity; one c went; d is new */
    summary(v2, &a, &r, &u, cols, sizeof(cols));
    assert_int_equal(a, 2);
    assert_int_equal(r, 2);
    assert_int_equal(u, 2);
    assert_string_equal(cols, "[]");
    /* the identity ignores column names: "d,4,low" is the same row */
    summary(v3, &a, &r, &u, cols, sizeof(cols));
    assert_int_equal(a, 1);
    assert_int_equal(r, 3);
    assert_int_equal(u, 1);
    assert_string_equal(cols, "[\"owner\"]");
}

static void diff_pages_added_and_removed(void **state)
{
    struct e2e_resp r;
    char path[128];
    long long v2;

    (void)state;
    upload_text(&srv, "diffco", "siem", "v1.csv", V1);
    v2 = upload_text(&srv, "diffco", "siem", "v2.csv", V2);
    snprintf(path, sizeof(path), "/api/versions/%lld/diff?limit=1", v2);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(e2e_json_int(r.body, "total", -1), 2);
    assert_int_equal(e2e_json_int(r.body, "returned", -1), 1);
    assert_int_equal(e2e_json_int(r.body, "next_offset", -1), 1);
    assert_non_null(strstr(r.body, "{\"host\":\"b\",\"ip\":2,\"sev\":\"mid\"}"));
    e2e_resp_free(&r);
    snprintf(path, sizeof(path), "/api/versions/%lld/diff?limit=1&offset=1",
             v2);
    e2e_get(&srv, path, NULL, &r);
    assert_non_null(strstr(r.body, "{\"host\":\"d\",\"ip\":4,\"sev\":\"low\"}"));
    assert_non_null(strstr(r.body, "\"next_offset\":null"));
    e2e_resp_free(&r);
    snprintf(path, sizeof(path), "/api/versions/%lld/diff?side=removed", v2);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(e2e_json_int(r.body, "returned", -1), 2);
    assert_non_null(strstr(r.body, "\"row\":3,\"cells\":{\"host\":\"b\","
                                   "\"ip\":2,\"sev\":\"low\"}"));
    assert_non_null(strstr(r.body, "\"row\":5,\"cells\":{\"host\":\"c\""));
    e2e_resp_free(&r);
    snprintf(path, sizeof(path), "/api/versions/%lld/diff?side=sideways", v2);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 400);
    e2e_resp_free(&r);
}

/* Lines of a file, for the corpus case. */
static int split(char *text, char **lines, int max)
{
    int n = 0;
    char *save = NULL, *l;

    for (l = strtok_r(text, "\n", &save); l && n < max;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    return n;
}

/* Rows lines[a..b) and lines[c..d) share, as multisets. */
static long long shared(char **lines, int a, int b, int c, int d)
{
    static char used[1024];
    long long n = 0;
    int i, k;

    memset(used, 0, sizeof(used));
    for (i = a; i < b; i++)
        for (k = c; k < d; k++)
            if (!used[k] && strcmp(lines[i], lines[k]) == 0) {
                used[k] = 1;
                n++;
                break;
            }
    return n;
}

static void join(struct buf *b, char **lines, int from, int to)
{
    int i;

    buf_reset(b);
    buf_adds(b, lines[0]);
    buf_addc(b, '\n');
    for (i = from; i < to; i++) {
        buf_adds(b, lines[i]);
        buf_addc(b, '\n');
    }
}

/*
 * A real export (214 rows, some repeated) as v1, then cut at the end (v2)
 * and at the start (v3): the counts follow the rows exactly.
 */
static void corpus_export_cut_down(void **state)
{
    ST_NEED_SHARED(shared_dir);
    char path[4200], *text, *lines[400];
    size_t len;
    int n;
    long long v2, v3, a, r, u;
    char cols[256];
    struct buf b;

    (void)state;
    snprintf(path, sizeof(path), "%s/corpus/security/defectdojo_aws_prowler_"
             "many_vuln2.csv", shared_dir);
    text = e2e_slurp(path, &len);
    assert_non_null(text);
    n = split(text, lines, 400);
    assert_int_equal(n, 215);
    buf_init(&b);
    join(&b, lines, 1, 215);
    upload_text(&srv, "prowlerco", "siem", "full.csv", b.data);
    join(&b, lines, 1, 201);
    v2 = upload_text(&srv, "prowlerco", "siem", "first200.csv", b.data);
    join(&b, lines, 101, 215);
    v3 = upload_text(&srv, "prowlerco", "siem", "last114.csv", b.data);
    summary(v2, &a, &r, &u, cols, sizeof(cols));
    assert_int_equal(a, 0);
    assert_int_equal(r, 14);
    assert_int_equal(u, 200);
    /* v3 against v2 (rows 1-200): rows 101-200 and repeats of them stay */
    summary(v3, &a, &r, &u, cols, sizeof(cols));
    assert_int_equal(u, shared(lines, 101, 215, 1, 201));
    assert_true(u >= 100);
    assert_int_equal(a + u, 114);
    assert_int_equal(r + u, 200);
    buf_release(&b);
    free(text);
}

static void rollback_and_duplicate_notice(void **state)
{
    struct e2e_resp r;
    long long v1, v2;
    char path[64];

    (void)state;
    v1 = upload_text(&srv, "rollco", "edr", "v1.csv", V1);
    v2 = upload_text(&srv, "rollco", "edr", "v2.csv", V2);
    snprintf(path, sizeof(path), "/api/uploads/%lld/activate", v1);
    call(&srv, "POST", path, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"is_active\":true"));
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/uploads?company=rollco&active=true", NULL, &r);
    assert_int_equal(e2e_json_int(r.body, "total", -1), 1);
    assert_int_equal(e2e_json_int(r.body, "id", -1), v1);
    e2e_resp_free(&r);
    /* the same bytes as v2 again: refused, and v2 is said to be inactive */
    {
        struct e2e_upload u = { "rollco", "edr", NULL, V2, strlen(V2),
                                "again.csv", 0, 0 };
        e2e_post(&srv, &u, &r);
    }
    assert_int_equal(r.status, 409);
    assert_int_equal(e2e_json_int(strstr(r.body, "\"existing\""), "id", -1),
                     v2);
    assert_non_null(strstr(r.body, "\"is_active\":false"));
    e2e_resp_free(&r);
    snprintf(path, sizeof(path), "/api/uploads/%lld/activate", v2);
    call(&srv, "GET", path, &r);
    assert_int_equal(r.status, 405);
    e2e_resp_free(&r);
    call(&srv, "POST", "/api/uploads/999999/activate", &r);
    assert_int_equal(r.status, 404);
    e2e_resp_free(&r);
}

static void delete_hands_over_to_predecessor(void **state)
{
    struct e2e_resp r;
    long long v1, v2, v3, a, rm, u;
    char path[64], cols[256];

    (void)state;
    v1 = upload_text(&srv, "delco", "siem", "v1.csv", V1);
    v2 = upload_text(&srv, "delco", "siem", "v2.csv", V2);
    v3 = upload_text(&srv, "delco", "siem", "v3.csv", V3);
    /* v2 goes from the middle: v3 now follows v1 */
    snprintf(path, sizeof(path), "/api/uploads/%lld", v2);
    call(&srv, "DELETE", path, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(e2e_json_int(r.body, "deleted", -1), v2);
    assert_non_null(strstr(r.body, "\"backup\":\"socc-"));
    e2e_resp_free(&r);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 404);
    e2e_resp_free(&r);
    summary(v3, &a, &rm, &u, cols, sizeof(cols));
    assert_int_equal(a, 2);     /* v1 -> v3: a,1,high,x and d,4,low new */
    assert_int_equal(rm, 4);
    assert_int_equal(u, 0);
    /* the active v3 goes: v1, its predecessor now, becomes active */
    snprintf(path, sizeof(path), "/api/uploads/%lld", v3);
    call(&srv, "DELETE", path, &r);
    assert_int_equal(e2e_json_int(r.body, "active_id", -1), v1);
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/versions?company=delco&tool_type=siem", NULL, &r);
    assert_int_equal(e2e_json_int(r.body, "id", -1), v1);
    assert_non_null(strstr(r.body, "\"is_active\":true"));
    assert_null(strstr(r.body, "\"version\":2"));
    e2e_resp_free(&r);
    call(&srv, "PUT", path, &r);
    assert_int_equal(r.status, 405);
    e2e_resp_free(&r);
    /* numbers are not given twice: after v3 went, the next is v4 */
    v2 = upload_text(&srv, "delco", "siem", "v2-again.csv", V2);
    snprintf(path, sizeof(path), "/api/versions/%lld", v2);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(e2e_json_int(r.body, "version", -1), 4);
    assert_int_equal(e2e_json_int(r.body, "previous_id", -1), v1);
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/versions?company=delco", NULL, &r);
    assert_int_equal(r.status, 400);
    e2e_resp_free(&r);
}

/* With a backup directory that cannot exist, nothing is deleted. */
static void failing_backup_target_stops_delete(void **state)
{
    struct e2e_server bad;
    struct e2e_resp r;
    char blocker[300], dir[400], path[64];
    const char *env[] = { "SOCC_BACKUP_DIR", dir, NULL };
    long long id;
    FILE *fp;

    (void)state;
    snprintf(blocker, sizeof(blocker), "%s/not-a-dir", srv.dir);
    fp = fopen(blocker, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(dir, sizeof(dir), "%s/backups", blocker);
    assert_int_equal(e2e_start(&bad, env), 0);
    id = upload_text(&bad, "acme", "siem", "v1.csv", V1);
    snprintf(path, sizeof(path), "/api/uploads/%lld", id);
    call(&bad, "DELETE", path, &r);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "\"code\":\"BACKUP_FAILED\""));
    e2e_resp_free(&r);
    e2e_get(&bad, path, NULL, &r);
    assert_int_equal(r.status, 200);
    e2e_resp_free(&r);
    assert_int_equal(e2e_stop(&bad), 0);
}

/* Lines of the manifest that mention reason. */
static int manifest_count(const struct e2e_server *s, const char *reason)
{
    char path[300], *text, *p;
    size_t len;
    int n = 0;

    snprintf(path, sizeof(path), "%s/backups/manifest.tsv", s->dir);
    text = e2e_slurp(path, &len);
    for (p = text; p && (p = strstr(p, reason)) != NULL; p++)
        n++;
    free(text);
    return n;
}

/* BACKUP_INTERVAL=1: backups arrive on their own; BACKUP_KEEP=2 holds. */
static void scheduled_backups_and_retention(void **state)
{
    struct e2e_server sch;
    const char *env[] = { "BACKUP_INTERVAL", "1", "BACKUP_KEEP", "2", NULL };
    long until;

    (void)state;
    assert_int_equal(e2e_start(&sch, env), 0);
    upload_text(&sch, "acme", "siem", "v1.csv", V1);
    until = e2e_now_ms() + 15000;
    while (manifest_count(&sch, "\tscheduled\t") < 2 &&
           e2e_now_ms() < until)
        usleep(100000);
    assert_int_equal(manifest_count(&sch, "\tscheduled\t"), 2);
    usleep(1500000);
    assert_int_equal(manifest_count(&sch, "\tscheduled\t"), 2);
    assert_int_equal(e2e_stop(&sch), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(summaries_count_rows_and_columns),
        cmocka_unit_test(diff_pages_added_and_removed),
        cmocka_unit_test(corpus_export_cut_down),
        cmocka_unit_test(rollback_and_duplicate_notice),
        cmocka_unit_test(delete_hands_over_to_predecessor),
        cmocka_unit_test(failing_backup_target_stops_delete),
        cmocka_unit_test(scheduled_backups_and_retention),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
