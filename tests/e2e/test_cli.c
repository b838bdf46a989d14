/*
 * socc ingest, the real binary ($SOCC_BIN) on local files: the line it
 * prints, its exit codes, and what it stored.
 */
#include "socc_test.h"

#include <sys/stat.h>
#include <sys/wait.h>

struct run {
    int status;          /* exit code */
    char out[4096];      /* stdout */
    char err[4096];      /* stderr */
};

static char datadir[256];

/*
 * Run `socc ingest ARGS...` with SOCC_DATA_DIR=datadir, killed after 20 s
 * (exit 137) so that a hang fails the test instead of stopping it.
 */
static void ingest(struct run *r, const char *const *args)
{
    char cmd[8192], outp[300], errp[300];
    const char *bin = getenv("SOCC_BIN");
    size_t i, o;
    FILE *fp;
    int st;

    assert_non_null(bin);
    snprintf(outp, sizeof(outp), "%s/out", datadir);
    snprintf(errp, sizeof(errp), "%s/err", datadir);
    o = (size_t)snprintf(cmd, sizeof(cmd), "SOCC_DATA_DIR='%s' timeout -s KILL "
                         "20 '%s' ingest", datadir, bin);
    for (i = 0; args[i]; i++)
        o += (size_t)snprintf(cmd + o, sizeof(cmd) - o, " '%s'", args[i]);
    snprintf(cmd + o, sizeof(cmd) - o, " >'%s' 2>'%s'", outp, errp);
    st = system(cmd);
    assert_true(WIFEXITED(st));
    r->status = WEXITSTATUS(st);
    memset(r->out, 0, sizeof(r->out));
    memset(r->err, 0, sizeof(r->err));
    fp = fopen(outp, "r");
    if (fp) {
        size_t n = fread(r->out, 1, sizeof(r->out) - 1, fp);
        (void)n;
        fclose(fp);
    }
    fp = fopen(errp, "r");
    if (fp) {
        size_t n = fread(r->err, 1, sizeof(r->err) - 1, fp);
        (void)n;
        fclose(fp);
    }
}

static int setup(void **state)
{
    (void)state;
    st_tmpdir(datadir, sizeof(datadir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    st_rmtree(datadir);
    return 0;
}

static const char csv[] = "host,severity\nweb-01,High\ndb-02,Low\n";

static void stores_then_refuses_duplicate(void **state)
{
    char path[512], path2[512];
    struct run r;

    (void)state;
    st_write_file(datadir, "alerts.csv", csv, sizeof(csv) - 1, path,
                  sizeof(path));
    {
        const char *a[] = { "--company", "acme", "--tool", "siem", path,
                            NULL };
        ingest(&r, a);
    }
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "alerts.csv: id=1 records=2 sheets=1 "
                                  "sha256="));
    /* the original file is left where it was */
    assert_int_equal(access(path, R_OK), 0);
    st_write_file(datadir, "copy.csv", csv, sizeof(csv) - 1, path2,
                  sizeof(path2));
    {
        const char *a[] = { "--company", "acme", "--tool", "edr", path2,
                            NULL };
        ingest(&r, a);
    }
    assert_int_equal(r.status, 16);
    assert_non_null(strstr(r.err, "socc: DUPLICATE_FILE: "));
    assert_non_null(strstr(r.err, "(upload 1 'alerts.csv', siem, "));
    {
        const char *a[] = { "--company", "globex", "--tool", "edr", path2,
                            NULL };
        ingest(&r, a);
    }
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "id=2 records=2"));
}

static void bad_input_exit_codes(void **state)
{
    char png[512], empty[512], good[512];
    struct run r;

    (void)state;
    st_write_file(datadir, "img.csv", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, png,
                  sizeof(png));
    st_write_file(datadir, "empty.csv", "", 0, empty, sizeof(empty));
    st_write_file(datadir, "good.csv", "a,b\n1,2\n", 8, good, sizeof(good));
    {
        /* one bad file makes the run fail, the good one is still stored */
        const char *a[] = { "--company", "acme", "--tool", "siem", png, good,
                            empty, NULL };
        ingest(&r, a);
    }
    assert_int_not_equal(r.status, 0);
    assert_non_null(strstr(r.err, "socc: INVALID_FILE_TYPE: "));
    assert_non_null(strstr(r.err, "PNG image"));
    assert_non_null(strstr(r.err, "socc: EMPTY_FILE: "));
    assert_non_null(strstr(r.out, "good.csv: id="));
    {
        const char *a[] = { "--company", "acme", "--tool", "splunk", good,
                            NULL };
        ingest(&r, a);
    }
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "socc: BAD_REQUEST: "));
    {
        const char *a[] = { "--company", "acme", "--tool", "siem",
                            "/nonexistent/x.csv", NULL };
        ingest(&r, a);
    }
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "cannot open /nonexistent/x.csv"));
}

