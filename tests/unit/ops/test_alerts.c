#include "socc_test.h"

#include "ops/alerts.h"

#define T0 1800000000000ll   /* a wall clock in ms */
#define S(n) ((int64_t)(n) * 1000)

static struct alerts_config cfg;

static int setup(void **state)
{
    (void)state;
    alerts_config_defaults(&cfg);
    cfg.window_s = 60;
    cfg.client_window_s = 3600;
    cfg.min_uploads = 5;
    alerts_init(&cfg);
    return 0;
}

static void failure_rate_fires_and_resolves(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < 19; i++)
        alerts_note_upload(T0 + i, 0, 100);
    alerts_note_upload(T0 + 19, 1, 100);          /* 1 of 20: 5%, not > */
    alerts_evaluate(T0 + S(1), 0.1);
    assert_int_equal(alerts_firing("upload_failure_rate"), 0);
    alerts_note_upload(T0 + S(2), 1, 100);        /* 2 of 21: 9.5% */
    alerts_evaluate(T0 + S(2), 0.1);
    assert_int_equal(alerts_firing("upload_failure_rate"), 1);
    /* the window slides past every upload: nothing to judge, resolved */
    alerts_evaluate(T0 + S(63), 0.1);
    assert_int_equal(alerts_firing("upload_failure_rate"), 0);
}

static void too_few_uploads_do_not_fire(void **state)
{
    (void)state;
    alerts_note_upload(T0, 1, 100);
    alerts_note_upload(T0 + 1, 1, 100);
    alerts_evaluate(T0 + S(1), 0);
    assert_int_equal(alerts_firing("upload_failure_rate"), 0);
}

static void upload_duration(void **state)
{
    (void)state;
    alerts_note_upload(T0, 0, S(20));
    alerts_evaluate(T0 + 1, 0);
    assert_int_equal(alerts_firing("upload_duration"), 0);
    alerts_note_upload(T0 + S(1), 0, S(50));      /* average 35 s */
    alerts_evaluate(T0 + S(1), 0);
    assert_int_equal(alerts_firing("upload_duration"), 1);
    alerts_note_upload(T0 + S(2), 0, S(1));
    alerts_note_upload(T0 + S(2), 0, S(1));       /* average 18 s */
    alerts_evaluate(T0 + S(3), 0);
    assert_int_equal(alerts_firing("upload_duration"), 0);
}

static void memory(void **state)
{
    (void)state;
    alerts_evaluate(T0, 0.80);
    assert_int_equal(alerts_firing("memory"), 0);
    alerts_evaluate(T0 + 1, 0.81);
    assert_int_equal(alerts_firing("memory"), 1);
    alerts_evaluate(T0 + 2, 0.5);
    assert_int_equal(alerts_firing("memory"), 0);
}

static void slow_query(void **state)
{
    (void)state;
    alerts_note_db(T0, 1999000000ll);             /* 1.999 s: fine */
    alerts_evaluate(T0 + 1, 0);
    assert_int_equal(alerts_firing("db_query_slow"), 0);
    alerts_note_db(T0 + S(1), 2500000000ll);
    alerts_evaluate(T0 + S(1), 0);
    assert_int_equal(alerts_firing("db_query_slow"), 1);
    alerts_evaluate(T0 + S(62), 0);
    assert_int_equal(alerts_firing("db_query_slow"), 0);
}

static void client_errors_per_hour(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < 10; i++)
        alerts_note_client_error(T0 + S(i * 60));
    alerts_evaluate(T0 + S(600), 0);
    assert_int_equal(alerts_firing("client_errors"), 0);   /* 10, not > */
    alerts_note_client_error(T0 + S(601));
    alerts_evaluate(T0 + S(601), 0);
    assert_int_equal(alerts_firing("client_errors"), 1);
    /* an hour after the first report it leaves the window: 10 again */
    alerts_evaluate(T0 + S(3600) + 1, 0);
    assert_int_equal(alerts_firing("client_errors"), 0);
}

static void history_lists_transitions_newest_first(void **state)
{
    struct buf b;
    const char *firing, *resolved;

    (void)state;
    alerts_evaluate(T0, 0.9);
    alerts_evaluate(T0 + S(1), 0.1);
    assert_int_equal(alerts_firing_count(), 0);
    buf_init(&b);
    alerts_json(&b);
    assert_true(buf_ok(&b));
    resolved = strstr(b.data, "{\"name\":\"memory\",\"state\":\"resolved\"");
    firing = strstr(b.data, "{\"name\":\"memory\",\"state\":\"firing\"");
    assert_non_null(resolved);
    assert_non_null(firing);
    assert_true(resolved < firing);
    assert_non_null(strstr(b.data, "\"window_s\":60"));
    assert_int_equal(alerts_firing("no_such_rule"), -1);
    buf_release(&b);
}

static void thresholds_from_the_environment(void **state)
{
    struct alerts_config c;
    struct socc_error err;

    (void)state;
    setenv("SOCC_ALERT_FAILURE_RATE", "0.25", 1);
    setenv("SOCC_ALERT_WINDOW", "2", 1);
    setenv("SOCC_ALERT_WEBHOOK", "http://127.0.0.1:9/hook", 1);
    assert_int_equal(alerts_config_from_env(&c, &err), SOCC_OK);
    assert_true(c.failure_rate == 0.25);
    assert_int_equal(c.window_s, 2);
    assert_string_equal(c.webhook, "http://127.0.0.1:9/hook");
    assert_int_equal(c.client_errors, 10);
    setenv("SOCC_ALERT_WINDOW", "0", 1);
    assert_int_equal(alerts_config_from_env(&c, &err), SOCC_E_BAD_REQUEST);
    assert_non_null(strstr(err.detail, "SOCC_ALERT_WINDOW"));
    setenv("SOCC_ALERT_WINDOW", "2", 1);
    setenv("SOCC_ALERT_WEBHOOK", "ftp://x", 1);
    assert_int_equal(alerts_config_from_env(&c, &err), SOCC_E_BAD_REQUEST);
    unsetenv("SOCC_ALERT_FAILURE_RATE");
    unsetenv("SOCC_ALERT_WINDOW");
    unsetenv("SOCC_ALERT_WEBHOOK");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(failure_rate_fires_and_resolves, setup),
        cmocka_unit_test_setup(too_few_uploads_do_not_fire, setup),
        cmocka_unit_test_setup(upload_duration, setup),
        cmocka_unit_test_setup(memory, setup),
        cmocka_unit_test_setup(slow_query, setup),
        cmocka_unit_test_setup(client_errors_per_hour, setup),
        cmocka_unit_test_setup(history_lists_transitions_newest_first, setup),
        cmocka_unit_test(thresholds_from_the_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
