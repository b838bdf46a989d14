#include "socc_test.h"

#include "ingest/table.h"
#include "store/store.h"

struct fx {
    char dir[256];
    struct store *st;
    struct store_writer *w;
    struct spool *sp;
    struct table *t;
    struct row_sink sink;
    char hash[65];
};

static int setup(void **state)
{
    static int n;
    struct fx *f = calloc(1, sizeof(*f));
    struct store_upload u, ex;
    struct socc_error e;

    st_tmpdir(f->dir, sizeof(f->dir));
    assert_int_equal(store_open(f->dir, &f->st, &e), SOCC_OK);
    memset(&u, 0, sizeof(u));
    strcpy(u.company, "acme");
    strcpy(u.tool_type, "siem");
    strcpy(u.filename, "t.csv");
    strcpy(u.file_type, "csv");
    snprintf(u.file_hash, sizeof(u.file_hash), "%064d", ++n);
    assert_int_equal(store_writer_begin(f->st, &u, &f->w, &ex, &e), SOCC_OK);
    assert_int_equal(spool_new(f->dir, &f->sp, &e), SOCC_OK);
    f->t = table_new(f->sp);
    f->sink = table_sink(f->t);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    table_free(f->t);
    spool_free(f->sp);
    store_writer_abort(f->w);
    store_close(f->st);
    st_rmtree(f->dir);
    free(f);
    return 0;
}

/* Feed one row of NUL-terminated strings ("" is an empty cell). */
static void feed(struct fx *f, uint32_t row, const char *const *cells,
                 size_t n)
{
    struct row_cell c[64];
    size_t i;

    for (i = 0; i < n; i++) {
        c[i].text = cells[i];
        c[i].len = strlen(cells[i]);
        c[i].kind = c[i].len ? ROW_CELL_STRING : ROW_CELL_EMPTY;
    }
    assert_int_equal(f->sink.row(f->sink.ctx, row, c, n), SOCC_OK);
}

#define ROW(f, r, ...)                                                        \
    do {                                                                      \
        const char *const cs_[] = { __VA_ARGS__ };                           \
        feed(f, r, cs_, sizeof(cs_) / sizeof(cs_[0]));                        \
    } while (0)

/* Commit and return the upload's JSON and its records' JSON. */
static void finish(struct fx *f, struct buf *up, struct buf *recs)
{
    struct store_upload u;
    struct socc_error e;

    assert_int_equal(spool_replay(f->sp, f->w, &e), SOCC_OK);
    assert_int_equal(store_writer_commit(f->w, 1, table_warnings_json(f->t),
                                         &u, &e), SOCC_OK);
    f->w = NULL;
    assert_int_equal(store_upload_json(f->st, u.id, up, &e), SOCC_OK);
    assert_int_equal(store_records_json(f->st, u.id, -1, 1000, 0, recs, &e),
                     SOCC_OK);
}

static void plain_header(void **state)
{
    struct fx *f = *state;
    struct buf up, recs;

    buf_init(&up);
    buf_init(&recs);
    assert_int_equal(f->sink.sheet_begin(f->sink.ctx, "", 0), SOCC_OK);
    ROW(f, 1, "host", "severity");
    ROW(f, 2, "web-01", "High");
    ROW(f, 4, "db-02", "Low");
    assert_int_equal(f->sink.sheet_end(f->sink.ctx), SOCC_OK);
    assert_int_equal(table_records(f->t), 2);
    finish(f, &up, &recs);
    assert_non_null(strstr(up.data, "\"rows\":2,\"columns\":2,"
                                    "\"header_row\":1,\"column_names\":"
                                    "[\"host\",\"severity\"]"));
    assert_non_null(strstr(recs.data, "\"row\":4,\"cells\":{\"host\":"
                                      "\"db-02\",\"severity\":\"Low\"}"));
    assert_non_null(strstr(up.data, "\"warnings\":[]"));
    buf_release(&up);
    buf_release(&recs);
}

