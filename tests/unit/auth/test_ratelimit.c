#include "socc_test.h"

#include "auth/ratelimit.h"
#include "auth_fixture.h"

static void test_tiers(void **state)
{
    double rate, burst;

    (void)state;
    assert_int_equal(ratelimit_tier("low", &rate, &burst), 0);
    assert_true(rate == 1.0 && burst == 20.0);
    assert_int_equal(ratelimit_tier("standard", &rate, &burst), 0);
    assert_true(rate == 10.0 && burst == 100.0);
    assert_int_equal(ratelimit_tier("gold", &rate, &burst), -1);
    assert_int_equal(ratelimit_tier_ok("unlimited"), 1);
    assert_int_equal(ratelimit_tier_ok(NULL), 0);
}

static void test_bucket_burst_then_refill(void **state)
{
    struct ratelimit_bucket b = { 0, 0 };
    unsigned wait = 0;
    int i;

    (void)state;
    for (i = 0; i < 5; i++)
        assert_int_equal(ratelimit_bucket_take(&b, 2.0, 5.0, 100.0, &wait),
                         1);
    assert_int_equal(ratelimit_bucket_take(&b, 2.0, 5.0, 100.0, &wait), 0);
    assert_int_equal(wait, 1);          /* half a second, rounded up */
    assert_int_equal(ratelimit_bucket_take(&b, 2.0, 5.0, 100.4, &wait), 0);
    assert_int_equal(ratelimit_bucket_take(&b, 2.0, 5.0, 100.6, &wait), 1);
    /* a long pause refills only up to the burst */
    for (i = 0; i < 5; i++)
        assert_int_equal(ratelimit_bucket_take(&b, 2.0, 5.0, 1000.0, &wait),
                         1);
    assert_int_equal(ratelimit_bucket_take(&b, 2.0, 5.0, 1000.0, &wait), 0);
}

static void test_slow_tier_waits_longer(void **state)
{
    struct ratelimit_bucket b = { 0, 0 };
    unsigned wait = 0;

    (void)state;
    assert_int_equal(ratelimit_bucket_take(&b, 0.1, 1.0, 50.0, &wait), 1);
    assert_int_equal(ratelimit_bucket_take(&b, 0.1, 1.0, 50.0, &wait), 0);
    assert_int_equal(wait, 10);
}

static void test_keys_are_separate(void **state)
{
    struct ratelimit *rl = ratelimit_new();
    unsigned wait = 0;
    int i;

    (void)state;
    for (i = 0; i < 20; i++)
        assert_int_equal(ratelimit_take(rl, "token:1", "low", 10.0, &wait),
                         1);
    assert_int_equal(ratelimit_take(rl, "token:1", "low", 10.0, &wait), 0);
    assert_int_equal(ratelimit_take(rl, "token:2", "low", 10.0, &wait), 1);
    for (i = 0; i < 1000; i++)
        assert_int_equal(ratelimit_take(rl, "token:3", "unlimited", 10.0,
                                        &wait), 1);
    /* more keys than slots: old ones are reused, nothing breaks */
    for (i = 0; i < 3000; i++) {
        char key[32];
        snprintf(key, sizeof(key), "user:%d", i);
        assert_int_equal(ratelimit_take(rl, key, "standard", 20.0 + i,
                                         &wait), 1);
    }
    ratelimit_free(rl);
}

static void test_login_limit_per_account_and_address(void **state)
{
    struct fx *f = *state;
    struct socc_error e;
    unsigned wait = 0;
    int i;

    for (i = 0; i < 4; i++)
        assert_int_equal(auth_store_login_note(f->st, "ann", "10.0.0.1", 0,
                                               1000 + i, &e), SOCC_OK);
    assert_int_equal(ratelimit_login_check(f->st, "ann", "10.0.0.9", 1010,
                                           &wait, &e), SOCC_OK);
    assert_int_equal(auth_store_login_note(f->st, "ann", "10.0.0.2", 0, 1005,
                                           &e), SOCC_OK);
    /* five failures for ann: locked from any address */
    assert_int_equal(ratelimit_login_check(f->st, "ann", "10.0.0.9", 1010,
                                           &wait, &e), SOCC_E_RATE_LIMITED);
    assert_int_equal(wait, 1000 + RATELIMIT_LOGIN_WINDOW - 1010);
    /* until the oldest failure leaves the window */
    assert_int_equal(ratelimit_login_check(f->st, "ann", "10.0.0.9",
                                           1000 + RATELIMIT_LOGIN_WINDOW,
                                           &wait, &e), SOCC_OK);
    /* five failures from one address lock every account there */
    for (i = 0; i < 5; i++) {
        char acct[16];
        snprintf(acct, sizeof(acct), "u%d", i);
        auth_store_login_note(f->st, acct, "10.9.9.9", 0, 5000, &e);
    }
    assert_int_equal(ratelimit_login_check(f->st, "zed", "10.9.9.9", 5001,
                                           &wait, &e), SOCC_E_RATE_LIMITED);
    assert_int_equal(ratelimit_login_check(f->st, "zed", "10.9.9.8", 5001,
                                           &wait, &e), SOCC_OK);
    /* successes do not count */
    for (i = 0; i < 10; i++)
        auth_store_login_note(f->st, "ok", "10.1.1.1", 1, 7000, &e);
    assert_int_equal(ratelimit_login_check(f->st, "ok", "10.1.1.1", 7001,
                                           &wait, &e), SOCC_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiers),
        cmocka_unit_test(test_bucket_burst_then_refill),
        cmocka_unit_test(test_slow_tier_waits_longer),
        cmocka_unit_test(test_keys_are_separate),
        cmocka_unit_test_setup_teardown(
            test_login_limit_per_account_and_address, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
