/*
 * The shared string table once spilled to temp files: every string comes
 * back by index (in order, at random, across block edges, empty, longer
 * than a block), copies outlive cache eviction, no file is left behind,
 * and a whole workbook read with a tiny threshold gives the same cells as
 * the table in memory.
 */
#include "socc_test.h"

#include <dirent.h>
#include <zip.h>

#include "core/buf.h"
#include "ingest/xlsx_part.h"
#include "ingest/xlsx_sst.h"
#include "ingest/xlsx_sst_spill.h"

/* ---- a generated table ------------------------------------------------ */

/* Length of string i: some empty, most short, every 500th over a block. */
static size_t gen_len(size_t i)
{
    if (i % 97 == 5)
        return 0;
    if (i % 500 == 250)
        return XLSX_SST_SPILL_BLOCK + 1000 + i % 7;
    return (i * 7919) % 300;
}

/* String i into out (gen_len(i) bytes plus NUL); unique per index. */
static void gen_str(size_t i, char *out)
{
    size_t n = gen_len(i), k;
    int head = n ? snprintf(out, n + 1, "%zu:", i) : 0;

    for (k = head > 0 ? (size_t)head : 0; k < n; k++)
        out[k] = (char)('a' + (i + k) % 26);
    out[n] = '\0';
}

static struct xlsx_sst_spill *gen_table(const char *dir, size_t n)
{
    struct xlsx_sst_spill *sp;
    struct socc_error err;
    char *s = malloc(2 * XLSX_SST_SPILL_BLOCK);
    size_t i;

    assert_non_null(s);
    assert_int_equal(xlsx_sst_spill_new(&sp, dir, &err), SOCC_OK);
    for (i = 0; i < n; i++) {
        gen_str(i, s);
        assert_int_equal(xlsx_sst_spill_add(sp, s, gen_len(i), &err),
                         SOCC_OK);
    }
    assert_int_equal(xlsx_sst_spill_seal(sp, &err), SOCC_OK);
    assert_int_equal(xlsx_sst_spill_count(sp), n);
    free(s);
    return sp;
}

static void check_one(struct xlsx_sst_spill *sp, size_t i, char *want)
{
    const char *s = NULL;
    size_t len = 0;

    gen_str(i, want);
    assert_int_equal(xlsx_sst_spill_get(sp, i, &s, &len), 0);
    assert_int_equal(len, gen_len(i));
    assert_memory_equal(s, want, len);
}

/* ---- the spilled store ------------------------------------------------ */

#define NGEN 6000

static void test_in_order(void **state)
{
    struct xlsx_sst_spill *sp = gen_table(NULL, NGEN);
    char *want = malloc(2 * XLSX_SST_SPILL_BLOCK);
    size_t i;

    (void)state;
    for (i = 0; i < NGEN; i++) {
        check_one(sp, i, want);
        xlsx_sst_spill_row_done(sp);
    }
    free(want);
    xlsx_sst_spill_free(sp);
}

static void test_random_order(void **state)
{
    struct xlsx_sst_spill *sp = gen_table(NULL, NGEN);
    char *want = malloc(2 * XLSX_SST_SPILL_BLOCK);
    uint64_t x = 88172645463325252ULL;
    size_t k;

    (void)state;
    for (k = 0; k < 4 * NGEN; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        check_one(sp, (size_t)(x % NGEN), want);
        if (k % 3 == 0)
            xlsx_sst_spill_row_done(sp);
    }
    free(want);
    xlsx_sst_spill_free(sp);
}

