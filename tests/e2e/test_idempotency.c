/*
 * Idempotency-Key on POST /api/uploads: a retry gets the first answer
 * (same status, same bytes, Idempotent-Replayed: true), also after a
 * restart; the key with another request is 422; a second request while
 * the first runs is 409; answers expire after SOCC_IDEMPOTENCY_TTL.
 */
#include "socc_test.h"

#include "e2e.h"
#include "faults.h"

static struct e2e_server srv;

static int setup(void **state)
{
    static const char *const env[] = { "SOCC_IDEMPOTENCY_TTL", "3", NULL };

    (void)state;
    return e2e_start(&srv, env);
}

static int teardown(void **state)
{
    (void)state;
    return e2e_stop(&srv) == 0 ? 0 : -1;
}

/* POST csv for company with "Idempotency-Key: key" (NULL: none). */
static void post(const char *company, const char *csv, const char *key,
                 struct e2e_resp *r)
{
    struct e2e_upload u = { company, "siem", NULL, csv, strlen(csv), "i.csv",
                            0, 1 };
    char h[400];

    snprintf(h, sizeof(h), "Idempotency-Key: %s", key ? key : "");
    assert_int_equal(e2e_post_h(&srv, &u, key ? h : NULL, r), CURLE_OK);
}

static long long uploads_of(const char *company)
{
    char sql[200];

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM uploads WHERE company "
             "= '%s'", company);
    return f_db_int(srv.dir, sql);
}

static void assert_code(const struct e2e_resp *r, long status,
                        const char *code)
{
    char got[64] = "";

    if (r->status != status)
        print_message("answer %ld: %s\n", r->status, r->body);
    assert_int_equal(r->status, status);
    assert_int_equal(e2e_json_str(r->body, "code", got, sizeof(got)), 0);
    assert_string_equal(got, code);
}

static void test_retry_gets_first_answer(void **state)
{
    struct e2e_resp a, b;

    (void)state;
    post("idem1", "host,n\nweb,1\n", "key-one", &a);
    assert_int_equal(a.status, 201);
    assert_string_equal(a.replayed, "");
    post("idem1", "host,n\nweb,1\n", "key-one", &b);
    assert_int_equal(b.status, 201);
    assert_string_equal(b.replayed, "true");
    assert_string_equal(b.body, a.body);   /* byte for byte, first id */
    assert_int_equal(uploads_of("idem1"), 1);
    e2e_resp_free(&a);
    e2e_resp_free(&b);
    /* without a key the same file is the duplicate it is */
    post("idem1", "host,n\nweb,1\n", NULL, &a);
    assert_code(&a, 409, "DUPLICATE_FILE");
    e2e_resp_free(&a);
}

static void test_key_with_other_request_is_422(void **state)
{
    struct e2e_resp a, b;

    (void)state;
    post("idem2", "host,n\nweb,1\n", "key-two", &a);
    assert_int_equal(a.status, 201);
    post("idem2", "host,n\nweb,2\n", "key-two", &b);
    assert_code(&b, 422, "IDEMPOTENCY_MISMATCH");
    assert_string_equal(b.replayed, "");
    assert_int_equal(uploads_of("idem2"), 1);
    e2e_resp_free(&a);
    e2e_resp_free(&b);
    /* the key is per company: another company may use it */
    post("idem2b", "host,n\nweb,2\n", "key-two", &a);
    assert_int_equal(a.status, 201);
    assert_string_equal(a.replayed, "");
    e2e_resp_free(&a);
}

static void test_error_answer_replayed(void **state)
{
    struct e2e_resp a, b;

    (void)state;
    post("idem3", "", "key-three", &a);
    assert_code(&a, 422, "EMPTY_FILE");
    post("idem3", "", "key-three", &b);
    assert_code(&b, 422, "EMPTY_FILE");
    assert_string_equal(b.replayed, "true");
    assert_string_equal(b.body, a.body);
    e2e_resp_free(&a);
    e2e_resp_free(&b);
}

