#include "socc_test.h"

#include <fcntl.h>
#include <time.h>

#include "store/migrations.h"
#include "store/store.h"

struct fx {
    char dir[256];
    struct store *st;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct socc_error e;

    st_tmpdir(f->dir, sizeof(f->dir));
    assert_int_equal(store_open(f->dir, &f->st, &e), SOCC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    store_close(f->st);
    st_rmtree(f->dir);
    free(f);
    return 0;
}

static void meta(struct store_upload *u, const char *company,
                 const char *tool, const char *hash_char)
{
    memset(u, 0, sizeof(*u));
    snprintf(u->company, sizeof(u->company), "%s", company);
    snprintf(u->tool_type, sizeof(u->tool_type), "%s", tool);
    snprintf(u->filename, sizeof(u->filename), "alerts \"q\".csv");
    snprintf(u->file_type, sizeof(u->file_type), "csv");
    memset(u->file_hash, hash_char[0], 64);
    u->size = 123;
}

/* Store an upload with two sheets: 2 records and 1 record. */
static int64_t put(struct store *st, const char *company, const char *tool,
                   const char *h)
{
    struct store_upload u, got, ex;
    struct store_writer *w;
    struct socc_error e;

    meta(&u, company, tool, h);
    assert_int_equal(store_writer_begin(st, &u, &w, &ex, &e), SOCC_OK);
    assert_int_equal(store_writer_sheet(w, 0, "Alerts", &e), SOCC_OK);
    assert_int_equal(store_writer_record(w, 0, 2, "[\"h1\",3,true]", 13, &e),
                     SOCC_OK);
    assert_int_equal(store_writer_record(w, 0, 4, "[\"h2\",null]", 11, &e),
                     SOCC_OK);
    assert_int_equal(store_writer_sheet_done(w, 0, 2,
                     "[\"host\",\"score\",\"ok\"]", 3, 1, &e), SOCC_OK);
    assert_int_equal(store_writer_sheet(w, 1, "Hosts", &e), SOCC_OK);
    assert_int_equal(store_writer_record(w, 1, 2, "[\"x\"]", 5, &e), SOCC_OK);
    assert_int_equal(store_writer_sheet_done(w, 1, 1, "[\"name\"]", 1, 1, &e),
                     SOCC_OK);
    assert_int_equal(store_writer_commit(w, 5, "[\"w1\"]", &got, &e), SOCC_OK);
    assert_int_equal(got.record_count, 3);
    assert_int_equal(got.sheet_count, 2);
    assert_true(got.is_active);
    assert_string_equal(got.status, "stored");
    return got.id;
}

static void migrated_and_reopened(void **state)
{
    struct fx *f = *state;
    struct store *again;
    struct socc_error e;

    /* every migration ran (2: client_errors), and a reopen runs none */
    assert_true(migrations_count() >= 2);
    assert_int_equal(store_schema_version(f->st), (int)migrations_count());
    assert_int_equal(store_open(f->dir, &again, &e), SOCC_OK);
    assert_int_equal(store_schema_version(again), (int)migrations_count());
    store_close(again);
}

static void write_and_read_back(void **state)
{
    struct fx *f = *state;
    struct socc_error e;
    struct store_upload u;
    struct buf b;
    int64_t id = put(f->st, "acme", "siem", "a");

    assert_int_equal(store_get_upload(f->st, id, &u, &e), SOCC_OK);
    assert_string_equal(u.company, "acme");
    assert_string_equal(u.filename, "alerts \"q\".csv");
    assert_int_equal(u.version, 1);
    assert_int_equal(u.previous_id, 0);
    assert_string_equal(u.warnings, "[\"w1\"]");
    buf_init(&b);
    assert_int_equal(store_upload_json(f->st, id, &b, &e), SOCC_OK);
    assert_non_null(strstr(b.data, "\"filename\":\"alerts \\\"q\\\".csv\""));
    assert_non_null(strstr(b.data, "\"sheets\":[{\"name\":\"Alerts\",\"rows\":2,"
                                   "\"columns\":3,\"header_row\":1"));
    assert_non_null(strstr(b.data, "\"is_active\":true"));
    buf_reset(&b);
    assert_int_equal(store_records_json(f->st, id, -1, 10, 0, &b, &e), SOCC_OK);
    assert_non_null(strstr(b.data, "\"total\":3"));
    assert_non_null(strstr(b.data, "{\"sheet\":\"Alerts\",\"row\":2,\"cells\":"
                                   "{\"host\":\"h1\",\"score\":3,\"ok\":true}}"));
    /* empty cells are left out of the object */
    assert_non_null(strstr(b.data, "{\"sheet\":\"Alerts\",\"row\":4,\"cells\":"
                                   "{\"host\":\"h2\"}}"));
    assert_non_null(strstr(b.data, "{\"sheet\":\"Hosts\",\"row\":2,\"cells\":"
                                   "{\"name\":\"x\"}}"));
    /* paging crosses the sheet boundary */
    buf_reset(&b);
    assert_int_equal(store_records_json(f->st, id, -1, 1, 2, &b, &e), SOCC_OK);
    assert_non_null(strstr(b.data, "\"Hosts\""));
    assert_null(strstr(b.data, "\"Alerts\""));
    buf_reset(&b);
    assert_int_equal(store_records_json(f->st, id, 1, 10, 0, &b, &e), SOCC_OK);
    assert_non_null(strstr(b.data, "\"total\":1"));
    assert_int_equal(store_records_json(f->st, id, 7, 10, 0, &b, &e),
                     SOCC_E_NOT_FOUND);
    assert_int_equal(store_get_upload(f->st, 999, &u, &e), SOCC_E_NOT_FOUND);
    buf_release(&b);
}

/* Sparse rows, names past the stored list, the byte cap and next_offset. */
static void sparse_rows_and_pages(void **state)
{
    struct fx *f = *state;
    struct store_upload u, got, ex;
    struct store_writer *w;
    struct socc_error e;
    struct buf b, big;
    int64_t i;

    meta(&u, "acme", "siem", "s");
    assert_int_equal(store_writer_begin(f->st, &u, &w, &ex, &e), SOCC_OK);
    assert_int_equal(store_writer_sheet(w, 0, "S", &e), SOCC_OK);
    assert_int_equal(store_writer_record(w, 0, 2, "{\"0\":\"a\",\"16383\":5}",
                                         strlen("{\"0\":\"a\",\"16383\":5}"),
                                         &e), SOCC_OK);
    buf_init(&big);
    buf_adds(&big, "[\"");
    for (i = 0; i < 300000; i++)
        buf_addc(&big, 'x');
    buf_adds(&big, "\"]");
    for (i = 0; i < 40; i++)
        assert_int_equal(store_writer_record(w, 0, 3 + i, big.data, big.len,
                                             &e), SOCC_OK);
    assert_int_equal(store_writer_sheet_done(w, 0, 41, "[\"h\"]", 1, 1, &e),
                     SOCC_OK);
    assert_int_equal(store_writer_commit(w, 1, "[]", &got, &e), SOCC_OK);
    buf_init(&b);
    assert_int_equal(store_records_json(f->st, got.id, -1, 1, 0, &b, &e),
                     SOCC_OK);
    assert_non_null(strstr(b.data, "\"cells\":{\"h\":\"a\","
                                   "\"column_16384\":5}"));
    assert_non_null(strstr(b.data, "\"returned\":1,\"next_offset\":1}"));
    /* 40 records of 300 KB: the page stops past 8 MiB */
    buf_reset(&b);
    assert_int_equal(store_records_json(f->st, got.id, -1, 1000, 1, &b, &e),
                     SOCC_OK);
    assert_true(b.len < 10u * 1024 * 1024);
    assert_non_null(strstr(b.data, "\"returned\":28,\"next_offset\":29}"));
    buf_reset(&b);
    assert_int_equal(store_records_json(f->st, got.id, -1, 1000, 29, &b, &e),
                     SOCC_OK);
    assert_non_null(strstr(b.data, "\"returned\":12,\"next_offset\":null}"));
    buf_release(&b);
    buf_release(&big);
}

static void duplicate_is_per_company(void **state)
{
    struct fx *f = *state;
    struct store_upload u, ex;
    struct store_writer *w;
    struct socc_error e;
    int64_t id = put(f->st, "acme", "siem", "b");

    meta(&u, "acme", "edr", "b");
    assert_int_equal(store_writer_begin(f->st, &u, &w, &ex, &e),
                     SOCC_E_DUPLICATE_FILE);
    assert_null(w);
    assert_int_equal(ex.id, id);
    assert_string_equal(ex.tool_type, "siem");
    assert_int_equal(ex.record_count, 3);
    assert_int_equal(store_find_hash(f->st, "acme", ex.file_hash, &ex, &e),
                     SOCC_OK);
    assert_int_equal(store_find_hash(f->st, "other", ex.file_hash, &ex, &e),
                     SOCC_E_NOT_FOUND);
    /* another company may hold the same bytes */
    put(f->st, "other", "siem", "b");
}

static void versions_and_active(void **state)
{
    struct fx *f = *state;
    struct store_upload u;
    struct socc_error e;
    struct store_filter flt = { "acme", "siem", 1, 50, 0, NULL };
    struct buf b;
    int64_t a = put(f->st, "acme", "siem", "c");
    int64_t c = put(f->st, "acme", "siem", "d");
    int64_t other = put(f->st, "acme", "mdm", "e");

    assert_int_equal(store_get_upload(f->st, a, &u, &e), SOCC_OK);
    assert_false(u.is_active);
    assert_int_equal(store_get_upload(f->st, c, &u, &e), SOCC_OK);
    assert_true(u.is_active);
    assert_int_equal(u.version, 2);
    assert_int_equal(u.previous_id, a);
    assert_int_equal(store_get_upload(f->st, other, &u, &e), SOCC_OK);
    assert_true(u.is_active);
    assert_int_equal(u.version, 1);
    buf_init(&b);
    assert_int_equal(store_list_json(f->st, &flt, &b, &e), SOCC_OK);
    assert_non_null(strstr(b.data, "\"total\":1"));
    buf_reset(&b);
    flt.active = -1;
    flt.tool_type = NULL;
    assert_int_equal(store_list_json(f->st, &flt, &b, &e), SOCC_OK);
    assert_non_null(strstr(b.data, "\"total\":3"));
    buf_release(&b);
}

static void abort_leaves_nothing(void **state)
{
    struct fx *f = *state;
    struct store_upload u, ex;
    struct store_writer *w;
    struct socc_error e;

    meta(&u, "acme", "siem", "f");
    assert_int_equal(store_writer_begin(f->st, &u, &w, &ex, &e), SOCC_OK);
    assert_int_equal(store_writer_sheet(w, 0, "S", &e), SOCC_OK);
    assert_int_equal(store_writer_record(w, 0, 2, "[1]", 3, &e), SOCC_OK);
    store_writer_abort(w);
    assert_int_equal(store_find_hash(f->st, "acme", u.file_hash, &ex, &e),
                     SOCC_E_NOT_FOUND);
    /* the same file can then be stored */
    put(f->st, "acme", "siem", "f");
}

static void blobs(void **state)
{
    struct fx *f = *state;
    struct socc_error e;
    char tmp[512], path[512], hash[65], buf2[16];
    struct stat sb;
    int made = -1;
    FILE *fp;

    memset(hash, '9', 64);
    hash[64] = '\0';
    st_write_file(store_tmp_dir(f->st), "t1", "hello", 5, tmp, sizeof(tmp));
    assert_int_equal(store_blob_put(f->st, tmp, hash, &made, &e), SOCC_OK);
    assert_int_equal(made, 1);
    assert_int_not_equal(stat(tmp, &sb), 0);
    store_blob_path(f->st, hash, path, sizeof(path));
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(buf2, 1, sizeof(buf2), fp), 5);
    fclose(fp);
    /* a second put of the same hash keeps the first and drops the temp */
    st_write_file(store_tmp_dir(f->st), "t2", "hello", 5, tmp, sizeof(tmp));
    assert_int_equal(store_blob_put(f->st, tmp, hash, &made, &e), SOCC_OK);
    assert_int_equal(made, 0);
    assert_int_not_equal(stat(tmp, &sb), 0);
}

