/*
 * The streaming XLSX reader: the shared corpus against EXPECTED.tsv, the
 * fault cases, and small workbooks built here with libzip for each guard
 * and each date rule.
 */
#include "socc_test.h"

#include <math.h>
#include <zip.h>

#include "core/buf.h"
#include "ingest/xlsx_number.h"
#include "ingest/xlsx_sst.h"
#include "ingest/xlsx_styles.h"

/* ---- helpers ---------------------------------------------------------- */

static enum socc_err read_path(const char *path, struct st_book *b,
                               struct socc_error *err)
{
    struct row_limits lim;
    struct row_sink sink = st_sink(b);

    row_limits_default(&lim);
    return xlsx_reader_run(path, &lim, &sink, err);
}

/* One part of a workbook built by build(). */
struct part {
    const char *name;
    const char *data;
    size_t len;          /* 0: strlen(data) */
};

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
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships/sharedStrings\" "
    "Target=\"sharedStrings.xml\"/></Relationships>";

#define WB_HEAD "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas." \
    "openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://" \
    "schemas.openxmlformats.org/officeDocument/2006/relationships\">"
#define WB_SHEETS "<sheets><sheet name=\"Data\" sheetId=\"1\" " \
    "r:id=\"rId1\"/></sheets></workbook>"
#define WS_HEAD "<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas." \
    "openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"
#define WS_TAIL "</sheetData></worksheet>"
#define STYLES_HEAD "<?xml version=\"1.0\"?><styleSheet xmlns=\"http://" \
    "schemas.openxmlformats.org/spreadsheetml/2006/main\">"

static const char *wb_1900 = WB_HEAD WB_SHEETS;
static const char *wb_1904 = WB_HEAD "<workbookPr date1904=\"1\"/>" WB_SHEETS;

/* Write the parts as a zip at a fresh temp path (static storage). */
static const char *build(const struct part *parts, size_t n)
{
    static char path[64];
    zip_source_t *src;
    zip_t *za;
    size_t i;
    int fd, zerr;

    snprintf(path, sizeof(path), "/tmp/socc_xlsx_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    assert_non_null(za);
    for (i = 0; i < n; i++) {
        size_t len = parts[i].len ? parts[i].len : strlen(parts[i].data);
        src = zip_source_buffer(za, parts[i].data, len, 0);
        assert_non_null(src);
        assert_true(zip_file_add(za, parts[i].name, src, 0) >= 0);
    }
    assert_int_equal(zip_close(za), 0);
    return path;
}

/* A one-sheet workbook from the sheet body (rows), styles and strings
 * (either may be NULL); read it and return the reader's code. */
static enum socc_err run_sheet(const char *wb, const char *rows,
                               const char *styles, const char *sst,
                               const struct row_limits *lim,
                               struct st_book *b, struct socc_error *err)
{
    struct buf ws;
    struct part p[7];
    size_t n = 0;
    struct row_limits dflt;
    struct row_sink sink = st_sink(b);
    const char *path;
    enum socc_err rc;

    buf_init(&ws);
    buf_adds(&ws, WS_HEAD);
    buf_adds(&ws, rows);
    buf_adds(&ws, WS_TAIL);
    p[n++] = (struct part){ "[Content_Types].xml", ct_xml, 0 };
    p[n++] = (struct part){ "_rels/.rels", root_rels, 0 };
    p[n++] = (struct part){ "xl/workbook.xml", wb ? wb : wb_1900, 0 };
    p[n++] = (struct part){ "xl/_rels/workbook.xml.rels", wb_rels, 0 };
    p[n++] = (struct part){ "xl/worksheets/sheet1.xml", ws.data, ws.len };
    if (styles)
        p[n++] = (struct part){ "xl/styles.xml", styles, 0 };
    if (sst)
        p[n++] = (struct part){ "xl/sharedStrings.xml", sst, 0 };
    path = build(p, n);
    row_limits_default(&dflt);
    rc = xlsx_reader_run(path, lim ? lim : &dflt, &sink, err);
    unlink(path);
    buf_release(&ws);
    return rc;
}

/* Styles whose cellXfs are the given numFmtIds, with custom formats. */
static char *styles_xml(const char *numfmts, const uint32_t *ids, size_t n)
{
    struct buf b;
    size_t i;

    buf_init(&b);
    buf_adds(&b, STYLES_HEAD);
    if (numfmts)
        buf_printf(&b, "<numFmts>%s</numFmts>", numfmts);
    buf_adds(&b, "<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/>"
                 "</cellStyleXfs><cellXfs>");
    for (i = 0; i < n; i++)
        buf_printf(&b, "<xf numFmtId=\"%u\" applyNumberFormat=\"1\"/>",
                   ids[i]);
    buf_adds(&b, "</cellXfs></styleSheet>");
    return buf_detach(&b);
}

static const struct st_cell *cell_at(const struct st_book *b, size_t sheet,
                                     size_t row, size_t col)
{
    static const struct st_cell none = { (char *)"", 0, ROW_CELL_EMPTY };

    if (sheet >= b->nsheets || row >= b->sheets[sheet].nrows ||
        col >= b->sheets[sheet].rows[row].ncells)
        return &none;
    return &b->sheets[sheet].rows[row].cells[col];
}

static void assert_cell(const struct st_book *b, size_t row, size_t col,
                        enum row_cell_kind kind, const char *text)
{
    const struct st_cell *c = cell_at(b, 0, row, col);

    assert_string_equal(c->text, text);
    assert_int_equal(c->kind, kind);
}

/* ---- EXPECTED.tsv ------------------------------------------------------ */

static void join_sheets(const struct st_book *b, struct buf *out)
{
    size_t i;

    for (i = 0; i < b->nsheets; i++)
        buf_printf(out, "%s%s", i ? "|" : "", b->sheets[i].name);
}

/* Data rows: non-empty rows minus the first one (the header). */
static void join_rows(const struct st_book *b, struct buf *out)
{
    size_t i, n;

    for (i = 0; i < b->nsheets; i++) {
        n = b->sheets[i].nrows;
        buf_printf(out, "%s%zu", i ? "|" : "", n ? n - 1 : 0);
    }
}

static size_t max_cols(const struct st_book *b)
{
    size_t i, n = 0;

    for (i = 0; b->nsheets && i < b->sheets[0].nrows; i++)
        if (b->sheets[0].rows[i].ncells > n)
            n = b->sheets[0].rows[i].ncells;
    return n;
}

/* Bytes of the first 60 code points of s. */
static size_t cut60(const char *s, size_t n)
{
    size_t i, chars = 0;

    for (i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == 60)
            return i;
    }
    return n;
}

/*
 * Does our cell show the value openpyxl wrote?  EXPECTED.tsv has line
 * breaks and tabs as spaces; openpyxl prints booleans as TRUE/FALSE,
 * every date as a datetime (date-only cells get T00:00:00) and numbers as
 * Python ints or floats (1e+20 for 1E+20).
 */
