#include "socc_test.h"

#include <sqlite3.h>

#include "core/buf.h"
#include "store/journal.h"
#include "store/migrations.h"
#include "store/store.h"
#include "store/store_sqlite_int.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    st_tmpdir(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    st_rmtree(dir);
    return 0;
}

#define KEY(u, ord) (((long long)(u) << 39) | (ord))

/* A schema-1 database as an older socc left it: two versions of a tool. */
static void old_database(void)
{
    char path[300], sql[2048];
    sqlite3 *db;
    const char *h1 = "1111111111111111111111111111111111111111111111111111111"
                     "111111111";
    const char *h2 = "2222222222222222222222222222222222222222222222222222222"
                     "222222222";

    snprintf(path, sizeof(path), "%s/socc.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, migrations_sql(0), NULL, NULL, NULL),
                     SQLITE_OK);
    snprintf(sql, sizeof(sql),
             "PRAGMA user_version=1;"
             "INSERT INTO uploads (id, company, tool_type, filename, size, "
             " file_type, file_hash, record_count, sheet_count, status, "
             " is_active, created_at, version, previous_id) VALUES "
             "(1,'acme','siem','a.csv',1,'csv','%s',3,1,'stored',0,'t',1,NULL),"
             "(2,'acme','siem','b.csv',1,'csv','%s',2,1,'stored',1,'t',2,1);"
             "INSERT INTO sheets VALUES (1,0,'',3,1,1,'[\"n\"]'),"
             " (2,0,'',2,2,1,'[\"n\",\"m\"]');"
             "INSERT INTO records VALUES (%lld,2,'[1]'),(%lld,3,'[2]'),"
             " (%lld,4,'[2]'),(%lld,2,'[2]'),(%lld,3,'[5]');",
             h1, h2, KEY(1, 0), KEY(1, 1), KEY(1, 2), KEY(2, 0), KEY(2, 1));
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void migration_fills_identities_and_summaries(void **state)
{
    struct store *st;
    struct socc_error e;
    struct buf b;
    char path[300];
    sqlite3 *db;
    sqlite3_stmt *q;

    (void)state;
    old_database();
    assert_int_equal(store_open(dir, &st, &e), SOCC_OK);
    buf_init(&b);
    assert_int_equal(store_version_json(st, 2, &b, &e), SOCC_OK);
    /* {1,2,2} -> {2,5}: one 2 stays, 1 and a 2 go, 5 comes; m is new */
    assert_non_null(strstr(b.data, "\"summary\":{\"previous_id\":1,"
                           "\"rows_added\":1,\"rows_removed\":2,"
                           "\"rows_unchanged\":1,\"columns_added\":[\"m\"],"
                           "\"columns_removed\":[]}"));
    buf_release(&b);
    store_close(st);
    snprintf(path, sizeof(path), "%s/socc.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM records "
                                        "WHERE length(rid) = 16", -1, &q,
                                        NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 5);
    sqlite3_finalize(q);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT v FROM state WHERE k = "
                                        "'upload_id_max'", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 2);
    sqlite3_finalize(q);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT v FROM state WHERE k = "
                                        "'rids_filled'", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 1);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* One upload of one record; the commit's code. */
static enum socc_err put(struct store *st, char fill)
{
    struct store_upload u, got, ex;
    struct store_writer *w;
    struct socc_error e;

    memset(&u, 0, sizeof(u));
    snprintf(u.company, sizeof(u.company), "acme");
    snprintf(u.tool_type, sizeof(u.tool_type), "siem");
    snprintf(u.filename, sizeof(u.filename), "x.csv");
    snprintf(u.file_type, sizeof(u.file_type), "csv");
    memset(u.file_hash, fill, 64);
    assert_int_equal(store_writer_begin(st, &u, &w, &ex, &e), SOCC_OK);
    assert_int_equal(store_writer_sheet(w, 0, "", &e), SOCC_OK);
    assert_int_equal(store_writer_record(w, 0, 2, "[1]", 3, &e), SOCC_OK);
    assert_int_equal(store_writer_sheet_done(w, 0, 1, "[\"n\"]", 1, 1, &e),
                     SOCC_OK);
    return store_writer_commit(w, 1, "[]", &got, &e);
}

static int count(const struct journal_entry *e, void *ud)
{
    int64_t *last = ud;

    *last = e->seq;
    return 0;
}

