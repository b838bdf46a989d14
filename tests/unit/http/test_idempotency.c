#include "socc_test.h"

#include "http/idempotency.h"

static void keys_checked(void **state)
{
    char long_key[300];

    (void)state;
    assert_true(idem_key_ok("5f0c2a9e-1b7d-4c1e-9a43-0d2f0c8b7e11"));
    assert_true(idem_key_ok("!~"));
    assert_false(idem_key_ok(""));
    assert_false(idem_key_ok("has space"));
    assert_false(idem_key_ok("tab\there"));
    assert_false(idem_key_ok("caf\xc3\xa9"));
    memset(long_key, 'k', 255);
    long_key[255] = '\0';
    assert_true(idem_key_ok(long_key));
    long_key[255] = 'k';
    long_key[256] = '\0';
    assert_false(idem_key_ok(long_key));
}

static void one_claim_per_key(void **state)
{
    (void)state;
    assert_int_equal(idem_claim("a"), 0);
    assert_int_equal(idem_claim("b"), 0);
    assert_int_equal(idem_claim("a"), -1);
    idem_release("a");
    assert_int_equal(idem_claim("a"), 0);
    assert_int_equal(idem_claim("b"), -1);
    idem_release("a");
    idem_release("b");
    idem_release("never");   /* harmless */
    assert_int_equal(idem_claim("b"), 0);
    idem_release("b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_checked),
        cmocka_unit_test(one_claim_per_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