static int same_value(const struct st_cell *c, const char *want)
{
    char tmp[64], flat[256];
    size_t n = cut60(c->text, c->len), i;

    for (i = 0; i < n && i < sizeof(flat); i++)
        flat[i] = c->text[i] == '\n' || c->text[i] == '\t' ? ' '
                                                            : c->text[i];
    if (strlen(want) == n && memcmp(flat, want, n) == 0)
        return 1;
    if (c->kind == ROW_CELL_BOOL)
        return !strcmp(want, c->text[0] == 't' ? "TRUE" : "FALSE");
    if (c->kind == ROW_CELL_DATE && c->len == 10) {
        snprintf(tmp, sizeof(tmp), "%sT00:00:00", c->text);
        return !strcmp(want, tmp);
    }
    if (c->kind == ROW_CELL_NUMBER && *want)
        return strtod(c->text, NULL) == strtod(want, NULL);
    return 0;
}

/* Compare the first min(5, cols) cells of the first row with header. */
static void check_header(const struct st_book *b, const char *header,
                         size_t cols, const char *file)
{
    char *copy = strdup(header), *p = copy, *bar;
    size_t i;

    for (i = 0; i < cols && i < 5; i++) {
        bar = strchr(p, '|');
        if (bar)
            *bar = '\0';
        if (!same_value(cell_at(b, 0, 0, i), p)) {
            printf("%s: header cell %zu is '%s', expected '%s'\n", file, i,
                   cell_at(b, 0, 0, i)->text, p);
            fail();
        }
        p = bar ? bar + 1 : p + strlen(p);
    }
    free(copy);
}

/*
 * Header overrides where openpyxl (the reader EXPECTED.tsv comes from) and
 * ECMA-376 part: ST_Xstring (Part 1, 22.9.2.19) says _xHHHH_ encodes the
 * UTF-16 code unit HHHH, so "_x000D_" is a carriage return and "_x0000_"
 * a NUL byte.  openpyxl keeps the escape text; SheetJS decodes it (the
 * READERS DISAGREE notes), as do we.
 */
static const struct {
    const char *file;
    const char *header;
} overrides[] = {
    /* "ABC_x000D_" + line feed + "DEF": CR LF, the LF shown as a space. */
    { "xlsx/calamine_has_x000D_.xlsx", "ABC\r DEF" },
    /* "_x0000_", a single NUL byte: test_x0000_is_nul checks it. */
    { "xlsx/rxw_optimize06.xlsx", NULL },
};

/* 1 and *header (NULL: checked elsewhere) when file has an override. */
static int override_of(const char *file, const char **header)
{
    size_t i;

    for (i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
        if (!strcmp(overrides[i].file, file)) {
            *header = overrides[i].header;
            return 1;
        }
    }
    return 0;
}

/* Read one corpus file and assert sheets, rows, cols and header. */
static void check_corpus_file(const char *shared, const char *file)
{
    const char *header = NULL;
    int has_override = override_of(file, &header);

    char path[4300];
    struct st_expect e;
    struct st_book b;
    struct socc_error err;
    struct buf got;

    assert_int_equal(st_expect_get(shared, file, &e), 0);
    snprintf(path, sizeof(path), "%s/corpus/%s", shared, file);
    if (read_path(path, &b, &err) != SOCC_OK) {
        printf("%s: %s\n", file, err.detail);
        fail();
    }
    buf_init(&got);
    join_sheets(&b, &got);
    if (strcmp(got.data, e.sheets) != 0)
        printf("%s: sheets '%s' expected '%s'\n", file, got.data, e.sheets);
    assert_string_equal(got.data, e.sheets);
    buf_reset(&got);
    join_rows(&b, &got);
    if (strcmp(got.data, e.rows) != 0)
        printf("%s: rows '%s' expected '%s'\n", file, got.data, e.rows);
    assert_string_equal(got.data, e.rows);
    assert_int_equal(max_cols(&b), strtoul(e.cols, NULL, 10));
    if (!has_override)
        header = e.header;
    if (header)
        check_header(&b, header, strtoul(e.cols, NULL, 10), file);
    buf_release(&got);
    st_book_free(&b);
    st_expect_free(&e);
}

/* First field of a line of EXPECTED.tsv, without an escaped tail. */
static const char *first_field(char *line)
{
    char *tab = strchr(line, '\t');

    if (!tab)
        return NULL;
    *tab = '\0';
    return st_tsv_clean_name(line);
}

static int corpus_xlsx_accept(const struct st_expect *e)
{
    return !strcmp(e->format, "xlsx") && !strcmp(e->verdict, "accept") &&
           strstr(e->note, "magic=zip/xlsx") &&
           (!strncmp(e->file, "xlsx/", 5) ||
            !strncmp(e->file, "security/", 9) ||
            !strncmp(e->file, "broken/", 7));
}

/* Each accepted .xlsx of the corpus, as EXPECTED.tsv lists them. */
static void test_corpus_accept(void **state)
{
    char path[4200], *line = NULL;
    const char *file;
    size_t cap = 0, n = 0;
    struct st_expect e;
    FILE *fp;

    (void)state;
    ST_NEED_SHARED(shared);
    snprintf(path, sizeof(path), "%s/corpus/EXPECTED.tsv", shared);
    fp = fopen(path, "r");
    assert_non_null(fp);
    while (getline(&line, &cap, fp) > 0) {
        if (!(file = first_field(line)) || st_expect_get(shared, file, &e))
            continue;
        if (corpus_xlsx_accept(&e)) {
            check_corpus_file(shared, e.file);
            n++;
        }
        st_expect_free(&e);
    }
    free(line);
    fclose(fp);
    assert_true(n >= 40);
}

/* Corpus files with a zip inside that are broken must be CORRUPTED. */
static void test_corpus_broken_zip(void **state)
{
    static const char *files[] = {
        "broken/poi_clusterfuzz-XLSX2CSV-5636439151607808.xlsx",
    };
    char path[4300];
    struct st_book b;
    struct socc_error err;
    struct st_expect e;
    size_t i;

    (void)state;
    ST_NEED_SHARED(shared);
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        assert_int_equal(st_expect_get(shared, files[i], &e), 0);
        assert_string_equal(e.verdict, "reject-corrupt");
        assert_non_null(strstr(e.note, "magic=zip"));
        snprintf(path, sizeof(path), "%s/corpus/%s", shared, files[i]);
        assert_int_equal(read_path(path, &b, &err), SOCC_E_CORRUPTED_FILE);
        assert_true(err.detail[0] != '\0');
        st_book_free(&b);
        st_expect_free(&e);
    }
}

/* Chartsheets are listed as sheets with no rows (SheetJS reads 3 rows
 * from the chart's cached series; those are chart data, not cells). */
static void test_corpus_chartsheet(void **state)
{
    char path[4300];
    struct st_book b;
    struct socc_error err;

    (void)state;
    ST_NEED_SHARED(shared);
    snprintf(path, sizeof(path), "%s/corpus/xlsx/poi_chart_sheet.xlsx",
             shared);
    assert_int_equal(read_path(path, &b, &err), SOCC_OK);
    assert_int_equal(b.nsheets, 4);
    assert_string_equal(b.sheets[2].name, "Chart1");
    assert_int_equal(b.sheets[2].nrows, 0);
    assert_int_equal(b.ended, 4);
    st_book_free(&b);
}

