/*
 * Tests of the .xls reader: the shared corpus against EXPECTED.tsv, values
 * that matter (1900/1904 dates, CONTINUE-split strings, RK numbers), and
 * hand-built BIFF3 streams for each record kind, limit and fault.
 */
#include "socc_test.h"

#include <math.h>

#include "ingest/xls_reader.h"
#include "ingest/xls_text.h"

/* ---- helpers ---------------------------------------------------------- */

static enum socc_err read_file(const char *shared, const char *rel,
                               struct st_book *b, struct socc_error *err)
{
    char path[4400];
    struct row_sink sink = st_sink(b);
    struct row_limits lim;

    row_limits_default(&lim);
    snprintf(path, sizeof(path), "%s/corpus/%s", shared, rel);
    socc_error_clear(err);
    return xls_reader_run(path, &lim, &sink, err);
}

static void *slurp(const char *shared, const char *rel, size_t *len)
{
    char path[4400];
    FILE *fp;
    char *p;
    long n;

    snprintf(path, sizeof(path), "%s/corpus/%s", shared, rel);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    p = malloc((size_t)n + 1);
    assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return p;
}

/* First n UTF-8 characters of s (at most 60 are ever asked). */
static void cut_chars(const char *s, size_t n, char *out, size_t cap)
{
    size_t i = 0, chars = 0;

    while (s[i] && i + 1 < cap) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == n)
            break;
        out[i] = s[i];
        i++;
    }
    out[i] = '\0';
}

/*
 * xlrd wrote every date cell as a date-time; the reader writes a date
 * format without a time as "YYYY-MM-DD" (row.h), the same instant.  The
 * TSV holds line breaks of a cell as one space; the reader keeps them.
 */
static int cell_matches(const char *want, const char *raw)
{
    char got[256];
    size_t n = 0, i;

    for (i = 0; raw[i] && n + 1 < sizeof(got); i++) {
        if (strchr("\r\n", raw[i]) && n > 0 && got[n - 1] == ' ')
            continue;
        got[n++] = strchr("\r\n", raw[i]) ? ' ' : raw[i];
    }
    got[n] = '\0';

    if (strcmp(want, got) == 0)
        return 1;
    return n == 10 && strlen(want) == 19 && strncmp(want, got, 10) == 0 &&
           strcmp(want + 10, "T00:00:00") == 0;
}

/* Highest column holding a value in a sheet. */
static size_t sheet_cols(const struct st_sheet *s)
{
    size_t i, cols = 0;

    for (i = 0; i < s->nrows; i++)
        if (s->rows[i].ncells > cols)
            cols = s->rows[i].ncells;
    return cols;
}

static void check_sheets(const struct st_book *b, const struct st_expect *e)
{
    char names[2048] = "", rows[512] = "", one[32];
    size_t i;

    for (i = 0; i < b->nsheets; i++) {
        size_t n = b->sheets[i].nrows;

        strcat(names, i ? "|" : "");
        strncat(names, b->sheets[i].name, sizeof(names) - strlen(names) - 1);
        snprintf(one, sizeof(one), "%s%zu", i ? "|" : "", n ? n - 1 : 0);
        strcat(rows, one);
    }
    assert_string_equal(names, e->sheets);
    assert_string_equal(rows, e->rows);
}

static void check_header(const struct st_book *b, const struct st_expect *e)
{
    size_t cols = b->nsheets ? sheet_cols(&b->sheets[0]) : 0, i;
    char want[1024], *field, got[256];

    assert_int_equal(cols, (size_t)atoi(e->cols));
    snprintf(want, sizeof(want), "%s", e->header);
    field = want;
    for (i = 0; i < (cols < 5 ? cols : 5); i++) {
        char *bar = strchr(field, '|');

        if (bar)
            *bar = '\0';
        cut_chars(st_cell(b, 0, 0, i), 60, got, sizeof(got));
        if (!cell_matches(field, got))
            fail_msg("%s: header cell %zu is '%s', want '%s'", e->file, i,
                     got, field);
        field = bar ? bar + 1 : field + strlen(field);
    }
}