static void too_large_for_the_limit(void **state)
{
    char path[512], cmd[1024];
    struct run r;

    (void)state;
    st_write_file(datadir, "big.csv", "a,b\n1,2\n3,4\n", 12, path,
                  sizeof(path));
    setenv("MAX_FILE_SIZE", "10", 1);
    {
        const char *a[] = { "--company", "acme", "--tool", "siem", path,
                            NULL };
        ingest(&r, a);
    }
    unsetenv("MAX_FILE_SIZE");
    assert_int_equal(r.status, 10);
    assert_non_null(strstr(r.err, "socc: FILE_TOO_LARGE: "));
    /* nothing of it was kept in the data dir's temp area */
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s/tmp')\"", datadir);
    assert_int_equal(system(cmd), 0);
}

/* A named pipe with no writer made open() wait forever. */
static void fifo_is_refused_without_blocking(void **state)
{
    char fifo[512], msg[1200];
    struct run r;

    (void)state;
    snprintf(fifo, sizeof(fifo), "%s/pipe", datadir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    alarm(60);   /* a second bound, should timeout(1) be missing */
    {
        const char *a[] = { "--company", "acme", "--tool", "siem", fifo,
                            NULL };
        ingest(&r, a);
    }
    alarm(0);
    assert_int_equal(r.status, 2);
    snprintf(msg, sizeof(msg), "socc: BAD_REQUEST: %s: %s is not a regular "
             "file\n", fifo, fifo);
    assert_string_equal(r.err, msg);
    {
        const char *a[] = { "--company", "acme", "--tool", "siem", datadir,
                            NULL };
        ingest(&r, a);
    }
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "is not a regular file"));
}

/* The first line on stderr (without its newline) into line. */
static void first_line(const struct run *r, char *line, size_t n)
{
    snprintf(line, n, "%.*s", (int)strcspn(r->err, "\n"), r->err);
}

/* Option faults: our own message and exit 2, not getopt's text. */
static void option_errors_name_the_fault(void **state)
{
    char line[600];
    struct run r;

    (void)state;
    {
        const char *a[] = { "--bogus", NULL };
        ingest(&r, a);
    }
    assert_int_equal(r.status, 2);
    first_line(&r, line, sizeof(line));
    assert_string_equal(line, "socc: BAD_REQUEST: unknown option '--bogus'");
    assert_null(strstr(r.err, "unrecognized"));
    {
        const char *a[] = { "--company", "acme", "-x", NULL };
        ingest(&r, a);
    }
    assert_int_equal(r.status, 2);
    first_line(&r, line, sizeof(line));
    assert_string_equal(line, "socc: BAD_REQUEST: unknown option '-x'");
    {
        const char *a[] = { "--company", NULL };
        ingest(&r, a);
    }
    assert_int_equal(r.status, 2);
    first_line(&r, line, sizeof(line));
    assert_string_equal(line, "socc: BAD_REQUEST: missing value for option "
                              "'--company'");
}

/* A bad --tool or --company says which value is wrong and why. */
static void bad_values_are_named(void **state)
{
    char line[600], longco[200];
    struct run r;

    (void)state;
    setenv("TOOL_TYPES", "gsuite,mdm,siem", 1);
    {
        const char *a[] = { "--company", "acme", "--tool", "nope", "x.csv",
                            NULL };
        ingest(&r, a);
    }
    unsetenv("TOOL_TYPES");
    assert_int_equal(r.status, 2);
    first_line(&r, line, sizeof(line));
    assert_string_equal(line, "socc: BAD_REQUEST: tool 'nope' is not one of "
                              "gsuite, mdm, siem");
    {
        const char *a[] = { "--company", "", "--tool", "siem", "x.csv", NULL };
        ingest(&r, a);
    }
    assert_int_equal(r.status, 2);
    first_line(&r, line, sizeof(line));
    assert_string_equal(line, "socc: BAD_REQUEST: company is empty");
    memset(longco, 'a', 129);
    longco[129] = '\0';
    {
        const char *a[] = { "--company", longco, "--tool", "siem", "x.csv",
                            NULL };
        ingest(&r, a);
    }
    assert_int_equal(r.status, 2);
    first_line(&r, line, sizeof(line));
    assert_string_equal(line, "socc: BAD_REQUEST: company is 129 bytes, "
                              "longer than 128");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stores_then_refuses_duplicate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(bad_input_exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(too_large_for_the_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(fifo_is_refused_without_blocking,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(option_errors_name_the_fault, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(bad_values_are_named, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