/* Hidden sheets are read like visible ones. */
static void test_corpus_hidden_sheet(void **state)
{
    char path[4300];
    struct st_book b;
    struct socc_error err;

    (void)state;
    ST_NEED_SHARED(shared);
    snprintf(path, sizeof(path),
             "%s/corpus/xlsx/poi_TwoSheetsOneHidden.xlsx", shared);
    assert_int_equal(read_path(path, &b, &err), SOCC_OK);
    assert_int_equal(b.nsheets, 2);
    assert_int_equal(b.sheets[1].nrows, 1);
    assert_string_equal(st_cell(&b, 1, 0, 0), "Sheet2A1");
    st_book_free(&b);
}

/* ECMA-376 ST_Xstring: _x0000_ is U+0000, passed as one NUL byte. */
static void test_x0000_is_nul(void **state)
{
    char path[4300];
    struct st_book b;
    struct socc_error err;
    const struct st_cell *c;

    (void)state;
    ST_NEED_SHARED(shared);
    snprintf(path, sizeof(path), "%s/corpus/xlsx/rxw_optimize06.xlsx",
             shared);
    assert_int_equal(read_path(path, &b, &err), SOCC_OK);
    c = cell_at(&b, 0, 0, 0);
    assert_int_equal(c->len, 1);
    assert_int_equal(c->text[0], '\0');
    assert_int_equal(c->kind, ROW_CELL_STRING);
    assert_int_equal(cell_at(&b, 0, 1, 0)->text[0], '\x01');
    st_book_free(&b);
}

static void read_corpus(const char *shared, const char *file,
                        struct st_book *b)
{
    char path[4300];
    struct socc_error err;

    snprintf(path, sizeof(path), "%s/corpus/%s", shared, file);
    assert_int_equal(read_path(path, b, &err), SOCC_OK);
}

/*
 * Where EXPECTED.tsv says READERS DISAGREE, what ECMA-376 says:
 * - 1904 workbooks (calamine_date_1904, sheetjs_1904): workbookPr
 *   date1904 (Part 1, 18.2.28) moves serial 0 to 1904-01-01, so serial 1
 *   is 1904-01-02 as openpyxl says; SheetJS's 1899-12-31 ignores it.
 * - rxw_formula_results01: <v> under <f> is the cached result (18.3.1.96),
 *   so strings, booleans and errors from formulas are values: 11 data
 *   rows as openpyxl counts, not SheetJS's 3.
 * - Strict files (poi_SampleSS.strict, calamine_strict_iso_paths): the
 *   purl.oclc.org namespaces are the same vocabulary (Part 1, Strict
 *   conformance); openpyxl lists no sheets, SheetJS and we read them all.
 * - poi_xlsx-corrupted: _rels/.rels is not XML; we fall back to
 *   xl/workbook.xml with a warning, as openpyxl and SheetJS do.
 * - _x000D_ / _x0000_ escapes and chartsheets: see their own tests.
 */
static void test_readers_disagree(void **state)
{
    struct st_book b;

    (void)state;
    ST_NEED_SHARED(shared);
    read_corpus(shared, "xlsx/sheetjs_1904.xlsx", &b);
    assert_cell(&b, 0, 1, ROW_CELL_DATE, "1904-01-02");
    st_book_free(&b);
    read_corpus(shared, "xlsx/calamine_date_1904.xlsx", &b);
    assert_cell(&b, 0, 0, ROW_CELL_DATE, "2021-01-01");
    st_book_free(&b);
    read_corpus(shared, "xlsx/rxw_formula_results01.xlsx", &b);
    assert_int_equal(b.sheets[0].nrows, 12);
    assert_cell(&b, 1, 0, ROW_CELL_STRING, "Foo");
    assert_cell(&b, 2, 0, ROW_CELL_BOOL, "true");
    assert_cell(&b, 6, 0, ROW_CELL_ERROR, "#NAME?");
    st_book_free(&b);
    read_corpus(shared, "xlsx/poi_SampleSS.strict.xlsx", &b);
    assert_int_equal(b.nsheets, 3);
    assert_string_equal(st_cell(&b, 1, 4, 3), "13");
    st_book_free(&b);
    read_corpus(shared, "broken/poi_xlsx-corrupted.xlsx", &b);
    assert_int_equal(b.warnings, 1);
    assert_string_equal(st_cell(&b, 0, 0, 1), "DOCTYPE");
    st_book_free(&b);
}

/* ---- cases ----------------------------------------------------------- */

static void read_case(const char *shared, const char *rel,
                      struct st_book *b, enum socc_err want)
{
    char path[4300];
    struct socc_error err;
    enum socc_err rc;

    snprintf(path, sizeof(path), "%s/cases/%s", shared, rel);
    rc = read_path(path, b, &err);
    if (rc != want)
        printf("%s: %s %s\n", rel, socc_err_name(rc), err.detail);
    assert_int_equal(rc, want);
}

static void assert_row(const struct st_book *b, size_t r, uint32_t num,
                       const char *const *cells, size_t n)
{
    size_t i;

    assert_true(r < b->sheets[0].nrows);
    assert_int_equal(b->sheets[0].rows[r].row_num, num);
    for (i = 0; i < n; i++)
        assert_string_equal(st_cell(b, 0, r, i), cells[i]);
}

static void test_case_001_inline_strings(void **state)
{
    static const char *r1[] = { "host", "severity", "finding" };
    static const char *r3[] = { "db-02.corp.example", "Low", "Weak cipher" };
    struct st_book b;

    (void)state;
    ST_NEED_SHARED(shared);
    read_case(shared, "001-inline-strings/inline_strings.xlsx", &b, SOCC_OK);
    assert_string_equal(b.sheets[0].name, "Findings");
    assert_int_equal(b.sheets[0].nrows, 3);
    assert_row(&b, 0, 1, r1, 3);
    assert_row(&b, 2, 3, r3, 3);
    assert_string_equal(st_cell(&b, 0, 1, 2), "TLS 1.0 enabled");
    st_book_free(&b);
}

static void test_case_002_wrong_dimension(void **state)
{
    static const char *r4[] = { "1003", "10.0.1.17", "12" };
    struct st_book b;

    (void)state;
    ST_NEED_SHARED(shared);
    read_case(shared, "002-wrong-dimension/dimension_a1_only.xlsx", &b,
              SOCC_OK);
    assert_int_equal(b.sheets[0].nrows, 4);
    assert_string_equal(st_cell(&b, 0, 0, 2), "open_ports");
    assert_row(&b, 3, 4, r4, 3);
    assert_int_equal(b.sheets[0].rows[3].cells[0].kind, ROW_CELL_NUMBER);
    assert_int_equal(b.sheets[0].rows[3].cells[1].kind, ROW_CELL_STRING);
    assert_int_equal(b.sheets[0].rows[3].cells[2].kind, ROW_CELL_NUMBER);
    st_book_free(&b);
}

