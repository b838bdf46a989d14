/* Unit tests of the streaming multipart/form-data parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/multipart.h"

#define CT "multipart/form-data; boundary=----socctestBoundary7MA4YWxkTrZu0gW"
#define B "----socctestBoundary7MA4YWxkTrZu0gW"

/* What the callbacks saw. */
struct seen {
    int nparts;
    int ended;
    char names[8][MULTIPART_NAME_MAX + 1];
    char files[8][MULTIPART_FILENAME_MAX + 1];
    int has_file[8];
    char data[8][4096];
    size_t dlen[8];
    int stop_at_data;   /* return LIMIT_EXCEEDED on data when set */
};

static enum socc_err on_begin(void *ctx, const struct multipart_part *p)
{
    struct seen *s = ctx;

    if (s->nparts >= 8)
        return SOCC_E_LIMIT_EXCEEDED;
    snprintf(s->names[s->nparts], sizeof(s->names[0]), "%s", p->name);
    snprintf(s->files[s->nparts], sizeof(s->files[0]), "%s", p->filename);
    s->has_file[s->nparts] = p->has_filename;
    s->nparts++;
    return SOCC_OK;
}

static enum socc_err on_data(void *ctx, const char *d, size_t n)
{
    struct seen *s = ctx;
    int k = s->nparts - 1;

    if (s->stop_at_data)
        return SOCC_E_LIMIT_EXCEEDED;
    if (k < 0 || s->dlen[k] + n >= sizeof(s->data[0]))
        return SOCC_E_LIMIT_EXCEEDED;
    memcpy(s->data[k] + s->dlen[k], d, n);
    s->dlen[k] += n;
    return SOCC_OK;
}

static enum socc_err on_end(void *ctx)
{
    ((struct seen *)ctx)->ended++;
    return SOCC_OK;
}

/* Parse body in chunks of at most step bytes; returns finish's code. */
static enum socc_err parse(const char *ct, const char *body, size_t len,
                           size_t step, struct seen *s)
{
    struct multipart_cb cb = { s, on_begin, on_data, on_end };
    struct multipart *m;
    struct socc_error err;
    enum socc_err e;
    size_t off = 0, n;

    e = multipart_new(ct, &cb, &m, &err);
    if (e != SOCC_OK)
        return e;
    while (off < len) {
        n = len - off < step ? len - off : step;
        e = multipart_feed(m, body + off, n, &err);
        if (e != SOCC_OK)
            goto out;
        off += n;
    }
    e = multipart_finish(m, &err);
out:
    multipart_free(m);
    return e;
}

static const char body1[] =
    "preamble text\r\n"
    "--" B "\r\n"
    "Content-Disposition: form-data; name=\"company\"\r\n"
    "\r\n"
    "acme\r\n"
    "--" B "\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
    "Content-Type: text/csv\r\n"
    "\r\n"
    "host,sev\r\n\r\n--" "----socctestBound" "x\r\n-\r\r\n--\r\n-" B "\r"
    "\r\n"
    "--" B "--\r\n"
    "epilogue\r\n--" B "\r\n";

static const char data1[] =
    "host,sev\r\n\r\n--" "----socctestBound" "x\r\n-\r\r\n--\r\n-" B "\r";

/* Boundary split at every position, every chunk size up to 64. */
static void test_every_split(void **state)
{
    size_t step;

    (void)state;
    for (step = 1; step <= sizeof(body1); step++) {
        struct seen s;
        memset(&s, 0, sizeof(s));
        assert_int_equal(parse(CT, body1, sizeof(body1) - 1, step, &s),
                         SOCC_OK);
        assert_int_equal(s.nparts, 2);
        assert_int_equal(s.ended, 2);
        assert_string_equal(s.names[0], "company");
        assert_int_equal(s.dlen[0], 4);
        assert_memory_equal(s.data[0], "acme", 4);
        assert_string_equal(s.names[1], "file");
        assert_string_equal(s.files[1], "a.csv");
        assert_int_equal(s.dlen[1], sizeof(data1) - 1);
        assert_memory_equal(s.data[1], data1, sizeof(data1) - 1);
    }
}

