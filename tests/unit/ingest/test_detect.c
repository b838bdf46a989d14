#include "socc_test.h"

#include "ingest/detect.h"

static enum detect_kind kind_of(const void *p, size_t n, char *what)
{
    struct detect_result r;
    struct socc_error e;

    assert_int_equal(detect_mem(p, n, &r, &e), SOCC_OK);
    if (what)
        strcpy(what, r.what);
    return r.kind;
}

static void empty_and_whitespace(void **state)
{
    (void)state;
    assert_int_equal(kind_of("", 0, NULL), DETECT_EMPTY);
    assert_int_equal(kind_of(" \r\n\t \n", 6, NULL), DETECT_EMPTY);
    assert_int_equal(kind_of(" \n a", 4, NULL), DETECT_TEXT);
}

static void text_variants(void **state)
{
    (void)state;
    assert_int_equal(kind_of("a,b\n1,2\n", 8, NULL), DETECT_TEXT);
    assert_int_equal(kind_of("\xef\xbb\xbf" "a,b\n", 7, NULL), DETECT_TEXT);
    assert_int_equal(kind_of("\xff\xfe" "a\0,\0b\0", 8, NULL), DETECT_TEXT);
    assert_int_equal(kind_of("caf\xe9,x\n", 7, NULL), DETECT_TEXT);
    /* one stray NUL inside a value is still text */
    assert_int_equal(kind_of("a|b\nx\0y|z\n1|2\n3|4\n", 18, NULL),
                     DETECT_TEXT);
}

