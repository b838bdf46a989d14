/*
 * Point-in-time recovery end to end: changes at t1..t5 over two
 * companies, a restore to each moment compared with the whole state seen
 * then (uploads, active flags, versions, summaries, every record); one
 * company brought back to t3 while the other keeps its later changes; a
 * damaged database the server refuses, restored from backup and journal.
 */
#include "socc_test.h"

#include <stdarg.h>

#include "e2e.h"

#include "core/buf.h"

#define STEPS 5

static struct e2e_server srv;
static const char *const env[] = { "BACKUP_INTERVAL", "0", NULL };

static const char V1[] = "host,ip,sev\na,1,high\nb,2,low\nc,3,low\n";
static const char V2[] = "host,ip,sev\na,1,high\nb,2,mid\nd,4,low\n";
static const char V3[] = "host,ip,sev,owner\na,1,high,x\nd,4,low,y\n";

static const char *bin(void)
{
    const char *b = getenv("SOCC_BIN");

    return b ? b : "build/san/socc";
}

static int setup(void **state)
{
    (void)state;
    return e2e_start(&srv, env);
}

static int teardown(void **state)
{
    (void)state;
    e2e_stop(&srv);
    return 0;
}

/* `socc ARGS` on the server's data dir; its exit code. */
static int cli(const char *fmt, ...)
{
    char args[600], cmd[1400];
    va_list ap;
    int st;

    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "SOCC_DATA_DIR='%s' timeout -s KILL 60 '%s' "
             "%s >>'%s/cli.log' 2>&1", srv.dir, bin(), args, srv.dir);
    st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Stop the server, keeping its data dir. */
static void stop_keep(void)
{
    int status;

    kill(srv.pid, SIGTERM);
    waitpid(srv.pid, &status, 0);
    srv.pid = 0;
}

/* Start it again on the same dir and port; its exit code when it quits
 * instead of answering, else -1 (it runs). */
static int restart(void)
{
    long until = e2e_now_ms() + 10000;
    int status;

    srv.pid = fork();
    if (srv.pid == 0)
        e2e_exec(&srv, bin(), env);
    while (e2e_now_ms() < until) {
        if (waitpid(srv.pid, &status, WNOHANG) == srv.pid) {
            srv.pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        }
        if (e2e_healthy(&srv))
            return -1;
        usleep(30000);
    }
    fail_msg("server neither answered nor quit");
    return 0;
}

static long long upload(const char *company, const char *tool,
                        const char *name, const char *text)
{
    struct e2e_upload u = { company, tool, NULL, text, strlen(text), name, 0,
                            0 };
    struct e2e_resp r;
    long long id;

    e2e_post(&srv, &u, &r);
    assert_int_equal(r.status, 201);
    id = e2e_json_int(r.body, "id", -1);
    e2e_resp_free(&r);
    return id;
}