/* Two-chunk split at every byte position. */
static void test_split_positions(void **state)
{
    size_t cut, len = sizeof(body1) - 1;
    struct multipart_cb cb;
    struct multipart *m;
    struct seen s;

    (void)state;
    for (cut = 0; cut <= len; cut++) {
        memset(&s, 0, sizeof(s));
        cb = (struct multipart_cb){ &s, on_begin, on_data, on_end };
        assert_int_equal(multipart_new(CT, &cb, &m, NULL), SOCC_OK);
        assert_int_equal(multipart_feed(m, body1, cut, NULL), SOCC_OK);
        assert_int_equal(multipart_feed(m, body1 + cut, len - cut, NULL),
                         SOCC_OK);
        assert_int_equal(multipart_finish(m, NULL), SOCC_OK);
        multipart_free(m);
        assert_int_equal(s.dlen[1], sizeof(data1) - 1);
        assert_memory_equal(s.data[1], data1, sizeof(data1) - 1);
    }
}

static void test_truncated(void **state)
{
    size_t cut, end;
    struct seen s;

    (void)state;
    end = (size_t)(strstr(body1, "--" B "--") - body1) + strlen(B) + 4;
    for (cut = 0; cut < end; cut++) {
        memset(&s, 0, sizeof(s));
        enum socc_err e = parse(CT, body1, cut, 7, &s);
        assert_int_equal(e, SOCC_E_UPLOAD_INCOMPLETE);
    }
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(CT, body1, end, 7, &s), SOCC_OK);
}

static void test_no_preamble_lf_only(void **state)
{
    static const char body[] =
        "--xyz\n"
        "Content-Disposition: form-data; name=a\n"
        "\n"
        "1\r\n--xyz\n"
        "content-disposition: form-data; name=b\n"
        "\n"
        "\r\n--xyz--";
    struct seen s;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse("Multipart/Form-Data;boundary=\"xyz\"", body,
                           sizeof(body) - 1, 3, &s), SOCC_OK);
    assert_int_equal(s.nparts, 2);
    assert_string_equal(s.names[0], "a");
    assert_int_equal(s.dlen[0], 1);
    assert_string_equal(s.names[1], "b");
    assert_int_equal(s.dlen[1], 0);
}

/* Disposition of one part header; returns the parsed part. */
static struct multipart_part disp(const char *v, enum socc_err want)
{
    struct multipart_part p;

    memset(&p, 0, sizeof(p));
    assert_int_equal(multipart_disposition(v, strlen(v), &p, NULL), want);
    return p;
}

/* Case 022: raw UTF-8, filename* over filename, quoted specials. */
static void test_case_022_names(void **state)
{
    struct multipart_part p;

    (void)state;
    p = disp("form-data; name=\"file\"; filename=\"R\xc3\xa9sum\xc3\xa9-"
             "\xe3\x82\xb9\xe3\x82\xad\xe3\x83\xa3\xe3\x83\xb3 2024.csv\"",
             SOCC_OK);
    assert_string_equal(p.filename, "R\xc3\xa9sum\xc3\xa9-\xe3\x82\xb9"
                                    "\xe3\x82\xad\xe3\x83\xa3\xe3\x83\xb3 2024.csv");
    p = disp("form-data; name=\"file\"; filename=\"Resume-scan 2024.csv\"; "
             "filename*=UTF-8''R%C3%A9sum%C3%A9-%E3%82%B9%E3%82%AD%E3%83%A3"
             "%E3%83%B3%202024.csv", SOCC_OK);
    assert_string_equal(p.filename, "R\xc3\xa9sum\xc3\xa9-\xe3\x82\xb9"
                                    "\xe3\x82\xad\xe3\x83\xa3\xe3\x83\xb3 2024.csv");
    p = disp("form-data; filename*=utf-8'en'a%20b.csv; filename=\"x.csv\";"
             " name=file", SOCC_OK);
    assert_string_equal(p.filename, "a b.csv");
    assert_string_equal(p.name, "file");
    p = disp("form-data; name=\"file\"; filename=\"q\\\"uote;semi=colon.csv\"",
             SOCC_OK);
    assert_string_equal(p.filename, "q\"uote;semi=colon.csv");
    assert_string_equal(p.name, "file");
}