/* A blob made inside an aborted upload goes; one that existed stays. */
static void aborted_upload_drops_its_blob(void **state)
{
    struct fx *f = *state;
    struct store_upload u, ex;
    struct store_writer *w;
    struct socc_error e;
    char tmp[512], path[512];
    struct stat sb;

    meta(&u, "acme", "siem", "7");
    st_write_file(store_tmp_dir(f->st), "t3", "bytes", 5, tmp, sizeof(tmp));
    assert_int_equal(store_writer_begin(f->st, &u, &w, &ex, &e), SOCC_OK);
    assert_int_equal(store_writer_blob(w, tmp, u.file_hash, &e), SOCC_OK);
    store_blob_path(f->st, u.file_hash, path, sizeof(path));
    assert_int_equal(stat(path, &sb), 0);
    store_writer_abort(w);
    assert_int_not_equal(stat(path, &sb), 0);
    /* the blob of a stored upload survives another company's abort */
    put(f->st, "acme", "siem", "7");
    store_blob_path(f->st, u.file_hash, path, sizeof(path));
    st_write_file(store_tmp_dir(f->st), "t4", "bytes", 5, tmp, sizeof(tmp));
    assert_int_equal(store_blob_put(f->st, tmp, u.file_hash, NULL, &e),
                     SOCC_OK);
    meta(&u, "globex", "siem", "7");
    st_write_file(store_tmp_dir(f->st), "t5", "bytes", 5, tmp, sizeof(tmp));
    assert_int_equal(store_writer_begin(f->st, &u, &w, &ex, &e), SOCC_OK);
    assert_int_equal(store_writer_blob(w, tmp, u.file_hash, &e), SOCC_OK);
    store_writer_abort(w);
    assert_int_equal(stat(path, &sb), 0);
}

