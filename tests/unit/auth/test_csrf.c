#include "socc_test.h"

#include "auth/csrf.h"

static void test_new_tokens_differ_and_are_hex(void **state)
{
    char a[CSRF_LEN + 1], b[CSRF_LEN + 1];

    (void)state;
    csrf_new(a);
    csrf_new(b);
    assert_int_equal(strlen(a), CSRF_LEN);
    assert_int_equal(strspn(a, "0123456789abcdef"), CSRF_LEN);
    assert_string_not_equal(a, b);
}

static void test_compare(void **state)
{
    char a[CSRF_LEN + 1], b[CSRF_LEN + 1];

    (void)state;
    csrf_new(a);
    memcpy(b, a, sizeof(a));
    assert_int_equal(csrf_ok(a, b), 1);
    b[CSRF_LEN - 1] = b[CSRF_LEN - 1] == '0' ? '1' : '0';
    assert_int_equal(csrf_ok(a, b), 0);
    assert_int_equal(csrf_ok(a, NULL), 0);
    assert_int_equal(csrf_ok(a, ""), 0);
    b[CSRF_LEN - 1] = '\0';
    assert_int_equal(csrf_ok(a, b), 0);   /* a prefix is not enough */
    assert_int_equal(csrf_ok("", ""), 0); /* no session token: never */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_tokens_differ_and_are_hex),
        cmocka_unit_test(test_compare),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
