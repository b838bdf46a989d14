/*
 * Operations end to end: health and probes, /metrics after real uploads,
 * the cached upload list and summary (in-process and Redis), alerts with
 * a webhook, logs without secrets, JSON logs, and `socc check`.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "e2e.h"
#include "prom.h"
#include "redis_test.h"
#include "socc_test.h"

static struct e2e_server srv;
static struct prom before, after;
/* What a test starts besides srv; stopped after each test, pass or fail. */
static struct e2e_server extra;
static struct redis_test rt;

static int setup(void **state)
{
    static const char *const env[] = { "SOCC_LOG_LEVEL", "info", NULL };

    (void)state;
    return e2e_start(&srv, env);
}

static int teardown(void **state)
{
    (void)state;
    return e2e_stop(&srv) == 0 ? 0 : -1;
}

struct hook;
static struct hook *hook_on;
static void hook_stop(struct hook *h);

static int cleanup(void **state)
{
    (void)state;
    if (hook_on)
        hook_stop(hook_on);
    if (extra.pid > 0)
        e2e_stop(&extra);
    if (rt.dir[0])
        redis_test_end(&rt);
    memset(&rt, 0, sizeof(rt));
    return 0;
}

static void get_ok(const struct e2e_server *s, const char *path,
                   long status, struct e2e_resp *r)
{
    assert_int_equal(e2e_get(s, path, NULL, r), CURLE_OK);
    if (r->status != status)
        print_message("%s: %ld %s\n", path, r->status, r->body);
    assert_int_equal(r->status, status);
}

static void post_csv(const struct e2e_server *s, const char *company,
                     const char *csv, long status)
{
    struct e2e_upload u = { company, "siem", NULL, csv, strlen(csv),
                            "ops.csv", 0, 0 };
    struct e2e_resp r;

    assert_int_equal(e2e_post(s, &u, &r), CURLE_OK);
    if (r.status != status)
        print_message("upload: %ld %s\n", r.status, r.body);
    assert_int_equal(r.status, status);
    e2e_resp_free(&r);
}