static void stale_temp_files_swept(void **state)
{
    struct fx *f = *state;
    char old[512], fresh[512];
    struct timespec ts[2];
    struct stat sb;

    st_write_file(store_tmp_dir(f->st), "upload-old", "x", 1, old,
                  sizeof(old));
    st_write_file(store_tmp_dir(f->st), "upload-new", "y", 1, fresh,
                  sizeof(fresh));
    ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 7200;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    assert_int_equal(utimensat(AT_FDCWD, old, ts, 0), 0);
    assert_int_equal(store_sweep_tmp(f->st, 3600), 1);
    assert_int_not_equal(stat(old, &sb), 0);
    assert_int_equal(stat(fresh, &sb), 0);
}

/* Set path's access and modification times age_s seconds back. */
static void age(const char *path, long age_s)
{
    struct timespec ts[2];

    ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age_s;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* A crash leaves a temp file; one a live writer still holds must stay. */
static void locked_temp_file_survives_sweep(void **state)
{
    struct fx *f = *state;
    char held[512], orphan[512];
    struct stat sb;
    int fd;

    fd = store_tmp_create(f->st, "upload", held, sizeof(held));
    assert_true(fd >= 0);
    assert_non_null(strstr(held, "/tmp/upload-"));
    st_write_file(store_tmp_dir(f->st), "upload-orphan", "x", 1, orphan,
                  sizeof(orphan));
    age(held, 7200);
    age(orphan, 7200);
    assert_int_equal(store_sweep_tmp(f->st, 60), 1);
    assert_int_not_equal(stat(orphan, &sb), 0);
    assert_int_equal(stat(held, &sb), 0);
    /* the writer is gone (its fd closed, as by kill -9): now it may go */
    close(fd);
    assert_int_equal(store_sweep_tmp(f->st, 60), 1);
    assert_int_not_equal(stat(held, &sb), 0);
}

/*
 * Within the grace period even an unlocked file stays (a writer may be
 * between mkstemp and flock); SOCC_TMP_GRACE sets it for store_open.
 */
static void grace_period_from_env(void **state)
{
    struct fx *f = *state;
    char fresh[512], held[512];
    struct store *again;
    struct socc_error e;
    struct stat sb;
    int fd;

    st_write_file(store_tmp_dir(f->st), "ingest-fresh", "y", 1, fresh,
                  sizeof(fresh));
    assert_int_equal(store_sweep_tmp(f->st, 60), 0);
    assert_int_equal(stat(fresh, &sb), 0);
    fd = store_tmp_create(f->st, "ingest", held, sizeof(held));
    assert_true(fd >= 0);
    setenv("SOCC_TMP_GRACE", "0", 1);
    assert_int_equal(store_open(f->dir, &again, &e), SOCC_OK);
    unsetenv("SOCC_TMP_GRACE");
    assert_int_not_equal(stat(fresh, &sb), 0);
    assert_int_equal(stat(held, &sb), 0);
    store_close(again);
    close(fd);
}

/* Kept answers: read back while young, gone once expired, replaced. */
static void idempotency_answers(void **state)
{
    struct fx *f = *state;
    struct socc_error e;
    char fp[65], want[65];
    unsigned status = 0;
    struct buf b;

    memset(want, 'a', 64);
    want[64] = '\0';
    buf_init(&b);
    assert_int_equal(store_idem_get(f->st, "acme", "k1", 0, fp, &status, &b,
                                    &e), SOCC_E_NOT_FOUND);
    assert_int_equal(store_idem_put(f->st, "acme", "k1", want, 201,
                                    "{\"id\":1}", 8, 1000, 0, &e), SOCC_OK);
    assert_int_equal(store_idem_get(f->st, "acme", "k1", 1000, fp, &status,
                                    &b, &e), SOCC_OK);
    assert_string_equal(fp, want);
    assert_int_equal(status, 201);
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.data, "{\"id\":1}", 8);
    /* per company, and too old for a later not_before */
    assert_int_equal(store_idem_get(f->st, "other", "k1", 0, fp, &status,
                                    &b, &e), SOCC_E_NOT_FOUND);
    assert_int_equal(store_idem_get(f->st, "acme", "k1", 1001, fp, &status,
                                    &b, &e), SOCC_E_NOT_FOUND);
    /* a later put drops answers kept before expire_before */
    assert_int_equal(store_idem_put(f->st, "acme", "k2", want, 422, "{}", 2,
                                    5000, 4000, &e), SOCC_OK);
    assert_int_equal(store_idem_get(f->st, "acme", "k1", 0, fp, &status, &b,
                                    &e), SOCC_E_NOT_FOUND);
    buf_release(&b);
}


/* A second claim of the data dir is UNAVAILABLE while the first holds. */
static void data_dir_locked_once(void **state)
{
    struct fx *f = *state;
    struct store *again;
    struct socc_error e;

    assert_int_equal(store_lock_dir(f->st, &e), SOCC_OK);
    assert_int_equal(store_open(f->dir, &again, &e), SOCC_OK);
    assert_int_equal(store_lock_dir(again, &e), SOCC_E_UNAVAILABLE);
    assert_non_null(strstr(e.detail, "served by another socc process"));
    store_close(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(idempotency_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(data_dir_locked_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(migrated_and_reopened, setup, teardown),
        cmocka_unit_test_setup_teardown(write_and_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(sparse_rows_and_pages, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(duplicate_is_per_company, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(versions_and_active, setup, teardown),
        cmocka_unit_test_setup_teardown(abort_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(blobs, setup, teardown),
        cmocka_unit_test_setup_teardown(aborted_upload_drops_its_blob, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(stale_temp_files_swept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(locked_temp_file_survives_sweep, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(grace_period_from_env, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
