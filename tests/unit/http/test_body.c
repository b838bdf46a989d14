#include "socc_test.h"

#include "http/body.h"

static int str(const char *json, const char *key, char *out, size_t cap)
{
    return body_str(json, strlen(json), key, out, cap);
}

static void test_strings(void **state)
{
    char out[32];

    (void)state;
    assert_int_equal(str("{\"name\":\"ann\",\"password\":\"p w\"}", "password",
                         out, sizeof(out)), 1);
    assert_string_equal(out, "p w");
    assert_int_equal(str("{\"name\":\"a\\\"b\\\\c\\/d\\u00e9\"}", "name", out,
                         sizeof(out)), 1);
    assert_string_equal(out, "a\"b\\c/dé");
    assert_int_equal(str("{\"name\":\"ann\"}", "role", out, sizeof(out)), 0);
    assert_int_equal(str("{\"name\":12}", "name", out, sizeof(out)), -1);
    assert_int_equal(str("{\"name\":\"a\\u0000b\"}", "name", out,
                         sizeof(out)), -1);
    assert_int_equal(str("{\"name\":\"a\\qb\"}", "name", out, sizeof(out)),
                     -1);
    assert_int_equal(str("{\"name\":\"0123456789\"}", "name", out, 10), -1);
    assert_int_equal(str("not json", "name", out, sizeof(out)), 0);
    /* a key inside a value is not a key */
    assert_int_equal(str("{\"x\":\"\\\"name\\\":\\\"no\\\"\"}", "name", out,
                         sizeof(out)), 0);
}

static void test_raw(void **state)
{
    const char *j = "{\"companies\":[\"a\",\"b\"],\"disabled\":true}";
    const char *v;
    size_t n = 0;

    (void)state;
    v = body_raw(j, strlen(j), "companies", &n);
    assert_non_null(v);
    assert_int_equal(n, 9);
    assert_memory_equal(v, "[\"a\",\"b\"]", 9);
    v = body_raw(j, strlen(j), "disabled", &n);
    assert_int_equal(n, 4);
    assert_null(body_raw(j, strlen(j), "role", &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_raw),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