static void test_case_004_rich_runs(void **state)
{
    struct st_book b;

    (void)state;
    ST_NEED_SHARED(shared);
    read_case(shared, "004-rich-text-shared-strings/rich_runs.xlsx", &b,
              SOCC_OK);
    assert_int_equal(b.sheets[0].nrows, 4);
    assert_string_equal(st_cell(&b, 0, 1, 0), "admin_ops");
    assert_string_equal(st_cell(&b, 0, 1, 1), "login failed");
    assert_string_equal(st_cell(&b, 0, 2, 0), "svc backup");
    assert_string_equal(st_cell(&b, 0, 2, 1), "password changed");
    assert_string_equal(st_cell(&b, 0, 3, 0), "alice");
    assert_string_equal(st_cell(&b, 0, 3, 1), "login failed");
    st_book_free(&b);
}

/* 1904 system: serial 0 is 1904-01-01.  B2 and B5 use numFmt 14 (a date
 * with no time part), so they are plain dates; B4 is a date-time. */
static void test_case_005_date1904(void **state)
{
    struct st_book b;

    (void)state;
    ST_NEED_SHARED(shared);
    read_case(shared, "005-date1904/mac_1904.xlsx", &b, SOCC_OK);
    assert_int_equal(b.sheets[0].nrows, 5);
    assert_cell(&b, 1, 1, ROW_CELL_DATE, "1904-01-01");
    assert_cell(&b, 2, 1, ROW_CELL_DATE, "2024-01-01");
    assert_cell(&b, 3, 1, ROW_CELL_DATE, "2024-01-01T18:00:00");
    assert_cell(&b, 4, 1, ROW_CELL_DATE, "1908-01-02");
    st_book_free(&b);
}

static void test_case_008_zip_bombs(void **state)
{
    struct st_book b;
    struct socc_error err;
    char path[4300];

    (void)state;
    ST_NEED_SHARED(shared);
    snprintf(path, sizeof(path), "%s/cases/008-zip-bomb-xlsx/ratio_bomb.xlsx",
             shared);
    assert_int_equal(read_path(path, &b, &err), SOCC_E_LIMIT_EXCEEDED);
    assert_non_null(strstr(err.detail, "zip bomb"));
    st_book_free(&b);
    /* The header says 230 bytes: inflating past them is a lie. */
    snprintf(path, sizeof(path),
             "%s/cases/008-zip-bomb-xlsx/lying_sizes.xlsx", shared);
    assert_int_equal(read_path(path, &b, &err), SOCC_E_CORRUPTED_FILE);
    assert_non_null(strstr(err.detail, "declares"));
    st_book_free(&b);
}

static void test_case_017_rows_out_of_order(void **state)
{
    static const char *r3[] = { "CVE-2024-0003", "openssl", "7.5" };
    static const char *r1[] = { "cve", "package", "cvss" };
    static const char *r2[] = { "CVE-2024-0002", "log4j", "9.8" };
    struct st_book b;

    (void)state;
    ST_NEED_SHARED(shared);
    read_case(shared, "017-rows-out-of-order/unordered.xlsx", &b, SOCC_OK);
    assert_int_equal(b.sheets[0].nrows, 3);
    /* File order, each with its real row number. */
    assert_row(&b, 0, 3, r3, 3);
    assert_row(&b, 1, 1, r1, 3);
    assert_row(&b, 2, 2, r2, 3);
    st_book_free(&b);
}

static void test_case_030_truncated_and_bitflip(void **state)
{
    struct st_book b;

    (void)state;
    ST_NEED_SHARED(shared);
    read_case(shared, "030-truncated-corrupt-xlsx/truncated.xlsx", &b,
              SOCC_E_CORRUPTED_FILE);
    assert_int_equal(b.nsheets, 0);
    st_book_free(&b);
    read_case(shared, "030-truncated-corrupt-xlsx/bitflip.xlsx", &b,
              SOCC_E_CORRUPTED_FILE);
    st_book_free(&b);
}

/* Raw rows: finding the header at row 4 is the header layer's job. */
static void test_case_032_title_rows(void **state)
{
    static const char *r4[] = { "Host", "Plugin ID", "Severity", "Name" };
    static const char *r7[] = { "10.1.2.5", "10003", "Info",
                                "OS identification" };
    struct st_book b;

    (void)state;
    ST_NEED_SHARED(shared);
    read_case(shared, "032-title-rows-before-header/scan_report.xlsx", &b,
              SOCC_OK);
    assert_int_equal(b.sheets[0].nrows, 6);
    assert_int_equal(b.sheets[0].rows[0].row_num, 1);
    assert_string_equal(st_cell(&b, 0, 0, 0),
                        "Weekly Vulnerability Scan Report");
    assert_int_equal(b.sheets[0].rows[1].row_num, 2);
    assert_row(&b, 2, 4, r4, 4);
    assert_row(&b, 5, 7, r7, 4);
    assert_int_equal(b.sheets[0].rows[5].cells[1].kind, ROW_CELL_NUMBER);
    st_book_free(&b);
}

static void test_case_034_cached_values(void **state)
{
    struct st_book b;

    (void)state;
    ST_NEED_SHARED(shared);
    read_case(shared, "034-formulas-bools-errors/cached_values.xlsx", &b,
              SOCC_OK);
    assert_int_equal(b.sheets[0].nrows, 4);
    assert_cell(&b, 1, 2, ROW_CELL_NUMBER, "5");
    assert_cell(&b, 1, 3, ROW_CELL_BOOL, "true");
    assert_cell(&b, 1, 4, ROW_CELL_ERROR, "#DIV/0!");
    assert_cell(&b, 1, 5, ROW_CELL_STRING, "id-2");
    assert_cell(&b, 2, 1, ROW_CELL_NUMBER, "0.5");
    assert_cell(&b, 2, 2, ROW_CELL_NUMBER, "10.5");
    assert_cell(&b, 2, 3, ROW_CELL_BOOL, "false");
    assert_cell(&b, 2, 4, ROW_CELL_NUMBER, "20");
    assert_cell(&b, 3, 0, ROW_CELL_NUMBER, "-1");
    assert_cell(&b, 3, 2, ROW_CELL_NUMBER, "0");
    assert_cell(&b, 3, 4, ROW_CELL_ERROR, "#N/A");
    /* F4's cached result is "": an empty cell, so the row ends at E. */
    assert_int_equal(b.sheets[0].rows[3].ncells, 5);
    st_book_free(&b);
}

/* ---- hand-built workbooks: guards ------------------------------------ */

static void test_doctype_refused(void **state)
{
    struct st_book b;
    struct socc_error err;
    const char *sst =
        "<?xml version=\"1.0\"?><!DOCTYPE sst [<!ENTITY a \"aaaaaaaaaa\">"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
        "<sst><si><t>&b;</t></si></sst>";

    (void)state;
    assert_int_equal(run_sheet(NULL, "<row r=\"1\"><c r=\"A1\" t=\"s\">"
                                     "<v>0</v></c></row>",
                               NULL, sst, NULL, &b, &err),
                     SOCC_E_CORRUPTED_FILE);
    assert_non_null(strstr(err.detail, "DOCTYPE"));
    assert_non_null(strstr(err.detail, "sharedStrings.xml"));
    st_book_free(&b);
}

/* An external entity in the sheet itself: refused at the doctype, before
 * any entity could be declared or resolved. */
