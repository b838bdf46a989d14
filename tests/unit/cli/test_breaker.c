#include "socc_test.h"

#include "cli/breaker.h"

/* Opens after the threshold, waits, lets one through, trips on its fail. */
static void opens_then_trips(void **state)
{
    struct breaker b;

    (void)state;
    breaker_init(&b, 3, 5000);
    assert_int_equal(breaker_wait(&b, 0), 0);
    assert_int_equal(breaker_failure(&b, 10), BREAKER_CLOSED);
    assert_int_equal(breaker_failure(&b, 20), BREAKER_CLOSED);
    assert_int_equal(breaker_failure(&b, 30), BREAKER_OPEN);
    assert_int_equal(breaker_wait(&b, 1030), 4000);
    assert_int_equal(breaker_wait(&b, 5030), 0);
    assert_int_equal(b.state, BREAKER_HALF_OPEN);
    assert_int_equal(breaker_failure(&b, 6000), BREAKER_TRIPPED);
    assert_int_equal(breaker_wait(&b, 99999), -1);
}

/* A success resets the count and closes a half-open breaker. */
static void success_closes(void **state)
{
    struct breaker b;

    (void)state;
    breaker_init(&b, 2, 100);
    breaker_failure(&b, 0);
    breaker_success(&b);
    assert_int_equal(breaker_failure(&b, 0), BREAKER_CLOSED);
    assert_int_equal(breaker_failure(&b, 0), BREAKER_OPEN);
    assert_int_equal(breaker_wait(&b, 100), 0);
    breaker_success(&b);
    assert_int_equal(b.state, BREAKER_CLOSED);
    assert_int_equal(breaker_failure(&b, 200), BREAKER_CLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opens_then_trips),
        cmocka_unit_test(success_closes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