static void call(const char *method, const char *path, long want)
{
    char url[512];
    struct e2e_resp r;
    CURL *c = curl_easy_init();
    struct curl_slist *h;

    snprintf(url, sizeof(url), "%s%s", srv.base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    h = e2e_auth_header(&srv, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    e2e_perform(c, &r);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    assert_int_equal(r.status, want);
    e2e_resp_free(&r);
}

/* Append body without its "processing_ms" members (they differ by run). */
static void add_stable(struct buf *b, const char *body)
{
    const char *p = body, *q;

    while ((q = strstr(p, "\"processing_ms\":")) != NULL) {
        buf_add(b, p, (size_t)(q - p));
        q += strlen("\"processing_ms\":");
        while (*q >= '0' && *q <= '9')
            q++;
        if (*q == ',')
            q++;
        p = q;
    }
    buf_adds(b, p);
}

/*
 * The state of one company (or all, NULL) as the API shows it: the
 * upload list, each upload's version summary and every record.
 */
static char *state_of(const char *company)
{
    char path[256];
    struct e2e_resp r, x;
    struct buf b;
    const char *p;

    buf_init(&b);
    snprintf(path, sizeof(path), "/api/uploads?limit=1000%s%s",
             company ? "&company=" : "", company ? company : "");
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 200);
    add_stable(&b, r.body);
    for (p = strstr(r.body, "{\"id\":"); p; p = strstr(p + 1, "{\"id\":")) {
        long long id = strtoll(p + 6, NULL, 10);
        snprintf(path, sizeof(path), "/api/versions/%lld", id);
        e2e_get(&srv, path, NULL, &x);
        assert_int_equal(x.status, 200);
        add_stable(&b, x.body);
        e2e_resp_free(&x);
        snprintf(path, sizeof(path), "/api/uploads/%lld/records?limit=1000",
                 id);
        e2e_get(&srv, path, NULL, &x);
        assert_int_equal(x.status, 200);
        buf_adds(&b, x.body);
        e2e_resp_free(&x);
    }
    e2e_resp_free(&r);
    buf_addc(&b, '\0');
    return buf_detach(&b);
}

static void now_iso(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;
    size_t k;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%03ldZ", ts.tv_nsec / 1000000);
}

struct moment {
    char at[40];
    char *all, *acme, *beta;
};

static struct moment t[STEPS + 1];

/* Note the moment after a step, with a gap either side. */
static void mark(int i)
{
    usleep(30000);
    now_iso(t[i].at, sizeof(t[i].at));
    t[i].all = state_of(NULL);
    t[i].acme = state_of("acme");
    t[i].beta = state_of("beta");
    usleep(30000);
}

static void make_changes(void)
{
    char path[64];
    long long a1, b1;

    assert_int_equal(cli("backup"), 0);        /* retention starts here */
    a1 = upload("acme", "siem", "a1.csv", V1);
    mark(1);
    upload("acme", "siem", "a2.csv", V2);
    b1 = upload("beta", "siem", "b1.csv", V1);
    mark(2);
    snprintf(path, sizeof(path), "/api/uploads/%lld/activate", a1);
    call("POST", path, 200);                   /* acme rolls back to v1 */
    mark(3);
    snprintf(path, sizeof(path), "/api/uploads/%lld", b1);
    call("DELETE", path, 200);
    upload("beta", "edr", "b2.csv", V3);
    mark(4);
    upload("acme", "siem", "a3.csv", V3);
    upload("beta", "siem", "b3.csv", V2);
    mark(5);
}

static void restore_each_moment(void **state)
{
    char *now;
    int i;

    (void)state;
    make_changes();
    stop_keep();
    assert_int_equal(cli("backup list"), 0);
    for (i = STEPS; i >= 1; i--) {
        assert_int_equal(cli("restore --at %s", t[i].at), 0);
        assert_int_equal(restart(), -1);
        now = state_of(NULL);
        assert_string_equal(now, t[i].all);
        free(now);
        stop_keep();
    }
    /* a restore is refused while a server runs on the data dir */
    assert_int_equal(restart(), -1);
    assert_int_not_equal(cli("restore --at %s", t[5].at), 0);
    stop_keep();
}

static void restore_one_company(void **state)
{
    char *acme, *beta;

    (void)state;
    assert_int_equal(cli("restore --at %s", t[5].at), 0);
    assert_int_equal(cli("restore --company acme --at %s", t[3].at), 0);
    assert_int_equal(restart(), -1);
    acme = state_of("acme");
    beta = state_of("beta");
    assert_string_equal(acme, t[3].acme);
    assert_string_equal(beta, t[5].beta);
    free(acme);
    free(beta);
    /* both restores are in the audit log, the company one with its name */
    {
        struct e2e_resp r;

        e2e_get(&srv, "/api/audit?limit=100", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "\"action\":\"restore\""));
        assert_non_null(strstr(r.body, "\"company\":\"acme\""));
        e2e_resp_free(&r);
    }
    /* the server keeps working on the restored data */
    upload("acme", "siem", "a4.csv", "host\nz\n");
}

/* Overwrite three pages in the middle of socc.db. */
static void damage(void)
{
    char path[300], junk[3 * 16384];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/socc.db", srv.dir);
    memset(junk, 0xA5, sizeof(junk));
    fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 16384, SEEK_SET), 0);
    assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
    fclose(fp);
}

static void damaged_database_is_refused_then_restored(void **state)
{
    char *before, *after, log[300], *text;
    size_t len;

    (void)state;
    before = state_of(NULL);
    stop_keep();
    damage();
    assert_int_equal(restart(), 33);           /* DATABASE_CORRUPT */
    snprintf(log, sizeof(log), "%s/serve.log", srv.dir);
    text = e2e_slurp(log, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "DATABASE_CORRUPT"));
    assert_non_null(strstr(text, "socc restore --at now"));
    free(text);
    assert_int_equal(cli("restore --at now"), 0);
    assert_int_equal(restart(), -1);
    after = state_of(NULL);
    assert_string_equal(after, before);
    free(before);
    free(after);
}

/* `socc restore NAME` with the first backup (taken before any change). */
static void restore_named_backup(void **state)
{
    char path[300], name[128], *text;
    struct e2e_resp r;
    size_t len;

    (void)state;
    snprintf(path, sizeof(path), "%s/backups/manifest.tsv", srv.dir);
    text = e2e_slurp(path, &len);
    assert_non_null(text);
    assert_int_equal(sscanf(text, "%127[^\t]", name), 1);
    assert_non_null(strstr(text, "\tmanual\t"));
    free(text);
    stop_keep();
    assert_int_not_equal(cli("restore no-such-backup.db"), 0);
    assert_int_equal(cli("restore %s", name), 0);
    assert_int_equal(restart(), -1);
    e2e_get(&srv, "/api/uploads", NULL, &r);
    assert_int_equal(e2e_json_int(r.body, "total", -1), 0);
    e2e_resp_free(&r);
    /* and forward again: the journal still holds the later changes */
    stop_keep();
    assert_int_equal(cli("restore --at %s", t[4].at), 0);
    assert_int_equal(restart(), -1);
    text = state_of(NULL);
    assert_string_equal(text, t[4].all);
    free(text);
}

static void free_moments(void)
{
    int i;

    for (i = 0; i <= STEPS; i++) {
        free(t[i].all);
        free(t[i].acme);
        free(t[i].beta);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(restore_each_moment),
        cmocka_unit_test(restore_one_company),
        cmocka_unit_test(damaged_database_is_refused_then_restored),
        cmocka_unit_test(restore_named_backup),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    free_moments();
    curl_global_cleanup();
    return rc;
}
