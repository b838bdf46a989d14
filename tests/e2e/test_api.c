/*
 * End-to-end tests: the real `socc serve` (SOCC_BIN) driven over HTTP by
 * libcurl and raw sockets.  Corpus- and case-based tests skip when
 * SOCC_SHARED is absent.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/sha256.h"
#include "e2e.h"
#include "socc_test.h"

static struct e2e_server srv;

static int setup(void **state)
{
    (void)state;
    return e2e_start(&srv, NULL);
}

static int teardown(void **state)
{
    (void)state;
    return e2e_stop(&srv) == 0 ? 0 : -1;
}

/* A small CSV whose bytes no other test sends. */
static size_t unique_csv(char *out, size_t cap, const char *tag)
{
    return (size_t)snprintf(out, cap, "host,severity,tag\r\nweb-01,High,%s\r\n"
                            "db-02,Low,%s\r\n", tag, tag);
}

/* POST bytes as a CSV for company; the response in *r. */
static void post_csv(const char *company, const char *csv, size_t len,
                     const char *name, struct e2e_resp *r)
{
    struct e2e_upload u = { company, "siem", NULL, csv, len, name, 0, 0 };

    assert_int_equal(e2e_post(&srv, &u, r), CURLE_OK);
}

static void assert_error(const struct e2e_resp *r, long status,
                         const char *code)
{
    char got[64] = "";

    if (r->status != status)
        print_message("body: %s\n", r->body);
    assert_int_equal(r->status, status);
    assert_int_equal(e2e_json_str(r->body, "code", got, sizeof(got)), 0);
    assert_string_equal(got, code);
    assert_non_null(strstr(r->body, "\"message\":"));
    assert_non_null(strstr(r->body, "\"hint\":"));
    assert_non_null(strstr(r->body, "\"request_id\":"));
}

/* ---- basics ------------------------------------------------------------- */

static void test_health_and_request_id(void **state)
{
    struct e2e_resp r;

    (void)state;
    assert_int_equal(e2e_get(&srv, "/api/health", NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"status\":\"ok\""));
    assert_int_equal(strlen(r.req_id), 16);
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/health", "X-Request-Id: e2e-Abc.1_x", &r);
    assert_string_equal(r.req_id, "e2e-Abc.1_x");
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/health", "X-Request-Id: bad id!", &r);
    assert_int_equal(strlen(r.req_id), 16);
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/nope", "X-Request-Id: e2e-404", &r);
    assert_error(&r, 404, "NOT_FOUND");
    assert_non_null(strstr(r.body, "\"request_id\":\"e2e-404\""));
    assert_string_equal(r.req_id, "e2e-404");
    e2e_resp_free(&r);
}

static void test_config_and_page(void **state)
{
    struct e2e_resp r;

    (void)state;
    e2e_get(&srv, "/api/config", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(e2e_json_int(r.body, "max_file_size", 0), 52428800);
    assert_non_null(strstr(r.body, "{\"id\":\"gsuite\",\"label\":\"G Suite\"}"));
    assert_non_null(strstr(r.body, "\"allowed_file_types\":[\"xlsx\",\"xls\","
                                   "\"csv\"]"));
    assert_int_equal(e2e_json_int(r.body, "error_toast_duration", 0), 6000);
    assert_int_equal(e2e_json_int(r.body, "max_retry_attempts", 0), 3);
    e2e_resp_free(&r);
    e2e_get(&srv, "/", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.ctype, "text/html"));
    assert_non_null(strstr(r.body, "/main.js"));
    e2e_resp_free(&r);
    e2e_get(&srv, "/app.js", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.ctype, "javascript"));
    e2e_resp_free(&r);
}

