/*
 * `socc upload` against a real server: success, duplicate, refusals not
 * retried, a server that comes up late, Retry-After, the circuit breaker,
 * and an interrupted upload resumed by running the command again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "socc_test.h"
#include "tus.h"

#include "core/err.h"

static struct e2e_server srv;
static char work[256];          /* temp dir: files, state, outputs */

static const char csv[] = "host,severity\nweb1,high\nweb2,low\ndb1,medium\n";

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(work, sizeof(work), "/tmp/socc-e2e-cli-XXXXXX");
    if (!mkdtemp(work))
        return -1;
    return e2e_start(&srv, NULL);
}

static int teardown(void **state)
{
    (void)state;
    e2e_stop(&srv);
    st_rmtree(work);
    curl_global_cleanup();
    return 0;
}

static void write_file(const char *name, const void *p, size_t n, char *path,
                       size_t cap)
{
    FILE *fp;

    snprintf(path, cap, "%s/%s", work, name);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

/* Start `socc upload --url base args...`; stdout/stderr to work/out,err. */
static pid_t spawn(const char *base, const char *const *args)
{
    const char *bin = getenv("SOCC_BIN");
    char *argv[40], out[300], err[300], state_file[300];
    int n = 0, fd;
    pid_t pid;

    snprintf(out, sizeof(out), "%s/out", work);
    snprintf(err, sizeof(err), "%s/err", work);
    snprintf(state_file, sizeof(state_file), "%s/state", work);
    argv[n++] = (char *)(bin ? bin : "build/san/socc");
    argv[n++] = (char *)"upload";
    argv[n++] = (char *)"--url";
    argv[n++] = (char *)base;
    argv[n++] = (char *)"--quiet";
    for (; *args && n < 38; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    pid = fork();
    if (pid == 0) {
        setenv("SOCC_UPLOAD_STATE", state_file, 1);
        if (getenv("SOCC_E2E_TOKEN"))   /* the test server's admin token */
            setenv("SOCC_TOKEN", getenv("SOCC_E2E_TOKEN"), 1);
        fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Read work/name into a malloc'd string. */
static char *output(const char *name)
{
    char path[300];
    size_t n;
    char *s;

    snprintf(path, sizeof(path), "%s/%s", work, name);
    s = e2e_slurp(path, &n);
    assert_non_null(s);
    return s;
}

/* Run to the end; exit code, *out and *err malloc'd. */
static int run(const char *base, const char *const *args, char **out,
               char **err)
{
    int rc = wait_exit(spawn(base, args));

    *out = output("out");
    *err = output("err");
    return rc;
}

static void test_success_and_duplicate(void **state)
{
    char path[300], sent[32], *out, *err;
    const char *args[] = { "--company", "CliCo", "--tool", "siem", path,
                           NULL };

    (void)state;
    write_file("hosts.csv", csv, strlen(csv), path, sizeof(path));
    assert_int_equal(run(srv.base, args, &out, &err), 0);
    assert_non_null(strstr(out, "hosts.csv: id="));
    assert_non_null(strstr(out, " records=3 "));
    snprintf(sent, sizeof(sent), " sent=%zu\n", strlen(csv));
    assert_non_null(strstr(out, sent));
    assert_string_equal(err, "");
    free(out);
    free(err);

    assert_int_equal(run(srv.base, args, &out, &err),
                     socc_err_exit(SOCC_E_DUPLICATE_FILE));
    assert_string_equal(out, "");
    assert_non_null(strstr(err, "socc: DUPLICATE_FILE: "));
    assert_non_null(strstr(err, "'hosts.csv', siem,"));
    assert_null(strstr(err, "retry"));
    free(out);
    free(err);
}

/* A refusal of the request is final: no retry, its own exit code. */
static void test_refusals_not_retried(void **state)
{
    char path[300], txt[300], *out, *err;
    const char *bad_tool[] = { "--company", "CliCo", "--tool", "nosuch",
                               "--retry-base-ms", "1", path, NULL };
    const char *bad_type[] = { "--company", "CliCo", "--tool", "siem",
                               "--retry-base-ms", "1", txt, NULL };

    (void)state;
    write_file("other.csv", "a,b\n1,2\n", 8, path, sizeof(path));
    write_file("notes.txt", "a,b\n1,2\n", 8, txt, sizeof(txt));
    assert_int_equal(run(srv.base, bad_tool, &out, &err),
                     socc_err_exit(SOCC_E_BAD_REQUEST));
    assert_non_null(strstr(err, "BAD_REQUEST"));
    assert_non_null(strstr(err, "tool_type"));
    assert_null(strstr(err, "retry"));
    free(out);
    free(err);
    assert_int_equal(run(srv.base, bad_type, &out, &err),
                     socc_err_exit(SOCC_E_INVALID_FILE_TYPE));
    assert_null(strstr(err, "retry"));
    free(out);
    free(err);
}

/* Start socc serve on port with a fresh data dir into *s. */
/* A data dir with the test admin and its token (exported as
 * SOCC_E2E_TOKEN, so a client spawned now carries it), for serve_on. */
static void prepare_on(struct e2e_server *s, int port)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/socc-e2e-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    s->port = port;
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", port);
    assert_int_equal(e2e_credentials(s, getenv("SOCC_BIN")
                                            ? getenv("SOCC_BIN")
                                            : "build/san/socc"), 0);
}

static void serve_on(struct e2e_server *s)
{
    long until = e2e_now_ms() + 10000;

    s->pid = fork();
    if (s->pid == 0)
        e2e_exec(s, getenv("SOCC_BIN") ? getenv("SOCC_BIN")
                                       : "build/san/socc", NULL);
    while (!e2e_healthy(s) && e2e_now_ms() < until)
        usleep(20000);
    assert_true(e2e_healthy(s));
}

/* The server is down when the command starts; it retries until it is up. */
static void test_server_down_then_up(void **state)
{
    char path[300], base[64], *out, *err;
    const char *args[] = { "--company", "Late", "--tool", "edr",
                           "--retries", "10", "--retry-base-ms", "300",
                           "--retry-max-ms", "600", path, NULL };
    struct e2e_server late;
    int port = e2e_free_port();
    pid_t pid;

    (void)state;
    write_file("late.csv", csv, strlen(csv), path, sizeof(path));
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    prepare_on(&late, port);
    pid = spawn(base, args);
    setenv("SOCC_E2E_TOKEN", srv.token, 1);   /* back to the main server's */
    usleep(1200000);
    serve_on(&late);
    assert_int_equal(wait_exit(pid), 0);
    out = output("out");
    err = output("err");
    assert_non_null(strstr(out, " records=3 "));
    assert_non_null(strstr(err, "socc: retry 1/10"));
    assert_non_null(strstr(err, "Failed to connect"));
    free(out);
    free(err);
    e2e_stop(&late);
}

/*
 * A fake server on port: answers every request 503 with Retry-After: 1,
 * or, when mute, reads it and never answers.
 */
static pid_t fake_server(int port, int mute)
{
    static const char resp[] =
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
        "Content-Type: application/json\r\nConnection: close\r\n"
        "Content-Length: 46\r\n\r\n"
        "{\"error\":{\"code\":\"UNAVAILABLE\",\"message\":\"x\"}}";
    struct sockaddr_in a;
    char buf[4096];
    int fd, c, on = 1;
    pid_t pid;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 8), 0);
    pid = fork();
    if (pid == 0) {
        for (;;) {
            c = accept(fd, NULL, NULL);
            if (c < 0)
                _exit(0);
            e2e_read_until(c, buf, sizeof(buf), "\r\n\r\n", 2000);
            if (mute) {
                e2e_read_until(c, buf, sizeof(buf), NULL, 60000);
                _exit(0);
            }
            e2e_send_all(c, resp, sizeof(resp) - 1);
            close(c);
        }
    }
    close(fd);
    return pid;
}

/* Retry-After is waited, whatever the backoff would have chosen. */
static void test_retry_after_honoured(void **state)
{
    char path[300], base[64], *out, *err;
    const char *args[] = { "--company", "Busy", "--tool", "edr",
                           "--retries", "1", "--retry-base-ms", "1", path,
                           NULL };
    int port = e2e_free_port(), status;
    pid_t fake = fake_server(port, 0);
    long t0;

    (void)state;
    write_file("busy.csv", csv, strlen(csv), path, sizeof(path));
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    t0 = e2e_now_ms();
    assert_int_equal(run(base, args, &out, &err),
                     socc_err_exit(SOCC_E_UNAVAILABLE));
    assert_true(e2e_now_ms() - t0 >= 1000);
    assert_non_null(strstr(err, "retry 1/1 for"));
    assert_non_null(strstr(err, " in 1000 ms"));
    assert_non_null(strstr(err, "gave up after 1 retries"));
    free(out);
    free(err);
    kill(fake, SIGKILL);
    waitpid(fake, &status, 0);
}

/* A server that takes the request and goes silent: the idle timeout. */
static void test_idle_timeout(void **state)
{
    char path[300], base[64], *out, *err;
    const char *args[] = { "--company", "Mute", "--tool", "edr",
                           "--retries", "0", "--idle-timeout", "1", path,
                           NULL };
    int port = e2e_free_port(), status;
    pid_t fake = fake_server(port, 1);
    long t0, ms;

    (void)state;
    write_file("mute.csv", csv, strlen(csv), path, sizeof(path));
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    t0 = e2e_now_ms();
    assert_int_equal(run(base, args, &out, &err),
                     socc_err_exit(SOCC_E_UNAVAILABLE));
    ms = e2e_now_ms() - t0;
    assert_true(ms >= 1000 && ms < 10000);
    assert_non_null(strstr(err, "gave up after 0 retries"));
    assert_non_null(strstr(err, "Operation too slow"));
    free(out);
    free(err);
    kill(fake, SIGKILL);
    waitpid(fake, &status, 0);
}

/* Files failing in a row open the circuit; after the pause one tries. */
static void test_circuit_breaker(void **state)
{
    char p1[300], p2[300], p3[300], p4[300], base[64], *out, *err;
    const char *args[] = { "--company", "Down", "--tool", "edr",
                           "--retries", "1", "--retry-base-ms", "1",
                           "--breaker-threshold", "2",
                           "--breaker-cooldown-ms", "300", p1, p2, p3, p4,
                           NULL };

    (void)state;
    write_file("b1.csv", "a\n1\n", 4, p1, sizeof(p1));
    write_file("b2.csv", "a\n2\n", 4, p2, sizeof(p2));
    write_file("b3.csv", "a\n3\n", 4, p3, sizeof(p3));
    write_file("b4.csv", "a\n4\n", 4, p4, sizeof(p4));
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", e2e_free_port());
    assert_int_equal(run(base, args, &out, &err),
                     socc_err_exit(SOCC_E_UNAVAILABLE));
    assert_non_null(strstr(err, "circuit open: 2 files in a row"));
    assert_non_null(strstr(err, "before trying "));
    assert_non_null(strstr(err, "b3.csv in "));   /* retried after pause */
    assert_non_null(strstr(err, "b4.csv: not tried"));
    assert_null(strstr(err, "b4.csv in "));   /* never retried */
    free(out);
    free(err);
}

/* A CSV of about n bytes. */
static char *big_csv(size_t n, size_t *len)
{
    char *s = malloc(n + 100);
    size_t o = 0;
    unsigned i = 0;

    assert_non_null(s);
    o += (size_t)sprintf(s, "host,ip,severity,finding\n");
    while (o < n)
        o += (size_t)sprintf(s + o, "host%u,10.0.%u.%u,high,finding "
                             "number %u of the scan\n", i, i / 250, i % 250,
                             i), i++;
    *len = o;
    return s;
}

/* The upload URL the command remembered, into url. */
static int remembered(char *url, size_t cap)
{
    char path[300], *s, *sp;
    size_t n;

    snprintf(path, sizeof(path), "%s/state", work);
    s = e2e_slurp(path, &n);
    if (!s)
        return -1;
    sp = strrchr(s, ' ');
    if (!sp) {
        free(s);
        return -1;
    }
    snprintf(url, cap, "%.*s", (int)strcspn(sp + 1, "\n"), sp + 1);
    free(s);
    return 0;
}

/* Killed halfway, the command run again sends only the rest. */
static void test_rerun_resumes(void **state)
{
    char path[300], url[600], want[80], *out, *err, *data;
    const char *slow[] = { "--company", "Resume", "--tool", "siem",
                           "--chunk-size", "65536", "--limit-rate", "400000",
                           path, NULL };
    const char *fast[] = { "--company", "Resume", "--tool", "siem", path,
                           NULL };
    long long off = 0;
    struct tus_resp r;
    size_t len;
    long until, status;
    pid_t pid;

    (void)state;
    data = big_csv(1200000, &len);
    write_file("big.csv", data, len, path, sizeof(path));
    free(data);
    pid = spawn(srv.base, slow);
    until = e2e_now_ms() + 20000;
    while (e2e_now_ms() < until) {
        if (remembered(url, sizeof(url)) == 0 &&
            (off = tus_head("", url)) >= 300000)
            break;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    wait_exit(pid);
    assert_true(off >= 300000);
    off = tus_head("", url);   /* what the server kept */
    assert_true(off >= 300000 && (size_t)off < len);
    /* an empty PATCH passes once the server let go of the killed one */
    until = e2e_now_ms() + 10000;
    do {
        assert_int_equal(tus_patch("", url, (uint64_t)off, NULL, 0, NULL,
                                   &r), CURLE_OK);
        status = r.status;
        tus_resp_free(&r);
    } while (status == 423 && e2e_now_ms() < until && usleep(50000) == 0);
    assert_int_equal(status, 204);

    assert_int_equal(run(srv.base, fast, &out, &err), 0);
    snprintf(want, sizeof(want), " sent=%llu resumed_at=%lld\n",
             (unsigned long long)(len - (size_t)off), off);
    if (!strstr(out, want))
        print_message("want '%s' in '%s'\n", want, out);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, " records="));
    free(out);
    free(err);
    assert_int_equal(remembered(url, sizeof(url)), -1);   /* forgotten */
}

