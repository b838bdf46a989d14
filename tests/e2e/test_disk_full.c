/*
 * A full disk: the data dir is a 2 MiB tmpfs the test mounts (as root).
 * Uploads that do not fit are answered 507 STORAGE_FULL, whether the
 * space ran out while the body was received (temp file), while records
 * were spooled, or while the database and blob were written; each time
 * nothing is half-stored (the database is consistent, no temp file, no
 * blob without its upload), and once space is freed uploads work again.
 * Without permission to mount it prints a SKIP line.
 */
#include "socc_test.h"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include "e2e.h"
#include "faults.h"

static struct e2e_server srv;
static char mnt[300];
static int mounted;

/* A CSV of about bytes bytes, rows tagged with tag; malloc'd. */
static char *csv_of(size_t bytes, int tag, size_t *len)
{
    char *b = malloc(bytes + 64);
    size_t k = (size_t)snprintf(b, bytes + 64, "host,sev,port,note\n");
    int r = 0;

    for (; k + 48 < bytes; r++)
        k += (size_t)snprintf(b + k, bytes + 64 - k,
                              "h%d-%d,%d,%d,some words of text\n", tag, r,
                              r % 5, r);
    *len = k;
    return b;
}

static long long free_bytes(void)
{
    struct statvfs v;

    if (statvfs(mnt, &v) != 0)
        return -1;
    return (long long)(v.f_bavail * v.f_frsize);
}

/* Fill the tmpfs with a ballast file until leave bytes are free. */
static void ballast(const char *name, long long leave)
{
    char path[400], block[4096];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", mnt, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    memset(block, 'x', sizeof(block));
    while (free_bytes() > leave + (long long)sizeof(block))
        if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
            break;
    fsync(fd);
    close(fd);
}

static int setup(void **state)
{
    char env_dir[320];
    /* info: last_stage() reads the upload_rejected lines */
    const char *env[] = { "SOCC_DATA_DIR", env_dir, "SOCC_TMP_GRACE", "0",
                          "SOCC_LOG_LEVEL", "info", NULL };

    (void)state;
    memset(&srv, 0, sizeof(srv));
    snprintf(srv.dir, sizeof(srv.dir), "/tmp/socc-e2e-full-XXXXXX");
    if (!mkdtemp(srv.dir))
        return -1;
    snprintf(mnt, sizeof(mnt), "%s/data", srv.dir);
    mkdir(mnt, 0750);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=2m") != 0) {
        printf("SKIP: cannot mount a tmpfs (%s): disk-full tests need "
               "root\n", strerror(errno));
        return 0;
    }
    mounted = 1;
    snprintf(env_dir, sizeof(env_dir), "%s", mnt);
    return f_start(&srv, env);
}

static int teardown(void **state)
{
    (void)state;
    if (srv.pid > 0)
        f_signal_wait(&srv, SIGTERM, 10000, NULL);
    if (mounted)
        umount2(mnt, MNT_DETACH);
    f_rmdir(srv.dir);
    return 0;
}

/* POST csv for company; the answer in *r. */
static void post(const char *company, const char *csv, size_t len,
                 struct e2e_resp *r)
{
    struct e2e_upload u = { company, "siem", NULL, csv, len, "f.csv", 0, 1 };

    assert_int_equal(e2e_post(&srv, &u, r), CURLE_OK);
}

/* Nothing half-stored: consistent, no temp file, no unreferenced blob. */
static void assert_clean(void)
{
    long until = e2e_now_ms() + 3000;

    while (f_count_files(mnt, "tmp") != 0 && e2e_now_ms() < until)
        usleep(20000);   /* the temp file goes as the request completes */
    assert_int_equal(f_count_files(mnt, "tmp"), 0);
    assert_int_equal(f_db_consistent(mnt), 0);
    assert_int_equal(f_count_blobs(mnt),
                     f_db_int(mnt, "SELECT count(DISTINCT file_hash) FROM "
                              "uploads"));
}

/* The stage of the last upload_rejected line of the log. */
static void last_stage(char *out, size_t cap)
{
    char path[400], line[2048];
    FILE *fp;
    const char *p;

    snprintf(path, sizeof(path), "%s/serve.log", srv.dir);
    fp = fopen(path, "r");
    out[0] = '\0';
    while (fp && fgets(line, sizeof(line), fp))
        if (strstr(line, "ev=upload_rejected") &&
            (p = strstr(line, "stage=")) != NULL)
            snprintf(out, cap, "%.*s", (int)strcspn(p + 6, " "), p + 6);
    if (fp)
        fclose(fp);
}

static void assert_full(const struct e2e_resp *r)
{
    char code[64] = "";

    if (r->status != 507)
        print_message("answer %ld: %s\n", r->status, r->body);
    assert_int_equal(r->status, 507);
    assert_int_equal(e2e_json_str(r->body, "code", code, sizeof(code)), 0);
    assert_string_equal(code, "STORAGE_FULL");
}

/* A 3 MB file on a 2 MiB disk: full while receiving. */
static void test_full_while_receiving(void **state)
{
    struct e2e_resp r;
    size_t len;
    char *csv = csv_of(3u << 20, 1, &len);

    (void)state;
    if (!mounted)
        skip();
    post("full", csv, len, &r);
    assert_full(&r);
    e2e_resp_free(&r);
    free(csv);
    assert_int_equal(f_db_int(mnt, "SELECT count(*) FROM uploads"), 0);
    assert_clean();
}

/*
 * Files that fit as they arrive but not with their records: with the
 * disk nearly full, grow the file until the save fails.  Every answer is
 * 201 or 507, each 507 leaves nothing, and some 507 comes after the body
 * was received (spool or database).
 */
static void test_full_while_saving(void **state)
{
    char stage[64], seen[256] = "";
    struct e2e_resp r;
    size_t len, size;
    int tag = 10, after_body = 0;
    char *csv;

    (void)state;
    if (!mounted)
        skip();
    ballast("ballast", 600 * 1024);
    for (size = 100 * 1024; size < 600 * 1024; size += 50 * 1024) {
        csv = csv_of(size, tag++, &len);
        post("save", csv, len, &r);
        free(csv);
        if (r.status == 201) {
            e2e_resp_free(&r);
            continue;
        }
        assert_full(&r);
        e2e_resp_free(&r);
        last_stage(stage, sizeof(stage));
        strncat(seen, stage, sizeof(seen) - strlen(seen) - 2);
        strcat(seen, " ");
        after_body += strcmp(stage, "receiving") != 0 && stage[0];
        assert_clean();
    }
    print_message("507 at stages: %s\n", seen);
    assert_true(after_body > 0);
    /* space freed: uploads work again */
    {
        char path[400];
        snprintf(path, sizeof(path), "%s/ballast", mnt);
        assert_int_equal(unlink(path), 0);
    }
    csv = csv_of(200 * 1024, 99, &len);
    post("save", csv, len, &r);
    free(csv);
    assert_int_equal(r.status, 201);
    e2e_resp_free(&r);
    assert_clean();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_while_receiving),
        cmocka_unit_test(test_full_while_saving),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
