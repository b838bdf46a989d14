/*
 * Every file of ../shared/corpus through the whole pipeline: the verdict,
 * the sheet names and the record count of corpus/EXPECTED.tsv.
 *
 * EXPECTED.tsv counts rows with the simplest header rule (the first
 * non-empty row).  socc skips title rows above a wider table
 * (src/ingest/table.h), so for the files below it rightly stores fewer
 * records; each entry says what sits above the table.
 */
#include "socc_test.h"

#include <dirent.h>

#include "ingest/pipeline.h"

static const struct {
    const char *file;
    long long records;
    const char *why;
} later_header[] = {
    { "security/defectdojo_qualys_vmdr_many_vulns_qid.csv", 5,
      "report title, company and user rows (3, 6, 3 fields) above the "
      "41-column header at row 4" },
    { "security/defectdojo_dsop_many_vuln.xlsx", 5013,
      "Summary sheet: a one-cell UNCLASSIFIED//FOUO banner above a "
      "4-column table" },
    { "xlsx/poi_SampleSS.xlsx", 3,
      "second sheet: three one-cell notes above a 4-column table" },
    { "xlsx/poi_SampleSS.strict.xlsx", 3, "as poi_SampleSS.xlsx" },
    { "xls/poi_SampleSS.xls", 3, "as poi_SampleSS.xlsx" },
    { "xlsx/poi_Tables.xlsx", 248,
      "each sheet opens with an example title and description lines" },
    { "xls/poi_testEXCEL_95.xls", 16,
      "a one-cell worksheet title above the Number/Square table" },
    { "xls/poi_testEXCEL_5.xls", 16, "as poi_testEXCEL_95.xls" },
    { "xls/poi_testEXCEL_4.xls", 137,
      "a three-line table caption and a multi-row heading" },
    { "xls/poi_StringContinueRecords.xls", 357,
      "SQL sheet: a one-cell heading above the statements" },
    { "xls/poi_BOOK_in_capitals.xls", 4,
      "a report title and key/value preamble above the positions table" },
    { "xls/libxls_biff5-label-records.xls", 14,
      "a time-range title and an 'Initial Data' line above the header" },
};

static long long want_records(const struct st_expect *e)
{
    const char *p = e->rows;
    long long sum = 0;
    size_t i;

    for (i = 0; i < sizeof(later_header) / sizeof(later_header[0]); i++)
        if (strcmp(later_header[i].file, e->file) == 0)
            return later_header[i].records;
    while (*p) {
        sum += strtoll(p, (char **)&p, 10);
        if (*p == '|')
            p++;
        else if (*p)
            break;
    }
    return sum;
}

static enum socc_err want_code(const char *verdict)
{
    if (strcmp(verdict, "reject-corrupt") == 0)
        return SOCC_E_CORRUPTED_FILE;
    if (strcmp(verdict, "reject-encrypted") == 0)
        return SOCC_E_ENCRYPTED_FILE;
    if (strcmp(verdict, "reject-type") == 0)
        return SOCC_E_INVALID_FILE_TYPE;
    if (strcmp(verdict, "reject-empty") == 0)
        return SOCC_E_EMPTY_FILE;
    return SOCC_OK;
}

/* Sheet names of an upload's JSON, joined with '|' (simple unescape). */
static void sheet_names(const char *json, char *out, size_t n)
{
    const char *p = strstr(json, "\"sheets\":[");
    size_t o = 0;

    out[0] = '\0';
    while (p && (p = strstr(p, "{\"name\":\"")) != NULL) {
        if (o && o + 1 < n)
            out[o++] = '|';
        for (p += 9; *p && *p != '"' && o + 1 < n; p++) {
            if (*p == '\\' && p[1])
                p++;
            out[o++] = *p;
        }
        out[o] = '\0';
    }
}

/* Copy the corpus file into the store's temp dir and run the pipeline. */
static int check_one(struct store *st, const struct config *cfg,
                     const char *shared, const struct st_expect *e)
{
    struct pipeline_input in;
    struct pipeline_output out;
    struct socc_error err;
    char src[4300], tmp[4300], names[2048], cmd[9000];
    const char *name = strrchr(e->file, '/');
    struct buf js;
    enum socc_err rc, want = want_code(e->verdict);
    struct stat sb;
    int bad = 0;

    snprintf(src, sizeof(src), "%s/corpus/%s", shared, e->file);
    assert_int_equal(stat(src, &sb), 0);
    snprintf(tmp, sizeof(tmp), "%s/corpus-in", store_tmp_dir(st));
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, tmp);
    assert_int_equal(system(cmd), 0);
    memset(&in, 0, sizeof(in));
    in.company = e->file;   /* one company per file: some files are equal */
    in.tool_type = "siem";
    in.filename = name ? name + 1 : e->file;
    in.path = tmp;
    in.size = (uint64_t)sb.st_size;
    rc = pipeline_run(st, cfg, &in, &out, &err);
    if (rc != want) {
        printf("MISMATCH %s: %s (%s), want %s\n", e->file, socc_err_name(rc),
               err.detail, socc_err_name(want));
        return 1;
    }
    if (rc != SOCC_OK)
        return 0;
    if (out.upload.record_count != want_records(e)) {
        printf("MISMATCH %s: %lld records, want %lld\n", e->file,
               (long long)out.upload.record_count, want_records(e));
        bad = 1;
    }
    if (strcmp(out.upload.file_hash, e->sha256) != 0) {
        printf("MISMATCH %s: hash %s\n", e->file, out.upload.file_hash);
        bad = 1;
    }
    buf_init(&js);
    assert_int_equal(store_upload_json(st, out.upload.id, &js, &err), 0);
    sheet_names(js.data, names, sizeof(names));
    if (strcmp(e->format, "csv") != 0 && strcmp(names, e->sheets) != 0) {
        printf("MISMATCH %s: sheets '%s', want '%s'\n", e->file, names,
               e->sheets);
        bad = 1;
    }
    buf_release(&js);
    return bad;
}

static void whole_corpus(void **state)
{
    char path[4300], dir[256], *line = NULL, file[1024];
    struct store *st;
    struct config cfg;
    struct socc_error err;
    struct st_expect e;
    size_t cap = 0;
    int bad = 0, n = 0;
    FILE *fp;

    (void)state;
    ST_NEED_SHARED(shared);
    st_tmpdir(dir, sizeof(dir));
    assert_int_equal(store_open(dir, &st, &err), SOCC_OK);
    config_defaults(&cfg);
    snprintf(path, sizeof(path), "%s/corpus/EXPECTED.tsv", shared);
    fp = fopen(path, "r");
    assert_non_null(fp);
    assert_true(getline(&line, &cap, fp) > 0);   /* column names */
    while (getline(&line, &cap, fp) > 0) {
        if (sscanf(line, "%1023[^\t]", file) != 1)
            continue;
        assert_int_equal(st_expect_get(shared, st_tsv_clean_name(file), &e),
                         0);
        bad += check_one(st, &cfg, shared, &e);
        st_expect_free(&e);
        n++;
    }
    free(line);
    fclose(fp);
    store_close(st);
    st_rmtree(dir);
    printf("corpus: %d files, %d mismatches\n", n, bad);
    assert_true(n >= 130);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