static void binary_and_markup(void **state)
{
    char what[96];
    unsigned char bin[256];
    size_t i;

    (void)state;
    assert_int_equal(kind_of("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, what),
                     DETECT_OTHER);
    assert_string_equal(what, "a PNG image");
    assert_int_equal(kind_of("%PDF-1.7\n", 9, what), DETECT_OTHER);
    assert_string_equal(what, "a PDF document");
    assert_int_equal(kind_of("\x7f" "ELF\x02\x01", 6, what), DETECT_OTHER);
    assert_int_equal(kind_of("\x28\xb5\x2f\xfd\x00", 5, what), DETECT_OTHER);
    assert_string_equal(what, "a zstd archive");
    for (i = 0; i < sizeof(bin); i++)
        bin[i] = (unsigned char)(i * 7);
    assert_int_equal(kind_of(bin, sizeof(bin), what), DETECT_OTHER);
    assert_string_equal(what, "binary data");
    assert_int_equal(kind_of("  <!DOCTYPE html><table>", 24, what),
                     DETECT_OTHER);
    assert_string_equal(what, "an HTML document");
    assert_int_equal(kind_of("<?xml version=\"1.0\"?><Workbook>", 31, what),
                     DETECT_OTHER);
}

static void zip_and_ole(void **state)
{
    struct detect_result r;
    struct socc_error e;
    unsigned char ole[1024];

    (void)state;
    /* a ZIP that is cut short: its structure is broken */
    assert_int_equal(detect_mem("PK\x03\x04\x14\0\0\0\x08\0", 10, &r, &e),
                     SOCC_E_CORRUPTED_FILE);
    assert_int_equal(kind_of("PK\x05\x06", 4, NULL), DETECT_OTHER);
    /* OLE2 magic with a nonsense header */
    memset(ole, 0, sizeof(ole));
    memcpy(ole, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
    assert_int_equal(detect_mem(ole, sizeof(ole), &r, &e),
                     SOCC_E_CORRUPTED_FILE);
    /* a BIFF2 BOF record */
    assert_int_equal(kind_of("\x09\x00\x04\x00\x07\x00\x10\x00", 8, NULL),
                     DETECT_BIFF_RAW);
}

struct want {
    const char *file;
    int rc;               /* enum socc_err */
    enum detect_kind kind;
};

static void corpus_kinds(void **state)
{
    static const struct want w[] = {
        { "security/defectdojo_deepfence_malware.xlsx", 0, DETECT_XLSX },
        { "xlsx/calamine_strict_iso_paths.xlsx", 0, DETECT_XLSX },
        { "xls/poi_SampleSS.xls", 0, DETECT_XLS },
        { "xls/calamine_capitalized_wbook_stream.xls", 0, DETECT_XLS },
        { "xls/poi_BOOK_in_capitals.xls", 0, DETECT_XLS },
        { "xls/poi_testEXCEL_95.xls", 0, DETECT_XLS },
        { "xls/poi_testEXCEL_4.xls", 0, DETECT_BIFF_RAW },
        { "xls/sheetjs_CRLFX5_2_biff2.XLS", 0, DETECT_BIFF_RAW },
        { "broken/poi_protected_passtika.xlsx", 0, DETECT_ENCRYPTED },
        { "broken/calamine_pass_protected.xlsx", 0, DETECT_ENCRYPTED },
        { "broken/calamine_any_sheets.xlsb", 0, DETECT_OTHER },
        { "broken/calamine_any_sheets.ods", 0, DETECT_OTHER },
        { "broken/duckdb_broken_test.csv.zst", 0, DETECT_OTHER },
        { "broken/calamine_too_small.xls", 0, DETECT_TEXT },
        { "broken/poi_clusterfuzz-XLSX2CSV-5636439151607808.xlsx",
          SOCC_E_CORRUPTED_FILE, DETECT_OTHER },
        { "broken/libxls_xls2csv_ole_ole2_fread_327.xls",
          SOCC_E_CORRUPTED_FILE, DETECT_OTHER },
        { "csv/duckdb_empty_0bytes.csv", 0, DETECT_EMPTY },
        { "csv/duckdb_nullbyte.csv", 0, DETECT_TEXT },
        { "csv/duckdb_utf16.csv", 0, DETECT_TEXT },
        { "csv/duckdb_latin1.csv", 0, DETECT_TEXT },
    };
    char path[4300];
    struct detect_result r;
    struct socc_error e;
    size_t i;
    int rc;

    (void)state;
    ST_NEED_SHARED(shared);
    for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        snprintf(path, sizeof(path), "%s/corpus/%s", shared, w[i].file);
        rc = (int)detect_file(path, &r, &e);
        if (rc != w[i].rc || (rc == 0 && r.kind != w[i].kind))
            fail_msg("%s: rc %d kind %d (%s)", w[i].file, rc, r.kind, r.what);
    }
}

static void cases_wrong_extension(void **state)
{
    char path[4300];
    struct detect_result r;
    struct socc_error e;

    (void)state;
    ST_NEED_SHARED(shared);
    snprintf(path, sizeof(path), "%s/cases/020-wrong-extension/"
             "firewall_export.xls", shared);
    assert_int_equal(detect_file(path, &r, &e), SOCC_OK);
    assert_int_equal(r.kind, DETECT_XLSX);
    snprintf(path, sizeof(path), "%s/cases/020-wrong-extension/"
             "html_table_export.xls", shared);
    assert_int_equal(detect_file(path, &r, &e), SOCC_OK);
    assert_int_equal(r.kind, DETECT_OTHER);
    assert_string_equal(r.what, "an HTML document");
    snprintf(path, sizeof(path), "%s/cases/007-encrypted-xlsx/"
             "password_protected.xlsx", shared);
    assert_int_equal(detect_file(path, &r, &e), SOCC_OK);
    assert_int_equal(r.kind, DETECT_ENCRYPTED);
    snprintf(path, sizeof(path), "%s/cases/030-truncated-corrupt-xlsx/"
             "truncated.xlsx", shared);
    assert_int_equal(detect_file(path, &r, &e), SOCC_E_CORRUPTED_FILE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_and_whitespace),
        cmocka_unit_test(text_variants),
        cmocka_unit_test(binary_and_markup),
        cmocka_unit_test(zip_and_ole),
        cmocka_unit_test(corpus_kinds),
        cmocka_unit_test(cases_wrong_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
