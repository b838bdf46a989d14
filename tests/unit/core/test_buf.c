#include "socc_test.h"

#include "core/buf.h"
#include "core/json.h"

static void appends_and_detach(void **state)
{
    struct buf b;
    char *p;

    (void)state;
    buf_init(&b);
    buf_adds(&b, "ab");
    buf_addc(&b, 'c');
    buf_printf(&b, "%d-%s", 42, "x");
    buf_add_i64(&b, -7);
    assert_string_equal(b.data, "abc42-x-7");
    assert_int_equal(b.len, 9);
    p = buf_detach(&b);
    assert_string_equal(p, "abc42-x-7");
    assert_null(b.data);
    free(p);
    p = buf_detach(&b);   /* empty buffer still gives a string */
    assert_string_equal(p, "");
    free(p);
}

static void json_escapes(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b);
    buf_add_json_str(&b, "a\"b\\c\n\t\x01", 8);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\t\\u0001\"");
    buf_reset(&b);
    buf_add_json_str(&b, "x\0y", 3);
    assert_string_equal(b.data, "\"x\\u0000y\"");
    buf_reset(&b);
    /* valid UTF-8 kept, invalid bytes replaced */
    buf_add_json_str(&b, "\xc3\xa9\xff\xe2\x82", 5);
    assert_string_equal(b.data, "\"\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    buf_reset(&b);
    buf_add_json_str(&b, "\xed\xa0\x80", 3);   /* surrogate: invalid */
    assert_string_equal(b.data, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    buf_reset(&b);
    buf_add_json_strz(&b, NULL);
    assert_string_equal(b.data, "null");
    buf_release(&b);
}

/* A slow, obviously right escaper to check the word-at-a-time one. */
static void ref_escape(const unsigned char *p, size_t n, struct buf *b)
{
    size_t i = 0;

    buf_addc(b, '"');
    while (i < n) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            buf_addc(b, '\\');
            buf_addc(b, (char)c);
        } else if (c == '\n') {
            buf_adds(b, "\\n");
        } else if (c == '\r') {
            buf_adds(b, "\\r");
        } else if (c == '\t') {
            buf_adds(b, "\\t");
        } else if (c < 0x20) {
            buf_printf(b, "\\u%04x", c);
        } else if (c < 0x80) {
            buf_addc(b, (char)c);
        } else if (c >= 0xc3 && c <= 0xc5 && i + 1 < n &&
                   (p[i + 1] & 0xc0) == 0x80) {
            buf_add(b, p + i, 2);   /* the generator only makes these */
            i++;
        } else {
            buf_adds(b, "\xef\xbf\xbd");
        }
        i++;
    }
    buf_addc(b, '"');
}

static void json_escape_matches_reference(void **state)
{
    unsigned char in[2048];
    const unsigned char alphabet[] = "abc ,\"\\\n\t\x01\x7f\xc3\xa9\xff";
    uint32_t x = 12345;
    struct buf got, want;
    size_t i, round;

    (void)state;
    buf_init(&got);
    buf_init(&want);
    for (round = 0; round < 200; round++) {
        size_t n = round * 7 % sizeof(in);
        for (i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            /* mostly plain text, sometimes a special byte */
            in[i] = (x >> 16) % 4 ? (unsigned char)('a' + (x >> 8) % 26)
                                  : alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
        }
        buf_reset(&got);
        buf_reset(&want);
        buf_add_json_str(&got, (const char *)in, n);
        ref_escape(in, n, &want);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, got.len);
    }
    buf_release(&got);
    buf_release(&want);
}

static void json_iter_elements(void **state)
{
    const char *txt = "[\"a,b\",null, 12,\"q\\\"]\",[1,2],{\"k\":\"}\"},true]";
    const char *want[] = { "\"a,b\"", "null", "12", "\"q\\\"]\"", "[1,2]",
                           "{\"k\":\"}\"}", "true" };
    struct json_iter it;
    const char *e;
    size_t n, k = 0;

    (void)state;
    assert_int_equal(json_iter_init(&it, txt, strlen(txt)), 0);
    while (json_iter_next(&it, &e, &n)) {
        assert_true(k < 7);
        assert_int_equal(n, strlen(want[k]));
        assert_memory_equal(e, want[k], n);
        k++;
    }
    assert_int_equal(k, 7);
    assert_int_equal(json_iter_init(&it, "{}", 2), -1);
    assert_int_equal(json_iter_init(&it, "[]", 2), 0);
    assert_false(json_iter_next(&it, &e, &n));
    /* truncated text ends the walk instead of overrunning */
    assert_int_equal(json_iter_init(&it, "[\"abc", 5), 0);
    assert_false(json_iter_next(&it, &e, &n));
    /* a stray closing brace ends it too, instead of looping for ever on an
     * empty element (fuzz_json's timeout input) */
    txt = "[\"a\",1,tr}ee,nul]";
    assert_int_equal(json_iter_init(&it, txt, strlen(txt)), 0);
    for (k = 0; k < 10 && json_iter_next(&it, &e, &n); k++)
        assert_true(n > 0);
    assert_int_equal(k, 3);   /* "a", 1, tr: then the '}' stops it */
    {
        const char *key, *v;
        size_t kn, vn;

        assert_int_equal(json_iter_init_object(&it, "{\"a\":}", 6), 0);
        assert_false(json_iter_next_member(&it, &key, &kn, &v, &vn));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_and_detach),
        cmocka_unit_test(json_escapes),
        cmocka_unit_test(json_escape_matches_reference),
        cmocka_unit_test(json_iter_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
