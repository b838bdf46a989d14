/* json_decode_string(): strict decoding of client JSON strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/json_decode.h"

/* Decode s; 0 and the text in out (size n), or -1. */
static int decode(const char *s, char *out, size_t n)
{
    struct buf b;
    int rc;

    buf_init(&b);
    rc = json_decode_string(s, strlen(s), &b);
    snprintf(out, n, "%s", b.data ? b.data : "");
    buf_release(&b);
    return rc;
}

static void test_plain_and_escapes(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(decode("\"\"", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(decode("\"abc\"", out, sizeof(out)), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(decode("\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"", out,
                            sizeof(out)), 0);
    assert_string_equal(out, "a\"b\\c/d\n\t\r\b\f");
}

static void test_unicode(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(decode("\"caf\\u00E9\"", out, sizeof(out)), 0);
    assert_string_equal(out, "caf\xc3\xa9");
    assert_int_equal(decode("\"\\u20ac\"", out, sizeof(out)), 0);
    assert_string_equal(out, "\xe2\x82\xac");
    /* a surrogate pair is one code point, U+1F600 */
    assert_int_equal(decode("\"\\ud83d\\ude00\"", out, sizeof(out)), 0);
    assert_string_equal(out, "\xf0\x9f\x98\x80");
    /* raw UTF-8 passes as it is */
    assert_int_equal(decode("\"\xc3\xa9t\xc3\xa9\"", out, sizeof(out)), 0);
    assert_string_equal(out, "\xc3\xa9t\xc3\xa9");
}

static void test_refused(void **state)
{
    static const char *const bad[] = {
        "", "\"", "abc", "\"abc", "abc\"", "\"a\"b\"", "\"\\\"", "\"\\x\"",
        "\"\\u12\"", "\"\\u12g4\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud83d\\u0041\"", "\"\\u0000\"", "\"a\nb\"", "\"\xff\"",
        "\"\xc3\"", "\"\xed\xa0\x80\"",
    };
    char out[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (decode(bad[i], out, sizeof(out)) != -1)
            print_message("accepted: %s\n", bad[i]);
        assert_int_equal(decode(bad[i], out, sizeof(out)), -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_escapes),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
