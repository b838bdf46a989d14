#include "socc_test.h"

#include "ingest/spool.h"

/* Steps go in, come back out in order into a real store writer. */
static void replays_in_order(void **state)
{
    char dir[256], big[70000];
    struct store *st;
    struct store_upload u, ex, got;
    struct store_writer *w;
    struct spool *sp;
    struct socc_error e;
    struct buf b;
    struct stat sb;

    (void)state;
    st_tmpdir(dir, sizeof(dir));
    assert_int_equal(store_open(dir, &st, &e), SOCC_OK);
    assert_int_equal(spool_new(store_tmp_dir(st), &sp, &e), SOCC_OK);
    memset(big, 'z', sizeof(big));
    memcpy(big, "[\"", 2);
    memcpy(big + sizeof(big) - 2, "\"]", 2);
    assert_int_equal(spool_sheet(sp, 0, "First", &e), SOCC_OK);
    assert_int_equal(spool_record(sp, 0, 2, "[1,\"a\"]", 7, &e), SOCC_OK);
    assert_int_equal(spool_record(sp, 0, 3, big, sizeof(big), &e), SOCC_OK);
    assert_int_equal(spool_sheet_done(sp, 0, 2, "[\"n\",\"s\"]", 2, 1, &e),
                     SOCC_OK);
    assert_int_equal(spool_sheet(sp, 1, "", &e), SOCC_OK);
    assert_int_equal(spool_sheet_done(sp, 1, 0, "[]", 0, 0, &e), SOCC_OK);
    assert_true(spool_bytes(sp) > sizeof(big));
    /* the spool file is unlinked: the temp dir stays empty */
    assert_int_equal(stat(store_tmp_dir(st), &sb), 0);
    {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"",
                 store_tmp_dir(st));
        assert_int_equal(system(cmd), 0);
    }
    memset(&u, 0, sizeof(u));
    strcpy(u.company, "acme");
    strcpy(u.tool_type, "siem");
    strcpy(u.filename, "x.csv");
    strcpy(u.file_type, "csv");
    memset(u.file_hash, 'c', 64);
    assert_int_equal(store_writer_begin(st, &u, &w, &ex, &e), SOCC_OK);
    assert_int_equal(spool_replay(sp, w, &e), SOCC_OK);
    assert_int_equal(store_writer_commit(w, 1, "[]", &got, &e), SOCC_OK);
    assert_int_equal(got.record_count, 2);
    assert_int_equal(got.sheet_count, 2);
    buf_init(&b);
    assert_int_equal(store_records_json(st, got.id, -1, 10, 0, &b, &e),
                     SOCC_OK);
    assert_non_null(strstr(b.data, "{\"sheet\":\"First\",\"row\":2,\"cells\":"
                                   "{\"n\":1,\"s\":\"a\"}}"));
    assert_non_null(strstr(b.data, "\"row\":3,\"cells\":{\"n\":\"zz"));
    buf_release(&b);
    spool_free(sp);
    store_close(st);
    st_rmtree(dir);
}

static void bad_directory_is_an_error(void **state)
{
    struct spool *sp;
    struct socc_error e;

    (void)state;
    assert_int_equal(spool_new("/nonexistent/dir", &sp, &e), SOCC_E_INTERNAL);
    assert_null(sp);
    assert_true(strlen(e.detail) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replays_in_order),
        cmocka_unit_test(bad_directory_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
