#include "socc_test.h"

#include "http/params.h"

static void u64_values(void **state)
{
    uint64_t v = 7;

    (void)state;
    assert_true(params_u64("0", &v));
    assert_int_equal(v, 0);
    assert_true(params_u64("52428800", &v));
    assert_int_equal(v, 52428800);
    assert_true(params_u64("18446744073709551615", &v));
    assert_true(v == UINT64_MAX);
    assert_false(params_u64("18446744073709551616", &v));   /* overflow */
    assert_false(params_u64(NULL, &v));
    assert_false(params_u64("", &v));
    assert_false(params_u64("-1", &v));
    assert_false(params_u64("+1", &v));
    assert_false(params_u64(" 1", &v));
    assert_false(params_u64("1 ", &v));
    assert_false(params_u64("12a", &v));
    assert_false(params_u64("0x10", &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(u64_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