/* ---- the corpus ------------------------------------------------------- */

/*
 * Verdicts where the second reader (SheetJS) disagrees with xlrd, decided
 * from the specifications:
 *  - libxls_dates-1904, poi_1904DateWindowing: the workbooks carry a
 *    DATEMODE (Date1904, [MS-XLS] 2.4.77) of 1, so serial 34713 counts
 *    from 1904-01-01: 2000-01-01, not SheetJS's 1995-12-31.
 *  - poi_testEXCEL_4, xlrd_biff4_no_format_no_window2, CRLFX5_2_biff2:
 *    BIFF2-4 worksheet files store no sheet name at all; any name is the
 *    reader's choice, and "Sheet 1" keeps the name xlrd gave.
 *  - libxls_biff5-label-records, sheetjs_biff5_text_and_numbers,
 *    calamine_merge_cells, xlrd_biff4_no_format_no_window2: SheetJS sizes
 *    the header by the DIMENSIONS record, whose last column counts blank
 *    (formatted, valueless) cells ([MS-XLS] 2.4.90); "cols" counts
 *    columns holding a value, as xlrd does.
 *  - sheetjs_phpexcel_bad_cfb_dir: the root entry's mini-stream chain
 *    runs on into the Workbook stream's sectors.  [MS-CFB] 2.3 gives each
 *    sector to one chain only, so the container is corrupt (xlrd agrees)
 *    even though SheetJS, which stops at the stream size, reads it.
 *  - calamine_too_small: text, not XLS; the type detector rejects it
 *    before the reader, which says INVALID_FILE_TYPE on its own too.
 */
static void check_one(const char *shared, const struct st_expect *e)
{
    struct st_book b;
    struct socc_error err;
    enum socc_err rc = read_file(shared, e->file, &b, &err);

    if (strcmp(e->verdict, "accept") == 0) {
        if (rc != SOCC_OK)
            fail_msg("%s: %s %s", e->file, socc_err_name(rc), err.detail);
        check_sheets(&b, e);
        check_header(&b, e);
        assert_int_equal(b.ended, (int)b.nsheets);
    } else if (strcmp(e->verdict, "reject-corrupt") == 0) {
        assert_int_equal(rc, SOCC_E_CORRUPTED_FILE);
        assert_true(err.detail[0] != '\0');
    } else if (strcmp(e->verdict, "reject-encrypted") == 0) {
        assert_int_equal(rc, SOCC_E_ENCRYPTED_FILE);
    } else {
        assert_int_equal(rc, SOCC_E_INVALID_FILE_TYPE);
    }
    st_book_free(&b);
}

static int is_xls_row(const char *file)
{
    size_t n = strlen(file);

    return n > 4 && strcasecmp(file + n - 4, ".xls") == 0;
}

static void test_corpus(void **state)
{
    ST_NEED_SHARED(shared);
    char path[4200], *line = NULL, file[1024];
    size_t cap = 0, checked = 0;
    FILE *fp;

    (void)state;
    snprintf(path, sizeof(path), "%s/corpus/EXPECTED.tsv", shared);
    fp = fopen(path, "r");
    assert_non_null(fp);
    while (getline(&line, &cap, fp) > 0) {
        struct st_expect e;

        if (sscanf(line, "%1023[^\t]", file) != 1 || !is_xls_row(file) ||
            st_expect_get(shared, file, &e) != 0)
            continue;
        if (!strstr(e.note, "magic=cfb") && !strstr(e.note, "magic=biff234"))
            printf("NOTE: %s is not xls content (%.20s); the type detector "
                   "rejects it first\n", file, e.note);
        check_one(shared, &e);
        st_expect_free(&e);
        checked++;
    }
    free(line);
    fclose(fp);
    assert_true(checked >= 36);
}

/* ---- values ----------------------------------------------------------- */

static void expect_cell(const struct st_book *b, size_t sheet, size_t row,
                        size_t col, const char *text, enum row_cell_kind k)
{
    assert_string_equal(st_cell(b, sheet, row, col), text);
    assert_int_equal(b->sheets[sheet].rows[row].cells[col].kind, k);
}