static void scrape(const struct e2e_server *s, struct prom *pr)
{
    struct e2e_resp r;

    get_ok(s, "/metrics", 200, &r);
    assert_string_equal(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
    if (prom_parse(pr, r.body) != 0)
        print_message("exposition: %s\n", pr->error);
    assert_string_equal(pr->error, "");
    e2e_resp_free(&r);
}

static double delta(const char *key)
{
    double a = prom_val(&after, key), b = prom_val(&before, key);

    return (a < 0 ? 0 : a) - (b < 0 ? 0 : b);
}

/* ---- health ------------------------------------------------------------- */

static void health_lists_components(void **state)
{
    struct e2e_resp r;
    char s[32];

    (void)state;
    get_ok(&srv, "/api/health", 200, &r);
    assert_true(strncmp(r.body, "{\"status\":\"ok\",", 15) == 0);
    assert_non_null(strstr(r.body, "\"database\":{\"status\":\"ok\","
                                   "\"latency_ms\":"));
    assert_non_null(strstr(r.body, "\"storage\":{\"status\":\"ok\","
                                   "\"writable\":true,\"free_bytes\":"));
    assert_non_null(strstr(r.body, "\"memory\":{\"status\":\"ok\","
                                   "\"rss_bytes\":"));
    assert_non_null(strstr(r.body, "\"uploads\":{\"status\":\"ok\","
                                   "\"active\":0,"));
    assert_non_null(strstr(r.body, "\"cache\":{\"status\":\"ok\","
                                   "\"backend\":\"memory\""));
    assert_true(e2e_json_int(r.body, "rss_bytes", 0) > 100000);
    assert_true(e2e_json_int(r.body, "limit_bytes", 0) >
                e2e_json_int(r.body, "rss_bytes", 0));
    assert_int_equal(e2e_json_str(r.body, "limit_source", s, sizeof(s)), 0);
    assert_non_null(strstr(r.body, "\"ready\":true}"));
    e2e_resp_free(&r);
}

static void probes(void **state)
{
    struct e2e_resp r;
    char url[128];
    CURL *c;

    (void)state;
    get_ok(&srv, "/livez", 200, &r);
    assert_string_equal(r.body, "{\"status\":\"alive\"}\n");
    e2e_resp_free(&r);
    get_ok(&srv, "/readyz", 200, &r);
    assert_string_equal(r.body, "{\"status\":\"ready\"}\n");
    e2e_resp_free(&r);
    c = curl_easy_init();
    snprintf(url, sizeof(url), "%s/readyz", srv.base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x");
    assert_int_equal(e2e_perform(c, &r), CURLE_OK);
    assert_int_equal(r.status, 405);
    curl_easy_cleanup(c);
    e2e_resp_free(&r);
}

/* ---- metrics ------------------------------------------------------------ */

static void metrics_follow_uploads(void **state)
{
    char csv[200];

    (void)state;
    snprintf(csv, sizeof(csv), "host,sev\nm-%ld,High\n", e2e_now_ms());
    scrape(&srv, &before);
    post_csv(&srv, "metrics-co", csv, 201);
    post_csv(&srv, "metrics-co", csv, 409);           /* duplicate */
    post_csv(&srv, "metrics-co", "", 422);            /* empty */
    scrape(&srv, &after);
    assert_true(delta("socc_uploads_total{outcome=\"stored\",code=\"OK\"}")
                == 1);
    assert_true(delta("socc_uploads_total{outcome=\"duplicate\","
                      "code=\"DUPLICATE_FILE\"}") == 1);
    assert_true(delta("socc_uploads_total{outcome=\"rejected\","
                      "code=\"EMPTY_FILE\"}") == 1);
    assert_true(delta("socc_duplicates_prevented_total") == 1);
    assert_true(delta("socc_upload_bytes_total") == 2.0 * (double)strlen(csv));
    assert_true(delta("socc_http_received_bytes_total") >
                2.0 * (double)strlen(csv));
    assert_true(delta("socc_upload_duration_seconds_count") == 3);
    assert_true(delta("socc_upload_stage_duration_seconds_count"
                      "{stage=\"validating\"}") == 3);
    assert_true(delta("socc_upload_stage_duration_seconds_count"
                      "{stage=\"checking_duplicates\"}") == 2);
    assert_true(delta("socc_upload_stage_duration_seconds_count"
                      "{stage=\"processing\"}") == 1);
    assert_true(delta("socc_upload_stage_duration_seconds_count"
                      "{stage=\"saving\"}") == 1);
    assert_true(delta("socc_upload_stage_duration_seconds_sum"
                      "{stage=\"saving\"}") > 0);
    assert_true(delta("socc_db_query_duration_seconds_count") >= 5);
    assert_true(prom_val(&after, "socc_uploads_active") == 0);
    assert_true(prom_val(&after, "socc_process_open_fds") >= 5);
    assert_true(prom_val(&after, "socc_process_resident_memory_bytes") >
                1e6);
}

/* ---- cache -------------------------------------------------------------- */

/* "total" of GET path. */
static long long total_of(const struct e2e_server *s, const char *path,
                          const char *key)
{
    struct e2e_resp r;
    long long v;

    get_ok(s, path, 200, &r);
    v = e2e_json_int(r.body, key, -1);
    e2e_resp_free(&r);
    return v;
}

/* Reads served from the cache, then a write, then a fresh read. */
static void read_after_write(const struct e2e_server *s, const char *co)
{
    char list[200], summary[200], csv[200];
    long long n;

    snprintf(list, sizeof(list), "/api/uploads?company=%s", co);
    snprintf(summary, sizeof(summary), "/api/summary?company=%s", co);
    scrape(s, &before);
    n = total_of(s, list, "total");
    assert_int_equal(total_of(s, list, "total"), n);
    assert_int_equal(total_of(s, "/api/uploads", "total") >= n, 1);
    assert_int_equal(total_of(s, summary, "uploads"), n);
    assert_int_equal(total_of(s, summary, "uploads"), n);
    scrape(s, &after);
    assert_true(delta("socc_cache_hits_total") >= 2);
    snprintf(csv, sizeof(csv), "host\n%s-%ld\n", co, e2e_now_ms());
    post_csv(s, co, csv, 201);
    assert_int_equal(total_of(s, list, "total"), n + 1);
    assert_int_equal(total_of(s, summary, "uploads"), n + 1);
    snprintf(csv, sizeof(csv), "host\n%s-%ld-b\n", co, e2e_now_ms());
    post_csv(s, co, csv, 201);
    assert_int_equal(total_of(s, list, "total"), n + 2);
    assert_int_equal(total_of(s, summary, "records"), n + 2);
}

/* Readers that fill the cache while uploads commit. */
struct readers {
    pthread_t t[4];
    volatile int stop;
    long reads;
};

static void *reader_main(void *arg)
{
    static const char *const paths[] = {
        "/api/uploads?company=race-co", "/api/uploads",
        "/api/summary?company=race-co", "/api/uploads?company=race-co&limit=5"
    };
    struct readers *rd = arg;
    struct e2e_resp r;
    long i = 0;

    while (!rd->stop) {
        if (e2e_get(&srv, paths[i++ % 4], NULL, &r) == CURLE_OK &&
            r.status == 200)
            __atomic_add_fetch(&rd->reads, 1, __ATOMIC_RELAXED);
        e2e_resp_free(&r);
    }
    return NULL;
}

/*
 * Four threads read (and so fill the cache) all the time; after each
 * upload is answered, the very next read must count it.
 */
static void fresh_under_concurrent_readers(void **state)
{
    static struct readers rd;
    char csv[100];
    long long n0 = total_of(&srv, "/api/uploads?company=race-co", "total");
    long long all0 = total_of(&srv, "/api/uploads", "total");
    int i, k;

    (void)state;
    memset(&rd, 0, sizeof(rd));
    for (k = 0; k < 4; k++)
        assert_int_equal(pthread_create(&rd.t[k], NULL, reader_main, &rd), 0);
    for (i = 1; i <= 12; i++) {
        snprintf(csv, sizeof(csv), "host\nrace-%d-%ld\n", i, e2e_now_ms());
        post_csv(&srv, "race-co", csv, 201);
        assert_int_equal(total_of(&srv, "/api/uploads?company=race-co",
                                  "total"), n0 + i);
        assert_int_equal(total_of(&srv, "/api/summary?company=race-co",
                                  "uploads"), n0 + i);
        assert_int_equal(total_of(&srv, "/api/uploads", "total"), all0 + i);
    }
    rd.stop = 1;
    for (k = 0; k < 4; k++)
        pthread_join(rd.t[k], NULL);
    assert_true(rd.reads > 12);
}

static void list_is_fresh_after_upload(void **state)
{
    (void)state;
    read_after_write(&srv, "cache-co");
    read_after_write(&srv, "cache-co");
}

static void redis_cache_and_redis_down(void **state)
{
    struct e2e_server *rs = &extra;
    struct e2e_resp r;
    const char *env[] = { "REDIS_URL", NULL, NULL };

    (void)state;
    memset(&rt, 0, sizeof(rt));
    assert_int_equal(redis_test_start(&rt), 0);
    env[1] = rt.url;
    assert_int_equal(e2e_start(rs, env), 0);
    get_ok(rs, "/api/health", 200, &r);
    assert_non_null(strstr(r.body, "\"cache\":{\"status\":\"ok\","
                                   "\"backend\":\"redis\""));
    e2e_resp_free(&r);
    read_after_write(rs, "redis-co");
    redis_test_stop(&rt);
    /* Redis gone: still serving, fresh, and health says degraded */
    get_ok(rs, "/api/health", 200, &r);
    assert_true(strncmp(r.body, "{\"status\":\"degraded\",", 21) == 0);
    assert_non_null(strstr(r.body, "\"cache\":{\"status\":\"degraded\""));
    e2e_resp_free(&r);
    assert_int_equal(total_of(rs, "/api/uploads?company=redis-co", "total"),
                     2);
    post_csv(rs, "redis-co", "host\nwhile-down\n", 201);
    assert_int_equal(total_of(rs, "/api/uploads?company=redis-co", "total"),
                     3);
    assert_int_equal(e2e_stop(rs), 0);
}

/* ---- alerts and the webhook --------------------------------------------- */

struct hook {
    int fd;
    int port;
    pthread_t thread;
    pthread_mutex_t mu;
    char got[8192];          /* bodies received, one per line */
};

static void *hook_main(void *arg)
{
    static const char answer[] = "HTTP/1.1 204 No Content\r\n"
                                 "Content-Length: 0\r\n"
                                 "Connection: close\r\n\r\n";
    struct hook *h = arg;
    char req[4096];
    const char *body;
    long n;
    int c;

    while ((c = accept(h->fd, NULL, NULL)) >= 0) {
        n = e2e_read_until(c, req, sizeof(req), "}", 5000);
        body = n > 0 ? strstr(req, "\r\n\r\n") : NULL;
        if (body && strstr(req, "POST /hook HTTP/1.1") &&
            strstr(req, "Content-Type: application/json")) {
            pthread_mutex_lock(&h->mu);
            strncat(h->got, body + 4, sizeof(h->got) - strlen(h->got) - 2);
            strcat(h->got, "\n");
            pthread_mutex_unlock(&h->mu);
        }
        e2e_send_all(c, answer, strlen(answer));
        close(c);
    }
    return NULL;
}

static struct hook hk;

static void hook_start(struct hook *h)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);

    memset(h, 0, sizeof(*h));
    pthread_mutex_init(&h->mu, NULL);
    h->fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(h->fd, 8), 0);
    assert_int_equal(getsockname(h->fd, (struct sockaddr *)&a, &len), 0);
    h->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&h->thread, NULL, hook_main, h), 0);
    hook_on = h;
}

