#include "socc_test.h"

#include "core/buf.h"
#include "core/sha256.h"
#include "store/backup.h"
#include "store/store.h"

struct fx {
    char dir[256];
    char bdir[300];
    struct store *st;
    struct backup *bk;
};

static struct backup_config conf(const struct fx *f, int64_t keep)
{
    struct backup_config c;

    memset(&c, 0, sizeof(c));
    snprintf(c.dir, sizeof(c.dir), "%s", f->bdir);
    c.keep = keep;
    return c;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct socc_error e;
    struct backup_config c;

    st_tmpdir(f->dir, sizeof(f->dir));
    snprintf(f->bdir, sizeof(f->bdir), "%s/backups", f->dir);
    assert_int_equal(store_open(f->dir, &f->st, &e), SOCC_OK);
    c = conf(f, 3);
    assert_int_equal(backup_open(f->st, backup_target_local(f->bdir), &c,
                                 &f->bk, &e), SOCC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    backup_close(f->bk);
    store_close(f->st);
    st_rmtree(f->dir);
    free(f);
    return 0;
}

/* Store an upload of one record whose blob holds text; its id. */
static int64_t put(struct fx *f, const char *company, const char *text,
                   char hash[65])
{
    struct store_upload u, got, ex;
    struct store_writer *w;
    struct socc_error e;
    char tmp[512];

    sha256_hex(text, strlen(text), hash);
    st_write_file(store_tmp_dir(f->st), "blob-in", text, strlen(text), tmp,
                  sizeof(tmp));
    memset(&u, 0, sizeof(u));
    snprintf(u.company, sizeof(u.company), "%s", company);
    snprintf(u.tool_type, sizeof(u.tool_type), "siem");
    snprintf(u.filename, sizeof(u.filename), "x.csv");
    snprintf(u.file_type, sizeof(u.file_type), "csv");
    snprintf(u.file_hash, sizeof(u.file_hash), "%s", hash);
    u.size = strlen(text);
    assert_int_equal(store_writer_begin(f->st, &u, &w, &ex, &e), SOCC_OK);
    assert_int_equal(store_writer_sheet(w, 0, "", &e), SOCC_OK);
    assert_int_equal(store_writer_record(w, 0, 2, "[1]", 3, &e), SOCC_OK);
    assert_int_equal(store_writer_sheet_done(w, 0, 1, "[\"n\"]", 1, 1, &e),
                     SOCC_OK);
    assert_int_equal(store_writer_blob(w, tmp, hash, &e), SOCC_OK);
    assert_int_equal(store_writer_commit(w, 1, "[]", &got, &e), SOCC_OK);
    return got.id;
}

static int blob_exists(struct fx *f, const char *hash)
{
    char path[1200];
    struct stat sb;

    store_blob_path(f->st, hash, path, sizeof(path));
    return stat(path, &sb) == 0;
}

static void backup_is_verified_and_listed(void **state)
{
    struct fx *f = *state;
    struct backup_info bi, *a = NULL;
    struct socc_error e;
    char hash[65], path[600], hex[65];
    size_t n = 0;

    put(f, "acme", "one", hash);
    put(f, "acme", "two", hash);
    assert_int_equal(backup_take(f->bk, "manual", &bi, &e), SOCC_OK);
    assert_int_equal(bi.journal_seq, 2);     /* both uploads inside */
    assert_string_equal(bi.reason, "manual");
    assert_int_equal(backup_list(f->bk, &a, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(a[0].name, bi.name);
    assert_string_equal(a[0].sha256, bi.sha256);
    assert_int_equal(a[0].size, bi.size);
    free(a);
    snprintf(path, sizeof(path), "%s/%s", f->bdir, bi.name);
    assert_int_equal(sha256_file_hex(path, hex), 0);
    assert_string_equal(hex, bi.sha256);
    assert_int_equal(store_check_file(path, 1, hex, sizeof(hex)), 0);
}

/* A target whose every write fails. */
static int no_put_file(void *ctx, const char *p, const char *name, char *msg,
                       size_t n)
{
    (void)ctx;
    (void)p;
    (void)name;
    snprintf(msg, n, "target offline");
    return -1;
}

static void failing_target_gives_backup_failed(void **state)
{
    struct fx *f = *state;
    struct backup_target *t = backup_target_local(f->bdir);
    struct backup_config c = conf(f, 3);
    struct backup *bad;
    struct backup_info *a = NULL;
    struct socc_error e;
    size_t n = 9;

    t->put_file = no_put_file;
    assert_int_equal(backup_open(f->st, t, &c, &bad, &e), SOCC_OK);
    assert_int_equal(backup_take(bad, "delete", NULL, &e),
                     SOCC_E_BACKUP_FAILED);
    assert_non_null(strstr(e.detail, "target offline"));
    assert_int_equal(backup_list(bad, &a, &n), 0);
    assert_int_equal(n, 0);
    free(a);
    backup_close(bad);
}

static void retention_keeps_the_newest(void **state)
{
    struct fx *f = *state;
    struct backup_info bi[5], *a = NULL;
    struct socc_error e;
    char path[600];
    struct stat sb;
    size_t n = 0;
    int i;

    for (i = 0; i < 5; i++) {
        assert_int_equal(backup_take(f->bk, "scheduled", &bi[i], &e),
                         SOCC_OK);
    }
    assert_int_equal(backup_list(f->bk, &a, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(a[0].name, bi[2].name);
    assert_string_equal(a[2].name, bi[4].name);
    free(a);
    snprintf(path, sizeof(path), "%s/%s", f->bdir, bi[1].name);
    assert_int_not_equal(stat(path, &sb), 0);
    snprintf(path, sizeof(path), "%s/%s", f->bdir, bi[2].name);
    assert_int_equal(stat(path, &sb), 0);
}

/*
 * A deleted upload's blob stays while a kept backup (or a kept journal
 * entry) refers to it, and goes once neither does.
 */
static void blobs_follow_retention(void **state)
{
    struct fx *f = *state;
    struct backup_config c = conf(f, 1);
    struct socc_error e;
    char gone[65], kept[65];
    int64_t id = put(f, "acme", "old data", gone);
    int i;

    put(f, "beta", "other data", kept);
    assert_int_equal(backup_take(f->bk, "delete", NULL, &e), SOCC_OK);
    assert_int_equal(store_delete(f->st, id, NULL, &e), SOCC_OK);
    assert_int_equal(backup_prune(f->bk, &e), SOCC_OK);
    assert_true(blob_exists(f, gone));
    backup_close(f->bk);
    assert_int_equal(backup_open(f->st, backup_target_local(f->bdir), &c,
                                 &f->bk, &e), SOCC_OK);
    for (i = 0; i < 2; i++) {
        assert_int_equal(backup_take(f->bk, "scheduled", NULL, &e), SOCC_OK);
    }
    assert_false(blob_exists(f, gone));
    assert_true(blob_exists(f, kept));
}

/* BACKUP_MAX_AGE: a backup older than it goes, even under BACKUP_KEEP. */
static void old_backups_expire(void **state)
{
    struct fx *f = *state;
    struct backup_config c = conf(f, 10);
    struct backup_info bi, *a = NULL;
    struct socc_error e;
    char path[600], line[700];
    struct stat sb;
    size_t n = 0;
    FILE *fp;

    assert_int_equal(backup_take(f->bk, "manual", &bi, &e), SOCC_OK);
    /* make it look two days old */
    snprintf(path, sizeof(path), "%s/manifest.tsv", f->bdir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    snprintf(line, sizeof(line), "%s\t%lld\tmanual\t%llu\t%s\t%lld\n",
             bi.name, (long long)(bi.ts_ms - 2 * 86400000LL),
             (unsigned long long)bi.size, bi.sha256,
             (long long)bi.journal_seq);
    fputs(line, fp);
    fclose(fp);
    c.max_age_s = 86400;
    backup_close(f->bk);
    assert_int_equal(backup_open(f->st, backup_target_local(f->bdir), &c,
                                 &f->bk, &e), SOCC_OK);
    assert_int_equal(backup_take(f->bk, "scheduled", NULL, &e), SOCC_OK);
    assert_int_equal(backup_list(f->bk, &a, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(a[0].reason, "scheduled");
    free(a);
    snprintf(path, sizeof(path), "%s/%s", f->bdir, bi.name);
    assert_int_not_equal(stat(path, &sb), 0);
}

static void settings_from_environment(void **state)
{
    struct backup_config c;
    struct socc_error e;

    (void)state;
    setenv("BACKUP_INTERVAL", "15m", 1);
    setenv("BACKUP_KEEP", "7", 1);
    setenv("BACKUP_MAX_AGE", "2d", 1);
    setenv("SOCC_BACKUP_DIR", "/srv/b", 1);
    assert_int_equal(backup_config_load("/data", &c, &e), SOCC_OK);
    assert_int_equal(c.interval_s, 900);
    assert_int_equal(c.keep, 7);
    assert_int_equal(c.max_age_s, 172800);
    assert_string_equal(c.dir, "/srv/b");
    unsetenv("SOCC_BACKUP_DIR");
    assert_int_equal(backup_config_load("/data", &c, &e), SOCC_OK);
    assert_string_equal(c.dir, "/data/backups");
    setenv("BACKUP_KEEP", "0", 1);
    assert_int_equal(backup_config_load("/data", &c, &e), SOCC_E_BAD_REQUEST);
    setenv("BACKUP_KEEP", "3", 1);
    setenv("BACKUP_INTERVAL", "soon", 1);
    assert_int_equal(backup_config_load("/data", &c, &e), SOCC_E_BAD_REQUEST);
    assert_non_null(strstr(e.detail, "BACKUP_INTERVAL"));
    unsetenv("BACKUP_INTERVAL");
    unsetenv("BACKUP_KEEP");
    unsetenv("BACKUP_MAX_AGE");
    assert_int_equal(backup_config_load("/data", &c, &e), SOCC_OK);
    assert_int_equal(c.interval_s, 3600);
    assert_int_equal(c.keep, 24);
    assert_int_equal(c.max_age_s, 604800);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(backup_is_verified_and_listed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(failing_target_gives_backup_failed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(retention_keeps_the_newest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(blobs_follow_retention, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(old_backups_expire, setup, teardown),
        cmocka_unit_test(settings_from_environment),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