static void test_dates_1904(void **state)
{
    ST_NEED_SHARED(shared);
    struct st_book b;
    struct socc_error err;
    size_t i;

    (void)state;
    assert_int_equal(read_file(shared, "xls/libxls_dates-1904.xls", &b,
                               &err), SOCC_OK);
    for (i = 0; i < 4; i++)
        expect_cell(&b, 0, 0, i, "2000-01-01", ROW_CELL_DATE);
    expect_cell(&b, 0, 0, 4, "2000-01-01T00:00:00", ROW_CELL_DATE);
    st_book_free(&b);
    assert_int_equal(read_file(shared, "xls/poi_1904DateWindowing.xls", &b,
                               &err), SOCC_OK);
    expect_cell(&b, 0, 0, 0, "2000-01-01", ROW_CELL_DATE);
    expect_cell(&b, 0, 0, 1, "2000-01-01", ROW_CELL_DATE);
    st_book_free(&b);
}

static void test_dates_1900(void **state)
{
    ST_NEED_SHARED(shared);
    struct st_book b;
    struct socc_error err;

    (void)state;
    assert_int_equal(read_file(shared, "xls/poi_StringContinueRecords.xls",
                               &b, &err), SOCC_OK);
    expect_cell(&b, 0, 2, 1, "2006-12-15T16:02:00", ROW_CELL_DATE);
    expect_cell(&b, 0, 2, 2, "2006-12-15T18:48:00", ROW_CELL_DATE);
    st_book_free(&b);
    assert_int_equal(read_file(shared, "xls/sheetjs_quattro_write_97.xls",
                               &b, &err), SOCC_OK);
    expect_cell(&b, 0, 2, 2, "2014-02-19T00:00:00", ROW_CELL_DATE);
    expect_cell(&b, 0, 2, 3, "0.30000000000000004", ROW_CELL_NUMBER);
    st_book_free(&b);
}

static void test_date_text(void **state)
{
    char s[40];

    (void)state;
    assert_int_equal(xls_text_date(s, sizeof(s), 1, 0, XLS_TEXT_DATE), 10);
    assert_string_equal(s, "1900-01-01");
    xls_text_date(s, sizeof(s), 59, 0, XLS_TEXT_DATE);
    assert_string_equal(s, "1900-02-28");
    /* Serial 60 is Excel's 1900-02-29, a day that never was. */
    assert_int_equal(xls_text_date(s, sizeof(s), 60, 0, XLS_TEXT_DATE), -1);
    xls_text_date(s, sizeof(s), 61, 0, XLS_TEXT_DATE);
    assert_string_equal(s, "1900-03-01");
    xls_text_date(s, sizeof(s), 45366.75, 0, XLS_TEXT_DATE);
    assert_string_equal(s, "2024-03-15T18:00:00");
    xls_text_date(s, sizeof(s), 0, 1, XLS_TEXT_DATE);
    assert_string_equal(s, "1904-01-01");
    xls_text_date(s, sizeof(s), 0.5, 0, XLS_TEXT_TIME);
    assert_string_equal(s, "12:00:00");
    /* kept to the millisecond: 0.99999999 days is 86399.99914 s */
    xls_text_date(s, sizeof(s), 0.99999999, 0, XLS_TEXT_TIME);
    assert_string_equal(s, "23:59:59.999");
    xls_text_date(s, sizeof(s), 45356.573, 0, XLS_TEXT_DATE);
    assert_string_equal(s, "2024-03-05T13:45:07.200");
    assert_int_equal(xls_text_date(s, sizeof(s), -1, 0, XLS_TEXT_DATE), -1);
}

static void test_number_text(void **state)
{
    char s[40];

    (void)state;
    xls_text_number(s, sizeof(s), 42);
    assert_string_equal(s, "42");
    xls_text_number(s, sizeof(s), -1.5);
    assert_string_equal(s, "-1.5");
    xls_text_number(s, sizeof(s), 0.1 + 0.2);
    assert_string_equal(s, "0.30000000000000004");
    xls_text_number(s, sizeof(s), 1e-7);
    assert_string_equal(s, "1e-07");
    xls_text_number(s, sizeof(s), -0.0);
    assert_string_equal(s, "0");
    xls_text_number(s, sizeof(s), 1e20);
    assert_string_equal(s, "1e+20");
    assert_int_equal(xls_text_number(s, sizeof(s), NAN), -1);
}