static void test_entity_refused(void **state)
{
    static const char *sheet =
        "<?xml version=\"1.0\"?><!DOCTYPE worksheet [<!ENTITY x SYSTEM "
        "\"file:///etc/passwd\">]><worksheet><sheetData><row r=\"1\">"
        "<c r=\"A1\" t=\"inlineStr\"><is><t>&x;</t></is></c></row>"
        "</sheetData></worksheet>";
    struct part p[] = {
        { "_rels/.rels", root_rels, 0 },
        { "xl/workbook.xml", WB_HEAD WB_SHEETS, 0 },
        { "xl/_rels/workbook.xml.rels", wb_rels, 0 },
        { "xl/worksheets/sheet1.xml", sheet, 0 },
    };
    struct st_book b;
    struct socc_error err;
    const char *path = build(p, 4);

    (void)state;
    assert_int_equal(read_path(path, &b, &err), SOCC_E_CORRUPTED_FILE);
    assert_non_null(strstr(err.detail, "refused"));
    assert_int_equal(b.sheets[0].nrows, 0);
    unlink(path);
    st_book_free(&b);
}

/* Spaces compress about 1000:1: past 1 MiB that is a bomb, below it not. */
static char *spaces_row(size_t n)
{
    char *s = malloc(n + 64);

    memset(s, ' ', n);
    strcpy(s + n, "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>");
    return s;
}

static void test_ratio_bomb(void **state)
{
    struct st_book b;
    struct socc_error err;
    char *rows = spaces_row(3u << 20);

    (void)state;
    assert_int_equal(run_sheet(NULL, rows, NULL, NULL, NULL, &b, &err),
                     SOCC_E_LIMIT_EXCEEDED);
    assert_non_null(strstr(err.detail, "compressed size"));
    st_book_free(&b);
    free(rows);
    rows = spaces_row(900u << 10);
    assert_int_equal(run_sheet(NULL, rows, NULL, NULL, NULL, &b, &err),
                     SOCC_OK);
    assert_string_equal(st_cell(&b, 0, 0, 0), "1");
    st_book_free(&b);
    free(rows);
}

static void test_total_inflated_limit(void **state)
{
    struct row_limits lim;
    struct st_book b;
    struct socc_error err;
    char *rows = spaces_row(20000);

    (void)state;
    row_limits_default(&lim);
    lim.max_inflated = 10000;
    assert_int_equal(run_sheet(NULL, rows, NULL, NULL, &lim, &b, &err),
                     SOCC_E_LIMIT_EXCEEDED);
    assert_non_null(strstr(err.detail, "10000 bytes"));
    st_book_free(&b);
    free(rows);
}

static char *long_cell(const char *unit, size_t count)
{
    struct buf b;
    size_t i;

    buf_init(&b);
    buf_adds(&b, "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>");
    for (i = 0; i < count; i++)
        buf_adds(&b, unit);
    buf_adds(&b, "</t></is></c></row>");
    return buf_detach(&b);
}

/* 32767 characters fit, counted as code points, not bytes. */
static void test_cell_length_limit(void **state)
{
    struct st_book b;
    struct socc_error err;
    char *rows = long_cell("a", 32768);

    (void)state;
    assert_int_equal(run_sheet(NULL, rows, NULL, NULL, NULL, &b, &err),
                     SOCC_E_LIMIT_EXCEEDED);
    assert_non_null(strstr(err.detail, "32767 characters"));
    st_book_free(&b);
    free(rows);
    rows = long_cell("\xc3\xa9", 32767);
    assert_int_equal(run_sheet(NULL, rows, NULL, NULL, NULL, &b, &err),
                     SOCC_OK);
    assert_int_equal(b.sheets[0].rows[0].cells[0].len, 2 * 32767);
    st_book_free(&b);
    free(rows);
}

static void test_column_limit(void **state)
{
    struct st_book b;
    struct socc_error err;

    (void)state;
    assert_int_equal(run_sheet(NULL, "<row r=\"1\"><c r=\"XFD1\"><v>7</v>"
                                     "</c></row>",
                               NULL, NULL, NULL, &b, &err),
                     SOCC_OK);
    assert_int_equal(b.sheets[0].rows[0].ncells, 16384);
    assert_string_equal(st_cell(&b, 0, 0, 16383), "7");
    assert_int_equal(b.sheets[0].rows[0].cells[0].kind, ROW_CELL_EMPTY);
    st_book_free(&b);
    assert_int_equal(run_sheet(NULL, "<row r=\"1\"><c r=\"XFE1\"><v>7</v>"
                                     "</c></row>",
                               NULL, NULL, NULL, &b, &err),
                     SOCC_E_LIMIT_EXCEEDED);
    assert_non_null(strstr(err.detail, "XFE1"));
    st_book_free(&b);
}

static void test_row_limit(void **state)
{
    struct row_limits lim;
    struct st_book b;
    struct socc_error err;

    (void)state;
    row_limits_default(&lim);
    lim.max_rows = 2;
    assert_int_equal(run_sheet(NULL, "<row><c><v>1</v></c></row>"
                                     "<row><c><v>2</v></c></row>"
                                     "<row><c><v>3</v></c></row>",
                               NULL, NULL, &lim, &b, &err),
                     SOCC_E_LIMIT_EXCEEDED);
    st_book_free(&b);
    assert_int_equal(run_sheet(NULL, "<row r=\"1048577\"><c><v>1</v></c>"
                                     "</row>",
                               NULL, NULL, NULL, &b, &err),
                     SOCC_E_LIMIT_EXCEEDED);
    st_book_free(&b);
}

/* ---- hand-built workbooks: dates ------------------------------------- */

static enum socc_err date_sheet(const char *wb, const char *numfmts,
                                uint32_t id, const char *const *vals,
                                size_t n, struct st_book *b)
{
    struct socc_error err;
    struct buf rows;
    uint32_t ids[2] = { 0, id };
    char *styles = styles_xml(numfmts, ids, 2);
    enum socc_err rc;
    size_t i;

    buf_init(&rows);
    for (i = 0; i < n; i++)
        buf_printf(&rows, "<row r=\"%zu\"><c r=\"A%zu\" s=\"1\"><v>%s</v>"
                          "</c></row>", i + 1, i + 1, vals[i]);
    rc = run_sheet(wb, rows.data, styles, NULL, NULL, b, &err);
    if (rc != SOCC_OK)
        printf("%s\n", err.detail);
    buf_release(&rows);
    free(styles);
    return rc;
}

/* 1900 system: 1900 counted as a leap year (serial 60 is 1900-02-29). */
static void test_dates_1900_leap_quirk(void **state)
{
    static const char *v[] = { "1", "59", "60", "61", "45000", "0" };
    struct st_book b;

    (void)state;
    assert_int_equal(date_sheet(NULL, NULL, 14, v, 6, &b), SOCC_OK);
    assert_cell(&b, 0, 0, ROW_CELL_DATE, "1900-01-01");
    assert_cell(&b, 1, 0, ROW_CELL_DATE, "1900-02-28");
    /* Excel shows 1900-02-29, a day that never existed: kept as that
     * text, but as a string, since it is no valid ISO date. */
    assert_cell(&b, 2, 0, ROW_CELL_STRING, "1900-02-29");
    assert_cell(&b, 3, 0, ROW_CELL_DATE, "1900-03-01");
    assert_cell(&b, 4, 0, ROW_CELL_DATE, "2023-03-15");
    assert_cell(&b, 5, 0, ROW_CELL_DATE, "1899-12-31");
    st_book_free(&b);
}