static void test_bad_routes_and_ids(void **state)
{
    struct e2e_resp r;
    CURL *c = curl_easy_init();
    struct curl_slist *h;
    char url[256];

    (void)state;
    e2e_get(&srv, "/api/uploads/abc", NULL, &r);
    assert_error(&r, 400, "BAD_REQUEST");
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/uploads/999999", NULL, &r);
    assert_error(&r, 404, "NOT_FOUND");
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/uploads/1/nope", NULL, &r);
    assert_error(&r, 404, "NOT_FOUND");
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/uploads?limit=0", NULL, &r);
    assert_error(&r, 400, "BAD_REQUEST");
    e2e_resp_free(&r);
    snprintf(url, sizeof(url), "%s/api/uploads", srv.base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    h = e2e_auth_header(&srv, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    e2e_perform(c, &r);
    assert_error(&r, 405, "METHOD_NOT_ALLOWED");
    e2e_resp_free(&r);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

/* ---- the corpus ---------------------------------------------------------- */

/* Sum of "8|242|4738" or a plain number. */
static long long rows_total(const char *rows)
{
    long long sum = 0;
    const char *p = rows;

    while (*p) {
        sum += strtoll(p, NULL, 10);
        p = strchr(p, '|');
        if (!p)
            break;
        p++;
    }
    return sum;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted regular file names of dir; *n set; free each and the array. */
static char **list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;

    *n = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        v = realloc(v, (*n + 1) * sizeof(*v));
        v[(*n)++] = strdup(e->d_name);
    }
    if (d)
        closedir(d);
    if (v)
        qsort(v, *n, sizeof(*v), name_cmp);
    return v;
}

/* Upload one corpus file; 0 when its record count matched EXPECTED. */
/*
 * Files where socc's header detection (src/ingest/table.h) rightly reads a
 * later header than EXPECTED.tsv's first-non-empty-row rule:
 * - the Qualys VMDR export opens with three preamble rows (report title,
 *   company address, user: 3, 6 and 3 fields) above its 41-column header
 *   at row 4, so 8 rows are 5 records;
 * - the DSOP workbook's Summary sheet opens with a one-cell classification
 *   banner ("UNCLASSIFIED//FOUO") above its 4-column table, so that sheet
 *   holds 7 records, not 8, and the workbook 5013.
 */
static const struct {
    const char *name;
    long long records;
} header_detected[] = {
    { "defectdojo_qualys_vmdr_many_vulns_qid.csv", 5 },
    { "defectdojo_dsop_many_vuln.xlsx", 5013 },
};

static long long expected_records(const char *name, const char *rows)
{
    size_t i;

    for (i = 0; i < sizeof(header_detected) / sizeof(header_detected[0]); i++)
        if (strcmp(header_detected[i].name, name) == 0)
            return header_detected[i].records;
    return rows_total(rows);
}

static int corpus_one(const char *shared, const char *name)
{
    char path[4200], key[600], hash[80] = "";
    struct st_expect ex;
    struct e2e_resp r;
    struct e2e_upload u = { "corpus-co", "siem", path, NULL, 0, NULL, 0, 0 };
    long long got, want;
    int rc = 0;

    snprintf(path, sizeof(path), "%s/corpus/security/%s", shared, name);
    snprintf(key, sizeof(key), "security/%s", name);
    assert_int_equal(st_expect_get(shared, key, &ex), 0);
    assert_int_equal(e2e_post(&srv, &u, &r), CURLE_OK);
    if (r.status != 201)
        print_message("%s: %ld %s\n", name, r.status, r.body);
    assert_int_equal(r.status, 201);
    e2e_json_str(r.body, "file_hash", hash, sizeof(hash));
    assert_string_equal(hash, ex.sha256);
    got = e2e_json_int(r.body, "record_count", -1);
    want = expected_records(name, ex.rows);
    if (want == 0)
        assert_non_null(strstr(r.body, "\"warnings\":[\""));
    if (got != want) {
        print_message("MISMATCH %s: record_count %lld, EXPECTED rows %lld "
                      "(%s)\n", name, got, want, ex.note);
        rc = -1;
    }
    e2e_resp_free(&r);
    st_expect_free(&ex);
    return rc;
}

static void test_corpus_security(void **state)
{
    char dir[4200];
    char **names;
    size_t n, i;
    int bad = 0;

    (void)state;
    ST_NEED_SHARED(shared);
    snprintf(dir, sizeof(dir), "%s/corpus/security", shared);
    names = list_dir(dir, &n);
    assert_true(n > 0);
    for (i = 0; i < n; i++) {
        if (corpus_one(shared, names[i]) != 0)
            bad++;
        free(names[i]);
    }
    free(names);
    print_message("corpus/security: %zu files, %d record-count mismatches\n",
                  n, bad);
    assert_int_equal(bad, 0);
}

/* ---- duplicates ---------------------------------------------------------- */

static void test_duplicate(void **state)
{
    char csv[256], s[128];
    size_t len = unique_csv(csv, sizeof(csv), "dup");
    struct e2e_resp a, b, c;
    const char *ex;
    long long id;

    (void)state;
    post_csv("dup-co", csv, len, "first.csv", &a);
    assert_int_equal(a.status, 201);
    id = e2e_json_int(a.body, "id", -1);
    assert_true(id > 0);
    assert_int_equal(e2e_json_int(a.body, "record_count", -1), 2);
    post_csv("dup-co", csv, len, "again.csv", &b);
    assert_error(&b, 409, "DUPLICATE_FILE");
    ex = strstr(b.body, "\"existing\":");
    assert_non_null(ex);
    assert_int_equal(e2e_json_int(ex, "id", -1), id);
    assert_int_equal(e2e_json_int(ex, "record_count", -1), 2);
    assert_int_equal(e2e_json_str(ex, "filename", s, sizeof(s)), 0);
    assert_string_equal(s, "first.csv");
    assert_int_equal(e2e_json_str(ex, "tool_type", s, sizeof(s)), 0);
    assert_string_equal(s, "siem");
    assert_true(e2e_json_int(ex, "version", -1) >= 1);
    assert_non_null(e2e_json_at(ex, "uploaded_at"));
    assert_non_null(e2e_json_at(ex, "uploaded_by"));
    post_csv("dup-other-co", csv, len, "first.csv", &c);
    assert_int_equal(c.status, 201);
    assert_true(e2e_json_int(c.body, "id", -1) != id);
    e2e_resp_free(&a);
    e2e_resp_free(&b);
    e2e_resp_free(&c);
}

struct racer {
    const char *csv;
    size_t len;
    long status;
    long long existing_id;
    long long id;
};

static void *race(void *arg)
{
    struct racer *t = arg;
    struct e2e_upload u = { "race-co", "edr", NULL, t->csv, t->len,
                            "race.csv", 0, 0 };
    struct e2e_resp r;

    if (e2e_post(&srv, &u, &r) == CURLE_OK) {
        t->status = r.status;
        t->id = e2e_json_int(r.body, "id", -1);
        t->existing_id = e2e_json_int(strstr(r.body, "\"existing\":"), "id",
                                      -1);
    }
    e2e_resp_free(&r);
    return NULL;
}

static void test_concurrent_same_file(void **state)
{
    char csv[256];
    struct racer t[16];
    pthread_t th[16];
    size_t len;
    int i, created = 0, dups = 0;
    long long id = -1;

    (void)state;
    memset(t, 0, sizeof(t));
    len = unique_csv(csv, sizeof(csv), "race");
    for (i = 0; i < 16; i++) {
        t[i].csv = csv;
        t[i].len = len;
        pthread_create(&th[i], NULL, race, &t[i]);
    }
    for (i = 0; i < 16; i++)
        pthread_join(th[i], NULL);
    for (i = 0; i < 16; i++) {
        if (t[i].status == 201) {
            created++;
            id = t[i].id;
        } else if (t[i].status == 409) {
            dups++;
        } else {
            print_message("racer %d: status %ld\n", i, t[i].status);
        }
    }
    assert_int_equal(created, 1);
    assert_int_equal(dups, 15);
    for (i = 0; i < 16; i++)
        if (t[i].status == 409)
            assert_int_equal(t[i].existing_id, id);
}

/* ---- refusals ------------------------------------------------------------ */

static void test_png_named_csv(void **state)
{
    static const unsigned char png[] = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H',
        'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4,
        0x89, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82
    };
    struct e2e_resp r;

    (void)state;
    post_csv("png-co", (const char *)png, sizeof(png), "report.csv", &r);
    assert_error(&r, 415, "INVALID_FILE_TYPE");
    e2e_resp_free(&r);
}

static void test_corrupt_xlsx(void **state)
{
    const char *names[] = { "truncated.xlsx", "bitflip.xlsx" };
    char path[4200];
    struct e2e_resp r;
    size_t i;

    (void)state;
    ST_NEED_SHARED(shared);
    for (i = 0; i < 2; i++) {
        struct e2e_upload u = { "corrupt-co", "edr", path, NULL, 0, NULL, 0,
                                0 };
        snprintf(path, sizeof(path), "%s/cases/030-truncated-corrupt-xlsx/%s",
                 shared, names[i]);
        assert_int_equal(e2e_post(&srv, &u, &r), CURLE_OK);
        assert_error(&r, 422, "CORRUPTED_FILE");
        e2e_resp_free(&r);
    }
    e2e_get(&srv, "/api/uploads?company=corrupt-co", NULL, &r);
    assert_int_equal(e2e_json_int(r.body, "total", -1), 0);
    e2e_resp_free(&r);
}

static void test_missing_and_bad_fields(void **state)
{
    char csv[256];
    size_t len = unique_csv(csv, sizeof(csv), "fields");
    struct e2e_upload u = { NULL, "siem", NULL, csv, len, "f.csv", 0, 0 };
    struct e2e_resp r;

    (void)state;
    e2e_post(&srv, &u, &r);
    assert_error(&r, 400, "BAD_REQUEST");
    assert_non_null(strstr(r.body, "company"));
    e2e_resp_free(&r);
    u.company = "fields-co";
    u.tool_type = "antivirus";
    e2e_post(&srv, &u, &r);
    assert_error(&r, 400, "BAD_REQUEST");
    assert_non_null(strstr(r.body, "gsuite, mdm, siem, edr, meraki, sonicwall"));
    e2e_resp_free(&r);
    u.tool_type = "siem";
    u.data = NULL;
    e2e_post(&srv, &u, &r);
    assert_error(&r, 400, "BAD_REQUEST");
    e2e_resp_free(&r);
    u.company = "   ";
    u.data = csv;
    e2e_post(&srv, &u, &r);
    assert_error(&r, 400, "BAD_REQUEST");
    e2e_resp_free(&r);
}

/* File part first, then the fields: accepted. */
static void test_file_before_fields(void **state)
{
    char csv[256];
    size_t len = unique_csv(csv, sizeof(csv), "order");
    struct e2e_upload u = { " order-co ", "mdm", NULL, csv, len, "o.csv", 1,
                            0 };
    struct e2e_resp r;
    char company[64];

    (void)state;
    e2e_post(&srv, &u, &r);
    assert_int_equal(r.status, 201);
    assert_int_equal(e2e_json_str(r.body, "company", company,
                                  sizeof(company)), 0);
    assert_string_equal(company, "order-co");
    e2e_resp_free(&r);
}

static void test_body_ends_early(void **state)
{
    static const char body[] =
        "--bnd\r\nContent-Disposition: form-data; name=\"company\"\r\n\r\n"
        "early-co\r\n--bnd\r\nContent-Disposition: form-data; "
        "name=\"tool_type\"\r\n\r\nsiem\r\n--bnd\r\nContent-Disposition: "
        "form-data; name=\"file\"; filename=\"e.csv\"\r\n\r\na,b\r\n1,2\r\n";
    char req[1024], resp[4096];
    int fd, n;

    (void)state;
    n = snprintf(req, sizeof(req),
                 "POST /api/uploads HTTP/1.1\r\nHost: x\r\n%sContent-Type: "
                 "multipart/form-data; boundary=bnd\r\nContent-Length: %zu"
                 "\r\n\r\n%s", srv.auth, sizeof(body) - 1, body);
    fd = e2e_connect(&srv);
    assert_true(fd >= 0);
    assert_int_equal(e2e_send_all(fd, req, (size_t)n), 0);
    assert_true(e2e_read_until(fd, resp, sizeof(resp), "}}", 5000) > 0);
    close(fd);
    assert_non_null(strstr(resp, "HTTP/1.1 400"));
    assert_non_null(strstr(resp, "\"code\":\"UPLOAD_INCOMPLETE\""));
}

/* Headers of an upload that declares len body bytes. */
static int upload_head(char *out, size_t cap, unsigned long long len,
                       int expect)
{
    return snprintf(out, cap,
                    "POST /api/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s"
                    "Content-Type: multipart/form-data; boundary=bnd\r\n"
                    "Content-Length: %llu\r\n\r\n", srv.auth,
                    expect ? "Expect: 100-continue\r\n" : "", len);
}

/* Case 027: 60 MB declared, 64 KiB sent: 413 within 2 s, then closed. */
static void test_oversize_refused_unread(void **state)
{
    static const char part[] =
        "--bnd\r\nContent-Disposition: form-data; name=\"company\"\r\n\r\n"
        "huge-co\r\n--bnd\r\nContent-Disposition: form-data; name=\"file\"; "
        "filename=\"huge.csv\"\r\n\r\n";
    char *buf = malloc(65536 + 512), resp[4096];
    long t0, n;
    int fd, h;

    (void)state;
    h = upload_head(buf, 512, 60000000ULL, 0);
    memcpy(buf + h, part, sizeof(part) - 1);
    memset(buf + h + sizeof(part) - 1, 'x', 65536 - (sizeof(part) - 1));
    fd = e2e_connect(&srv);
    assert_true(fd >= 0);
    t0 = e2e_now_ms();
    e2e_send_all(fd, buf, (size_t)h + 65536);
    n = e2e_read_until(fd, resp, sizeof(resp), "}}", 2000);
    assert_true(n > 0);
    assert_true(e2e_now_ms() - t0 < 2000);
    assert_non_null(strstr(resp, "HTTP/1.1 413"));
    assert_non_null(strstr(resp, "\"code\":\"FILE_TOO_LARGE\""));
    assert_int_equal(e2e_closed(fd, 2000), 1);
    close(fd);
    free(buf);
}

/* Case 026: Expect: 100-continue, for a body we take and one we refuse. */
static void test_expect_continue(void **state)
{
    char body[512], csv[128], head[512], resp[4096];
    int fd, h, b;
    long t0;

    (void)state;
    unique_csv(csv, sizeof(csv), "continue");
    b = snprintf(body, sizeof(body),
                 "--bnd\r\nContent-Disposition: form-data; name=\"company\""
                 "\r\n\r\ncontinue-co\r\n--bnd\r\nContent-Disposition: "
                 "form-data; name=\"tool_type\"\r\n\r\nsiem\r\n--bnd\r\n"
                 "Content-Disposition: form-data; name=\"file\"; "
                 "filename=\"c.csv\"\r\n\r\n%s\r\n--bnd--\r\n", csv);
    h = upload_head(head, sizeof(head), (unsigned long long)b, 1);
    fd = e2e_connect(&srv);
    t0 = e2e_now_ms();
    e2e_send_all(fd, head, (size_t)h);
    assert_true(e2e_read_until(fd, resp, sizeof(resp), "\r\n\r\n", 3000) > 0);
    assert_true(e2e_now_ms() - t0 < 1000);
    assert_non_null(strstr(resp, "HTTP/1.1 100 Continue"));
    e2e_send_all(fd, body, (size_t)b);
    assert_true(e2e_read_until(fd, resp, sizeof(resp), "}\n", 5000) > 0);
    assert_non_null(strstr(resp, "HTTP/1.1 201"));
    close(fd);

    h = upload_head(head, sizeof(head), 60000000ULL, 1);
    fd = e2e_connect(&srv);
    t0 = e2e_now_ms();
    e2e_send_all(fd, head, (size_t)h);
    assert_true(e2e_read_until(fd, resp, sizeof(resp), "}}", 3000) > 0);
    assert_true(e2e_now_ms() - t0 < 1000);
    assert_null(strstr(resp, "100 Continue"));
    assert_non_null(strstr(resp, "HTTP/1.1 413"));
    close(fd);
}

/* ---- reading back --------------------------------------------------------- */

static void check_file_bytes(long long id, const char *hash)
{
    char path[128], hex[65];
    struct e2e_resp r;

    snprintf(path, sizeof(path), "/api/uploads/%lld/file", id);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 200);
    sha256_hex(r.body, r.len, hex);
    assert_string_equal(hex, hash);
    assert_non_null(strstr(r.disposition, "attachment"));
    assert_non_null(strstr(r.disposition, "filename*=UTF-8''r%C3%A9ads.csv"));
    assert_non_null(strstr(r.ctype, "text/csv"));
    e2e_resp_free(&r);
}

