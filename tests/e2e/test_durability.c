/*
 * What a 201 promises: an upload the server acknowledged survives the
 * server being killed (SIGKILL, no clean shutdown) at once, and an upload
 * cut short by a kill leaves nothing half-stored behind, not even its
 * temp file once the server is back.
 */
#include "socc_test.h"

#include <dirent.h>

#include "e2e.h"

#include "core/sha256.h"

static struct e2e_server srv;

/* SIGKILL the server and start it again on the same data dir and port. */
static void kill_and_restart(void)
{
    const char *bin = getenv("SOCC_BIN");
    long until;
    int status;

    kill(srv.pid, SIGKILL);
    waitpid(srv.pid, &status, 0);
    srv.pid = fork();
    if (srv.pid == 0)
        e2e_exec(&srv, bin ? bin : "build/san/socc", NULL);
    until = e2e_now_ms() + 10000;
    while (!e2e_healthy(&srv) && e2e_now_ms() < until)
        usleep(50000);
    assert_true(e2e_healthy(&srv));
}

/* Files in the server's data/tmp whose names start with prefix. */
static int tmp_files(const char *prefix)
{
    char path[300];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "%s/tmp", srv.dir);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/*
 * A second process on the same data dir (socc ingest, which sweeps the
 * temp directory when it opens the store) while the server is receiving.
 */
static void ingest_alongside(void)
{
    const char *bin = getenv("SOCC_BIN");
    char csv[300], cmd[1200];
    FILE *fp;

    snprintf(csv, sizeof(csv), "%s/other.csv", srv.dir);
    fp = fopen(csv, "w");
    assert_non_null(fp);
    fputs("host,n\nweb,1\n", fp);
    fclose(fp);
    snprintf(cmd, sizeof(cmd), "SOCC_DATA_DIR='%s' SOCC_TMP_GRACE=0 timeout "
             "-s KILL 30 '%s' ingest --company other --tool siem '%s' "
             ">/dev/null", srv.dir, bin ? bin : "build/san/socc", csv);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    /* no grace for unlocked temp files: every start sweeps what the kill
     * left at once (the restarts inherit this) */
    setenv("SOCC_TMP_GRACE", "0", 1);
    return e2e_start(&srv, NULL);
}

static int teardown(void **state)
{
    (void)state;
    e2e_stop(&srv);
    return 0;
}

static void acknowledged_upload_survives_kill(void **state)
{
    char csv[128], path[128], want[65], got[65];
    struct e2e_upload u = { "dura", "siem", NULL, csv, 0, "a.csv", 0, 0 };
    struct e2e_resp r;
    long long id;
    int round;

    (void)state;
    for (round = 0; round < 3; round++) {
        u.len = (size_t)snprintf(csv, sizeof(csv),
                                 "host,n\nweb-%d,1\ndb-%d,2\n", round, round);
        memset(&r, 0, sizeof(r));
        assert_int_equal(e2e_post(&srv, &u, &r), CURLE_OK);
        assert_int_equal(r.status, 201);
        id = e2e_json_int(r.body, "id", -1);
        e2e_resp_free(&r);
        kill_and_restart();   /* no shutdown, no checkpoint */
        snprintf(path, sizeof(path), "/api/uploads/%lld", id);
        memset(&r, 0, sizeof(r));
        assert_int_equal(e2e_get(&srv, path, NULL, &r), CURLE_OK);
        assert_int_equal(r.status, 200);
        assert_int_equal(e2e_json_int(r.body, "record_count", -1), 2);
        e2e_resp_free(&r);
        snprintf(path, sizeof(path), "/api/uploads/%lld/file", id);
        memset(&r, 0, sizeof(r));
        assert_int_equal(e2e_get(&srv, path, NULL, &r), CURLE_OK);
        assert_int_equal(r.status, 200);
        sha256_hex(r.body, r.len, got);
        sha256_hex(csv, u.len, want);
        assert_string_equal(got, want);
        e2e_resp_free(&r);
    }
}

static void cut_upload_leaves_nothing(void **state)
{
    static const char head[] =
        "POST /api/uploads HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: multipart/form-data; boundary=BB\r\n"
        "Content-Length: 2000000\r\n\r\n"
        "--BB\r\nContent-Disposition: form-data; name=\"company\"\r\n\r\n"
        "cut\r\n--BB\r\nContent-Disposition: form-data; name=\"tool_type\""
        "\r\n\r\nsiem\r\n--BB\r\nContent-Disposition: form-data; "
        "name=\"file\"; filename=\"big.csv\"\r\n\r\nhost,n\n";
    char row[64], listing[256];
    struct e2e_resp r;
    int fd, i;

    (void)state;
    fd = e2e_connect(&srv);
    assert_true(fd >= 0);
    assert_int_equal(e2e_send_req(&srv, fd, head, sizeof(head) - 1), 0);
    for (i = 0; i < 5000; i++) {
        int n = snprintf(row, sizeof(row), "host-%d,%d\n", i, i);
        assert_int_equal(e2e_send_all(fd, row, (size_t)n), 0);
    }
    usleep(200000);
    assert_int_equal(tmp_files("upload-"), 1);   /* being received */
    ingest_alongside();
    assert_int_equal(tmp_files("upload-"), 1);   /* locked: never swept */
    kill_and_restart();
    close(fd);
    assert_int_equal(tmp_files("upload-"), 0);
    snprintf(listing, sizeof(listing), "/api/uploads?company=cut");
    memset(&r, 0, sizeof(r));
    assert_int_equal(e2e_get(&srv, listing, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(e2e_json_int(r.body, "total", -1), 0);
    e2e_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(acknowledged_upload_survives_kill),
        cmocka_unit_test(cut_upload_leaves_nothing),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