/* Case 032's layout: a title row and a metadata row above the table. */
static void title_rows_skipped(void **state)
{
    struct fx *f = *state;
    struct buf up, recs;

    buf_init(&up);
    buf_init(&recs);
    assert_int_equal(f->sink.sheet_begin(f->sink.ctx, "Scan", 4), SOCC_OK);
    ROW(f, 1, "Vulnerability scan");
    ROW(f, 2, "Generated", "2024-05-01");
    ROW(f, 4, "Host", "Plugin ID", "Severity", "Name");
    ROW(f, 5, "10.1.2.3", "10001", "Critical", "Outdated SSH server");
    ROW(f, 6, "10.1.2.4", "10002", "Medium", "");
    ROW(f, 7, "10.1.2.5", "10003", "Info", "OS identification");
    assert_int_equal(f->sink.sheet_end(f->sink.ctx), SOCC_OK);
    finish(f, &up, &recs);
    assert_non_null(strstr(up.data, "\"rows\":3,\"columns\":4,"
                                    "\"header_row\":4"));
    assert_non_null(strstr(recs.data, "{\"Host\":\"10.1.2.4\",\"Plugin ID\":"
                                      "\"10002\",\"Severity\":\"Medium\"}"));
    assert_non_null(strstr(up.data, "2 title row(s) above the header"));
    buf_release(&up);
    buf_release(&recs);
}

/* A narrow header over wider ragged rows is still the header. */
static void narrow_header_kept(void **state)
{
    struct fx *f = *state;
    struct buf up, recs;

    buf_init(&up);
    buf_init(&recs);
    assert_int_equal(f->sink.sheet_begin(f->sink.ctx, "", 0), SOCC_OK);
    ROW(f, 1, "a", "b", "c");
    ROW(f, 2, "1", "2", "3");
    ROW(f, 3, "1", "2", "3", "4", "5");
    assert_int_equal(f->sink.sheet_end(f->sink.ctx), SOCC_OK);
    finish(f, &up, &recs);
    assert_non_null(strstr(up.data, "\"header_row\":1"));
    /* cells right of the header get generated names */
    assert_non_null(strstr(recs.data, "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\","
                                      "\"column_4\":\"4\",\"column_5\":\"5\"}"));
    assert_non_null(strstr(up.data, "\"columns\":5"));
    buf_release(&up);
    buf_release(&recs);
}

static void names_made_unique(void **state)
{
    struct fx *f = *state;
    struct buf up, recs;

    buf_init(&up);
    buf_init(&recs);
    assert_int_equal(f->sink.sheet_begin(f->sink.ctx, "", 0), SOCC_OK);
    ROW(f, 1, "id", " id ", "", "name", "id_2", "id");
    ROW(f, 2, "1", "2", "3", "4", "5", "6");
    assert_int_equal(f->sink.sheet_end(f->sink.ctx), SOCC_OK);
    finish(f, &up, &recs);
    assert_non_null(strstr(up.data, "[\"id\",\"id_2\",\"column_3\",\"name\","
                                    "\"id_2_2\",\"id_3\"]"));
    buf_release(&up);
    buf_release(&recs);
}

/* More rows than the probe holds: every one is stored, in order. */
static void many_rows(void **state)
{
    struct fx *f = *state;
    struct buf up, recs;
    char v[16], want[64];
    uint32_t i;

    buf_init(&up);
    buf_init(&recs);
    assert_int_equal(f->sink.sheet_begin(f->sink.ctx, "S", 1), SOCC_OK);
    ROW(f, 1, "n", "sq");
    for (i = 0; i < 100; i++) {
        snprintf(v, sizeof(v), "%u", i);
        ROW(f, i + 2, v, "x");
    }
    assert_int_equal(f->sink.sheet_end(f->sink.ctx), SOCC_OK);
    finish(f, &up, &recs);
    assert_non_null(strstr(recs.data, "\"total\":100"));
    for (i = 0; i < 100; i += 33) {
        snprintf(want, sizeof(want), "\"row\":%u,\"cells\":{\"n\":\"%u\"", i + 2,
                 i);
        assert_non_null(strstr(recs.data, want));
    }
    buf_release(&up);
    buf_release(&recs);
}