static void test_format_kinds(void **state)
{
    (void)state;
    assert_int_equal(xls_text_fmt_kind("yyyy-mm-dd", 10), XLS_TEXT_DATE);
    assert_int_equal(xls_text_fmt_kind("h:mm:ss", 7), XLS_TEXT_TIME);
    assert_int_equal(xls_text_fmt_kind("mm:ss", 5), XLS_TEXT_TIME);
    assert_int_equal(xls_text_fmt_kind("[h]:mm", 6), XLS_TEXT_TIME);
    assert_int_equal(xls_text_fmt_kind("m/d/yy h:mm AM/PM", 17),
                     XLS_TEXT_DATE | XLS_TEXT_TIME);
    assert_int_equal(xls_text_fmt_kind("General", 7), 0);
    assert_int_equal(xls_text_fmt_kind("#,##0.00 \"days\"", 15), 0);
    assert_int_equal(xls_text_fmt_kind("[Red]0.00;[Blue]-0.00", 21), 0);
    assert_int_equal(xls_text_fmt_kind("0.00E+00", 8), 0);
    assert_int_equal(xls_text_builtin_kind(14), XLS_TEXT_DATE);
    assert_int_equal(xls_text_builtin_kind(22),
                     XLS_TEXT_DATE | XLS_TEXT_TIME);
    assert_int_equal(xls_text_builtin_kind(4), 0);
}

static void test_continue_strings(void **state)
{
    ST_NEED_SHARED(shared);
    struct st_book b;
    struct socc_error err;
    const struct st_sheet *s;
    size_t i;

    (void)state;
    assert_int_equal(read_file(shared, "xls/calamine_sst_continue.xls", &b,
                               &err), SOCC_OK);
    s = &b.sheets[0];
    assert_int_equal(s->nrows, 136);
    for (i = 0; i < 134; i++) {
        char want[80];

        snprintf(want, sizeof(want), "This is a long string with a serial "
                 "number at the end %04zu", i + 1);
        assert_string_equal(st_cell(&b, 0, i, 0), want);
    }
    /* A string ends exactly at the SST's end; the next opens a CONTINUE. */
    assert_string_equal(st_cell(&b, 0, 134, 0),
                        "This is a long string with a serial num");
    assert_string_equal(st_cell(&b, 0, 135, 0), "New CONTINUE block");
    st_book_free(&b);
    assert_int_equal(read_file(shared, "xls/poi_StringContinueRecords.xls",
                               &b, &err), SOCC_OK);
    s = &b.sheets[0];
    assert_true(s->nrows > 142);
    assert_int_equal(s->rows[142].row_num, 143);
    assert_int_equal(s->rows[142].cells[40].len, 24732);
    assert_memory_equal(s->rows[142].cells[40].text,
                        "\nset pagesize 0\nspool /apps/tibco/acetpp", 40);
    st_book_free(&b);
}

static void test_rk_numbers(void **state)
{
    ST_NEED_SHARED(shared);
    struct st_book b;
    struct socc_error err;
    static const char *const want[] = {
        "General", "1", "-1.2", "12.3", "-12.34", "123.45", "-123.456",
        "1234.567", "-1234.5678", "12345.6789"
    };
    size_t i;

    (void)state;
    assert_int_equal(read_file(shared, "xls/poi_rk.xls", &b, &err), SOCC_OK);
    expect_cell(&b, 0, 0, 0, "1", ROW_CELL_NUMBER);
    st_book_free(&b);
    /* LibreOffice writes these as RK numbers, several scaled by 100. */
    assert_int_equal(read_file(shared, "xls/sheetjs_LONumbers.xls", &b,
                               &err), SOCC_OK);
    for (i = 1; i < 10; i++)
        expect_cell(&b, 0, 0, i, want[i], ROW_CELL_NUMBER);
    st_book_free(&b);
}