/* An entry whose change never committed (a crash) goes at the next open. */
static void uncommitted_entry_is_dropped(void **state)
{
    struct store *st;
    struct socc_error e;
    struct journal_entry je;
    char path[300];
    int64_t last = 0;

    (void)state;
    assert_int_equal(store_open(dir, &st, &e), SOCC_OK);
    assert_int_equal(put(st, 'a'), SOCC_OK);
    store_close(st);
    snprintf(path, sizeof(path), "%s/journal.log", dir);
    memset(&je, 0, sizeof(je));
    je.seq = 2;
    snprintf(je.op, sizeof(je.op), "ingest");
    assert_int_equal(journal_append(path, &je), 0);
    assert_int_equal(store_open(dir, &st, &e), SOCC_OK);
    assert_int_equal(journal_read(path, count, &last), 0);
    assert_int_equal(last, 1);
    /* the next change takes number 2 again */
    assert_int_equal(put(st, 'b'), SOCC_OK);
    assert_int_equal(journal_read(path, count, &last), 0);
    assert_int_equal(last, 2);
    store_close(st);
}

/* When the journal cannot be written, the change does not commit. */
static void unwritable_journal_stops_the_commit(void **state)
{
    struct store *st;
    struct socc_error e;
    struct buf b;
    char path[300];
    struct store_filter f = { NULL, NULL, -1, 10, 0, NULL };

    (void)state;
    assert_int_equal(store_open(dir, &st, &e), SOCC_OK);
    snprintf(path, sizeof(path), "%s/journal.log", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_not_equal(put(st, 'a'), SOCC_OK);
    buf_init(&b);
    assert_int_equal(store_list_json(st, &f, &b, &e), SOCC_OK);
    assert_non_null(strstr(b.data, "\"total\":0"));
    buf_release(&b);
    store_close(st);
}

/* An upload of acme/edr whose records are the JSON texts in rows. */
static int64_t put_rows(struct store *st, char fill, const char *const *rows,
                        int n)
{
    struct store_upload u, got, ex;
    struct store_writer *w;
    struct socc_error e;
    int i;

    memset(&u, 0, sizeof(u));
    snprintf(u.company, sizeof(u.company), "acme");
    snprintf(u.tool_type, sizeof(u.tool_type), "edr");
    snprintf(u.filename, sizeof(u.filename), "x.csv");
    snprintf(u.file_type, sizeof(u.file_type), "csv");
    memset(u.file_hash, fill, 64);
    assert_int_equal(store_writer_begin(st, &u, &w, &ex, &e), SOCC_OK);
    assert_int_equal(store_writer_sheet(w, 0, "S", &e), SOCC_OK);
    for (i = 0; i < n; i++)
        assert_int_equal(store_writer_record(w, 0, i + 2, rows[i],
                                             strlen(rows[i]), &e), SOCC_OK);
    assert_int_equal(store_writer_sheet_done(w, 0, n, "[\"n\"]", 1, 1, &e),
                     SOCC_OK);
    assert_int_equal(store_writer_commit(w, 1, "[]", &got, &e), SOCC_OK);
    return got.id;
}

/* The same summary in memory and by SQL (a predecessor over the limit). */
static void both_ways_of_counting_agree(void **state)
{
    static const char *const a[] = { "[1]", "[2]", "[2]", "[2]", "[3]" };
    static const char *const b[] = { "[2]", "[2]", "[4]", "[3]", "[3]",
                                     "[5]" };
    const char *want = "\"rows_added\":3,\"rows_removed\":2,"
                       "\"rows_unchanged\":3";
    struct store *st;
    struct socc_error e;
    struct buf out;
    int64_t id;
    long long limit;

    (void)state;
    assert_int_equal(store_open(dir, &st, &e), SOCC_OK);
    for (limit = 1 << 20; limit >= 0; limit -= (1 << 20)) {
        store_versions_set_memory_rows(limit);
        put_rows(st, limit ? 'a' : 'c', a, 5);
        id = put_rows(st, limit ? 'b' : 'd', b, 6);
        buf_init(&out);
        assert_int_equal(store_version_json(st, id, &out, &e), SOCC_OK);
        assert_non_null(strstr(out.data, want));
        buf_release(&out);
    }
    store_versions_set_memory_rows(1 << 20);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            migration_fills_identities_and_summaries, setup, teardown),
        cmocka_unit_test_setup_teardown(uncommitted_entry_is_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(unwritable_journal_stops_the_commit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(both_ways_of_counting_agree, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
