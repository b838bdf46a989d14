/*
 * End-to-end tests of the HTTP layer under hostile input: each case is a
 * fault a tester found against `socc serve` on loopback, named for it.
 * Everything goes to servers this file starts on 127.0.0.0/8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "e2e.h"

#define IDLE_CONNECTIONS 1200
#define IDLE_SOURCES 8          /* 150 each: under the per-IP default */

static struct e2e_server srv;

static int setup(void **state)
{
    /* room for every idle upload of test_idle_connections_leave_health_up:
     * all 1,200 are held, none refused by the upload limit */
    static const char *const env[] = { "SOCC_MAX_UPLOADS", "1300", NULL };

    (void)state;
    return e2e_start(&srv, env);
}

static int teardown(void **state)
{
    (void)state;
    return e2e_stop(&srv) == 0 ? 0 : -1;
}

/* ---- helpers ------------------------------------------------------------ */

/* A connection to s from the loopback address 127.0.0.<host>, or -1. */
static int connect_from(const struct e2e_server *s, int host)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK - 1 + (uint32_t)host);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        goto out_close;
    a.sin_port = htons((uint16_t)s->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        goto out_close;
    return fd;

out_close:
    close(fd);
    return -1;
}

/*
 * Send req (n bytes) on a new connection and read until the server
 * closes or 3 s pass.  The answer in resp; *closed tells whether the
 * server closed; *ms the time it took.
 */
static void exchange(const char *req, size_t n, char *resp, size_t cap,
                     int *closed, long *ms)
{
    int fd = e2e_connect(&srv);
    long t0 = e2e_now_ms();

    assert_true(fd >= 0);
    e2e_send_req(&srv, fd, req, n);
    e2e_read_until(fd, resp, cap, NULL, 3000);
    *ms = e2e_now_ms() - t0;
    *closed = e2e_closed(fd, 100);
    close(fd);
}

static void assert_json_error(const char *resp, const char *status,
                              const char *code)
{
    char want[80];

    if (!strstr(resp, status))
        print_message("answer: %s\n", resp);
    assert_non_null(strstr(resp, status));
    snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
    assert_non_null(strstr(resp, want));
    assert_non_null(strstr(resp, "\"message\":"));
    assert_non_null(strstr(resp, "\"hint\":"));
    assert_non_null(strstr(resp, "\"request_id\":"));
}

/* GET path on srv: the answer is status with code (and in_body). */
static void get_error(const char *path, long status, const char *code,
                      const char *in_body)
{
    struct e2e_resp r;
    char got[64] = "";

    assert_int_equal(e2e_get(&srv, path, NULL, &r), CURLE_OK);
    if (r.status != status)
        print_message("%s: %ld %s\n", path, r.status, r.body);
    assert_int_equal(r.status, status);
    assert_int_equal(e2e_json_str(r.body, "code", got, sizeof(got)), 0);
    assert_string_equal(got, code);
    if (in_body)
        assert_non_null(strstr(r.body, in_body));
    e2e_resp_free(&r);
}

/* Uploads stored for company, from GET /api/uploads?company=. */
static long long stored_for(const char *company)
{
    char path[160];
    struct e2e_resp r;
    long long n;

    snprintf(path, sizeof(path), "/api/uploads?company=%s", company);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 200);
    n = e2e_json_int(r.body, "total", -1);
    e2e_resp_free(&r);
    return n;
}

/* A whole multipart upload body for company (len bytes, may hold NUL). */
static size_t upload_body(char *out, size_t cap, const char *company,
                          size_t len)
{
    size_t n;

    n = (size_t)snprintf(out, cap, "--bnd\r\nContent-Disposition: form-data;"
                         " name=\"company\"\r\n\r\n");
    memcpy(out + n, company, len);
    n += len;
    n += (size_t)snprintf(out + n, cap - n,
                          "\r\n--bnd\r\nContent-Disposition: form-data; "
                          "name=\"tool_type\"\r\n\r\nsiem\r\n--bnd\r\n"
                          "Content-Disposition: form-data; name=\"file\"; "
                          "filename=\"a.csv\"\r\n\r\nhost,sev\r\n%.*s,1\r\n"
                          "\r\n--bnd--\r\n", (int)len, company);
    return n;
}

/* ---- 1: idle connections ------------------------------------------------ */

/* Descriptors enough for the test's own connections, else 0. */
static int enough_fds(rlim_t want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur < want && rl.rlim_max >= want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur >= want;
}

