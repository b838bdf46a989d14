#include "socc_test.h"

#include "cli/backoff.h"

/* Caps double from the base and stop at the maximum. */
static void caps(void **state)
{
    struct backoff b;

    (void)state;
    backoff_init(&b, 3, 1000, 10000, 42);
    assert_int_equal(backoff_cap(&b, 0), 1000);
    assert_int_equal(backoff_cap(&b, 1), 2000);
    assert_int_equal(backoff_cap(&b, 2), 4000);
    assert_int_equal(backoff_cap(&b, 3), 8000);
    assert_int_equal(backoff_cap(&b, 4), 10000);
    assert_int_equal(backoff_cap(&b, 60), 10000);   /* no overflow */
}

/* Full jitter: every delay within [0, cap], and spread over it. */
static void jitter_spreads(void **state)
{
    struct backoff b;
    unsigned d, lo = 0, hi = 0, i;

    (void)state;
    backoff_init(&b, 3, 1000, 10000, 7);
    for (i = 0; i < 2000; i++) {
        d = backoff_delay(&b, 2);
        assert_true(d <= 4000);
        lo += d < 1000;
        hi += d > 3000;
    }
    /* a quarter each side, give or take: not all at the cap */
    assert_true(lo > 350 && lo < 650);
    assert_true(hi > 350 && hi < 650);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(caps),
        cmocka_unit_test(jitter_spreads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