/*
 * Killed halfway for one company, the same file sent for another company
 * starts a new upload of its own: it must never finish the first
 * company's upload and file the data there (found by a fresh-user test).
 */
static void test_rerun_for_another_company_starts_over(void **state)
{
    char path[300], url[600], *out, *err, *data;
    const char *slow[] = { "--company", "FirstCo", "--tool", "mdm",
                           "--chunk-size", "65536", "--limit-rate", "400000",
                           path, NULL };
    const char *other[] = { "--company", "SecondCo", "--tool", "siem", path,
                            NULL };
    long long off = 0;
    struct e2e_resp r;
    size_t len;
    long until;
    pid_t pid;

    (void)state;
    data = big_csv(900000, &len);
    write_file("twoco.csv", data, len, path, sizeof(path));
    free(data);
    pid = spawn(srv.base, slow);
    until = e2e_now_ms() + 20000;
    while (e2e_now_ms() < until) {
        if (remembered(url, sizeof(url)) == 0 &&
            (off = tus_head("", url)) >= 200000)
            break;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    wait_exit(pid);
    assert_true(off >= 200000);

    assert_int_equal(run(srv.base, other, &out, &err), 0);
    /* every byte sent anew, nothing resumed */
    snprintf(url, sizeof(url), " sent=%zu\n", len);
    if (!strstr(out, url))
        print_message("out: %s err: %s\n", out, err);
    assert_non_null(strstr(out, url));
    assert_null(strstr(out, "resumed_at"));
    assert_non_null(strstr(out, " records="));
    free(out);
    free(err);
    e2e_get(&srv, "/api/uploads?company=SecondCo", NULL, &r);
    assert_int_equal(e2e_json_int(r.body, "total", -1), 1);
    assert_non_null(strstr(r.body, "\"tool_type\":\"siem\""));
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/uploads?company=FirstCo", NULL, &r);
    assert_int_equal(e2e_json_int(r.body, "total", -1), 0);
    e2e_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_and_duplicate),
        cmocka_unit_test(test_refusals_not_retried),
        cmocka_unit_test(test_server_down_then_up),
        cmocka_unit_test(test_retry_after_honoured),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_circuit_breaker),
        cmocka_unit_test(test_rerun_resumes),
        cmocka_unit_test(test_rerun_for_another_company_starts_over),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
