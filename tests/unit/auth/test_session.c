#include "socc_test.h"

#include "auth/session.h"
#include "core/sha256.h"
#include "auth_fixture.h"

static const struct session_limits lim = { 60, 3600 };

static void test_create_check_touch(void **state)
{
    struct fx *f = *state;
    struct auth_store_session ss, got;
    char id[SESSION_ID_LEN + 1], hash[65];
    struct socc_error e;
    int64_t uid = fx_user(f->st, "ann", "analyst", "acme");

    assert_int_equal(session_create(f->st, uid, 1000, &lim, id, &ss, &e),
                     SOCC_OK);
    assert_int_equal(strlen(id), SESSION_ID_LEN);
    /* only the hash is stored */
    sha256_hex(id, SESSION_ID_LEN, hash);
    assert_string_equal(ss.id_hash, hash);
    assert_string_not_equal(ss.id_hash, id);
    assert_int_equal(ss.expires, 1000 + 3600);
    assert_int_equal(session_check(f->st, id, 1050, &lim, &got, &e), SOCC_OK);
    assert_int_equal(got.user_id, uid);
    assert_string_equal(got.csrf, ss.csrf);
    /* used at 1050: still alive at 1100, 50 s later */
    assert_int_equal(session_check(f->st, id, 1100, &lim, &got, &e), SOCC_OK);
    assert_int_equal(got.last_seen, 1050);
}

static void test_idle_and_absolute_expiry(void **state)
{
    struct fx *f = *state;
    struct auth_store_session ss;
    char id[SESSION_ID_LEN + 1], id2[SESSION_ID_LEN + 1];
    struct socc_error e;
    int64_t uid = fx_user(f->st, "ann", "analyst", NULL);
    int64_t t;

    session_create(f->st, uid, 1000, &lim, id, &ss, &e);
    assert_int_equal(session_check(f->st, id, 1061, &lim, &ss, &e),
                     SOCC_E_UNAUTHENTICATED);
    /* an expired session stays dead */
    assert_int_equal(session_check(f->st, id, 1062, &lim, &ss, &e),
                     SOCC_E_UNAUTHENTICATED);
    session_create(f->st, uid, 2000, &lim, id2, &ss, &e);
    for (t = 2050; t < 2000 + 3600; t += 50)
        assert_int_equal(session_check(f->st, id2, t, &lim, &ss, &e),
                         SOCC_OK);
    assert_int_equal(session_check(f->st, id2, 2000 + 3600, &lim, &ss, &e),
                     SOCC_E_UNAUTHENTICATED);
}

static void test_revoke_and_password_change(void **state)
{
    struct fx *f = *state;
    struct auth_store_session ss;
    char a[SESSION_ID_LEN + 1], b[SESSION_ID_LEN + 1];
    struct socc_error e;
    int64_t uid = fx_user(f->st, "ann", "analyst", NULL);

    session_create(f->st, uid, 1000, &lim, a, &ss, &e);
    session_create(f->st, uid, 1000, &lim, b, &ss, &e);
    assert_string_not_equal(a, b);
    assert_int_equal(session_revoke(f->st, a, &e), SOCC_OK);
    assert_int_equal(session_check(f->st, a, 1001, &lim, &ss, &e),
                     SOCC_E_UNAUTHENTICATED);
    assert_int_equal(session_check(f->st, b, 1001, &lim, &ss, &e), SOCC_OK);
    assert_int_equal(auth_store_user_set_password(f->st, uid, "$argon2id$y",
                                                  &e), SOCC_OK);
    assert_int_equal(session_check(f->st, b, 1002, &lim, &ss, &e),
                     SOCC_E_UNAUTHENTICATED);
    assert_int_equal(session_check(f->st, "not-hex", 1002, &lim, &ss, &e),
                     SOCC_E_UNAUTHENTICATED);
}

static void test_cookie_parse_and_build(void **state)
{
    char id[SESSION_ID_LEN + 1], hdr[300], out[200];
    const char *v = "0123456789abcdef0123456789abcdef"
                    "0123456789abcdef0123456789abcdef";

    (void)state;
    snprintf(hdr, sizeof(hdr), "a=b; socc_session=%s; c=d", v);
    assert_int_equal(session_from_cookie(hdr, id), 1);
    assert_string_equal(id, v);
    snprintf(hdr, sizeof(hdr), "socc_session=%s", v);
    assert_int_equal(session_from_cookie(hdr, id), 1);
    assert_int_equal(session_from_cookie("socc_session=abc", id), 0);
    assert_int_equal(session_from_cookie("xsocc_session=abc", id), 0);
    assert_int_equal(session_from_cookie(NULL, id), 0);
    snprintf(hdr, sizeof(hdr), "socc_session=%.63sZ", v);
    assert_int_equal(session_from_cookie(hdr, id), 0);
    session_cookie(out, sizeof(out), v, 0);
    assert_non_null(strstr(out, "HttpOnly"));
    assert_non_null(strstr(out, "SameSite=Strict"));
    assert_non_null(strstr(out, "Path=/"));
    assert_null(strstr(out, "Secure"));
    session_cookie(out, sizeof(out), v, 1);
    assert_non_null(strstr(out, "; Secure"));
    session_cookie(out, sizeof(out), NULL, 1);
    assert_non_null(strstr(out, "socc_session=;"));
    assert_non_null(strstr(out, "Max-Age=0"));
}

static void test_limits_from_env(void **state)
{
    struct session_limits l;

    (void)state;
    unsetenv("SOCC_SESSION_IDLE");
    unsetenv("SOCC_SESSION_MAX");
    assert_int_equal(session_limits_from_env(&l), 0);
    assert_int_equal(l.idle_s, SESSION_IDLE_DEFAULT);
    assert_int_equal(l.max_s, SESSION_MAX_DEFAULT);
    setenv("SOCC_SESSION_IDLE", "5", 1);
    assert_int_equal(session_limits_from_env(&l), 0);
    assert_int_equal(l.idle_s, 5);
    setenv("SOCC_SESSION_IDLE", "0", 1);
    assert_int_equal(session_limits_from_env(&l), -1);
    setenv("SOCC_SESSION_IDLE", "5s", 1);
    assert_int_equal(session_limits_from_env(&l), -1);
    unsetenv("SOCC_SESSION_IDLE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_check_touch, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_idle_and_absolute_expiry,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_revoke_and_password_change,
                                        fx_setup, fx_teardown),
        cmocka_unit_test(test_cookie_parse_and_build),
        cmocka_unit_test(test_limits_from_env),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
