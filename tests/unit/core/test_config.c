#include "socc_test.h"

#include "core/config.h"

static void clear_env(void)
{
    const char *vars[] = { "SOCC_LISTEN", "SOCC_DATA_DIR", "MAX_FILE_SIZE",
                           "ALLOWED_FILE_TYPES", "TOOL_TYPES",
                           "ENABLE_DUPLICATE_CHECK", "RETRY_MAX_DELAY",
                           "SOCC_CSV_MAX_FIELD" };
    size_t i;

    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
}

static void defaults(void **state)
{
    struct config c;
    struct socc_error e;

    (void)state;
    clear_env();
    assert_int_equal(config_load(&c, &e), SOCC_OK);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.data_dir, "./data");
    assert_int_equal(c.max_file_size, 52428800);
    assert_int_equal(c.n_tool_types, 6);
    assert_true(config_tool_ok(&c, "gsuite"));
    assert_true(config_tool_ok(&c, "sonicwall"));
    assert_false(config_tool_ok(&c, "splunk"));
    assert_true(config_ext_ok(&c, "XLSX"));
    assert_false(config_ext_ok(&c, "txt"));
    assert_int_equal(c.duplicate_check, 1);
    assert_int_equal(c.success_toast_ms, 3000);
    assert_int_equal(c.error_toast_ms, 6000);
    assert_int_equal(c.retry_max_delay_ms, 10000);
    assert_int_equal(c.csv_max_field, 1048576);
    assert_string_equal(config_tool_label("gsuite"), "G Suite");
    assert_string_equal(config_tool_label("custom"), "custom");
}

static void from_environment(void **state)
{
    struct config c;
    struct socc_error e;

    (void)state;
    clear_env();
    setenv("MAX_FILE_SIZE", "1000", 1);
    setenv("TOOL_TYPES", " SIEM , splunk ", 1);
    setenv("ENABLE_DUPLICATE_CHECK", "false", 1);
    setenv("RETRY_MAX_DELAY", "5000", 1);
    assert_int_equal(config_load(&c, &e), SOCC_OK);
    assert_int_equal(c.max_file_size, 1000);
    assert_int_equal(c.n_tool_types, 2);
    assert_true(config_tool_ok(&c, "siem"));
    assert_true(config_tool_ok(&c, "splunk"));
    assert_int_equal(c.duplicate_check, 0);
    assert_int_equal(c.retry_max_delay_ms, 5000);
    clear_env();
}

static void bad_values_named(void **state)
{
    struct config c;
    struct socc_error e;

    (void)state;
    clear_env();
    setenv("MAX_FILE_SIZE", "12abc", 1);
    assert_int_equal(config_load(&c, &e), SOCC_E_BAD_REQUEST);
    assert_non_null(strstr(e.detail, "MAX_FILE_SIZE"));
    clear_env();
    setenv("TOOL_TYPES", "a,,b", 1);
    assert_int_equal(config_load(&c, &e), SOCC_E_BAD_REQUEST);
    assert_non_null(strstr(e.detail, "TOOL_TYPES"));
    clear_env();
    setenv("ENABLE_DUPLICATE_CHECK", "maybe", 1);
    assert_int_equal(config_load(&c, &e), SOCC_E_BAD_REQUEST);
    clear_env();
    setenv("MAX_FILE_SIZE", "-5", 1);
    assert_int_equal(config_load(&c, &e), SOCC_E_BAD_REQUEST);
    clear_env();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(from_environment),
        cmocka_unit_test(bad_values_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
