#include "socc_test.h"

#include "auth_fixture.h"

static void test_users_and_memberships(void **state)
{
    struct fx *f = *state;
    struct auth_store_user u;
    struct socc_error e;
    struct buf b;
    int64_t id = 0;
    int64_t ann = fx_user(f->st, "ann", "analyst", "acme");
    int64_t bob = fx_user(f->st, "bob", "admin", "globex");

    assert_int_equal(auth_store_user_count(f->st), 2);
    assert_int_equal(auth_store_user_add(f->st, "ann", "admin", "h", &id, &e),
                     SOCC_E_BAD_REQUEST);
    assert_int_equal(auth_store_user_add(f->st, "eve", "root", "h", &id, &e),
                     SOCC_E_INTERNAL);   /* the CHECK holds the roles */
    assert_int_equal(auth_store_user_get(f->st, "bob", 0, &u, &e), SOCC_OK);
    assert_int_equal(u.id, bob);
    assert_string_equal(u.role, "admin");
    assert_int_equal(auth_store_user_get(f->st, NULL, 999, &u, &e),
                     SOCC_E_NOT_FOUND);
    buf_init(&b);
    assert_int_equal(auth_store_users_json(f->st, "[\"acme\"]", &b, &e),
                     SOCC_OK);
    assert_non_null(strstr(b.data, "\"name\":\"ann\""));
    assert_null(strstr(b.data, "bob"));
    assert_null(strstr(b.data, "$argon2id"));   /* hashes never leave */
    buf_reset(&b);
    assert_int_equal(auth_store_membership_set(f->st, ann, "globex", 1, &e),
                     SOCC_OK);
    assert_int_equal(auth_store_companies_json(f->st, ann, &b, &e), SOCC_OK);
    assert_string_equal(b.data, "[\"acme\",\"globex\"]");
    buf_reset(&b);
    assert_int_equal(auth_store_membership_set(f->st, ann, "acme", 0, &e),
                     SOCC_OK);
    assert_int_equal(auth_store_companies_json(f->st, ann, &b, &e), SOCC_OK);
    assert_string_equal(b.data, "[\"globex\"]");
    buf_reset(&b);
    assert_int_equal(auth_store_companies_json(f->st, 0, &b, &e), SOCC_OK);
    assert_string_equal(b.data, "[\"acme\",\"globex\"]");
    buf_release(&b);
}

static void test_disable_and_role(void **state)
{
    struct fx *f = *state;
    struct auth_store_user u;
    struct socc_error e;
    int64_t ann = fx_user(f->st, "ann", "analyst", NULL);

    assert_int_equal(auth_store_user_set_disabled(f->st, ann, 1, &e),
                     SOCC_OK);
    assert_int_equal(auth_store_user_set_role(f->st, ann, "admin", &e),
                     SOCC_OK);
    auth_store_user_get(f->st, NULL, ann, &u, &e);
    assert_int_equal(u.disabled, 1);
    assert_string_equal(u.role, "admin");
    assert_int_equal(auth_store_user_set_role(f->st, 999, "admin", &e),
                     SOCC_E_NOT_FOUND);
}

static void test_tokens_listed_by_company(void **state)
{
    struct fx *f = *state;
    struct auth_store_token t;
    struct socc_error e;
    struct buf b;
    char hash[65];
    int64_t id;
    int64_t ann = fx_user(f->st, "ann", "analyst", "acme");
    int64_t bob = fx_user(f->st, "bob", "analyst", "globex");

    memset(&t, 0, sizeof(t));
    snprintf(t.name, sizeof(t.name), "a");
    snprintf(t.tier, sizeof(t.tier), "low");
    t.user_id = ann;
    memset(hash, 'a', 64);
    hash[64] = '\0';
    assert_int_equal(auth_store_token_add(f->st, &t, hash, "[\"acme\"]", &id,
                                          &e), SOCC_OK);
    t.user_id = bob;
    memset(hash, 'b', 64);
    assert_int_equal(auth_store_token_add(f->st, &t, hash, "[\"globex\"]",
                                          &id, &e), SOCC_OK);
    buf_init(&b);
    assert_int_equal(auth_store_tokens_json(f->st, "[\"acme\"]", 0, &b, &e),
                     SOCC_OK);
    assert_non_null(strstr(b.data, "\"user\":\"ann\""));
    assert_null(strstr(b.data, "bob"));
    assert_null(strstr(b.data, "aaaaaaaa"));
    buf_reset(&b);
    assert_int_equal(auth_store_tokens_json(f->st, "[]", bob, &b, &e),
                     SOCC_OK);
    assert_non_null(strstr(b.data, "\"user\":\"bob\""));
    assert_null(strstr(b.data, "ann"));
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_users_and_memberships, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_disable_and_role, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_tokens_listed_by_company,
                                        fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