/* The strings that straddle a 64 KiB edge, and the ones over a block. */
static void test_block_edges_and_long(void **state)
{
    struct xlsx_sst_spill *sp = gen_table(NULL, NGEN);
    char *want = malloc(2 * XLSX_SST_SPILL_BLOCK);
    uint64_t *at = malloc((NGEN + 1) * sizeof(*at));
    uint64_t blk = XLSX_SST_SPILL_BLOCK;
    size_t i, crossing = 0, longer = 0;

    (void)state;
    at[0] = 0;
    for (i = 0; i < NGEN; i++)
        at[i + 1] = at[i] + gen_len(i);
    for (i = NGEN; i-- > 0;) {   /* backwards: no help from the cache */
        if (gen_len(i) && at[i] / blk != (at[i + 1] - 1) / blk) {
            crossing++;
            longer += gen_len(i) > blk;
            check_one(sp, i, want);
        }
        if (i % 200 == 0)
            xlsx_sst_spill_row_done(sp);
    }
    assert_true(crossing > 20);
    assert_true(longer >= 10);
    free(at);
    free(want);
    xlsx_sst_spill_free(sp);
}

static void test_empty_and_range(void **state)
{
    struct xlsx_sst_spill *sp = gen_table(NULL, 200);
    const char *s = NULL;
    size_t len = 7;

    (void)state;
    assert_int_equal(gen_len(5), 0);
    assert_int_equal(xlsx_sst_spill_get(sp, 5, &s, &len), 0);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    assert_int_equal(xlsx_sst_spill_get(sp, 200, &s, &len), -1);
    assert_int_equal(xlsx_sst_spill_get(sp, SIZE_MAX, &s, &len), -1);
    xlsx_sst_spill_free(sp);
}