static void test_dates_1904(void **state)
{
    static const char *v[] = { "0", "1462", "43830.75", "-1" };
    struct st_book b;

    (void)state;
    assert_int_equal(date_sheet(wb_1904, NULL, 22, v, 4, &b), SOCC_OK);
    assert_cell(&b, 0, 0, ROW_CELL_DATE, "1904-01-01T00:00:00");
    assert_cell(&b, 1, 0, ROW_CELL_DATE, "1908-01-02T00:00:00");
    assert_cell(&b, 2, 0, ROW_CELL_DATE, "2024-01-01T18:00:00");
    /* Negative serials are no date (Excel shows ####): kept as numbers. */
    assert_cell(&b, 3, 0, ROW_CELL_NUMBER, "-1");
    st_book_free(&b);
}

static void test_time_formats(void **state)
{
    static const char *v[] = { "0.5", "0.99999999", "45000.25" };
    static const char *e[] = { "1.5", "0.0417" };
    struct st_book b;

    (void)state;
    assert_int_equal(date_sheet(NULL, NULL, 21, v, 3, &b), SOCC_OK);
    assert_cell(&b, 0, 0, ROW_CELL_DATE, "12:00:00");
    /* Kept to the millisecond, not rounded into the next day. */
    assert_cell(&b, 1, 0, ROW_CELL_DATE, "23:59:59.999");
    /* A time format over a value with a date keeps the date. */
    assert_cell(&b, 2, 0, ROW_CELL_DATE, "2023-03-15T06:00:00");
    st_book_free(&b);
    assert_int_equal(date_sheet(NULL, NULL, 22, v, 3, &b), SOCC_OK);
    /* serial 0 is Excel's "1900-01-00", the day before 1900-01-01 */
    assert_cell(&b, 1, 0, ROW_CELL_DATE, "1899-12-31T23:59:59.999");
    assert_cell(&b, 2, 0, ROW_CELL_DATE, "2023-03-15T06:00:00");
    st_book_free(&b);
    /* Elapsed [h]:mm:ss keeps counting hours past a day. */
    assert_int_equal(date_sheet(NULL, NULL, 46, e, 2, &b), SOCC_OK);
    assert_cell(&b, 0, 0, ROW_CELL_DATE, "36:00:00");
    assert_cell(&b, 1, 0, ROW_CELL_DATE, "01:00:02.880");
    st_book_free(&b);
}

static void test_custom_formats(void **state)
{
    static const char *v[] = { "45000.75" };
    struct st_book b;

    (void)state;
    assert_int_equal(date_sheet(NULL, "<numFmt numFmtId=\"164\" "
                                      "formatCode=\"yyyy-mm-dd hh:mm\"/>",
                                164, v, 1, &b),
                     SOCC_OK);
    assert_cell(&b, 0, 0, ROW_CELL_DATE, "2023-03-15T18:00:00");
    st_book_free(&b);
    assert_int_equal(date_sheet(NULL, "<numFmt numFmtId=\"164\" "
                                      "formatCode=\"0.00\"/>",
                                164, v, 1, &b),
                     SOCC_OK);
    assert_cell(&b, 0, 0, ROW_CELL_NUMBER, "45000.75");
    st_book_free(&b);
    /* A custom format may replace a built-in id. */
    assert_int_equal(date_sheet(NULL, "<numFmt numFmtId=\"14\" "
                                      "formatCode=\"#,##0.0\"/>",
                                14, v, 1, &b),
                     SOCC_OK);
    assert_cell(&b, 0, 0, ROW_CELL_NUMBER, "45000.75");
    st_book_free(&b);
}

static void test_classify_format_codes(void **state)
{
    static const struct {
        const char *code;
        enum xlsx_styles_fmt want;
    } t[] = {
        { "0.00", XLSX_STYLES_NUMBER },
        { "#,##0.00 \"days\"", XLSX_STYLES_NUMBER },
        { "0.00E+00", XLSX_STYLES_NUMBER },
        { "General", XLSX_STYLES_NUMBER },
        { "[Red]#,##0;[Blue]-#,##0", XLSX_STYLES_NUMBER },
        { "\"$\"#,##0_);(\"$\"#,##0)", XLSX_STYLES_NUMBER },
        { "\\d0", XLSX_STYLES_NUMBER },
        { "@", XLSX_STYLES_NUMBER },
        { "yyyy-mm-dd", XLSX_STYLES_DATE },
        { "d/m/yy;@", XLSX_STYLES_DATE },
        { "[$-409]mmmm d, yyyy", XLSX_STYLES_DATE },
        { "mmm-yy", XLSX_STYLES_DATE },
        { "yyyy-mm-dd hh:mm", XLSX_STYLES_DATETIME },
        { "m/d/yyyy h:mm AM/PM", XLSX_STYLES_DATETIME },
        { "h:mm", XLSX_STYLES_TIME },
        { "mm:ss", XLSX_STYLES_TIME },
        { "h:mm AM/PM", XLSX_STYLES_TIME },
        { "[h]:mm", XLSX_STYLES_ELAPSED },
        { "[mm]:ss", XLSX_STYLES_ELAPSED },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (xlsx_styles_classify(t[i].code, strlen(t[i].code)) != t[i].want)
            printf("format '%s'\n", t[i].code);
        assert_int_equal(xlsx_styles_classify(t[i].code, strlen(t[i].code)),
                         t[i].want);
    }
    assert_int_equal(xlsx_styles_builtin(14), XLSX_STYLES_DATE);
    assert_int_equal(xlsx_styles_builtin(22), XLSX_STYLES_DATETIME);
    assert_int_equal(xlsx_styles_builtin(20), XLSX_STYLES_TIME);
    assert_int_equal(xlsx_styles_builtin(46), XLSX_STYLES_ELAPSED);
    assert_int_equal(xlsx_styles_builtin(57), XLSX_STYLES_DATE);
    assert_int_equal(xlsx_styles_builtin(2), XLSX_STYLES_NUMBER);
    assert_int_equal(xlsx_styles_builtin(49), XLSX_STYLES_NUMBER);
}

/* ---- hand-built workbooks: cells --------------------------------------- */

static void test_numbers_json(void **state)
{
    static const struct {
        const char *in, *out;
    } t[] = {
        { "42", "42" }, { "-1.5", "-1.5" }, { "1.5E+20", "1.5E+20" },
        { "1e-07", "1e-07" }, { "+3", "3" }, { ".5", "0.5" },
        { "-.25", "-0.25" }, { "5.", "5" }, { " 7 ", "7" },
        { "007", "7" }, { "0.000", "0.000" }, { ".000", "0" },
        { "1E+020", "1e20" },
        { "1e308", "1e308" },
    };
    static const char *bad[] = { "NaN", "INF", "-", "1,5", "1e", "0x10",
                                 "1e999", "2e308", "." };
    struct buf out;
    size_t i;
    int changed;

    (void)state;
    buf_init(&out);
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_int_equal(xlsx_number_norm(t[i].in, strlen(t[i].in), &out,
                                          &changed), 0);
        assert_string_equal(changed ? out.data : t[i].in, t[i].out);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(xlsx_number_norm(bad[i], strlen(bad[i]), &out,
                                          &changed), -1);
    buf_release(&out);
    assert_true(fabs(xlsx_number_value("43830.75", 8) - 43830.75) < 1e-9);
    assert_true(fabs(xlsx_number_value("-1.5e-3", 7) + 0.0015) < 1e-15);
}