static void test_bad_key_is_400(void **state)
{
    char key[300];
    struct e2e_resp a;

    (void)state;
    memset(key, 'k', 256);
    key[256] = '\0';
    post("idem4", "host,n\nweb,1\n", key, &a);
    assert_code(&a, 400, "BAD_REQUEST");
    assert_non_null(strstr(a.body, "Idempotency-Key"));
    e2e_resp_free(&a);
    assert_int_equal(uploads_of("idem4"), 0);
}

/* A second request while the first (half sent) runs: 409 at once. */
static void test_concurrent_same_key_409(void **state)
{
    static const char csv[] = "host,n\nweb,5\n";
    char head[512], resp[8192], *body;
    struct e2e_resp b;
    size_t blen;
    int fd, n;

    (void)state;
    body = f_body("idem5", "siem", "i.csv", csv, sizeof(csv) - 1, &blen);
    n = f_head(head, sizeof(head), blen, "Idempotency-Key: key-five\r\n");
    fd = e2e_connect(&srv);
    e2e_send_all(fd, head, (size_t)n);
    e2e_send_all(fd, body, blen - 10);
    usleep(200000);
    post("idem5", csv, "key-five", &b);
    assert_code(&b, 409, "IDEMPOTENCY_IN_PROGRESS");
    e2e_resp_free(&b);
    e2e_send_all(fd, body + blen - 10, 10);
    e2e_read_until(fd, resp, sizeof(resp), "}", 10000);
    close(fd);
    assert_int_equal(f_status(resp), 201);
    post("idem5", csv, "key-five", &b);
    assert_int_equal(b.status, 201);
    assert_string_equal(b.replayed, "true");
    assert_non_null(strstr(resp, b.body));
    e2e_resp_free(&b);
    free(body);
    assert_int_equal(uploads_of("idem5"), 1);
}

/* Kept in the database: a restarted server replays it too. */
static void test_replay_survives_restart(void **state)
{
    static const char *const env[] = { "SOCC_IDEMPOTENCY_TTL", "3", NULL };
    struct e2e_resp a, b;

    (void)state;
    post("idem6", "host,n\nweb,6\n", "key-six", &a);
    assert_int_equal(a.status, 201);
    kill(srv.pid, SIGKILL);
    waitpid(srv.pid, NULL, 0);
    srv.pid = 0;
    assert_int_equal(f_start(&srv, env), 0);
    post("idem6", "host,n\nweb,6\n", "key-six", &b);
    assert_int_equal(b.status, 201);
    assert_string_equal(b.replayed, "true");
    assert_string_equal(b.body, a.body);
    e2e_resp_free(&a);
    e2e_resp_free(&b);
}

/* SOCC_IDEMPOTENCY_TTL=3: after 3 s the retry runs again (a duplicate). */
static void test_answer_expires(void **state)
{
    struct e2e_resp a, b;

    (void)state;
    post("idem7", "host,n\nweb,7\n", "key-seven", &a);
    assert_int_equal(a.status, 201);
    sleep(4);
    post("idem7", "host,n\nweb,7\n", "key-seven", &b);
    assert_code(&b, 409, "DUPLICATE_FILE");
    assert_string_equal(b.replayed, "");
    e2e_resp_free(&a);
    e2e_resp_free(&b);
    assert_int_equal(f_db_int(srv.dir, "SELECT count(*) FROM idempotency "
                              "WHERE key = 'key-seven'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_gets_first_answer),
        cmocka_unit_test(test_key_with_other_request_is_422),
        cmocka_unit_test(test_error_answer_replayed),
        cmocka_unit_test(test_bad_key_is_400),
        cmocka_unit_test(test_concurrent_same_key_409),
        cmocka_unit_test(test_replay_survives_restart),
        cmocka_unit_test(test_answer_expires),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
