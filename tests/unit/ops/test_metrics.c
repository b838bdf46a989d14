#include "socc_test.h"

#include "prom.h"
#include "ops/metrics.h"

static struct prom pr;

static void render_parse(void)
{
    struct buf b;

    buf_init(&b);
    metrics_render(&b);
    assert_true(buf_ok(&b));
    if (prom_parse(&pr, b.data) != 0)
        print_message("parse: %s\n", pr.error);
    assert_string_equal(pr.error, "");
    buf_release(&b);
}

static void counts_and_histograms(void **state)
{
    (void)state;
    render_parse();
    assert_true(prom_val(&pr, "socc_uploads_total{outcome=\"stored\","
                              "code=\"OK\"}") == 0);
    assert_null(prom_get(&pr, "socc_uploads_total{outcome=\"rejected\","
                              "code=\"EMPTY_FILE\"}"));
    metrics_upload(SOCC_OK, 1500, 100);          /* 1.5 ms */
    metrics_upload(SOCC_OK, 20000, 50);          /* 20 ms */
    metrics_upload(SOCC_E_EMPTY_FILE, 100, 0);
    metrics_upload(SOCC_E_DUPLICATE_FILE, 100, 7);
    metrics_stage(METRICS_PROCESSING, 7000);
    metrics_stage(metrics_stage_of("saving"), 3000000);
    metrics_db_query(3000000000);                /* 3 s */
    metrics_db_query(40000);                     /* 40 us */
    metrics_cache(1);
    metrics_cache(0);
    metrics_cache(0);
    metrics_client_error();
    metrics_bytes_received(1234);
    render_parse();
    assert_true(prom_val(&pr, "socc_uploads_total{outcome=\"stored\","
                              "code=\"OK\"}") == 2);
    assert_true(prom_val(&pr, "socc_uploads_total{outcome=\"rejected\","
                              "code=\"EMPTY_FILE\"}") == 1);
    assert_true(prom_val(&pr, "socc_uploads_total{outcome=\"duplicate\","
                              "code=\"DUPLICATE_FILE\"}") == 1);
    assert_true(prom_val(&pr, "socc_duplicates_prevented_total") == 1);
    assert_true(prom_val(&pr, "socc_upload_bytes_total") == 157);
    assert_true(prom_val(&pr, "socc_http_received_bytes_total") == 1234);
    assert_true(prom_val(&pr, "socc_upload_duration_seconds_count") == 4);
    assert_true(prom_val(&pr, "socc_upload_duration_seconds_bucket"
                              "{le=\"0.005000\"}") == 3);
    assert_true(prom_val(&pr, "socc_upload_duration_seconds_bucket"
                              "{le=\"0.025000\"}") == 4);
    assert_true(fabs(prom_val(&pr, "socc_upload_duration_seconds_sum") -
                     0.0217) < 1e-9);
    assert_true(prom_val(&pr, "socc_upload_stage_duration_seconds_count"
                              "{stage=\"processing\"}") == 1);
    assert_true(prom_val(&pr, "socc_upload_stage_duration_seconds_bucket"
                              "{stage=\"saving\",le=\"2.500000\"}") == 0);
    assert_true(prom_val(&pr, "socc_upload_stage_duration_seconds_bucket"
                              "{stage=\"saving\",le=\"5.000000\"}") == 1);
    assert_true(prom_val(&pr, "socc_upload_stage_duration_seconds_count"
                              "{stage=\"validating\"}") == 0);
    assert_true(prom_val(&pr, "socc_db_query_duration_seconds_count") == 2);
    assert_true(prom_val(&pr, "socc_db_query_duration_seconds_bucket"
                              "{le=\"0.000050\"}") == 1);
    assert_true(prom_val(&pr, "socc_db_query_duration_seconds_bucket"
                              "{le=\"2.000000\"}") == 1);
    assert_true(prom_val(&pr, "socc_db_query_duration_seconds_bucket"
                              "{le=\"+Inf\"}") == 2);
    assert_true(prom_val(&pr, "socc_cache_hits_total") == 1);
    assert_true(prom_val(&pr, "socc_cache_misses_total") == 2);
    assert_true(prom_val(&pr, "socc_client_errors_total") == 1);
    assert_true(prom_val(&pr, "socc_process_resident_memory_bytes") > 1e5);
    assert_true(prom_val(&pr, "socc_process_open_fds") >= 3);
    assert_true(prom_val(&pr, "socc_uploads_active") == 0);
}

/* The reader itself must refuse what the format forbids. */
static void reader_is_strict(void **state)
{
    static const char *const bad[] = {
        "x 1\n",                                          /* no TYPE */
        "# TYPE x counter\nx{a=\"1\" 2\n",                /* label */
        "# TYPE x counter\nx 1\nx 2\n",                   /* repeated */
        "# TYPE x counter\nx one\n",                      /* value */
        "# TYPE x counter\n# a remark\nx 1\n",            /* comment */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
        "h_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n"
        "h_count 2\n",                                    /* not cumulative */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
        "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",  /* +Inf != count */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
        "# TYPE x counter\nx 1",                          /* no newline */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(prom_parse(&pr, bad[i]), -1);
    assert_int_equal(prom_parse(&pr, "# HELP h t\n# TYPE h histogram\n"
                                     "h_bucket{le=\"1\"} 1\n"
                                     "h_bucket{le=\"+Inf\"} 2\nh_sum 1.5\n"
                                     "h_count 2\n"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_and_histograms),
        cmocka_unit_test(reader_is_strict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