static void hook_stop(struct hook *h)
{
    hook_on = NULL;
    shutdown(h->fd, SHUT_RDWR);
    close(h->fd);
    pthread_join(h->thread, NULL);
    pthread_mutex_destroy(&h->mu);
}

/* Wait up to 10 s until the hook received text; 1 when it did. */
static int hook_saw(struct hook *h, const char *text)
{
    long until = e2e_now_ms() + 10000;
    int seen = 0;

    while (!seen && e2e_now_ms() < until) {
        pthread_mutex_lock(&h->mu);
        seen = strstr(h->got, text) != NULL;
        pthread_mutex_unlock(&h->mu);
        if (!seen)
            usleep(50000);
    }
    return seen;
}

/* Poll GET /api/alerts until it holds text; 1 when it did within 10 s. */
static int alerts_show(const struct e2e_server *s, const char *text)
{
    long until = e2e_now_ms() + 10000;
    struct e2e_resp r;
    int seen = 0;

    while (!seen && e2e_now_ms() < until) {
        get_ok(s, "/api/alerts", 200, &r);
        seen = strstr(r.body, text) != NULL;
        e2e_resp_free(&r);
        if (!seen)
            usleep(100000);
    }
    return seen;
}

/*
 * The server's log once it holds text (the access line of a request is
 * written after its response): up to 5 s.  Owned by the caller.
 */