static void test_read_back(void **state)
{
    char csv[256], path[160], s[128], hash[80];
    size_t len = unique_csv(csv, sizeof(csv), "reads");
    struct e2e_resp r;
    long long id;

    (void)state;
    post_csv("reads-co", csv, len, "r\xc3\xa9" "ads.csv", &r);
    assert_int_equal(r.status, 201);
    id = e2e_json_int(r.body, "id", -1);
    assert_int_equal(e2e_json_str(r.body, "file_hash", hash, sizeof(hash)), 0);
    e2e_resp_free(&r);

    snprintf(path, sizeof(path), "/api/uploads/%lld", id);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(e2e_json_int(r.body, "id", -1), id);
    e2e_json_str(r.body, "filename", s, sizeof(s));
    assert_string_equal(s, "r\xc3\xa9" "ads.csv");
    assert_int_equal(e2e_json_int(r.body, "record_count", -1), 2);
    e2e_resp_free(&r);

    e2e_get(&srv, "/api/uploads?company=reads-co&active=true", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(e2e_json_int(r.body, "total", -1), 1);
    assert_int_equal(e2e_json_int(r.body, "id", -1), id);
    e2e_resp_free(&r);

    snprintf(path, sizeof(path), "/api/uploads/%lld/records?limit=10", id);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"host\":\"web-01\""));
    assert_non_null(strstr(r.body, "\"severity\":\"Low\""));
    assert_int_equal(e2e_json_int(r.body, "total", -1), 2);
    e2e_resp_free(&r);

    check_file_bytes(id, hash);
}

