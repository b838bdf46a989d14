#include "socc_test.h"

#include "auth/audit.h"
#include "auth_fixture.h"

static void record(struct store *st, const char *action, const char *company)
{
    struct auth_store_audit a;

    memset(&a, 0, sizeof(a));
    a.actor = "ann";
    a.action = action;
    a.outcome = "ok";
    a.company = company;
    a.target = "upload:1";
    a.address = "127.0.0.1";
    a.request_id = "r1";
    audit_record(st, &a);
}

static void test_recorded_and_filtered_by_company(void **state)
{
    struct fx *f = *state;
    struct socc_error e;
    struct buf b;

    record(f->st, "login", NULL);
    record(f->st, "upload", "acme");
    record(f->st, "delete", "globex");
    buf_init(&b);
    assert_int_equal(auth_store_audit_json(f->st, NULL, 100, 0, &b, &e),
                     SOCC_OK);
    /* newest first, every field */
    assert_non_null(strstr(b.data, "\"action\":\"delete\""));
    assert_true(strstr(b.data, "\"delete\"") < strstr(b.data, "\"upload\""));
    assert_true(strstr(b.data, "\"upload\"") < strstr(b.data, "\"login\""));
    assert_non_null(strstr(b.data, "\"address\":\"127.0.0.1\""));
    buf_reset(&b);
    assert_int_equal(auth_store_audit_json(f->st, "[\"acme\"]", 100, 0, &b,
                                           &e), SOCC_OK);
    assert_non_null(strstr(b.data, "\"upload\""));
    assert_null(strstr(b.data, "\"delete\""));
    assert_null(strstr(b.data, "\"login\""));
    buf_reset(&b);
    assert_int_equal(auth_store_audit_json(f->st, NULL, 1, 1, &b, &e),
                     SOCC_OK);
    assert_non_null(strstr(b.data, "\"upload\""));
    assert_null(strstr(b.data, "\"delete\""));
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_recorded_and_filtered_by_company,
                                        fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
