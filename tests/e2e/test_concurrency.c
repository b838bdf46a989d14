/*
 * A long upload must not hold up others: parsing happens before the
 * database's single write lock is taken, so a small upload sent while a
 * large one is being parsed is stored first.
 */
#include "socc_test.h"

#include <pthread.h>

#include "e2e.h"

#include "core/buf.h"

static struct e2e_server srv;

struct job {
    struct e2e_upload u;
    struct e2e_resp r;
    long done_ms;
};

static void *post(void *arg)
{
    struct job *j = arg;

    e2e_post(&srv, &j->u, &j->r);
    j->done_ms = e2e_now_ms();
    return NULL;
}

/* Wait (at most 20 s) until the server logged the large upload's body. */
static void wait_received(void)
{
    char path[400], line[1024];
    long until = e2e_now_ms() + 20000;
    int seen = 0;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/serve.log", srv.dir);
    while (!seen && e2e_now_ms() < until) {
        fp = fopen(path, "r");
        while (fp && !seen && fgets(line, sizeof(line), fp))
            seen = strstr(line, "ev=upload_received") != NULL;
        if (fp)
            fclose(fp);
        if (!seen)
            usleep(20000);
    }
    assert_true(seen);
}

static int setup(void **state)
{
    /* wait_received() reads the info line the server logs per upload */
    static const char *const env[] = { "SOCC_LOG_LEVEL", "info", NULL };

    (void)state;
    return e2e_start(&srv, env);
}

static int teardown(void **state)
{
    (void)state;
    e2e_stop(&srv);
    return 0;
}

static void small_upload_not_held_by_large_one(void **state)
{
    struct job big, small;
    pthread_t tb, ts;
    struct buf csv;
    uint32_t i;

    (void)state;
    /*
     * Slow to parse, small to store: 3,500 rows of 12,000 fields (42 MB), one of
     * them filled (stored sparse), so the large upload spends its time in
     * the parser, not holding the database.
     */
    buf_init(&csv);
    buf_adds(&csv, "id,host\n");
    for (i = 0; i < 3500; i++) {
        buf_printf(&csv, "%u", i);
        assert_int_equal(buf_reserve(&csv, 12001), 0);
        memset(csv.data + csv.len, ',', 12000);
        csv.len += 12000;
        buf_adds(&csv, "far\n");
    }
    memset(&big, 0, sizeof(big));
    memset(&small, 0, sizeof(small));
    big.u = (struct e2e_upload){ "big-co", "siem", NULL, csv.data, csv.len,
                                 "big.csv", 0, 0 };
    small.u = (struct e2e_upload){ "small-co", "siem", NULL,
                                   "a,b\n1,2\n", 8, "small.csv", 0, 0 };
    assert_int_equal(pthread_create(&tb, NULL, post, &big), 0);
    wait_received();   /* the large body is in: it is being parsed */
    assert_int_equal(pthread_create(&ts, NULL, post, &small), 0);
    pthread_join(ts, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(small.r.status, 201);
    assert_int_equal(big.r.status, 201);
    assert_int_equal(e2e_json_int(big.r.body, "record_count", -1), 3500);
    print_message("small done %ld ms before the large one\n",
                  big.done_ms - small.done_ms);
    assert_true(small.done_ms < big.done_ms);
    e2e_resp_free(&big.r);
    e2e_resp_free(&small.r);
    buf_release(&csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_upload_not_held_by_large_one),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