/* Copies of one "row" stay right while the cache turns over twice. */
static void test_copies_outlive_eviction(void **state)
{
    enum { N = 24000, LEN = 900 };
    struct xlsx_sst_spill *sp;
    struct socc_error err;
    const char *got[N];
    char s[LEN];
    size_t i, len;

    (void)state;
    assert_int_equal(xlsx_sst_spill_new(&sp, NULL, &err), SOCC_OK);
    for (i = 0; i < N; i++) {
        memset(s, 'A' + (int)(i % 26), LEN);
        snprintf(s, 16, "%zu", i);
        assert_int_equal(xlsx_sst_spill_add(sp, s, LEN, &err), SOCC_OK);
    }
    assert_int_equal(xlsx_sst_spill_seal(sp, &err), SOCC_OK);
    for (i = 0; i < N; i++)
        assert_int_equal(xlsx_sst_spill_get(sp, i, &got[i], &len), 0);
    for (i = 0; i < N; i++) {
        memset(s, 'A' + (int)(i % 26), LEN);
        snprintf(s, 16, "%zu", i);
        assert_memory_equal(got[i], s, LEN);
    }
    xlsx_sst_spill_free(sp);
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void test_no_file_left(void **state)
{
    char dir[256];
    struct xlsx_sst_spill *sp;
    char want[400];

    (void)state;
    st_tmpdir(dir, sizeof(dir));
    sp = gen_table(dir, 300);
    assert_int_equal(dir_entries(dir), 0);
    check_one(sp, 299, want);
    xlsx_sst_spill_free(sp);
    assert_int_equal(dir_entries(dir), 0);
    st_rmtree(dir);
}

static void test_bad_dir_is_internal(void **state)
{
    struct xlsx_sst_spill *sp = NULL;
    struct socc_error err;

    (void)state;
    socc_error_clear(&err);
    assert_int_equal(xlsx_sst_spill_new(&sp, "/nonexistent/socc", &err),
                     SOCC_E_INTERNAL);
    assert_null(sp);
    assert_non_null(strstr(err.detail, "temp file"));
}

/* ---- through a workbook ----------------------------------------------- */

static const char *ct_xml =
    "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org"
    "/package/2006/content-types\"/>";
static const char *root_rels =
    "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas."
    "openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1"
    "\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships/officeDocument\" Target=\"xl/workbook.xml\"/>"
    "</Relationships>";
static const char *wb_rels =
    "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas."
    "openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships/worksheet\" "
    "Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships/sharedStrings\" "
    "Target=\"sharedStrings.xml\"/></Relationships>";
static const char *wb_xml =
    "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas."
    "openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://"
    "schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<sheets><sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/></sheets>"
    "</workbook>";

#define NSTR 3000
#define CELL_MAX 30000   /* under the 32767-character cell limit */
#define NROWS 400
#define NCOLS 6

/* The shared strings part: generated strings (cut to CELL_MAX), some as
 * rich runs with an escape, one of 20000 four-byte characters. */
static void sst_xml(struct buf *b)
{
    char *s = malloc(2 * XLSX_SST_SPILL_BLOCK);
    size_t i, k;

    buf_printf(b, "<?xml version=\"1.0\"?><sst xmlns=\"http://schemas."
               "openxmlformats.org/spreadsheetml/2006/main\">");
    for (i = 0; i < NSTR; i++) {
        gen_str(i, s);
        s[CELL_MAX] = '\0';
        if (i == 77) {
            buf_adds(b, "<si><t>");
            for (k = 0; k < 20000; k++)
                buf_adds(b, "\xF0\x9F\x98\x80");
            buf_adds(b, "</t></si>");
        } else if (i % 10 == 3) {
            buf_printf(b, "<si><r><t>%s</t></r><r><t>_x0041_</t></r>"
                       "<rPh><t>skip</t></rPh></si>", s);
        } else {
            buf_printf(b, "<si><t>%s</t></si>", s);
        }
    }
    buf_adds(b, "</sst>");
    free(s);
}

/* Rows of NCOLS shared cells, indices mostly increasing, some repeats. */
static void sheet_xml(struct buf *b, size_t bad_index)
{
    size_t r, c, next = 0;

    buf_adds(b, "<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas."
             "openxmlformats.org/spreadsheetml/2006/main\"><sheetData>");
    for (r = 0; r < NROWS; r++) {
        buf_printf(b, "<row r=\"%zu\">", r + 1);
        for (c = 0; c < NCOLS; c++) {
            size_t idx = c == 4 ? (r * 31) % NSTR : next++ % NSTR;
            if (r == 200 && c == 2 && bad_index)
                idx = bad_index;
            buf_printf(b, "<c r=\"%c%zu\" t=\"s\"><v>%zu</v></c>",
                       (char)('A' + c), r + 1, idx);
        }
        buf_adds(b, "</row>");
    }
    buf_adds(b, "</sheetData></worksheet>");
}

static void add_part(zip_t *za, const char *name, const char *data,
                     size_t len)
{
    zip_source_t *src = zip_source_buffer(za, data, len, 0);

    assert_non_null(src);
    assert_true(zip_file_add(za, name, src, 0) >= 0);
}

/* Build the workbook at a fresh temp path (static storage). */
static const char *build_book(size_t bad_index)
{
    static char path[64];
    struct buf ws, ss;
    zip_t *za;
    int fd, zerr;

    buf_init(&ws);
    buf_init(&ss);
    sheet_xml(&ws, bad_index);
    sst_xml(&ss);
    snprintf(path, sizeof(path), "/tmp/socc_sst_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    assert_non_null(za);
    add_part(za, "[Content_Types].xml", ct_xml, strlen(ct_xml));
    add_part(za, "_rels/.rels", root_rels, strlen(root_rels));
    add_part(za, "xl/workbook.xml", wb_xml, strlen(wb_xml));
    add_part(za, "xl/_rels/workbook.xml.rels", wb_rels, strlen(wb_rels));
    add_part(za, "xl/worksheets/sheet1.xml", ws.data, ws.len);
    add_part(za, "xl/sharedStrings.xml", ss.data, ss.len);
    assert_int_equal(zip_close(za), 0);
    buf_release(&ws);
    buf_release(&ss);
    return path;
}

static enum socc_err read_book(const char *path, struct st_book *b,
                               struct socc_error *err)
{
    struct row_limits lim;
    struct row_sink sink = st_sink(b);

    row_limits_default(&lim);
    return xlsx_reader_run(path, &lim, &sink, err);
}

static void assert_same_books(const struct st_book *a,
                              const struct st_book *b)
{
    const struct st_sheet *x = &a->sheets[0], *y = &b->sheets[0];
    size_t r, c;

    assert_int_equal(a->nsheets, 1);
    assert_int_equal(b->nsheets, 1);
    assert_int_equal(x->nrows, y->nrows);
    for (r = 0; r < x->nrows; r++) {
        assert_int_equal(x->rows[r].ncells, y->rows[r].ncells);
        for (c = 0; c < x->rows[r].ncells; c++) {
            const struct st_cell *p = &x->rows[r].cells[c];
            const struct st_cell *q = &y->rows[r].cells[c];
            assert_int_equal(p->kind, q->kind);
            assert_int_equal(p->len, q->len);
            assert_memory_equal(p->text, q->text, p->len);
        }
    }
}

static void test_workbook_same_cells(void **state)
{
    const char *path = build_book(0);
    struct st_book mem, disk;
    struct socc_error err;

    (void)state;
    assert_int_equal(read_book(path, &mem, &err), SOCC_OK);
    xlsx_sst_force_spill(64);
    assert_int_equal(read_book(path, &disk, &err), SOCC_OK);
    xlsx_sst_force_spill(0);
    unlink(path);
    assert_int_equal(mem.sheets[0].nrows, NROWS);
    assert_int_equal(strlen(st_cell(&mem, 0, 0, 1)), gen_len(1));
    assert_same_books(&mem, &disk);
    st_book_free(&mem);
    st_book_free(&disk);
}

static void test_workbook_index_past_table(void **state)
{
    const char *path = build_book(NSTR);
    struct st_book b;
    struct socc_error err;

    (void)state;
    xlsx_sst_force_spill(64);
    assert_int_equal(read_book(path, &b, &err), SOCC_E_CORRUPTED_FILE);
    xlsx_sst_force_spill(0);
    unlink(path);
    assert_non_null(strstr(err.detail, "no shared string"));
    st_book_free(&b);
}

/* xlsx_sst_load with a spill directory: strings right, nothing left. */
static void test_load_spills_into_dir(void **state)
{
    const char *path = build_book(0);
    struct xlsx_part_pkg pkg;
    struct row_limits lim;
    struct xlsx_sst sst;
    struct socc_error err;
    char dir[256], *want = malloc(2 * XLSX_SST_SPILL_BLOCK);
    const char *s;
    size_t len, i;

    (void)state;
    st_tmpdir(dir, sizeof(dir));
    row_limits_default(&lim);
    assert_int_equal(xlsx_part_open_file(&pkg, path, &lim, &err), SOCC_OK);
    xlsx_sst_init(&sst);
    assert_int_equal(xlsx_sst_allow_spill(&sst, dir, 4096), SOCC_OK);
    assert_int_equal(xlsx_sst_load(&sst, &pkg, "xl/sharedStrings.xml"),
                     SOCC_OK);
    assert_true(xlsx_sst_spilled(&sst));
    assert_int_equal(sst.n, NSTR);
    assert_true(sst.nmem > 0 && sst.nmem < 100);
    assert_int_equal(dir_entries(dir), 0);
    for (i = 0; i < NSTR; i += 7) {
        gen_str(i, want);
        assert_int_equal(xlsx_sst_get(&sst, i, &s, &len), 0);
        if (i % 10 != 3 && i != 77 && gen_len(i) <= CELL_MAX) {
            assert_int_equal(len, gen_len(i));
            assert_memory_equal(s, want, len);
        }
        xlsx_sst_row_done(&sst);
    }
    assert_int_equal(xlsx_sst_get(&sst, 77, &s, &len), 0);
    assert_int_equal(len, 80000);
    assert_int_equal(xlsx_sst_error(&sst, &err), SOCC_OK);
    xlsx_sst_release(&sst);
    xlsx_part_close(&pkg);
    unlink(path);
    st_rmtree(dir);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_random_order),
        cmocka_unit_test(test_block_edges_and_long),
        cmocka_unit_test(test_empty_and_range),
        cmocka_unit_test(test_copies_outlive_eviction),
        cmocka_unit_test(test_no_file_left),
        cmocka_unit_test(test_bad_dir_is_internal),
        cmocka_unit_test(test_workbook_same_cells),
        cmocka_unit_test(test_workbook_index_past_table),
        cmocka_unit_test(test_load_spills_into_dir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