static char *serve_log(const struct e2e_server *s, const char *text)
{
    char path[300];
    long until = e2e_now_ms() + 5000;
    size_t n;
    char *log = NULL;

    snprintf(path, sizeof(path), "%s/serve.log", s->dir);
    do {
        free(log);
        log = e2e_slurp(path, &n);
        assert_non_null(log);
        if (strstr(log, text))
            break;
        usleep(20000);
    } while (e2e_now_ms() < until);
    return log;
}

static void failure_alert_fires_resolves_and_posts(void **state)
{
    struct hook *h = &hk;
    struct e2e_server *as = &extra;
    char hook_url[64];
    const char *env[] = {
        "SOCC_ALERT_WINDOW", "2", "SOCC_ALERT_MIN_UPLOADS", "1",
        "SOCC_ALERT_INTERVAL_MS", "100", "SOCC_ALERT_WEBHOOK", NULL,
        "SOCC_LOG_LEVEL", "info", NULL
    };

    (void)state;
    hook_start(h);
    snprintf(hook_url, sizeof(hook_url), "http://127.0.0.1:%d/hook", h->port);
    env[7] = hook_url;
    assert_int_equal(e2e_start(as, env), 0);
    assert_true(alerts_show(as, "{\"name\":\"upload_failure_rate\","
                                 "\"state\":\"ok\""));
    post_csv(as, "alert-co", "", 422);
    assert_true(alerts_show(as, "{\"name\":\"upload_failure_rate\","
                                 "\"state\":\"firing\",\"value\":1,"));
    scrape(as, &after);
    assert_true(prom_val(&after, "socc_alerts_firing") == 1);
    assert_true(hook_saw(h, "\"alert\":\"upload_failure_rate\","
                             "\"state\":\"firing\""));
    /* two seconds later the failure leaves the window */
    assert_true(alerts_show(as, "{\"name\":\"upload_failure_rate\","
                                 "\"state\":\"ok\""));
    assert_true(alerts_show(as, "\"history\":[{\"name\":"
                                 "\"upload_failure_rate\",\"state\":"
                                 "\"resolved\""));
    assert_true(hook_saw(h, "\"alert\":\"upload_failure_rate\","
                             "\"state\":\"resolved\""));
    assert_int_equal(e2e_stop(as), 0);
    hook_stop(h);
}

