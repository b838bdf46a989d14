/*
 * The server under faults: slow clients past their deadlines, too many
 * connections or uploads, oversized headers, SIGTERM and SIGINT while
 * uploads run, and a second server on the same data dir.  Each test
 * starts its own `socc serve` with the limits it needs.
 */
#include "socc_test.h"

#include "e2e.h"
#include "faults.h"

/* A CSV of n rows, malloc'd. */
static char *csv_rows(int n, size_t *len)
{
    size_t cap = (size_t)n * 24 + 32, k;
    char *b = malloc(cap);
    int i;

    k = (size_t)snprintf(b, cap, "host,n\n");
    for (i = 0; i < n; i++)
        k += (size_t)snprintf(b + k, cap - k, "host-%d,%d\n", i, i);
    *len = k;
    return b;
}

/* Connect, and send the head plus the first part of a whole upload. */
static int upload_started(const struct e2e_server *s, const char *body,
                          size_t len, size_t first, const char *extra)
{
    char head[512];
    int fd = e2e_connect(s), n = f_head(head, sizeof(head), len, extra);

    assert_true(fd >= 0);
    assert_int_equal(e2e_send_all(fd, head, (size_t)n), 0);
    assert_int_equal(e2e_send_all(fd, body, first), 0);
    return fd;
}

/* Wait until the server counts want uploads in its temp dir (5 s). */
static void wait_tmp(const struct e2e_server *s, int want)
{
    long until = e2e_now_ms() + 5000;

    while (f_count_files(s->dir, "tmp") != want && e2e_now_ms() < until)
        usleep(20000);
    assert_int_equal(f_count_files(s->dir, "tmp"), want);
}

static void assert_unavailable(const char *resp, const char *detail)
{
    char v[32];

    if (f_status(resp) != 503)
        print_message("answer: %s\n", resp);
    assert_int_equal(f_status(resp), 503);
    assert_int_equal(f_header(resp, "Retry-After:", v, sizeof(v)), 0);
    assert_string_equal(v, "5");
    assert_int_equal(f_header(resp, "Connection:", v, sizeof(v)), 0);
    assert_string_equal(v, "close");
    assert_non_null(strstr(resp, "\"code\":\"UNAVAILABLE\""));
    assert_non_null(strstr(resp, detail));
}

/* ---- slow clients -------------------------------------------------------- */

/* Headers dribbled a byte per 100 ms: cut at SOCC_HEADER_TIMEOUT (1 s). */
static void test_slow_headers_cut_at_deadline(void **state)
{
    static const char *const env[] = { "SOCC_HEADER_TIMEOUT", "1", NULL };
    static const char req[] = "GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: "
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    struct e2e_server s;
    long t0, ms = -1;
    size_t i;
    int fd;

    (void)state;
    assert_int_equal(e2e_start(&s, env), 0);
    fd = e2e_connect(&s);
    t0 = e2e_now_ms();
    for (i = 0; i < sizeof(req) - 1; i++) {
        if (e2e_send_all(fd, req + i, 1) != 0 || e2e_closed(fd, 100)) {
            ms = e2e_now_ms() - t0;
            break;
        }
    }
    close(fd);
    print_message("slow headers cut after %ld ms\n", ms);
    assert_true(ms >= 900 && ms < 2500);
    assert_true(e2e_healthy(&s));
    assert_int_equal(e2e_stop(&s), 0);
}

/*
 * An upload body at 50 bytes per 100 ms (500 B/s) under a minimum of
 * 2000 B/s over 1 s windows: cut within the second window, temp file gone,
 * nothing stored.
 */