static void test_formula_results(void **state)
{
    ST_NEED_SHARED(shared);
    struct st_book b;
    struct socc_error err;

    (void)state;
    assert_int_equal(read_file(shared, "xls/sheetjs_wps_fn.xls", &b, &err),
                     SOCC_OK);
    expect_cell(&b, 0, 1, 2, "2", ROW_CELL_NUMBER);
    expect_cell(&b, 0, 2, 2, "#VALUE!", ROW_CELL_ERROR);
    st_book_free(&b);
    /* BIFF2: the formula's cached string comes in a STRING record. */
    assert_int_equal(read_file(shared, "xls/sheetjs_CRLFX5_2_biff2.XLS", &b,
                               &err), SOCC_OK);
    expect_cell(&b, 0, 1, 1, "abc\r\ndef", ROW_CELL_STRING);
    st_book_free(&b);
}

static void test_unicode_names(void **state)
{
    ST_NEED_SHARED(shared);
    struct st_book b;
    struct socc_error err;

    (void)state;
    assert_int_equal(read_file(shared, "xls/libxls_utf8-sheet-names.xls",
                               &b, &err), SOCC_OK);
    assert_string_equal(b.sheets[0].name, "\xC2\xB5");
    assert_string_equal(b.sheets[1].name, "\xE2\x88\x82");
    expect_cell(&b, 0, 1, 0, "1", ROW_CELL_NUMBER);
    st_book_free(&b);
}

/* ---- hand-built BIFF3 streams ----------------------------------------- */

struct bb {
    uint8_t d[4096];
    size_t n;
};