static void alert_lines_are_logged(void **state)
{
    struct e2e_server *as = &extra;
    const char *env[] = {
        "SOCC_ALERT_WINDOW", "1", "SOCC_ALERT_MIN_UPLOADS", "1",
        "SOCC_ALERT_INTERVAL_MS", "100", "SOCC_LOG_LEVEL", "info", NULL
    };
    char *log;

    (void)state;
    assert_int_equal(e2e_start(as, env), 0);
    post_csv(as, "alert-co", "", 422);
    assert_true(alerts_show(as, "\"state\":\"resolved\""));
    log = serve_log(as, "ev=alert_resolved");
    assert_non_null(strstr(log, "level=warn mod=ops ev=alert_firing req=- "
                                "alert=upload_failure_rate value=1 "
                                "threshold=0.05\n"));
    assert_non_null(strstr(log, "level=info mod=ops ev=alert_resolved "
                                "req=- alert=upload_failure_rate value=0 "
                                "threshold=0.05\n"));
    free(log);
    assert_int_equal(e2e_stop(as), 0);
}

/* ---- logs --------------------------------------------------------------- */

#define SECRET "Zq7-s3cr3t-Kx91"
#define CONTENT "filecontent-Mv42"

static void secrets_and_contents_never_logged(void **state)
{
    struct e2e_upload u = { "log-co", "siem", NULL, NULL, 0, "s.csv", 0, 0 };
    char csv[100];
    struct e2e_resp r;
    char *log;

    (void)state;
    snprintf(csv, sizeof(csv), "host,note\nweb,%s-%ld\n", CONTENT,
             e2e_now_ms());
    u.data = csv;
    u.len = strlen(csv);
    assert_int_equal(e2e_get(&srv, "/api/uploads?token=" SECRET,
                             "Authorization: Bearer " SECRET, &r), CURLE_OK);
    assert_int_equal(r.status, 401);   /* a token that is no token */
    e2e_resp_free(&r);
    assert_int_equal(e2e_get(&srv, "/api/health", "Cookie: session=" SECRET,
                             &r), CURLE_OK);
    e2e_resp_free(&r);
    assert_int_equal(e2e_post_h(&srv, &u, "Authorization: Basic " SECRET, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 201);
    e2e_resp_free(&r);
    log = serve_log(&srv, "method=POST path=/api/uploads status=201");
    /* the requests were logged, without their secrets or contents */
    assert_non_null(strstr(log, "method=GET path=/api/uploads status=200"));
    assert_non_null(strstr(log, "method=POST path=/api/uploads status=201"));
    assert_non_null(strstr(log, "ev=upload_stored"));
    assert_non_null(strstr(log, " company=log-co "));
    assert_null(strstr(log, SECRET));
    assert_null(strstr(log, CONTENT));
    free(log);
}

static void json_log_lines(void **state)
{
    struct e2e_server *js = &extra;
    const char *env[] = { "SOCC_LOG_FORMAT", "json", "SOCC_LOG_LEVEL",
                          "info", NULL };
    char *log, *line, *save = NULL;
    int lines = 0, access = 0;

    (void)state;
    assert_int_equal(e2e_start(js, env), 0);
    post_csv(js, "json-co", "a,b\n1,2\n", 201);
    log = serve_log(js, "\"status\":201");
    for (line = strtok_r(log, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        assert_true(strncmp(line, "{\"ts\":\"", 7) == 0);
        assert_int_equal(line[strlen(line) - 1], '}');
        assert_non_null(strstr(line, "\"level\":\""));
        assert_non_null(strstr(line, "\"req\":\""));
        access += strstr(line, "\"ev\":\"request\"") &&
                  strstr(line, "\"method\":\"POST\",\"path\":\"/api/uploads\","
                               "\"status\":201,\"ms\":");
        lines++;
    }
    assert_true(lines >= 4);
    assert_int_equal(access, 1);
    free(log);
    assert_int_equal(e2e_stop(js), 0);
}

/* ---- the status view ---------------------------------------------------- */

/*
 * The page in a real browser (headless Chromium, no network but loopback):
 * /#status shows health, alerts and the day's uploads from the API.
 */
/*
 * The status view's files are served; the view itself is checked signed
 * in, in a real browser, by tests/js/test_page.mjs (status_view_for_admin).
 */
static void status_view_assets(void **state)
{
    struct e2e_resp r;

    (void)state;
    get_ok(&srv, "/status.js", 200, &r);
    assert_string_equal(r.ctype, "text/javascript; charset=utf-8");
    assert_non_null(strstr(r.body, "Server status"));
    e2e_resp_free(&r);
    get_ok(&srv, "/status.css", 200, &r);
    assert_string_equal(r.ctype, "text/css; charset=utf-8");
    e2e_resp_free(&r);
    get_ok(&srv, "/main.js", 200, &r);
    assert_non_null(strstr(r.body, "import(\"./status.js\")"));
    e2e_resp_free(&r);
}

static int check(const char *url, char *out, size_t n)
{
    char cmd[600];
    FILE *fp;
    size_t k;
    int st;

    snprintf(cmd, sizeof(cmd), "'%s' check --url '%s' 2>&1",
             getenv("SOCC_BIN"), url);
    fp = popen(cmd, "r");
    assert_non_null(fp);
    k = fread(out, 1, n - 1, fp);
    out[k] = '\0';
    st = pclose(fp);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The data dir goes away: /readyz 503 with the reason; check exits 23. */
static void not_ready_when_storage_is_gone(void **state)
{
    struct e2e_server *s = &extra;
    struct e2e_resp r;
    char moved[600], out[4096];

    (void)state;
    assert_int_equal(e2e_start(s, NULL), 0);
    snprintf(moved, sizeof(moved), "%s.moved", s->dir);
    assert_int_equal(rename(s->dir, moved), 0);
    get_ok(s, "/readyz", 503, &r);
    assert_string_equal(r.body, "{\"status\":\"not_ready\",\"reason\":"
                                "\"storage: No such file or directory\"}\n");
    e2e_resp_free(&r);
    get_ok(s, "/api/health", 503, &r);
    assert_true(strncmp(r.body, "{\"status\":\"down\",", 16) == 0);
    assert_non_null(strstr(r.body, "\"storage\":{\"status\":\"down\","));
    e2e_resp_free(&r);
    get_ok(s, "/livez", 200, &r);
    e2e_resp_free(&r);
    assert_int_equal(check(s->base, out, sizeof(out)), 23);
    assert_non_null(strstr(out, "ready      no\n"));
    assert_non_null(strstr(out, "storage    down      writable=false"));
    assert_non_null(strstr(out, "not ready: {\"status\":\"not_ready\""));
    assert_int_equal(rename(moved, s->dir), 0);
    get_ok(s, "/readyz", 200, &r);
    e2e_resp_free(&r);
    assert_int_equal(e2e_stop(s), 0);
}

/* ---- socc check --------------------------------------------------------- */

static void check_command(void **state)
{
    char out[4096], url[64];

    (void)state;
    assert_int_equal(check(srv.base, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "ready      yes\n"));
    assert_non_null(strstr(out, "overall    ok\n"));
    assert_non_null(strstr(out, "database   ok        latency_ms="));
    assert_non_null(strstr(out, "cache      ok        backend=memory"));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", e2e_free_port());
    assert_int_equal(check(url, out, sizeof(out)), 23);
    assert_non_null(strstr(out, "socc: UNAVAILABLE: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(health_lists_components),
        cmocka_unit_test(probes),
        cmocka_unit_test(metrics_follow_uploads),
        cmocka_unit_test(list_is_fresh_after_upload),
        cmocka_unit_test(fresh_under_concurrent_readers),
        cmocka_unit_test_teardown(redis_cache_and_redis_down, cleanup),
        cmocka_unit_test_teardown(failure_alert_fires_resolves_and_posts, cleanup),
        cmocka_unit_test_teardown(alert_lines_are_logged, cleanup),
        cmocka_unit_test(secrets_and_contents_never_logged),
        cmocka_unit_test_teardown(json_log_lines, cleanup),
        cmocka_unit_test(status_view_assets),
        cmocka_unit_test(check_command),
        cmocka_unit_test_teardown(not_ready_when_storage_is_gone, cleanup),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, setup, teardown);
}