static void test_slow_body_cut_and_cleaned(void **state)
{
    static const char *const env[] = { "SOCC_BODY_TIMEOUT", "1",
                                       "SOCC_BODY_MIN_RATE", "2000", NULL };
    struct e2e_server s;
    char *csv, *body;
    size_t clen, blen, off = 400;
    long t0, ms = -1;
    int fd;

    (void)state;
    assert_int_equal(e2e_start(&s, env), 0);
    csv = csv_rows(2000, &clen);
    body = f_body("slowbody", "siem", "s.csv", csv, clen, &blen);
    fd = upload_started(&s, body, blen, off, NULL);
    wait_tmp(&s, 1);
    t0 = e2e_now_ms();
    while (off + 50 < blen && e2e_now_ms() - t0 < 5000) {
        if (e2e_send_all(fd, body + off, 50) != 0 || e2e_closed(fd, 100)) {
            ms = e2e_now_ms() - t0;
            break;
        }
        off += 50;
    }
    close(fd);
    print_message("slow body cut after %ld ms\n", ms);
    assert_true(ms >= 500 && ms < 3000);
    wait_tmp(&s, 0);
    assert_int_equal(f_db_int(s.dir, "SELECT count(*) FROM uploads"), 0);
    free(csv);
    free(body);
    assert_int_equal(e2e_stop(&s), 0);
}

/* ---- limits -------------------------------------------------------------- */

/* SOCC_MAX_CONNECTIONS=4: a fifth connection is answered 503, Retry-After 5. */
static void test_max_connections_503(void **state)
{
    static const char *const env[] = { "SOCC_MAX_CONNECTIONS", "4", NULL };
    static const char get[] = "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n";
    struct e2e_server s;
    char resp[4096];
    int fds[4], fd, i;

    (void)state;
    assert_int_equal(e2e_start(&s, env), 0);
    usleep(200000);   /* the health probe's connection has closed */
    for (i = 0; i < 4; i++) {
        fds[i] = e2e_connect(&s);
        assert_true(fds[i] >= 0);
    }
    usleep(100000);
    fd = e2e_connect(&s);
    assert_true(fd >= 0);
    e2e_send_all(fd, get, sizeof(get) - 1);
    e2e_read_until(fd, resp, sizeof(resp), "}}", 3000);
    assert_unavailable(resp, "maximum of connections");
    assert_int_equal(e2e_closed(fd, 1000), 1);
    close(fd);
    /* the four served ones still work */
    e2e_send_all(fds[0], get, sizeof(get) - 1);
    e2e_read_until(fds[0], resp, sizeof(resp), "}", 3000);
    assert_int_equal(f_status(resp), 200);
    for (i = 0; i < 4; i++)
        close(fds[i]);
    usleep(200000);
    assert_true(e2e_healthy(&s));
    assert_int_equal(e2e_stop(&s), 0);
}

/* SOCC_MAX_UPLOADS=2: a third upload while two are received is 503. */
static void test_max_uploads_503(void **state)
{
    static const char *const env[] = { "SOCC_MAX_UPLOADS", "2", NULL };
    struct e2e_server s;
    char *bodies[3], resp[8192], csv[64];
    size_t blen[3];
    int fds[2], fd, i;

    (void)state;
    assert_int_equal(e2e_start(&s, env), 0);
    for (i = 0; i < 3; i++) {
        int n = snprintf(csv, sizeof(csv), "host,n\nh%d,%d\n", i, i);
        bodies[i] = f_body("slots", "siem", "u.csv", csv, (size_t)n,
                           &blen[i]);
    }
    for (i = 0; i < 2; i++)
        fds[i] = upload_started(&s, bodies[i], blen[i], blen[i] - 20, NULL);
    wait_tmp(&s, 2);
    fd = upload_started(&s, bodies[2], blen[2], 0, NULL);
    e2e_read_until(fd, resp, sizeof(resp), "}}", 3000);
    close(fd);
    assert_unavailable(resp, "maximum of uploads");
    assert_true(e2e_healthy(&s));   /* reads are not limited */
    /* the two finish; then a third is taken */
    for (i = 0; i < 2; i++) {
        e2e_send_all(fds[i], bodies[i] + blen[i] - 20, 20);
        e2e_read_until(fds[i], resp, sizeof(resp), "}", 10000);
        assert_int_equal(f_status(resp), 201);
        close(fds[i]);
    }
    fd = upload_started(&s, bodies[2], blen[2], blen[2], NULL);
    e2e_read_until(fd, resp, sizeof(resp), "}", 10000);
    close(fd);
    assert_int_equal(f_status(resp), 201);
    for (i = 0; i < 3; i++)
        free(bodies[i]);
    assert_int_equal(e2e_stop(&s), 0);
}