/* Open up to n idle uploads into fds; the number opened. */
static int open_idle(const struct e2e_server *s, int *fds, int n, int sources,
                     int first_host)
{
    static const char head[] =
        "POST /api/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        "multipart/form-data; boundary=bnd\r\nContent-Length: 1000000\r\n\r\n";
    long until = e2e_now_ms() + 30000;
    int i;

    for (i = 0; i < n && e2e_now_ms() < until; i++) {
        fds[i] = connect_from(s, first_host + i % sources);
        if (fds[i] < 0)
            break;
        e2e_send_req(s, fds[i], head, sizeof(head) - 1);
    }
    return i;
}

static void close_all(int *fds, int n)
{
    int i;

    for (i = 0; i < n; i++)
        close(fds[i]);
}

/* 1,200 idle uploads from 8 addresses: /api/health still answers in 2 s. */
static void test_idle_connections_leave_health_up(void **state)
{
    int *fds = calloc(IDLE_CONNECTIONS, sizeof(int)), n, ok;
    long t0, ms;

    (void)state;
    if (!enough_fds(IDLE_CONNECTIONS + 200)) {
        free(fds);
        skip();
    }
    n = open_idle(&srv, fds, IDLE_CONNECTIONS, IDLE_SOURCES, 2);
    assert_int_equal(n, IDLE_CONNECTIONS);
    /*
     * Idle means accepted and waiting for body bytes: wait until the
     * server holds all of them as uploads in flight (each burst request is
     * authenticated first, which under ASan takes seconds for 1,200), then
     * time a health check among them.
     */
    {
        struct e2e_resp r;
        long until = e2e_now_ms() + 30000;
        long long active = -1;

        while (active < IDLE_CONNECTIONS && e2e_now_ms() < until) {
            if (e2e_get(&srv, "/api/health", NULL, &r) == CURLE_OK)
                active = e2e_json_int(strstr(r.body ? r.body : "",
                                             "\"uploads\""), "active", -1);
            e2e_resp_free(&r);
            if (active < IDLE_CONNECTIONS)
                usleep(100000);
        }
        assert_int_equal(active, IDLE_CONNECTIONS);
    }
    t0 = e2e_now_ms();
    ok = e2e_healthy(&srv);
    ms = e2e_now_ms() - t0;
    close_all(fds, n);
    free(fds);
    print_message("health with %d idle connections: %ld ms\n", n, ms);
    assert_true(ok);
    assert_true(ms < 2000);
}

/* Connections of fds the server closed, waiting up to timeout_ms for want. */
static int count_closed(const int *fds, int n, int want, long timeout_ms)
{
    long until = e2e_now_ms() + timeout_ms;
    int i, closed = 0;

    while (closed < want && e2e_now_ms() < until) {
        closed = 0;
        for (i = 0; i < n; i++)
            closed += e2e_closed(fds[i], 1);
        if (closed < want)
            usleep(50000);
    }
    return closed;
}

/* SOCC_PER_IP_CONNECTIONS=8: of 12 from one address, 4 are closed. */
static void test_per_ip_limit(void **state)
{
    const char *env[] = { "SOCC_PER_IP_CONNECTIONS", "8", NULL };
    struct e2e_server small;
    int fds[12], n;

    (void)state;
    assert_int_equal(e2e_start(&small, env), 0);
    n = open_idle(&small, fds, 12, 1, 60);
    assert_int_equal(n, 12);
    usleep(300000);
    assert_int_equal(count_closed(fds, n, 4, 2000), 4);
    assert_true(e2e_healthy(&small));
    close_all(fds, n);
    assert_int_equal(e2e_stop(&small), 0);
}

/* ---- 2: a URL with 5,000 query parameters -------------------------------- */