static void test_cell_types(void **state)
{
    struct st_book b;
    struct socc_error err;

    (void)state;
    assert_int_equal(
        run_sheet(NULL,
                  "<row r=\"1\"><c r=\"A1\" t=\"b\"><v>1</v></c>"
                  "<c r=\"B1\" t=\"e\"><f>NA()</f><v>#N/A</v></c>"
                  "<c r=\"C1\" t=\"str\"><f>A1&amp;\"x\"</f><v>TRUEx</v></c>"
                  "<c r=\"D1\"><v>NaN</v></c>"
                  "<c r=\"E1\" t=\"d\"><v>2024-03-01T13:45:00Z</v></c>"
                  "<c r=\"F1\" t=\"inlineStr\"><is><t><![CDATA[a<b]]></t>"
                  "</is></c><c r=\"G1\" s=\"0\"/></row>",
                  NULL, NULL, NULL, &b, &err),
        SOCC_OK);
    assert_cell(&b, 0, 0, ROW_CELL_BOOL, "true");
    assert_cell(&b, 0, 1, ROW_CELL_ERROR, "#N/A");
    assert_cell(&b, 0, 2, ROW_CELL_STRING, "TRUEx");
    assert_cell(&b, 0, 3, ROW_CELL_STRING, "NaN");
    assert_cell(&b, 0, 4, ROW_CELL_DATE, "2024-03-01T13:45:00");
    assert_cell(&b, 0, 5, ROW_CELL_STRING, "a<b");
    assert_int_equal(b.sheets[0].rows[0].ncells, 6);
    st_book_free(&b);
}

static void test_shared_strings(void **state)
{
    static const char *sst =
        "<?xml version=\"1.0\"?><sst count=\"99\" uniqueCount=\"1\">"
        "<si><t>plain</t></si>"
        "<si><r><t xml:space=\"preserve\">ri</t></r><r><rPr><b/></rPr>"
        "<t>ch</t></r><rPh sb=\"0\" eb=\"1\"><t>PHON</t></rPh></si>"
        "<si><t>a_x000D__x000A_b_x005F_x0041_</t></si>"
        "<si><t>_xD83D__xDE00_</t></si><si><t/></si></sst>";
    struct st_book b;
    struct socc_error err;

    (void)state;
    assert_int_equal(
        run_sheet(NULL,
                  "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c>"
                  "<c r=\"B2\" t=\"s\"><v>1</v></c><c r=\"C2\" t=\"s\">"
                  "<v>2</v></c><c r=\"D2\" t=\"s\"><v>3</v></c>"
                  "<c r=\"E2\" t=\"s\"><v>4</v></c></row>",
                  NULL, sst, NULL, &b, &err),
        SOCC_OK);
    assert_int_equal(b.sheets[0].rows[0].row_num, 2);
    assert_string_equal(st_cell(&b, 0, 0, 0), "plain");
    assert_string_equal(st_cell(&b, 0, 0, 1), "rich");
    assert_string_equal(st_cell(&b, 0, 0, 2), "a\r\nb_x0041_");
    assert_string_equal(st_cell(&b, 0, 0, 3), "\xF0\x9F\x98\x80");
    assert_int_equal(b.sheets[0].rows[0].ncells, 4);
    st_book_free(&b);
    /* An index past the table is a broken file. */
    assert_int_equal(run_sheet(NULL, "<row><c t=\"s\"><v>5</v></c></row>",
                               NULL, sst, NULL, &b, &err),
                     SOCC_E_CORRUPTED_FILE);
    st_book_free(&b);
}

static void test_missing_shared_strings(void **state)
{
    struct st_book b;
    struct socc_error err;

    (void)state;
    assert_int_equal(run_sheet(NULL, "<row r=\"1\"><c r=\"A1\"><v>3</v></c>"
                                     "</row>",
                               NULL, NULL, NULL, &b, &err),
                     SOCC_OK);
    assert_cell(&b, 0, 0, ROW_CELL_NUMBER, "3");
    st_book_free(&b);
    assert_int_equal(run_sheet(NULL, "<row r=\"1\"><c r=\"A1\" t=\"s\">"
                                     "<v>0</v></c></row>",
                               NULL, NULL, NULL, &b, &err),
                     SOCC_E_CORRUPTED_FILE);
    assert_non_null(strstr(err.detail, "shared string"));
    st_book_free(&b);
}

/* Rows and cells without r count on from the previous ones; empty rows
 * are not passed. */
static void test_rows_without_r(void **state)
{
    struct st_book b;
    struct socc_error err;

    (void)state;
    assert_int_equal(
        run_sheet(NULL,
                  "<row><c><v>1</v></c><c><v>2</v></c></row>"
                  "<row><c r=\"C2\"><v>3</v></c><c><v>4</v></c></row>"
                  "<row/><row r=\"7\"><c t=\"inlineStr\"><is><t>x</t></is>"
                  "</c></row><row><c r=\"B8\"/><c><v>5</v></c></row>",
                  NULL, NULL, NULL, &b, &err),
        SOCC_OK);
    assert_int_equal(b.sheets[0].nrows, 4);
    assert_int_equal(b.sheets[0].rows[0].row_num, 1);
    assert_string_equal(st_cell(&b, 0, 0, 1), "2");
    assert_int_equal(b.sheets[0].rows[1].row_num, 2);
    assert_string_equal(st_cell(&b, 0, 1, 2), "3");
    assert_string_equal(st_cell(&b, 0, 1, 3), "4");
    assert_int_equal(b.sheets[0].rows[2].row_num, 7);
    assert_int_equal(b.sheets[0].rows[3].row_num, 8);
    assert_string_equal(st_cell(&b, 0, 3, 2), "5");
    assert_int_equal(b.sheets[0].rows[3].ncells, 3);
    st_book_free(&b);
}

