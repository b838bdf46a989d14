#include "socc_test.h"

#include "auth/token.h"
#include "core/sha256.h"
#include "auth_fixture.h"

static int64_t make(struct store *st, int64_t uid, const char *tier,
                    const char *scope, int all, char text[TOKEN_LEN + 1],
                    enum socc_err want)
{
    struct auth_store_token t;
    struct socc_error e;
    int64_t id = 0;

    memset(&t, 0, sizeof(t));
    t.user_id = uid;
    t.all_companies = all;
    snprintf(t.name, sizeof(t.name), "script");
    snprintf(t.tier, sizeof(t.tier), "%s", tier);
    snprintf(t.created_by, sizeof(t.created_by), "root");
    assert_int_equal(token_create(st, &t, scope, text, &id, &e), want);
    return id;
}

static void test_create_lookup_scope(void **state)
{
    struct fx *f = *state;
    char text[TOKEN_LEN + 1], hash[65];
    struct auth_store_token t;
    struct socc_error e;
    struct buf scope, list;
    int64_t uid = fx_user(f->st, "ann", "admin", "acme");
    int64_t id = make(f->st, uid, "high", "[\"acme\",\"b \\\"q\\\"\"]", 0,
                      text, SOCC_OK);

    assert_true(id > 0);
    assert_int_equal(strlen(text), TOKEN_LEN);
    assert_int_equal(strncmp(text, "socc_", 5), 0);
    buf_init(&scope);
    assert_int_equal(token_lookup(f->st, text, &t, &scope, &e), SOCC_OK);
    assert_int_equal(t.id, id);
    assert_int_equal(t.user_id, uid);
    assert_string_equal(t.tier, "high");
    assert_string_equal(t.user, "ann");
    assert_int_equal(strncmp(t.prefix, text, 13), 0);
    assert_string_equal(scope.data, "[\"acme\",\"b \\\"q\\\"\"]");
    buf_release(&scope);
    /* the list shows the prefix, never the text or its hash */
    buf_init(&list);
    assert_int_equal(auth_store_tokens_json(f->st, NULL, 0, &list, &e),
                     SOCC_OK);
    sha256_hex(text, TOKEN_LEN, hash);
    assert_null(strstr(list.data, text));
    assert_null(strstr(list.data, hash));
    assert_non_null(strstr(list.data, t.prefix));
    buf_release(&list);
}

static void test_revoked_and_malformed(void **state)
{
    struct fx *f = *state;
    char text[TOKEN_LEN + 1], bad[TOKEN_LEN + 1];
    struct auth_store_token t;
    struct socc_error e;
    int64_t uid = fx_user(f->st, "ann", "analyst", "acme");
    int64_t id = make(f->st, uid, "standard", NULL, 1, text, SOCC_OK);

    assert_int_equal(token_lookup(f->st, text, &t, NULL, &e), SOCC_OK);
    assert_int_equal(t.all_companies, 1);
    memcpy(bad, text, sizeof(bad));
    bad[TOKEN_LEN - 1] = bad[TOKEN_LEN - 1] == 'a' ? 'b' : 'a';
    assert_int_equal(token_lookup(f->st, bad, &t, NULL, &e),
                     SOCC_E_UNAUTHENTICATED);
    assert_int_equal(token_lookup(f->st, "socc_", &t, NULL, &e),
                     SOCC_E_UNAUTHENTICATED);
    bad[7] = 'G';
    assert_int_equal(token_lookup(f->st, bad, &t, NULL, &e),
                     SOCC_E_UNAUTHENTICATED);
    assert_int_equal(auth_store_token_revoke(f->st, id, &e), SOCC_OK);
    assert_int_equal(token_lookup(f->st, text, &t, NULL, &e),
                     SOCC_E_UNAUTHENTICATED);
    assert_int_equal(auth_store_token_revoke(f->st, 9999, &e),
                     SOCC_E_NOT_FOUND);
}

static void test_bad_tier_or_name(void **state)
{
    struct fx *f = *state;
    char text[TOKEN_LEN + 1];
    struct auth_store_token t;
    struct socc_error e;
    int64_t id = 0;
    int64_t uid = fx_user(f->st, "ann", "analyst", "acme");

    make(f->st, uid, "gold", "[]", 0, text, SOCC_E_BAD_REQUEST);
    memset(&t, 0, sizeof(t));
    t.user_id = uid;
    snprintf(t.tier, sizeof(t.tier), "low");
    assert_int_equal(token_create(f->st, &t, "[]", text, &id, &e),
                     SOCC_E_BAD_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_lookup_scope, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_revoked_and_malformed, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_tier_or_name, fx_setup,
                                        fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