/* A 20 KB cookie over SOCC_MAX_HEADER_SIZE (default 16384): JSON 431. */
static void test_large_headers_431(void **state)
{
    struct e2e_server s;
    char req[24000], resp[4096];
    int fd, n;

    (void)state;
    assert_int_equal(e2e_start(&s, NULL), 0);
    n = snprintf(req, sizeof(req), "GET /api/health HTTP/1.1\r\nHost: x\r\n"
                 "Cookie: ");
    memset(req + n, 'c', 20000);
    n += 20000;
    n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n\r\n");
    fd = e2e_connect(&s);
    e2e_send_all(fd, req, (size_t)n);
    e2e_read_until(fd, resp, sizeof(resp), "}}", 3000);
    assert_int_equal(f_status(resp), 431);
    assert_non_null(strstr(resp, "\"code\":\"HEADERS_TOO_LARGE\""));
    assert_non_null(strstr(resp, "at most 16384"));
    assert_int_equal(e2e_closed(fd, 1000), 1);
    close(fd);
    assert_int_equal(e2e_stop(&s), 0);
}

/* ---- signals ------------------------------------------------------------- */

/* Size of the database's WAL file (0 when absent). */
static long long wal_bytes(const char *dir)
{
    char path[400];
    struct stat sb;

    snprintf(path, sizeof(path), "%s/socc.db-wal", dir);
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* 1 when a new connection to s is refused. */
static int refused(const struct e2e_server *s)
{
    int fd = e2e_connect(s);

    if (fd >= 0)
        close(fd);
    return fd < 0;
}

/*
 * SIGTERM while a slow client is half-way through an upload (deadline
 * 20 s): new connections are refused, a request on a kept connection is
 * 503, the upload completes with 201, the process exits 0, the upload is
 * in the database.
 */
static void sigterm_slow_upload_finishes(int sig)
{
    static const char *const env[] = { "SOCC_SHUTDOWN_TIMEOUT", "20", NULL };
    static const char get[] = "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n";
    struct e2e_server s;
    char *csv, *body, resp[8192], other[8192];
    size_t clen, blen, half;
    int fd, kept, rc;
    long took;

    assert_int_equal(e2e_start(&s, env), 0);
    csv = csv_rows(3000, &clen);
    body = f_body("drain", "siem", "d.csv", csv, clen, &blen);
    half = blen / 2;
    kept = e2e_connect(&s);
    e2e_send_all(kept, get, sizeof(get) - 1);
    e2e_read_until(kept, resp, sizeof(resp), "}", 3000);
    assert_int_equal(f_status(resp), 200);
    fd = upload_started(&s, body, blen, half, NULL);
    wait_tmp(&s, 1);
    kill(s.pid, sig);
    usleep(300000);
    assert_true(refused(&s));
    /* a new upload on a connection opened before the signal: 503 */
    {
        char head[256];
        int n = f_head(head, sizeof(head), blen, NULL);
        e2e_send_all(kept, head, (size_t)n);
        e2e_read_until(kept, other, sizeof(other), "}}", 3000);
        assert_unavailable(other, "shutting down");
        close(kept);
    }
    /* the rest of the running upload, slowly, over about 1 s */
    while (half < blen) {
        size_t k = blen - half < 4096 ? blen - half : 4096;
        assert_int_equal(e2e_send_all(fd, body + half, k), 0);
        half += k;
        usleep(20000);
    }
    e2e_read_until(fd, resp, sizeof(resp), "}", 10000);
    close(fd);
    if (f_status(resp) != 201)
        print_message("answer: %s\n", resp);
    assert_int_equal(f_status(resp), 201);
    rc = f_signal_wait(&s, 0, 10000, &took);   /* already signalled */
    assert_int_equal(rc, 0);
    /* checkpointed at exit (looked at before this test opens the db) */
    assert_int_equal(wal_bytes(s.dir), 0);
    assert_int_equal(f_db_int(s.dir, "SELECT count(*) FROM uploads WHERE "
                              "company = 'drain' AND record_count = 3000"),
                     1);
    assert_int_equal(f_db_consistent(s.dir), 0);
    assert_int_equal(f_count_files(s.dir, "tmp"), 0);
    f_rmdir(s.dir);
    free(csv);
    free(body);
}

static void test_sigterm_slow_upload_finishes(void **state)
{
    (void)state;
    sigterm_slow_upload_finishes(SIGTERM);
}

static void test_sigint_slow_upload_finishes(void **state)
{
    (void)state;
    sigterm_slow_upload_finishes(SIGINT);
}

/*
 * SIGTERM with SOCC_SHUTDOWN_TIMEOUT=1 while an upload is stuck half-way:
 * exit 0 within the deadline plus 2 s, the upload not stored, its temp
 * file removed.
 */
static void test_sigterm_deadline_aborts_upload(void **state)
{
    static const char *const env[] = { "SOCC_SHUTDOWN_TIMEOUT", "1", NULL };
    struct e2e_server s;
    char *csv, *body;
    size_t clen, blen;
    long took;
    int fd, rc;

    (void)state;
    assert_int_equal(e2e_start(&s, env), 0);
    csv = csv_rows(3000, &clen);
    body = f_body("stuck", "siem", "s.csv", csv, clen, &blen);
    fd = upload_started(&s, body, blen, blen / 2, NULL);
    wait_tmp(&s, 1);
    rc = f_signal_wait(&s, SIGTERM, 8000, &took);
    print_message("exit %d after %ld ms\n", rc, took);
    assert_int_equal(rc, 0);
    assert_true(took >= 900 && took < 3000);
    assert_int_equal(e2e_closed(fd, 1000), 1);
    close(fd);
    assert_int_equal(f_db_int(s.dir, "SELECT count(*) FROM uploads"), 0);
    assert_int_equal(f_count_files(s.dir, "tmp"), 0);
    assert_int_equal(f_count_blobs(s.dir), 0);
    f_rmdir(s.dir);
    free(csv);
    free(body);
}

/*
 * A second SIGTERM cuts the 30 s wait short: exit 0 at once, the stuck
 * upload not stored.
 */
static void test_second_signal_stops_at_once(void **state)
{
    static const char *const env[] = { "SOCC_SHUTDOWN_TIMEOUT", "30", NULL };
    struct e2e_server s;
    char *csv, *body;
    size_t clen, blen;
    long took;
    int fd, rc;

    (void)state;
    assert_int_equal(e2e_start(&s, env), 0);
    csv = csv_rows(3000, &clen);
    body = f_body("twice", "siem", "t.csv", csv, clen, &blen);
    fd = upload_started(&s, body, blen, blen / 2, NULL);
    wait_tmp(&s, 1);
    kill(s.pid, SIGTERM);
    usleep(300000);
    rc = f_signal_wait(&s, SIGTERM, 8000, &took);
    print_message("exit %d %ld ms after the second signal\n", rc, took);
    assert_int_equal(rc, 0);
    assert_true(took < 2000);
    close(fd);
    assert_int_equal(f_db_int(s.dir, "SELECT count(*) FROM uploads"), 0);
    assert_int_equal(f_count_files(s.dir, "tmp"), 0);
    f_rmdir(s.dir);
    free(csv);
    free(body);
}

/* 1 when the server's log holds ev (waits up to 20 s). */
static int logged(const struct e2e_server *s, const char *ev)
{
    char path[400], line[2048];
    long until = e2e_now_ms() + 20000;
    int seen = 0;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/serve.log", s->dir);
    while (!seen && e2e_now_ms() < until) {
        fp = fopen(path, "r");
        while (fp && !seen && fgets(line, sizeof(line), fp))
            seen = strstr(line, ev) != NULL;
        if (fp)
            fclose(fp);
        if (!seen)
            usleep(10000);
    }
    return seen;
}

/*
 * SIGTERM with SOCC_SHUTDOWN_TIMEOUT=1 while a large upload is being
 * parsed (received whole, several seconds of work): the pipeline gives
 * up at the deadline, the process exits 0 soon after, nothing stored.
 */
static void test_sigterm_deadline_aborts_processing(void **state)
{
    static const char *const env[] = { "SOCC_SHUTDOWN_TIMEOUT", "1",
                                       "SOCC_LOG_LEVEL", "info", NULL };
    struct e2e_server s;
    char *csv, *body;
    size_t clen, blen;
    long took;
    int fd, rc;

    (void)state;
    assert_int_equal(e2e_start(&s, env), 0);
    csv = csv_rows(600000, &clen);
    body = f_body("parse", "siem", "p.csv", csv, clen, &blen);
    fd = upload_started(&s, body, blen, blen, NULL);
    assert_true(logged(&s, "ev=upload_received"));
    rc = f_signal_wait(&s, SIGTERM, 15000, &took);
    print_message("exit %d after %ld ms\n", rc, took);
    assert_int_equal(rc, 0);
    assert_true(took < 5000);   /* the 1 s deadline, and time to unwind */
    close(fd);
    assert_true(logged(&s, "aborted=1"));
    assert_int_equal(f_db_int(s.dir, "SELECT count(*) FROM uploads"), 0);
    assert_int_equal(f_count_files(s.dir, "tmp"), 0);
    assert_int_equal(f_count_blobs(s.dir), 0);
    assert_int_equal(f_db_consistent(s.dir), 0);
    f_rmdir(s.dir);
    free(csv);
    free(body);
}

/* A second server on a data dir that one serves: refused, one line. */
static void test_second_server_refused(void **state)
{
    struct e2e_server s;
    char cmd[1200], out[600] = "";
    const char *bin = getenv("SOCC_BIN");
    FILE *p;
    int rc;

    (void)state;
    assert_int_equal(e2e_start(&s, NULL), 0);
    snprintf(cmd, sizeof(cmd), "SOCC_LISTEN=127.0.0.1:%d SOCC_DATA_DIR='%s' "
             "timeout -s KILL 20 '%s' serve 2>&1 >/dev/null | grep -v "
             "'level=info'", e2e_free_port(), s.dir,
             bin ? bin : "build/san/socc");
    p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(out, sizeof(out), p))
        out[0] = '\0';
    rc = pclose(p);
    (void)rc;
    assert_non_null(strstr(out, "socc: UNAVAILABLE: data directory"));
    assert_non_null(strstr(out, "served by another socc process"));
    assert_true(e2e_healthy(&s));
    assert_int_equal(e2e_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_headers_cut_at_deadline),
        cmocka_unit_test(test_slow_body_cut_and_cleaned),
        cmocka_unit_test(test_max_connections_503),
        cmocka_unit_test(test_max_uploads_503),
        cmocka_unit_test(test_large_headers_431),
        cmocka_unit_test(test_sigterm_slow_upload_finishes),
        cmocka_unit_test(test_sigint_slow_upload_finishes),
        cmocka_unit_test(test_sigterm_deadline_aborts_upload),
        cmocka_unit_test(test_sigterm_deadline_aborts_processing),
        cmocka_unit_test(test_second_signal_stops_at_once),
        cmocka_unit_test(test_second_server_refused),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