/* Prefixed elements, a workbook outside xl/, absolute and ../ targets. */
static void test_prefixes_and_targets(void **state)
{
    static const char *rels =
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/"
        "2006/relationships\"><Relationship Id=\"a\" Type=\"http://purl."
        "oclc.org/ooxml/officeDocument/relationships/officeDocument\" "
        "Target=\"/book/main.xml\"/></Relationships>";
    static const char *wrels =
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/"
        "2006/relationships\"><Relationship Id=\"s2\" Type=\"http://purl."
        "oclc.org/ooxml/officeDocument/relationships/worksheet\" "
        "Target=\"../data/two.xml\"/><Relationship Id=\"s1\" Type=\"x/"
        "worksheet\" Target=\"/data/one.xml\"/></Relationships>";
    static const char *wb =
        "<x:workbook xmlns:x=\"http://purl.oclc.org/ooxml/spreadsheetml/"
        "main\" xmlns:q=\"http://purl.oclc.org/ooxml/officeDocument/"
        "relationships\"><x:sheets><x:sheet name=\"First\" q:id=\"s1\"/>"
        "<x:sheet name=\"Hidden\" state=\"hidden\" q:id=\"s2\"/>"
        "</x:sheets></x:workbook>";
    static const char *one =
        "<x:worksheet xmlns:x=\"http://purl.oclc.org/ooxml/spreadsheetml/"
        "main\"><x:sheetData><x:row x:r=\"1\"><x:c r=\"B1\" t=\"inlineStr\">"
        "<x:is><x:r><x:t>p</x:t></x:r><x:r><x:t>q</x:t></x:r></x:is></x:c>"
        "</x:row></x:sheetData></x:worksheet>";
    static const char *two =
        "<worksheet><sheetData><row><c><v>2</v></c></row></sheetData>"
        "</worksheet>";
    struct part p[] = {
        { "_rels/.rels", rels, 0 }, { "book/main.xml", wb, 0 },
        { "book/_rels/main.xml.rels", wrels, 0 },
        { "data/one.xml", one, 0 }, { "data/two.xml", two, 0 },
    };
    struct st_book b;
    struct socc_error err;
    const char *path = build(p, 5);

    (void)state;
    assert_int_equal(read_path(path, &b, &err), SOCC_OK);
    unlink(path);
    assert_int_equal(b.nsheets, 2);
    assert_string_equal(b.sheets[0].name, "First");
    assert_string_equal(st_cell(&b, 0, 0, 1), "pq");
    assert_string_equal(b.sheets[1].name, "Hidden");
    assert_string_equal(st_cell(&b, 1, 0, 0), "2");
    st_book_free(&b);
}

static void test_broken_inputs(void **state)
{
    static const char junk[] = "PK\x03\x04 this is not really a zip";
    struct part nowb[] = { { "_rels/.rels", root_rels, 0 } };
    struct row_limits lim;
    struct st_book b;
    struct socc_error err;
    struct row_sink sink = st_sink(&b);
    const char *path;

    (void)state;
    row_limits_default(&lim);
    assert_int_equal(xlsx_reader_run_mem(junk, sizeof(junk), &lim, &sink,
                                         &err),
                     SOCC_E_CORRUPTED_FILE);
    assert_int_equal(xlsx_reader_run_mem(junk, 0, &lim, &sink, &err),
                     SOCC_E_CORRUPTED_FILE);
    path = build(nowb, 1);
    assert_int_equal(read_path(path, &b, &err), SOCC_E_CORRUPTED_FILE);
    assert_non_null(strstr(err.detail, "missing part"));
    unlink(path);
    st_book_free(&b);
    assert_int_equal(run_sheet(NULL, "<row><c><v>1</v></c>", NULL, NULL,
                               NULL, &b, &err),
                     SOCC_E_CORRUPTED_FILE);
    assert_non_null(strstr(err.detail, "bad xml"));
    st_book_free(&b);
    assert_int_equal(run_sheet(NULL, "<row r=\"x\"><c><v>1</v></c></row>",
                               NULL, NULL, NULL, &b, &err),
                     SOCC_E_CORRUPTED_FILE);
    st_book_free(&b);
}

/* The in-memory entry point reads what the file one reads. */
static void test_run_mem(void **state)
{
    struct row_limits lim;
    struct st_book b;
    struct socc_error err;
    struct row_sink sink = st_sink(&b);
    char path[4300], *data;
    long n;
    FILE *fp;

    (void)state;
    ST_NEED_SHARED(shared);
    snprintf(path, sizeof(path), "%s/cases/001-inline-strings/"
             "inline_strings.xlsx", shared);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    data = malloc((size_t)n);
    assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    row_limits_default(&lim);
    assert_int_equal(xlsx_reader_run_mem(data, (size_t)n, &lim, &sink, &err),
                     SOCC_OK);
    assert_string_equal(st_cell(&b, 0, 2, 2), "Weak cipher");
    free(data);
    st_book_free(&b);
}

static enum socc_err refuse_row(void *ctx, uint32_t row_num,
                                const struct row_cell *cells, size_t n)
{
    (void)ctx, (void)row_num, (void)cells, (void)n;
    return SOCC_E_STORAGE_FULL;
}

/* A sink's error stops the read and comes back as the reader's code. */
static void test_sink_error_stops(void **state)
{
    struct row_limits lim;
    struct st_book b;
    struct socc_error err;
    struct row_sink sink = st_sink(&b);
    struct part p[] = {
        { "_rels/.rels", root_rels, 0 },
        { "xl/workbook.xml", WB_HEAD WB_SHEETS, 0 },
        { "xl/_rels/workbook.xml.rels", wb_rels, 0 },
        { "xl/worksheets/sheet1.xml",
          WS_HEAD "<row><c><v>1</v></c></row>" WS_TAIL, 0 },
    };
    const char *path = build(p, 4);

    (void)state;
    row_limits_default(&lim);
    sink.row = refuse_row;
    assert_int_equal(xlsx_reader_run(path, &lim, &sink, &err),
                     SOCC_E_STORAGE_FULL);
    assert_int_equal(err.code, SOCC_E_STORAGE_FULL);
    unlink(path);
    st_book_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_accept),
        cmocka_unit_test(test_corpus_broken_zip),
        cmocka_unit_test(test_corpus_chartsheet),
        cmocka_unit_test(test_corpus_hidden_sheet),
        cmocka_unit_test(test_x0000_is_nul),
        cmocka_unit_test(test_readers_disagree),
        cmocka_unit_test(test_case_001_inline_strings),
        cmocka_unit_test(test_case_002_wrong_dimension),
        cmocka_unit_test(test_case_004_rich_runs),
        cmocka_unit_test(test_case_005_date1904),
        cmocka_unit_test(test_case_008_zip_bombs),
        cmocka_unit_test(test_case_017_rows_out_of_order),
        cmocka_unit_test(test_case_030_truncated_and_bitflip),
        cmocka_unit_test(test_case_032_title_rows),
        cmocka_unit_test(test_case_034_cached_values),
        cmocka_unit_test(test_doctype_refused),
        cmocka_unit_test(test_entity_refused),
        cmocka_unit_test(test_ratio_bomb),
        cmocka_unit_test(test_total_inflated_limit),
        cmocka_unit_test(test_cell_length_limit),
        cmocka_unit_test(test_column_limit),
        cmocka_unit_test(test_row_limit),
        cmocka_unit_test(test_dates_1900_leap_quirk),
        cmocka_unit_test(test_dates_1904),
        cmocka_unit_test(test_time_formats),
        cmocka_unit_test(test_custom_formats),
        cmocka_unit_test(test_classify_format_codes),
        cmocka_unit_test(test_numbers_json),
        cmocka_unit_test(test_cell_types),
        cmocka_unit_test(test_shared_strings),
        cmocka_unit_test(test_missing_shared_strings),
        cmocka_unit_test(test_rows_without_r),
        cmocka_unit_test(test_prefixes_and_targets),
        cmocka_unit_test(test_broken_inputs),
        cmocka_unit_test(test_run_mem),
        cmocka_unit_test(test_sink_error_stops),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