static void empty_sheet_and_warning(void **state)
{
    struct fx *f = *state;
    struct buf up, recs;

    buf_init(&up);
    buf_init(&recs);
    assert_int_equal(f->sink.sheet_begin(f->sink.ctx, "Empty", 5), SOCC_OK);
    assert_int_equal(f->sink.sheet_end(f->sink.ctx), SOCC_OK);
    table_warn(f->t, "the file holds no data rows");
    table_warn(f->t, "the file holds no data rows");
    finish(f, &up, &recs);
    assert_non_null(strstr(up.data, "{\"name\":\"Empty\",\"rows\":0,"
                                    "\"columns\":0,\"header_row\":0"));
    assert_non_null(strstr(up.data, "\"warnings\":[\"the file holds no data "
                                    "rows\"]"));
    buf_release(&up);
    buf_release(&recs);
}

/* One cell at column XFD: stored sparse, read back by name. */
static void wide_sparse_row(void **state)
{
    struct fx *f = *state;
    struct buf up, recs;
    struct row_cell c[16384];
    size_t i;

    buf_init(&up);
    buf_init(&recs);
    assert_int_equal(f->sink.sheet_begin(f->sink.ctx, "W", 1), SOCC_OK);
    ROW(f, 1, "id", "name");
    for (i = 0; i < 16384; i++) {
        c[i].text = "";
        c[i].len = 0;
        c[i].kind = ROW_CELL_EMPTY;
    }
    c[0].text = "7";
    c[0].len = 1;
    c[0].kind = ROW_CELL_STRING;
    c[16383].text = "far";
    c[16383].len = 3;
    c[16383].kind = ROW_CELL_STRING;
    assert_int_equal(f->sink.row(f->sink.ctx, 2, c, 16384), SOCC_OK);
    assert_int_equal(f->sink.sheet_end(f->sink.ctx), SOCC_OK);
    finish(f, &up, &recs);
    assert_non_null(strstr(recs.data, "\"cells\":{\"id\":\"7\","
                                      "\"column_16384\":\"far\"}"));
    assert_non_null(strstr(up.data, "\"columns\":16384"));
    buf_release(&up);
    buf_release(&recs);
}

/* A small file may not claim more storage than its limit allows. */
static void stored_bytes_limited(void **state)
{
    struct fx *f = *state;
    struct row_cell c[3];
    char big[2000];
    uint32_t r;
    enum socc_err rc = SOCC_OK;

    memset(big, 'x', sizeof(big));
    c[0].text = big;
    c[0].len = sizeof(big);
    c[0].kind = ROW_CELL_STRING;
    table_set_max_stored(f->t, 100000);
    assert_int_equal(f->sink.sheet_begin(f->sink.ctx, "", 0), SOCC_OK);
    for (r = 1; r < 200 && rc == SOCC_OK; r++)
        rc = f->sink.row(f->sink.ctx, r, c, 1);
    assert_int_equal(rc, SOCC_E_LIMIT_EXCEEDED);
    assert_non_null(strstr(table_error(f->t)->detail, "100000 bytes"));
}

/* A small file of rows reaching far right is stopped by its work. */
static void positions_limited(void **state)
{
    struct fx *f = *state;
    static struct row_cell c[16384];
    enum socc_err rc = SOCC_OK;
    uint32_t r;

    c[16383].text = "x";
    c[16383].len = 1;
    c[16383].kind = ROW_CELL_STRING;
    assert_int_equal(f->sink.sheet_begin(f->sink.ctx, "", 0), SOCC_OK);
    for (r = 1; r < 20000 && rc == SOCC_OK; r++)
        rc = f->sink.row(f->sink.ctx, r, c, 16384);
    assert_int_equal(rc, SOCC_E_LIMIT_EXCEEDED);
    assert_true(r < 20000);
    assert_non_null(strstr(table_error(f->t)->detail, "cell positions"));
}