static void rec(struct bb *b, uint16_t type, const void *body, size_t len)
{
    uint8_t h[4] = { (uint8_t)type, (uint8_t)(type >> 8), (uint8_t)len,
                     (uint8_t)(len >> 8) };

    assert_true(b->n + 4 + len <= sizeof(b->d));
    memcpy(b->d + b->n, h, 4);
    memcpy(b->d + b->n + 4, body, len);
    b->n += 4 + len;
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void bof3(struct bb *b)
{
    static const uint8_t body[6] = { 0, 0, 0x10, 0, 0, 0 };

    b->n = 0;
    rec(b, 0x0209, body, sizeof(body));
}

static void eof(struct bb *b)
{
    rec(b, 0x000A, "", 0);
}

/* A cell record: row, col, xf, then len value bytes. */
static void cell(struct bb *b, uint16_t type, unsigned row, unsigned col,
                 unsigned xf, const void *val, size_t len)
{
    uint8_t body[300];

    put16(body, row);
    put16(body + 2, col);
    put16(body + 4, xf);
    memcpy(body + 6, val, len);
    rec(b, type, body, 6 + len);
}

static void number(struct bb *b, unsigned row, unsigned col, unsigned xf,
                   double v)
{
    cell(b, 0x0203, row, col, xf, &v, 8);   /* little-endian host */
}

static void rk(struct bb *b, unsigned row, unsigned col, uint32_t v)
{
    cell(b, 0x027E, row, col, 0, &v, 4);
}

static void label(struct bb *b, unsigned row, unsigned col, const char *s)
{
    uint8_t v[260];
    size_t n = strlen(s);

    put16(v, (unsigned)n);
    memcpy(v + 2, s, n);
    cell(b, 0x0204, row, col, 0, v, n + 2);
}

static enum socc_err run_bb(const struct bb *b, const struct row_limits *lim,
                            struct st_book *book, struct socc_error *err)
{
    struct row_sink sink = st_sink(book);

    socc_error_clear(err);
    return xls_reader_run_mem(b->d, b->n, lim, &sink, err);
}

static void test_biff3_cells(void **state)
{
    static const uint8_t t[2] = { 1, 0 }, e[2] = { 0x07, 1 };
    static const uint8_t fstr[12] = { 0, 0, 0, 0, 0, 0, 0xFF, 0xFF };
    struct bb b;
    struct st_book book;
    struct socc_error err;

    (void)state;
    bof3(&b);
    rk(&b, 0, 0, 2u << 2 | 2);              /* integer 2 */
    rk(&b, 0, 1, 0x3FF80000u);              /* double 1.5 */
    rk(&b, 0, 2, 1234u << 2 | 3);           /* integer / 100 */
    number(&b, 0, 3, 0, 3.25);
    label(&b, 2, 0, "x");
    cell(&b, 0x0205, 2, 1, 0, t, 2);
    cell(&b, 0x0205, 2, 2, 0, e, 2);
    cell(&b, 0x0206, 2, 4, 0, fstr, sizeof(fstr));
    rec(&b, 0x0207, "\x02\x00hi", 4);
    eof(&b);
    assert_int_equal(run_bb(&b, NULL, &book, &err), SOCC_OK);
    assert_int_equal(book.nsheets, 1);
    assert_string_equal(book.sheets[0].name, "Sheet 1");
    assert_int_equal(book.sheets[0].nrows, 2);
    expect_cell(&book, 0, 0, 0, "2", ROW_CELL_NUMBER);
    expect_cell(&book, 0, 0, 1, "1.5", ROW_CELL_NUMBER);
    expect_cell(&book, 0, 0, 2, "12.34", ROW_CELL_NUMBER);
    expect_cell(&book, 0, 0, 3, "3.25", ROW_CELL_NUMBER);
    assert_int_equal(book.sheets[0].rows[1].row_num, 3);
    expect_cell(&book, 0, 1, 0, "x", ROW_CELL_STRING);
    expect_cell(&book, 0, 1, 1, "true", ROW_CELL_BOOL);
    expect_cell(&book, 0, 1, 2, "#DIV/0!", ROW_CELL_ERROR);
    expect_cell(&book, 0, 1, 3, "", ROW_CELL_EMPTY);
    expect_cell(&book, 0, 1, 4, "hi", ROW_CELL_STRING);
    st_book_free(&book);
}

static void test_biff3_codepage(void **state)
{
    struct bb b;
    struct st_book book;
    struct socc_error err;

    (void)state;
    bof3(&b);
    label(&b, 0, 0, "\x80 caf\xE9");        /* cp1252 by default */
    eof(&b);
    assert_int_equal(run_bb(&b, NULL, &book, &err), SOCC_OK);
    assert_string_equal(st_cell(&book, 0, 0, 0), "\xE2\x82\xAC caf\xC3\xA9");
    st_book_free(&book);
    bof3(&b);
    rec(&b, 0x0042, "\xE3\x04", 2);         /* 1251, through iconv */
    label(&b, 0, 0, "\xCF\xF0");
    eof(&b);
    assert_int_equal(run_bb(&b, NULL, &book, &err), SOCC_OK);
    assert_string_equal(st_cell(&book, 0, 0, 0), "\xD0\x9F\xD1\x80");
    st_book_free(&book);
}

static void test_biff3_dates(void **state)
{
    static const uint8_t xf0[12] = { 0, 0 }, xf1[12] = { 0, 1 };
    struct bb b;
    struct st_book book;
    struct socc_error err;

    (void)state;
    bof3(&b);
    rec(&b, 0x001E, "\x07General", 8);       /* format 0 */
    rec(&b, 0x001E, "\x0Ayyyy-mm-dd", 11);   /* format 1 */
    rec(&b, 0x0243, xf0, sizeof(xf0));
    rec(&b, 0x0243, xf1, sizeof(xf1));
    number(&b, 0, 0, 1, 45366);
    number(&b, 0, 1, 0, 45366);
    eof(&b);
    assert_int_equal(run_bb(&b, NULL, &book, &err), SOCC_OK);
    expect_cell(&book, 0, 0, 0, "2024-03-15", ROW_CELL_DATE);
    expect_cell(&book, 0, 0, 1, "45366", ROW_CELL_NUMBER);
    st_book_free(&book);
    b.n -= 4;                                 /* drop EOF: 1904 system */
    rec(&b, 0x0022, "\x01\x00", 2);
    number(&b, 1, 0, 1, 0);
    eof(&b);
    assert_int_equal(run_bb(&b, NULL, &book, &err), SOCC_OK);
    expect_cell(&book, 0, 1, 0, "1904-01-01", ROW_CELL_DATE);
    st_book_free(&book);
}

static void test_unsorted_rows(void **state)
{
    struct bb b;
    struct st_book book;
    struct socc_error err;

    (void)state;
    bof3(&b);
    label(&b, 5, 0, "late");
    label(&b, 1, 0, "early");
    label(&b, 5, 1, "late2");
    eof(&b);
    assert_int_equal(run_bb(&b, NULL, &book, &err), SOCC_OK);
    assert_int_equal(book.sheets[0].nrows, 2);
    assert_int_equal(book.sheets[0].rows[0].row_num, 2);
    assert_string_equal(st_cell(&book, 0, 0, 0), "early");
    assert_int_equal(book.sheets[0].rows[1].row_num, 6);
    assert_string_equal(st_cell(&book, 0, 1, 1), "late2");
    st_book_free(&book);
}

static void test_limits(void **state)
{
    struct row_limits lim;
    struct bb b;
    struct st_book book;
    struct socc_error err;

    (void)state;
    row_limits_default(&lim);
    lim.max_cols = 2;
    lim.max_rows = 3;
    lim.max_cell = 3;
    bof3(&b);
    label(&b, 0, 2, "c");
    eof(&b);
    assert_int_equal(run_bb(&b, &lim, &book, &err), SOCC_E_LIMIT_EXCEEDED);
    assert_non_null(strstr(err.detail, "column"));
    st_book_free(&book);
    bof3(&b);
    label(&b, 3, 0, "r");
    eof(&b);
    assert_int_equal(run_bb(&b, &lim, &book, &err), SOCC_E_LIMIT_EXCEEDED);
    assert_non_null(strstr(err.detail, "row"));
    st_book_free(&book);
    bof3(&b);
    label(&b, 0, 0, "abcd");
    eof(&b);
    assert_int_equal(run_bb(&b, &lim, &book, &err), SOCC_E_LIMIT_EXCEEDED);
    assert_non_null(strstr(err.detail, "characters"));
    st_book_free(&book);
}

static void test_faults(void **state)
{
    struct bb b;
    struct st_book book;
    struct socc_error err;

    (void)state;
    bof3(&b);
    rec(&b, 0x002F, "\x01\x02\x03\x04", 4);
    eof(&b);
    assert_int_equal(run_bb(&b, NULL, &book, &err), SOCC_E_ENCRYPTED_FILE);
    st_book_free(&book);
    bof3(&b);
    cell(&b, 0x0204, 0, 0, 0, "\x32\x00" "abc", 5);   /* 50 chars claimed */
    assert_int_equal(run_bb(&b, NULL, &book, &err), SOCC_E_CORRUPTED_FILE);
    st_book_free(&book);
    bof3(&b);
    label(&b, 0, 0, "abc");
    b.n -= 2;                                  /* record cut short */
    assert_int_equal(run_bb(&b, NULL, &book, &err), SOCC_E_CORRUPTED_FILE);
    assert_non_null(strstr(err.detail, "past the end"));
    st_book_free(&book);
    /* Fuzzer find: a CFB signature on a file shorter than its header. */
    memcpy(b.d, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" "Attatac", 15);
    b.n = 15;
    assert_int_equal(run_bb(&b, NULL, &book, &err), SOCC_E_CORRUPTED_FILE);
    assert_non_null(strstr(err.detail, "header truncated"));
    memcpy(b.d, "hello, world", 12);
    b.n = 12;
    assert_int_equal(run_bb(&b, NULL, &book, &err),
                     SOCC_E_INVALID_FILE_TYPE);
    b.n = 0;
    assert_int_equal(run_bb(&b, NULL, &book, &err), SOCC_E_EMPTY_FILE);
    st_book_free(&book);
}

static enum socc_err stop_row(void *ctx, uint32_t row_num,
                              const struct row_cell *cells, size_t n)
{
    (void)ctx, (void)row_num, (void)cells, (void)n;
    return SOCC_E_STORAGE_FULL;
}

static void test_sink_stops(void **state)
{
    struct bb b;
    struct st_book book;
    struct row_sink sink = st_sink(&book);
    struct socc_error err = { 0 };

    (void)state;
    sink.row = stop_row;
    bof3(&b);
    label(&b, 0, 0, "a");
    label(&b, 1, 0, "b");
    eof(&b);
    assert_int_equal(xls_reader_run_mem(b.d, b.n, NULL, &sink, &err),
                     SOCC_E_STORAGE_FULL);
    st_book_free(&book);
}

/* ---- damaged copies of real files never crash ------------------------- */

static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void damage_one(const uint8_t *orig, size_t len, uint32_t *seed)
{
    uint8_t *p = malloc(len);
    struct st_book book;
    struct row_sink sink;
    struct socc_error err;
    size_t cut = len, k;

    memcpy(p, orig, len);
    if (rng(seed) % 3 == 0)
        cut = rng(seed) % len;
    for (k = 0; k < 1 + rng(seed) % 4; k++)
        p[rng(seed) % len] = (uint8_t)rng(seed);
    sink = st_sink(&book);
    xls_reader_run_mem(p, cut, NULL, &sink, &err);
    st_book_free(&book);
    free(p);
}

static void test_damaged(void **state)
{
    ST_NEED_SHARED(shared);
    static const char *const files[] = {
        "xls/poi_SampleSS.xls", "xls/calamine_sst_continue.xls",
        "xls/libxls_utf8-sheet-names.xls", "xls/poi_testEXCEL_5.xls",
        "xls/sheetjs_CRLFX5_2_biff2.XLS", "xls/xlrd_biff4_no_format_no_window2.xls",
        "xls/sheetjs_wps_fn.xls", "broken/poi_password.xls"
    };
    uint32_t seed = 0x2545F491;
    size_t i, j, len;

    (void)state;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        uint8_t *d = slurp(shared, files[i], &len);

        for (j = 0; j < 300; j++)
            damage_one(d, len, &seed);
        for (j = 0; j < len; j += len / 64 + 1) {
            struct st_book book;
            struct row_sink sink = st_sink(&book);
            struct socc_error err;

            xls_reader_run_mem(d, j, NULL, &sink, &err);
            st_book_free(&book);
        }
        free(d);
    }
}

/* Inputs the fuzzer found, kept with the outcome each must give. */
static void test_fuzz_regressions(void **state)
{
    static const struct {
        const char *file;
        enum socc_err rc;
    } v[] = {
        /* a zero-length first record once added an offset to a NULL body */
        { "tests/fixtures/xls/fuzz-empty-first-record.xls",
          SOCC_E_CORRUPTED_FILE },
        /* BOUNDSHEETs with empty names left the name buffer NULL */
        { "tests/fixtures/xls/fuzz-empty-sheet-names.xls",
          SOCC_E_CORRUPTED_FILE },
    };
    struct st_book b;
    struct row_sink sink;
    struct row_limits lim;
    struct socc_error err;
    size_t i;

    (void)state;
    row_limits_default(&lim);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        sink = st_sink(&b);
        assert_int_equal(xls_reader_run(v[i].file, &lim, &sink, &err),
                         v[i].rc);
        assert_true(strlen(err.detail) > 0);
        st_book_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_fuzz_regressions),
        cmocka_unit_test(test_dates_1904),
        cmocka_unit_test(test_dates_1900),
        cmocka_unit_test(test_date_text),
        cmocka_unit_test(test_number_text),
        cmocka_unit_test(test_format_kinds),
        cmocka_unit_test(test_continue_strings),
        cmocka_unit_test(test_rk_numbers),
        cmocka_unit_test(test_formula_results),
        cmocka_unit_test(test_unicode_names),
        cmocka_unit_test(test_biff3_cells),
        cmocka_unit_test(test_biff3_codepage),
        cmocka_unit_test(test_biff3_dates),
        cmocka_unit_test(test_unsorted_rows),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_sink_stops),
        cmocka_unit_test(test_damaged),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
