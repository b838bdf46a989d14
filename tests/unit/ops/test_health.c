#include "socc_test.h"

#include "ops/cache.h"
#include "ops/health.h"
#include "ops/procstat.h"
#include "store/store.h"

static char dir[256];
static struct store *st;
static struct health_limits lim;

static int setup(void **state)
{
    struct socc_error err;

    (void)state;
    unsetenv("SOCC_MEMORY_LIMIT");
    unsetenv("SOCC_STORAGE_MIN_FREE");
    st_tmpdir(dir, sizeof(dir));
    health_limits_load(&lim, 1024);
    return store_open(dir, &st, &err) == SOCC_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    store_close(st);
    st_rmtree(dir);
    unsetenv("SOCC_MEMORY_LIMIT");
    return 0;
}

static enum health_status check(struct cache *c, char *out, size_t n)
{
    struct buf b;
    enum health_status s;

    buf_init(&b);
    s = health_check(st, c, &lim, &b);
    assert_true(buf_ok(&b));
    snprintf(out, n, "%s", b.data);
    buf_release(&b);
    return s;
}

static void all_ok(void **state)
{
    struct cache *c;
    struct socc_error err;
    char out[2048], why[128];

    (void)state;
    assert_int_equal(cache_open(NULL, 1 << 20, 60, &c, &err), SOCC_OK);
    assert_int_equal(check(c, out, sizeof(out)), HEALTH_OK);
    assert_true(strncmp(out, "{\"status\":\"ok\",\"components\":{"
                             "\"database\":{\"status\":\"ok\",", 52) == 0);
    assert_non_null(strstr(out, "\"storage\":{\"status\":\"ok\","
                                "\"writable\":true,"));
    assert_non_null(strstr(out, "\"uploads\":{\"status\":\"ok\",\"active\":0,"
                                "\"oldest_started_ms\":null,"));
    assert_non_null(strstr(out, "\"cache\":{\"status\":\"ok\","
                                "\"backend\":\"memory\""));
    assert_int_equal(health_ready(st, why, sizeof(why)), 0);
    cache_free(c);
}

static void no_cache_is_degraded(void **state)
{
    char out[2048];

    (void)state;
    assert_int_equal(check(NULL, out, sizeof(out)), HEALTH_DEGRADED);
    assert_true(strncmp(out, "{\"status\":\"degraded\",", 21) == 0);
    assert_non_null(strstr(out, "\"cache\":{\"status\":\"degraded\""));
}

static void memory_against_its_limit(void **state)
{
    struct cache *c;
    struct socc_error err;
    char out[2048], lim_s[32];
    const char *src;
    uint64_t rss = procstat_rss();

    (void)state;
    assert_true(rss > 0);
    assert_int_equal(cache_open(NULL, 1 << 20, 60, &c, &err), SOCC_OK);
    /* RSS grows a little while we look: 90% of the limit is degraded */
    snprintf(lim_s, sizeof(lim_s), "%llu",
             (unsigned long long)((double)rss / 0.90));
    setenv("SOCC_MEMORY_LIMIT", lim_s, 1);
    assert_true(procstat_memory_limit(&src) > rss);
    assert_string_equal(src, "SOCC_MEMORY_LIMIT");
    assert_int_equal(check(c, out, sizeof(out)), HEALTH_DEGRADED);
    assert_non_null(strstr(out, "\"memory\":{\"status\":\"degraded\""));
    assert_non_null(strstr(out, "\"limit_source\":\"SOCC_MEMORY_LIMIT\""));
    setenv("SOCC_MEMORY_LIMIT", "4096", 1);
    assert_int_equal(check(c, out, sizeof(out)), HEALTH_DOWN);
    assert_non_null(strstr(out, "\"memory\":{\"status\":\"down\""));
    unsetenv("SOCC_MEMORY_LIMIT");
    assert_true(procstat_memory_limit(&src) > 0);
    assert_string_not_equal(src, "SOCC_MEMORY_LIMIT");
    cache_free(c);
}

static void low_disk_is_degraded(void **state)
{
    struct cache *c;
    struct socc_error err;
    char out[2048];

    (void)state;
    assert_int_equal(cache_open(NULL, 1 << 20, 60, &c, &err), SOCC_OK);
    lim.min_free_bytes = UINT64_MAX / 2;
    assert_int_equal(check(c, out, sizeof(out)), HEALTH_DEGRADED);
    assert_non_null(strstr(out, "\"storage\":{\"status\":\"degraded\""));
    lim.down_free_bytes = UINT64_MAX / 2;
    assert_int_equal(check(c, out, sizeof(out)), HEALTH_DOWN);
    health_limits_load(&lim, 1024);
    cache_free(c);
}

/* The data directory vanishes: storage down, not ready, with the reason. */
static void unwritable_storage_is_down_and_not_ready(void **state)
{
    struct cache *c;
    struct socc_error err;
    char out[2048], why[128], moved[300];

    (void)state;
    assert_int_equal(cache_open(NULL, 1 << 20, 60, &c, &err), SOCC_OK);
    snprintf(moved, sizeof(moved), "%s.gone", dir);
    assert_int_equal(rename(dir, moved), 0);
    assert_int_equal(check(c, out, sizeof(out)), HEALTH_DOWN);
    assert_non_null(strstr(out, "\"storage\":{\"status\":\"down\","
                                "\"writable\":false,"));
    assert_int_equal(health_ready(st, why, sizeof(why)), -1);
    assert_string_equal(why, "storage: No such file or directory");
    assert_int_equal(rename(moved, dir), 0);
    assert_int_equal(health_ready(st, why, sizeof(why)), 0);
    cache_free(c);
}

static void open_fds_are_counted(void **state)
{
    long before = procstat_open_fds();
    int fd = dup(0);

    (void)state;
    assert_true(before >= 3);
    assert_int_equal(procstat_open_fds(), before + 1);
    close(fd);
    assert_int_equal(procstat_open_fds(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_ok),
        cmocka_unit_test(no_cache_is_degraded),
        cmocka_unit_test(memory_against_its_limit),
        cmocka_unit_test(low_disk_is_degraded),
        cmocka_unit_test(unwritable_storage_is_down_and_not_ready),
        cmocka_unit_test(open_fds_are_counted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