static void test_filename_forms(void **state)
{
    struct multipart_part p;

    (void)state;
    p = disp("form-data; name=file; filename=C:\\dir\\x.csv", SOCC_OK);
    assert_string_equal(p.filename, "C:\\dir\\x.csv");
    p = disp("form-data; filename*=ISO-8859-1''caf%E9.csv", SOCC_OK);
    assert_string_equal(p.filename, "caf\xc3\xa9.csv");
    p = disp("form-data; filename=\"ok.csv\"; filename*=KOI8-R''x%ZZ",
             SOCC_OK);
    assert_string_equal(p.filename, "ok.csv");
    p = disp("form-data; filename=\"ok.csv\"; filename*=UTF-8''bad%4", SOCC_OK);
    assert_string_equal(p.filename, "ok.csv");
    p = disp("form-data; name=\"f\"; filename=\"\"", SOCC_OK);
    assert_int_equal(p.has_filename, 1);
    assert_int_equal(p.filename_len, 0);
    p = disp("form-data; name=\"company\"", SOCC_OK);
    assert_int_equal(p.has_filename, 0);
    disp("form-data; name=\"file\"; filename=\"open.csv", SOCC_E_BAD_REQUEST);
    p = disp("form-data ; name = \"sp\" ; junk ; =x; name2=y", SOCC_OK);
    assert_string_equal(p.name, "sp");
}

static void test_limits(void **state)
{
    char *big = malloc(MULTIPART_HEADER_MAX + 200);
    char name[MULTIPART_NAME_MAX + 40];
    struct seen s;
    int n;

    (void)state;
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    n = snprintf(big, MULTIPART_HEADER_MAX + 200,
                 "--b\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                 "x\r\n--b--", name);
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse("multipart/form-data; boundary=b", big,
                           (size_t)n, 5, &s), SOCC_E_BAD_REQUEST);
    memcpy(big, "--b\r\nX-Pad: ", 12);
    memset(big + 12, 'p', MULTIPART_HEADER_MAX + 100);
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse("multipart/form-data; boundary=b", big,
                           MULTIPART_HEADER_MAX + 112, 1000, &s),
                     SOCC_E_BAD_REQUEST);
    free(big);
}

static void test_bad_content_types(void **state)
{
    char b[MULTIPART_BOUNDARY_MAX + 1];
    struct seen s;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse("text/plain; boundary=x", "", 0, 1, &s),
                     SOCC_E_BAD_REQUEST);
    assert_int_equal(multipart_boundary("multipart/form-data", b), -1);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=", b),
                     -1);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=\"a",
                                        b), -1);
    assert_int_equal(multipart_boundary(
        "multipart/form-data; boundary=0123456789012345678901234567890123456"
        "78901234567890123456789012345678901234567890", b), -1);
    assert_int_equal(multipart_boundary(
        "multipart/form-data; charset=x; boundary=\"a b\"", b), 0);
    assert_string_equal(b, "a b");
}

static void test_malformed_and_stop(void **state)
{
    static const char junk[] = "--b\r\n\r\nx\r\n--bZ\r\n";
    static const char ok[] = "--b\r\nContent-Disposition: form-data; "
                             "name=f\r\n\r\nabc\r\n--b--";
    struct seen s;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse("multipart/form-data; boundary=b", junk,
                           sizeof(junk) - 1, 4, &s), SOCC_E_BAD_REQUEST);
    memset(&s, 0, sizeof(s));
    s.stop_at_data = 1;
    assert_int_equal(parse("multipart/form-data; boundary=b", ok,
                           sizeof(ok) - 1, 4, &s), SOCC_E_LIMIT_EXCEEDED);
}

/* Pseudo-random bytes never crash the parser. */
static void test_noise(void **state)
{
    char body[2048];
    uint32_t x = 12345;
    size_t i;
    int round;
    struct seen s;

    (void)state;
    for (round = 0; round < 300; round++) {
        for (i = 0; i < sizeof(body); i++) {
            x = x * 1103515245u + 12345u;
            body[i] = "-b\r\n:;\"=a"[(x >> 16) % 10];
        }
        memcpy(body, "--b\r\n", 5);
        memset(&s, 0, sizeof(s));
        parse("multipart/form-data; boundary=b", body, sizeof(body),
              (size_t)(round % 17) + 1, &s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_split_positions),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_no_preamble_lf_only),
        cmocka_unit_test(test_case_022_names),
        cmocka_unit_test(test_filename_forms),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bad_content_types),
        cmocka_unit_test(test_malformed_and_stop),
        cmocka_unit_test(test_noise),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