/* ---- case 022 -------------------------------------------------------------- */

/*
 * Replay one request of case 022 with the route of this API, a tool_type
 * part and its own company; the stored file name in *name.
 */
static void replay_022(const char *file, const char *company, char *name,
                       size_t cap)
{
    char path[4200], *raw, *body, *nb, *rest, req[4096], resp[8192], *json;
    size_t len, blen;
    int fd, n;
    long long id;
    struct e2e_resp r;
    const char *shared = st_shared();

    snprintf(path, sizeof(path),
             "%s/cases/022-multipart-nonascii-filename/%s", shared, file);
    raw = e2e_slurp(path, &len);
    assert_non_null(raw);
    body = strstr(raw, "\r\n\r\n") + 4;
    rest = strstr(body, "acme\r\n");
    assert_non_null(rest);
    nb = malloc(len + 512);
    blen = (size_t)sprintf(nb, "------socctestBoundary7MA4YWxkTrZu0gW\r\n"
                           "Content-Disposition: form-data; "
                           "name=\"tool_type\"\r\n\r\nsiem\r\n");
    memcpy(nb + blen, body, (size_t)(rest - body));
    blen += (size_t)(rest - body);
    blen += (size_t)sprintf(nb + blen, "%s", company);
    memcpy(nb + blen, rest + 4, len - (size_t)(rest + 4 - raw));
    blen += len - (size_t)(rest + 4 - raw);
    n = snprintf(req, sizeof(req),
                 "POST /api/uploads HTTP/1.1\r\nHost: x\r\n%sContent-Type: "
                 "multipart/form-data; boundary=----socctestBoundary7MA4YWxk"
                 "TrZu0gW\r\nContent-Length: %zu\r\n\r\n", srv.auth, blen);
    fd = e2e_connect(&srv);
    e2e_send_all(fd, req, (size_t)n);
    e2e_send_all(fd, nb, blen);
    assert_true(e2e_read_until(fd, resp, sizeof(resp), "}\n", 5000) > 0);
    close(fd);
    free(nb);
    free(raw);
    if (!strstr(resp, "HTTP/1.1 201"))
        print_message("%s: %s\n", file, resp);
    assert_non_null(strstr(resp, "HTTP/1.1 201"));
    json = strstr(resp, "\r\n\r\n");
    assert_int_equal(e2e_json_int(json, "record_count", -1), 2);
    id = e2e_json_int(json, "id", -1);
    snprintf(path, sizeof(path), "/api/uploads/%lld", id);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(e2e_json_str(r.body, "filename", name, cap), 0);
    e2e_resp_free(&r);
}

