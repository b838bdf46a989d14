#include "socc_test.h"

#include "core/err.h"

static void names_and_statuses(void **state)
{
    (void)state;
    assert_string_equal(socc_err_name(SOCC_E_FILE_TOO_LARGE), "FILE_TOO_LARGE");
    assert_int_equal(socc_err_http(SOCC_E_FILE_TOO_LARGE), 413);
    assert_int_equal(socc_err_http(SOCC_E_INVALID_FILE_TYPE), 415);
    assert_int_equal(socc_err_http(SOCC_E_EMPTY_FILE), 422);
    assert_int_equal(socc_err_http(SOCC_E_CORRUPTED_FILE), 422);
    assert_int_equal(socc_err_http(SOCC_E_ENCRYPTED_FILE), 422);
    assert_int_equal(socc_err_http(SOCC_E_LIMIT_EXCEEDED), 422);
    assert_int_equal(socc_err_http(SOCC_E_DUPLICATE_FILE), 409);
    assert_int_equal(socc_err_http(SOCC_E_BAD_REQUEST), 400);
    assert_int_equal(socc_err_http(SOCC_E_UNAUTHENTICATED), 401);
    assert_int_equal(socc_err_http(SOCC_E_ACCESS_DENIED), 403);
    assert_int_equal(socc_err_http(SOCC_E_NOT_FOUND), 404);
    assert_int_equal(socc_err_http(SOCC_E_RATE_LIMITED), 429);
    assert_int_equal(socc_err_http(SOCC_E_UPLOAD_INCOMPLETE), 400);
    assert_int_equal(socc_err_http(SOCC_E_STORAGE_FULL), 507);
    assert_int_equal(socc_err_http(SOCC_E_UNAVAILABLE), 503);
    assert_int_equal(socc_err_http(SOCC_E_INTERNAL), 500);
    assert_int_equal(SOCC_OK, 0);
}

static void values_never_renumber(void **state)
{
    (void)state;
    /* released values: a change here breaks clients */
    assert_int_equal(SOCC_E_FILE_TOO_LARGE, 1);
    assert_int_equal(SOCC_E_DUPLICATE_FILE, 7);
    assert_int_equal(SOCC_E_INTERNAL, 16);
}

static void round_trip_and_unknown(void **state)
{
    enum socc_err e;

    (void)state;
    assert_int_equal(socc_err_from_name("DUPLICATE_FILE", &e), 0);
    assert_int_equal(e, SOCC_E_DUPLICATE_FILE);
    assert_int_equal(socc_err_from_name("NOPE", &e), -1);
    assert_string_equal(socc_err_name((enum socc_err)999), "INTERNAL");
    assert_true(strlen(socc_err_hint(SOCC_E_EMPTY_FILE)) > 10);
    assert_int_not_equal(socc_err_exit(SOCC_E_CORRUPTED_FILE), 0);
}

static void error_detail(void **state)
{
    struct socc_error e;

    (void)state;
    assert_int_equal(socc_error_set(&e, SOCC_E_LIMIT_EXCEEDED, "cell %d", 5),
                     SOCC_E_LIMIT_EXCEEDED);
    assert_string_equal(e.detail, "cell 5");
    socc_error_clear(&e);
    assert_int_equal(e.code, SOCC_OK);
    assert_string_equal(e.detail, "");
    assert_int_equal(socc_error_set(NULL, SOCC_E_INTERNAL, "x"),
                     SOCC_E_INTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_statuses),
        cmocka_unit_test(values_never_renumber),
        cmocka_unit_test(round_trip_and_unknown),
        cmocka_unit_test(error_detail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