static void cell_values(void **state)
{
    struct buf b;
    struct row_cell c;
    static const struct {
        enum row_cell_kind k;
        const char *in, *out;
    } v[] = {
        { ROW_CELL_EMPTY, "", "null" },
        { ROW_CELL_NUMBER, "42", "42" },
        { ROW_CELL_NUMBER, "-1.5e-07", "-1.5e-07" },
        { ROW_CELL_NUMBER, "007", "\"007\"" },
        { ROW_CELL_NUMBER, "1.", "\"1.\"" },
        { ROW_CELL_NUMBER, "nan", "\"nan\"" },
        { ROW_CELL_BOOL, "true", "true" },
        { ROW_CELL_BOOL, "false", "false" },
        { ROW_CELL_BOOL, "1", "\"1\"" },
        { ROW_CELL_DATE, "2024-03-01", "\"2024-03-01\"" },
        { ROW_CELL_ERROR, "#N/A", "\"#N/A\"" },
        { ROW_CELL_STRING, "12", "\"12\"" },
    };
    size_t i;

    (void)state;
    buf_init(&b);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        buf_reset(&b);
        c.kind = v[i].k;
        c.text = v[i].in;
        c.len = strlen(v[i].in);
        table_cell_json(&c, &b);
        assert_string_equal(b.data, v[i].out);
    }
    buf_release(&b);
    assert_true(table_text_is_number("-1e300", 6));
    assert_false(table_text_is_number("1e400", 5));
    assert_false(table_text_is_number("1E-400", 6));
    assert_false(table_text_is_number("7e5123", 6));
    assert_true(table_is_json_number("0", 1));
    assert_true(table_is_json_number("-0.5E+3", 7));
    assert_false(table_is_json_number("-", 1));
    assert_false(table_is_json_number("+1", 2));
    assert_false(table_is_json_number("1e", 2));
    assert_false(table_is_json_number(" 1", 2));
}

static void csv_numbers_inferred(void **state)
{
    struct fx *f = *state;
    struct buf up, recs;

    buf_init(&up);
    buf_init(&recs);
    table_set_infer_numbers(f->t, 1);
    assert_int_equal(f->sink.sheet_begin(f->sink.ctx, "", 0), SOCC_OK);
    ROW(f, 1, "id", "comment", "delta", "zip", "big");
    ROW(f, 2, "1", "=1+2", "-5", "007", "1234567890123456");
    ROW(f, 3, "2", "-2+3", "+7", "0.5", "1e3");
    ROW(f, 4, "3", "1.", "-0.5", ".5", "123456789012345");
    assert_int_equal(f->sink.sheet_end(f->sink.ctx), SOCC_OK);
    finish(f, &up, &recs);
    assert_non_null(strstr(recs.data, "{\"id\":1,\"comment\":\"=1+2\","
                                      "\"delta\":-5,\"zip\":\"007\","
                                      "\"big\":\"1234567890123456\"}"));
    assert_non_null(strstr(recs.data, "{\"id\":2,\"comment\":\"-2+3\","
                                      "\"delta\":7,\"zip\":0.5,"
                                      "\"big\":1e3}"));
    assert_non_null(strstr(recs.data, "{\"id\":3,\"comment\":\"1.\","
                                      "\"delta\":-0.5,\"zip\":\".5\","
                                      "\"big\":123456789012345}"));
    buf_release(&up);
    buf_release(&recs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(plain_header, setup, teardown),
        cmocka_unit_test_setup_teardown(title_rows_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(narrow_header_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(names_made_unique, setup, teardown),
        cmocka_unit_test_setup_teardown(many_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_sheet_and_warning, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(csv_numbers_inferred, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(wide_sparse_row, setup, teardown),
        cmocka_unit_test_setup_teardown(stored_bytes_limited, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(positions_limited, setup, teardown),
        cmocka_unit_test(cell_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
