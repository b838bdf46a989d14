#include "socc_test.h"

#include "http/export_csv.h"

/* The CSV field for JSON value v. */
static void field(const char *v, const char *want)
{
    struct buf b;

    buf_init(&b);
    export_csv_field(&b, v, strlen(v));
    assert_string_equal(b.data ? b.data : "", want);
    buf_release(&b);
}

static void test_formulas_neutralised(void **state)
{
    (void)state;
    field("\"=1+2\"", "\"'=1+2\"");
    field("\"+SUM(A1)\"", "\"'+SUM(A1)\"");
    field("\"-2+3\"", "\"'-2+3\"");
    field("\"@cmd\"", "\"'@cmd\"");
    field("\"\\tx\"", "\"'\tx\"");
    field("\"\\rx\"", "\"'\rx\"");
    field("\"=HYPERLINK(\\\"http://x\\\")\"",
          "\"'=HYPERLINK(\"\"http://x\"\")\"");
}

static void test_plain_values(void **state)
{
    (void)state;
    field("\"host-1\"", "host-1");
    field("\"a,b\"", "\"a,b\"");
    field("\"say \\\"hi\\\"\"", "\"say \"\"hi\"\"\"");
    field("\"line\\nbreak\"", "\"line\nbreak\"");
    field("\" pad\"", "\" pad\"");
    field("-3", "-3");              /* a number is not a formula */
    field("2.5", "2.5");
    field("true", "true");
    field("null", "");
    field("\"\"", "");
    field("\"caf\\u00e9\"", "café");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formulas_neutralised),
        cmocka_unit_test(test_plain_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
