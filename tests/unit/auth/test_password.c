#include "socc_test.h"

#include "auth/password.h"

static void test_hash_is_argon2id_and_verifies(void **state)
{
    char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];

    (void)state;
    assert_int_equal(password_hash("correct horse battery", h1), 0);
    assert_int_equal(strncmp(h1, "$argon2id$v=19$", 15), 0);
    assert_int_equal(password_verify(h1, "correct horse battery"), 1);
    assert_int_equal(password_verify(h1, "correct horse batterY"), 0);
    assert_int_equal(password_verify(h1, ""), 0);
    /* salted: the same password hashes differently */
    assert_int_equal(password_hash("correct horse battery", h2), 0);
    assert_string_not_equal(h1, h2);
    assert_int_equal(password_verify(h2, "correct horse battery"), 1);
}

static void test_other_hashes_never_verify(void **state)
{
    (void)state;
    assert_int_equal(password_verify("", "x"), 0);
    assert_int_equal(password_verify("plaintext", "plaintext"), 0);
    assert_int_equal(password_verify("$argon2i$v=19$m=4096,t=3,p=1$c2FsdA$"
                                     "aGFzaA", "x"), 0);
}

static void test_acceptable(void **state)
{
    char long_pw[PASSWORD_MAX + 2];

    (void)state;
    assert_int_equal(password_acceptable("0123456789"), 1);
    assert_int_equal(password_acceptable("012345678"), 0);
    assert_int_equal(password_acceptable("0123456789\n"), 0);
    assert_int_equal(password_acceptable("01234\x7f" "56789"), 0);
    memset(long_pw, 'a', sizeof(long_pw) - 1);
    long_pw[sizeof(long_pw) - 1] = '\0';
    assert_int_equal(password_acceptable(long_pw), 0);
    long_pw[PASSWORD_MAX] = '\0';
    assert_int_equal(password_acceptable(long_pw), 1);
}

static void test_random_passwords(void **state)
{
    char a[21], b[21];
    size_t i;

    (void)state;
    password_random(a, sizeof(a));
    password_random(b, sizeof(b));
    assert_int_equal(strlen(a), 20);
    assert_string_not_equal(a, b);
    for (i = 0; i < 20; i++) {
        assert_non_null(strchr("abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ"
                               "23456789", a[i]));
    }
    assert_int_equal(password_acceptable(a), 1);
    password_verify_dummy("anything at all");   /* returns, no crash */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_is_argon2id_and_verifies),
        cmocka_unit_test(test_other_hashes_never_verify),
        cmocka_unit_test(test_acceptable),
        cmocka_unit_test(test_random_passwords),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