static void test_long_query_answered(void **state)
{
    size_t cap = 64 * 1024, n;
    char *req = malloc(cap), resp[4096];
    int i, closed;
    long ms;

    (void)state;
    n = (size_t)snprintf(req, cap, "GET /api/uploads?");
    for (i = 0; i < 5000; i++)
        n += (size_t)snprintf(req + n, cap - n, "%sa%d=1", i ? "&" : "", i);
    n += (size_t)snprintf(req + n, cap - n, " HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(n > 20000);
    exchange(req, n, resp, sizeof(resp), &closed, &ms);
    free(req);
    assert_json_error(resp, "HTTP/1.1 414", "URI_TOO_LONG");
    assert_int_equal(closed, 1);
    assert_true(ms < 2000);
}

/* 5,000 header lines: libmicrohttpd's own 431, but promptly and closed. */
static void test_many_headers_answered(void **state)
{
    size_t cap = 128 * 1024, n;
    char *req = malloc(cap), resp[4096];
    int i, closed;
    long ms;

    (void)state;
    n = (size_t)snprintf(req, cap, "GET /api/health HTTP/1.1\r\nHost: x\r\n");
    for (i = 0; i < 5000; i++)
        n += (size_t)snprintf(req + n, cap - n, "X-H%d: v\r\n", i);
    n += (size_t)snprintf(req + n, cap - n, "\r\n");
    exchange(req, n, resp, sizeof(resp), &closed, &ms);
    free(req);
    assert_non_null(strstr(resp, "HTTP/1.1 431"));
    assert_int_equal(closed, 1);
    assert_true(ms < 2000);
}

/* ---- 3: request smuggling ------------------------------------------------ */

/*
 * POST a whole upload for company with two Content-Length values, or with
 * Content-Length and chunked: refused before the body, nothing stored.
 */
static void smuggle(const char *company, int chunked)
{
    char body[1024], req[2048], resp[4096];
    size_t b = upload_body(body, sizeof(body), company, strlen(company));
    int n, closed;
    long ms;

    n = snprintf(req, sizeof(req),
                 "POST /api/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 "multipart/form-data; boundary=bnd\r\nContent-Length: %zu"
                 "\r\n", b);
    if (chunked)
        n += snprintf(req + n, sizeof(req) - (size_t)n,
                      "Transfer-Encoding: chunked\r\n");
    else
        n += snprintf(req + n, sizeof(req) - (size_t)n,
                      "Content-Length: %zu\r\n", b + 7);
    n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n%s", body);
    exchange(req, (size_t)n, resp, sizeof(resp), &closed, &ms);
    assert_json_error(resp, "HTTP/1.1 400", "BAD_REQUEST");
    assert_int_equal(closed, 1);
    assert_int_equal(stored_for(company), 0);
}

static void test_two_content_lengths_refused(void **state)
{
    (void)state;
    smuggle("smuggle-cl-co", 0);
}

static void test_length_and_chunked_refused(void **state)
{
    (void)state;
    smuggle("smuggle-te-co", 1);
}

/* ---- 4: a NUL byte in a text field --------------------------------------- */

static void test_company_with_nul_refused(void **state)
{
    static const char company[] = "nul-co\0evil";
    char body[1024], req[2048], resp[4096];
    size_t b = upload_body(body, sizeof(body), company, sizeof(company) - 1);
    int n, closed;
    long ms;

    (void)state;
    n = snprintf(req, sizeof(req),
                 "POST /api/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 "multipart/form-data; boundary=bnd\r\nContent-Length: %zu"
                 "\r\n\r\n", b);
    memcpy(req + n, body, b);
    exchange(req, (size_t)n + b, resp, sizeof(resp), &closed, &ms);
    assert_json_error(resp, "HTTP/1.1 400", "BAD_REQUEST");
    assert_non_null(strstr(resp, "'company'"));
    assert_int_equal(stored_for("nul-co"), 0);
}

/* ---- 5: wrong methods ---------------------------------------------------- */

static void test_wrong_method_is_405(void **state)
{
    static const char req[] = "DELETE /api/uploads HTTP/1.1\r\nHost: x\r\n\r\n";
    char resp[4096];
    int closed;
    long ms;

    (void)state;
    exchange(req, sizeof(req) - 1, resp, sizeof(resp), &closed, &ms);
    assert_json_error(resp, "HTTP/1.1 405", "METHOD_NOT_ALLOWED");
    assert_non_null(strstr(resp, "\r\nAllow: GET, HEAD, POST\r\n"));
}

/* ---- 6: ids and limits --------------------------------------------------- */

static void test_large_ids_and_limits(void **state)
{
    struct e2e_resp r;

    (void)state;
    get_error("/api/uploads/9223372036854775807", 404, "NOT_FOUND", NULL);
    get_error("/api/uploads/9223372036854775807/records", 404, "NOT_FOUND",
              NULL);
    get_error("/api/uploads/9223372036854775808", 400, "BAD_REQUEST", NULL);
    get_error("/api/uploads/0", 400, "BAD_REQUEST", NULL);
    get_error("/api/uploads/-1", 400, "BAD_REQUEST", NULL);
    get_error("/api/uploads?limit=1001", 400, "BAD_REQUEST", "1-1000");
    get_error("/api/uploads?limit=1000000", 400, "BAD_REQUEST", "1-1000");
    get_error("/api/uploads?limit=99999999999999999999", 400, "BAD_REQUEST",
              "1-1000");
    get_error("/api/uploads/1/records?limit=1001", 400, "BAD_REQUEST",
              "1-1000");
    assert_int_equal(e2e_get(&srv, "/api/uploads?limit=1000", NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 200);
    e2e_resp_free(&r);
}

/* ---- 7: tus -------------------------------------------------------------- */

/* Raw tus requests that break the protocol get JSON errors, not hangs. */
static void test_tus_refusals(void **state)
{
    static const struct { const char *req, *status, *code; } cases[] = {
        { "GET /api/tus HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405",
          "METHOD_NOT_ALLOWED" },
        { "POST /api/tus/ HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
          "Upload-Length: 10\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 400",
          "BAD_REQUEST" },
        { "PATCH /api/tus/abc HTTP/1.1\r\nHost: x\r\nContent-Type: "
          "application/offset+octet-stream\r\nContent-Length: 3\r\n\r\nabc",
          "HTTP/1.1 412", "UNSUPPORTED_VERSION" },
        { "PATCH /api/tus/../../etc HTTP/1.1\r\nHost: x\r\nTus-Resumable: "
          "1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+"
          "octet-stream\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 404",
          "NOT_FOUND" },
    };
    static const char options[] =
        "OPTIONS /api/tus/ HTTP/1.1\r\nHost: x\r\n\r\n";
    char resp[4096];
    size_t i;
    int closed;
    long ms;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        exchange(cases[i].req, strlen(cases[i].req), resp, sizeof(resp),
                 &closed, &ms);
        assert_json_error(resp, cases[i].status, cases[i].code);
    }
    exchange(options, strlen(options), resp, sizeof(resp), &closed, &ms);
    assert_non_null(strstr(resp, "HTTP/1.1 204"));
    assert_non_null(strstr(resp, "Tus-Version: 1.0.0"));
}

/* ---- 8: the port is taken ------------------------------------------------ */

/* Run SOCC_BIN serve on srv's port; its exit code, stderr in out. */
static int serve_on_taken_port(char *out, size_t cap)
{
    const char *bin = getenv("SOCC_BIN");
    char dir[] = "/tmp/socc-e2e-port-XXXXXX", log[128], listen[64];
    long until = e2e_now_ms() + 10000;
    int status = -1, fd;
    pid_t pid;

    assert_non_null(mkdtemp(dir));
    snprintf(log, sizeof(log), "%s/stderr", dir);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", srv.port);
    pid = fork();
    if (pid == 0) {
        setenv("SOCC_LISTEN", listen, 1);
        setenv("SOCC_DATA_DIR", dir, 1);
        setenv("SOCC_LOG_LEVEL", "warn", 1);
        fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        execl(bin ? bin : "build/san/socc", "socc", "serve", (char *)NULL);
        _exit(127);
    }
    while (e2e_now_ms() < until && waitpid(pid, &status, WNOHANG) != pid)
        usleep(20000);
    if (e2e_now_ms() >= until) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    fd = open(log, O_RDONLY);
    out[0] = '\0';
    if (fd >= 0) {
        ssize_t k = read(fd, out, cap - 1);
        out[k > 0 ? k : 0] = '\0';
        close(fd);
    }
    nftw(dir, e2e_rm, 16, FTW_DEPTH | FTW_PHYS);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_port_taken_one_clear_line(void **state)
{
    char err[4096], want[64];
    const char *nl;
    int rc;

    (void)state;
    rc = serve_on_taken_port(err, sizeof(err));
    print_message("stderr: %s", err);
    assert_true(rc > 0);
    snprintf(want, sizeof(want), "127.0.0.1:%d", srv.port);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "UNAVAILABLE"));
    assert_null(strstr(err, "Failed to bind"));
    nl = strchr(err, '\n');
    assert_non_null(nl);
    assert_string_equal(nl + 1, "");
    assert_true(e2e_healthy(&srv));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_connections_leave_health_up),
        cmocka_unit_test(test_per_ip_limit),
        cmocka_unit_test(test_long_query_answered),
        cmocka_unit_test(test_many_headers_answered),
        cmocka_unit_test(test_two_content_lengths_refused),
        cmocka_unit_test(test_length_and_chunked_refused),
        cmocka_unit_test(test_company_with_nul_refused),
        cmocka_unit_test(test_wrong_method_is_405),
        cmocka_unit_test(test_large_ids_and_limits),
        cmocka_unit_test(test_tus_refusals),
        cmocka_unit_test(test_port_taken_one_clear_line),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
