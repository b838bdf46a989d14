#include "socc_test.h"

#include "auth/principal.h"
#include "auth_fixture.h"

static void test_roles(void **state)
{
    (void)state;
    assert_int_equal(principal_role_parse("analyst"), PRINCIPAL_ANALYST);
    assert_int_equal(principal_role_parse("admin"), PRINCIPAL_ADMIN);
    assert_int_equal(principal_role_parse("super_admin"),
                     PRINCIPAL_SUPER_ADMIN);
    assert_int_equal(principal_role_parse("root"), PRINCIPAL_NONE);
    assert_int_equal(principal_role_parse(NULL), PRINCIPAL_NONE);
    assert_string_equal(principal_role_name(PRINCIPAL_ADMIN), "admin");
    assert_true(PRINCIPAL_SUPER_ADMIN > PRINCIPAL_ADMIN &&
                PRINCIPAL_ADMIN > PRINCIPAL_ANALYST);
}

static void test_list_parse(void **state)
{
    char **l;
    size_t n;

    (void)state;
    assert_int_equal(principal_list_parse("[\"a\", \"b \\\"c\\\" \\\\\","
                                          "\"\\u0041\", \"é\"]", &l, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(l[0], "a");
    assert_string_equal(l[1], "b \"c\" \\");
    assert_string_equal(l[2], "A");
    assert_string_equal(l[3], "é");
    principal_list_free(l, n);
    assert_int_equal(principal_list_parse("[]", &l, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(principal_list_parse("[1]", &l, &n), -1);
    assert_int_equal(principal_list_parse("[\"a", &l, &n), -1);
    assert_int_equal(principal_list_parse("\"a\"", &l, &n), -1);
    assert_int_equal(principal_list_parse("[\"\\u0001\"]", &l, &n), -1);
}

static void test_load_memberships_and_token_scope(void **state)
{
    struct fx *f = *state;
    struct auth_store_user u;
    struct auth_store_token t;
    struct principal p;
    struct socc_error e;
    int64_t uid = fx_user(f->st, "ann", "analyst", "acme");

    auth_store_membership_set(f->st, uid, "globex", 1, &e);
    auth_store_user_get(f->st, NULL, uid, &u, &e);
    principal_init(&p);
    assert_int_equal(principal_load(&p, f->st, &u, NULL, NULL, &e), SOCC_OK);
    assert_int_equal(p.role, PRINCIPAL_ANALYST);
    assert_int_equal(principal_has_company(&p, "acme"), 1);
    assert_int_equal(principal_has_company(&p, "globex"), 1);
    assert_int_equal(principal_has_company(&p, "initech"), 0);
    assert_int_equal(principal_has_company(&p, "ACME"), 0);
    assert_string_equal(p.companies_json, "[\"acme\",\"globex\"]");
    /* a token narrows: its scope, and only what the user has */
    memset(&t, 0, sizeof(t));
    t.id = 7;
    snprintf(t.tier, sizeof(t.tier), "low");
    assert_int_equal(principal_load(&p, f->st, &u, &t,
                                    "[\"globex\",\"initech\"]", &e), SOCC_OK);
    assert_int_equal(principal_has_company(&p, "acme"), 0);
    assert_int_equal(principal_has_company(&p, "globex"), 1);
    assert_int_equal(principal_has_company(&p, "initech"), 0);
    assert_string_equal(p.tier, "low");
    assert_int_equal(p.token_id, 7);
    /* an all-companies token keeps the user's */
    t.all_companies = 1;
    assert_int_equal(principal_load(&p, f->st, &u, &t, "[]", &e), SOCC_OK);
    assert_int_equal(principal_has_company(&p, "acme"), 1);
    principal_release(&p);
}

static void test_super_admin_and_disabled(void **state)
{
    struct fx *f = *state;
    struct auth_store_user u;
    struct auth_store_token t;
    struct principal p;
    struct socc_error e;
    int64_t root = fx_user(f->st, "root", "super_admin", NULL);
    int64_t ann = fx_user(f->st, "ann", "analyst", "acme");

    auth_store_user_get(f->st, NULL, root, &u, &e);
    principal_init(&p);
    assert_int_equal(principal_load(&p, f->st, &u, NULL, NULL, &e), SOCC_OK);
    assert_int_equal(p.all_companies, 1);
    assert_null(p.companies_json);
    assert_int_equal(principal_has_company(&p, "anything"), 1);
    /* a super admin's token scoped to one company is kept to it */
    memset(&t, 0, sizeof(t));
    assert_int_equal(principal_load(&p, f->st, &u, &t, "[\"acme\"]", &e),
                     SOCC_OK);
    assert_int_equal(principal_has_company(&p, "acme"), 1);
    assert_int_equal(principal_has_company(&p, "globex"), 0);
    auth_store_user_set_disabled(f->st, ann, 1, &e);
    auth_store_user_get(f->st, NULL, ann, &u, &e);
    assert_int_equal(principal_load(&p, f->st, &u, NULL, NULL, &e),
                     SOCC_E_UNAUTHENTICATED);
    assert_int_equal(principal_has_company(&p, "acme"), 0);
    principal_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_list_parse),
        cmocka_unit_test_setup_teardown(test_load_memberships_and_token_scope,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_super_admin_and_disabled,
                                        fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