static void test_case_022_names(void **state)
{
    static const char want[] = "R\xc3\xa9sum\xc3\xa9-\xe3\x82\xb9\xe3\x82\xad"
                               "\xe3\x83\xa3\xe3\x83\xb3 2024.csv";
    char name[512];

    (void)state;
    ST_NEED_SHARED(shared);
    (void)shared;
    replay_022("a_raw_utf8_filename.http", "acme-022a", name, sizeof(name));
    assert_string_equal(name, want);
    replay_022("b_rfc5987_filename_star.http", "acme-022b", name,
               sizeof(name));
    assert_string_equal(name, want);
    replay_022("c_quoted_special_chars.http", "acme-022c", name,
               sizeof(name));
    assert_string_equal(name, "q\"uote;semi=colon.csv");
}

/* ---- a small limit: chunked bodies are cut at the file limit ---------------- */

/*
 * An upload tagged with X-Upload-Token can be followed by the page: after
 * the POST the token answers the outcome, the rows parsed and the bytes.
 */
static void test_progress_token(void **state)
{
    struct buf csv;
    struct e2e_resp r;
    char stage[32], name[64];
    int i;

    (void)state;
    buf_init(&csv);
    buf_adds(&csv, "host,n\n");
    for (i = 0; i < 3000; i++)
        buf_printf(&csv, "h%d,%d\n", i, i);
    {
        struct e2e_upload u = { "progress-co", "edr", NULL, csv.data, csv.len,
                                "p.csv", 0, 0 };
        assert_int_equal(e2e_post_h(&srv, &u, "X-Upload-Token: tok_A-1", &r),
                         CURLE_OK);
    }
    assert_int_equal(r.status, 201);
    e2e_resp_free(&r);

    e2e_get(&srv, "/api/uploads/progress/tok_A-1", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(e2e_json_str(r.body, "stage", stage, sizeof(stage)), 0);
    assert_string_equal(stage, "done");
    assert_int_equal(e2e_json_int(r.body, "rows", -1), 3000);
    assert_true(e2e_json_int(r.body, "bytes", -1) > (long long)csv.len);
    assert_int_equal(e2e_json_str(r.body, "filename", name, sizeof(name)), 0);
    assert_string_equal(name, "p.csv");
    e2e_resp_free(&r);

    /* a refused upload answers its error name under its token */
    {
        struct e2e_upload u = { "progress-co", "edr", NULL, csv.data, csv.len,
                                "p.csv", 0, 0 };
        assert_int_equal(e2e_post_h(&srv, &u, "X-Upload-Token: tok_dup", &r),
                         CURLE_OK);
    }
    assert_int_equal(r.status, 409);
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/uploads/progress/tok_dup", NULL, &r);
    assert_int_equal(r.status, 200);
    e2e_json_str(r.body, "stage", stage, sizeof(stage));
    assert_string_equal(stage, "DUPLICATE_FILE");
    e2e_resp_free(&r);

    e2e_get(&srv, "/api/uploads/progress/nobody-has-this", NULL, &r);
    assert_int_equal(r.status, 404);
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/uploads/progress/bad%20token", NULL, &r);
    assert_int_equal(r.status, 400);
    e2e_resp_free(&r);
    buf_release(&csv);
}

static void test_chunked_over_limit(void **state)
{
    const char *env[] = { "MAX_FILE_SIZE", "65536", NULL };
    struct e2e_server small, keep = srv;
    struct e2e_upload u = { "chunk-co", "siem", NULL, NULL, 0, "big.csv", 0,
                            0 };
    struct curl_slist *h = NULL;
    char *data = malloc(300000), url[128];
    struct e2e_resp r;
    curl_mime *m;
    CURL *c;

    (void)state;
    memset(data, 'x', 300000);
    assert_int_equal(e2e_start(&small, env), 0);
    srv = small;
    c = curl_easy_init();
    m = curl_mime_init(c);
    u.data = data;
    u.len = 300000;
    e2e_add_field(m, "company", u.company);
    e2e_add_field(m, "tool_type", u.tool_type);
    e2e_add_file(m, &u);
    snprintf(url, sizeof(url), "%s/api/uploads", small.base);
    h = curl_slist_append(h, "Transfer-Encoding: chunked");
    h = e2e_auth_header(&small, h);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, m);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    e2e_perform(c, &r);
    assert_error(&r, 413, "FILE_TOO_LARGE");
    e2e_resp_free(&r);
    e2e_get(&small, "/api/uploads?company=chunk-co", NULL, &r);
    assert_int_equal(e2e_json_int(r.body, "total", -1), 0);
    e2e_resp_free(&r);
    curl_slist_free_all(h);
    curl_mime_free(m);
    curl_easy_cleanup(c);
    free(data);
    srv = keep;
    assert_int_equal(e2e_stop(&small), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_and_request_id),
        cmocka_unit_test(test_config_and_page),
        cmocka_unit_test(test_bad_routes_and_ids),
        cmocka_unit_test(test_corpus_security),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_concurrent_same_file),
        cmocka_unit_test(test_png_named_csv),
        cmocka_unit_test(test_corrupt_xlsx),
        cmocka_unit_test(test_missing_and_bad_fields),
        cmocka_unit_test(test_file_before_fields),
        cmocka_unit_test(test_body_ends_early),
        cmocka_unit_test(test_oversize_refused_unread),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_read_back),
        cmocka_unit_test(test_case_022_names),
        cmocka_unit_test(test_chunked_over_limit),
        cmocka_unit_test(test_progress_token),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
