/*
 * End-to-end tests of the routes the page uses besides uploads: the
 * duplicate lookup by SHA-256, the company list, and the error reports of
 * the error boundary (POST/GET /api/client-errors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/buf.h"
#include "e2e.h"
#include "socc_test.h"

static struct e2e_server srv;

static int setup(void **state)
{
    (void)state;
    return e2e_start(&srv, NULL);
}

static int teardown(void **state)
{
    (void)state;
    return e2e_stop(&srv) == 0 ? 0 : -1;
}

/* Send body (len bytes) with method to path; c may be reused (keep-alive). */
static void send_raw(CURL *c, const char *method, const char *path,
                     const char *body, size_t len, struct e2e_resp *r)
{
    char url[512];
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: "
                                                   "application/json");

    h = e2e_auth_header(&srv, h);

    snprintf(url, sizeof(url), "%s%s", srv.base, path);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "socc-e2e/1");
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    assert_int_equal(e2e_perform(c, r), CURLE_OK);
    curl_slist_free_all(h);
}

static void post_report(const char *json, struct e2e_resp *r)
{
    CURL *c = curl_easy_init();

    send_raw(c, "POST", "/api/client-errors", json, strlen(json), r);
    curl_easy_cleanup(c);
}

static void assert_code(const struct e2e_resp *r, long status,
                        const char *code)
{
    char got[64] = "";

    if (r->status != status)
        print_message("body: %s\n", r->body);
    assert_int_equal(r->status, status);
    assert_int_equal(e2e_json_str(r->body, "code", got, sizeof(got)), 0);
    assert_string_equal(got, code);
}

/* Upload a small CSV for company; its SHA-256 hex into hash. */
static long long upload(const char *company, const char *tag, char hash[65])
{
    char csv[256];
    struct e2e_resp r;
    struct e2e_upload u = { company, "edr", NULL, csv, 0, "alerts.csv", 0, 0 };
    long long id;

    u.len = (size_t)snprintf(csv, sizeof(csv), "host,rule\nh1,%s\nh2,%s\n",
                             tag, tag);
    assert_int_equal(e2e_post(&srv, &u, &r), CURLE_OK);
    if (r.status != 201)
        print_message("body: %s\n", r.body);
    assert_int_equal(r.status, 201);
    id = e2e_json_int(r.body, "id", -1);
    assert_int_equal(e2e_json_str(r.body, "file_hash", hash, 65), 0);
    e2e_resp_free(&r);
    return id;
}

static void test_lookup_found(void **state)
{
    char hash[65], path[300], got[64];
    struct e2e_resp r;
    long long id;
    size_t i;

    (void)state;
    id = upload("acme", "lookup-found", hash);
    snprintf(path, sizeof(path), "/api/uploads/lookup?company=acme&sha256=%s",
             hash);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(e2e_json_int(r.body, "id", -1), id);
    assert_int_equal(e2e_json_int(r.body, "record_count", -1), 2);
    assert_int_equal(e2e_json_int(r.body, "version", -1), 1);
    assert_int_equal(e2e_json_str(r.body, "filename", got, sizeof(got)), 0);
    assert_string_equal(got, "alerts.csv");
    assert_int_equal(e2e_json_str(r.body, "tool_type", got, sizeof(got)), 0);
    assert_string_equal(got, "edr");
    assert_non_null(strstr(r.body, "\"uploaded_at\":\"20"));
    e2e_resp_free(&r);

    /* the hash in capitals names the same file */
    for (i = 0; hash[i]; i++)
        if (hash[i] >= 'a' && hash[i] <= 'f')
            hash[i] = (char)(hash[i] - 'a' + 'A');
    snprintf(path, sizeof(path), "/api/uploads/lookup?company=%%20acme%%20"
             "&sha256=%s", hash);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(e2e_json_int(r.body, "id", -1), id);
    e2e_resp_free(&r);
}

static void test_lookup_not_found(void **state)
{
    struct e2e_resp r;

    (void)state;
    e2e_get(&srv, "/api/uploads/lookup?company=acme&sha256="
                  "0000000000000000000000000000000000000000000000000000000000000000",
            NULL, &r);
    assert_code(&r, 404, "NOT_FOUND");
    e2e_resp_free(&r);
}

/* Another company's file is never revealed: the same 404 as no file. */
static void test_lookup_other_company(void **state)
{
    char hash[65], path[300];
    struct e2e_resp r;

    (void)state;
    upload("acme", "secret-of-acme", hash);
    snprintf(path, sizeof(path), "/api/uploads/lookup?company=globex&sha256=%s",
             hash);
    e2e_get(&srv, path, NULL, &r);
    assert_code(&r, 404, "NOT_FOUND");
    assert_null(strstr(r.body, "alerts.csv"));
    assert_null(strstr(r.body, "\"id\""));
    assert_null(strstr(r.body, "existing"));
    e2e_resp_free(&r);
}

static void test_lookup_bad_query(void **state)
{
    static const char *const paths[] = {
        "/api/uploads/lookup?sha256="
        "0000000000000000000000000000000000000000000000000000000000000000",
        "/api/uploads/lookup?company=acme",
        "/api/uploads/lookup?company=acme&sha256=abc",
        "/api/uploads/lookup?company=acme&sha256="
        "000000000000000000000000000000000000000000000000000000000000000g",
        "/api/uploads/lookup?company=%20%20&sha256="
        "0000000000000000000000000000000000000000000000000000000000000000",
    };
    struct e2e_resp r;
    CURL *c;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        e2e_get(&srv, paths[i], NULL, &r);
        assert_code(&r, 400, "BAD_REQUEST");
        e2e_resp_free(&r);
    }
    c = curl_easy_init();
    send_raw(c, "POST", "/api/uploads/lookup", "{}", 2, &r);
    assert_code(&r, 405, "METHOD_NOT_ALLOWED");
    e2e_resp_free(&r);
    curl_easy_cleanup(c);
}

static void test_companies(void **state)
{
    char hash[65];
    struct e2e_resp r;
    const char *acme, *beta;

    (void)state;
    upload("Beta Co", "companies-1", hash);
    upload("Beta Co", "companies-2", hash);
    e2e_get(&srv, "/api/uploads/companies", NULL, &r);
    assert_int_equal(r.status, 200);
    acme = strstr(r.body, "{\"name\":\"acme\",\"uploads\":");
    beta = strstr(r.body, "{\"name\":\"Beta Co\",\"uploads\":2,");
    assert_non_null(acme);
    assert_non_null(beta);
    /* by name, bytewise: "Beta Co" before "acme" */
    assert_true(beta < acme);
    assert_non_null(strstr(beta, "\"last_upload_at\":\"20"));
    e2e_resp_free(&r);
}

static void test_client_error_stored(void **state)
{
    struct e2e_resp r;
    char got[256];

    (void)state;
    post_report("{\"id\":\"e-0123456789abcdef\",\"message\":\"caf\\u00e9 "
                "\\ud83d\\ude00 broke\",\"stack\":\"Error: x\\n    at a.js:1\","
                "\"page\":\"http://127.0.0.1/?dev=1\",\"time\":"
                "\"2026-12-04T18:00:00.000Z\"}", &r);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "\"stored\":true"));
    e2e_resp_free(&r);

    e2e_get(&srv, "/api/client-errors/e-0123456789abcdef", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(e2e_json_str(r.body, "message", got, sizeof(got)), 0);
    assert_string_equal(got, "caf\xc3\xa9 \xf0\x9f\x98\x80 broke");
    assert_int_equal(e2e_json_str(r.body, "stack", got, sizeof(got)), 0);
    assert_string_equal(got, "Error: x\n    at a.js:1");
    assert_int_equal(e2e_json_str(r.body, "page", got, sizeof(got)), 0);
    assert_string_equal(got, "http://127.0.0.1/?dev=1");
    assert_int_equal(e2e_json_str(r.body, "occurred_at", got, sizeof(got)),
                     0);
    assert_string_equal(got, "2026-12-04T18:00:00.000Z");
    /* no user_agent member: the request's header is kept */
    assert_int_equal(e2e_json_str(r.body, "user_agent", got, sizeof(got)), 0);
    assert_string_equal(got, "socc-e2e/1");
    assert_int_equal(e2e_json_str(r.body, "received_at", got, sizeof(got)),
                     0);
    assert_int_equal(strncmp(got, "20", 2), 0);
    e2e_resp_free(&r);

    /* the same report again (a retried POST) is not stored twice */
    post_report("{\"id\":\"e-0123456789abcdef\",\"message\":\"other\"}", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"stored\":false"));
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/client-errors/e-0123456789abcdef", NULL, &r);
    assert_non_null(strstr(r.body, "broke"));
    e2e_resp_free(&r);

    e2e_get(&srv, "/api/client-errors/e-ffffffffffffffff", NULL, &r);
    assert_code(&r, 404, "NOT_FOUND");
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/client-errors/bad!id", NULL, &r);
    assert_code(&r, 400, "BAD_REQUEST");
    e2e_resp_free(&r);
}

static void test_client_error_bounded(void **state)
{
    struct buf b;
    struct e2e_resp r;
    char id[40], path[80];
    CURL *c;
    int i;

    (void)state;
    /* a long message is kept cut at 2000 bytes, on a character boundary */
    buf_init(&b);
    buf_adds(&b, "{\"id\":\"long-message-1\",\"message\":\"x");
    for (i = 0; i < 1500; i++)
        buf_adds(&b, "\\u00e9");            /* 2 bytes each */
    buf_adds(&b, "\"}");
    post_report(b.data, &r);
    assert_int_equal(r.status, 201);
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/client-errors/long-message-1", NULL, &r);
    assert_int_equal(r.status, 200);
    {
        const char *m = strstr(r.body, "\"message\":\"") + 11;
        const char *end = strchr(m, '"');
        /* "x" then 999 whole é: 1999 bytes, never half of one */
        assert_int_equal(end - m, 1 + 999 * 2);
    }
    e2e_resp_free(&r);

    /* a body over 16 KiB is refused */
    buf_reset(&b);
    buf_adds(&b, "{\"id\":\"too-large-1\",\"message\":\"m\",\"stack\":\"");
    for (i = 0; i < 17000; i++)
        buf_addc(&b, 's');
    buf_adds(&b, "\"}");
    post_report(b.data, &r);
    assert_code(&r, 413, "BAD_REQUEST");
    assert_non_null(strstr(r.body, "larger than 16 KiB"));
    e2e_resp_free(&r);
    e2e_get(&srv, "/api/client-errors/too-large-1", NULL, &r);
    assert_int_equal(r.status, 404);
    e2e_resp_free(&r);
    buf_release(&b);

    /* the table keeps the newest 1000 reports */
    c = curl_easy_init();
    for (i = 0; i < 1001; i++) {
        char body[120];
        int n = snprintf(body, sizeof(body),
                         "{\"id\":\"bound-%04d\",\"message\":\"m%d\"}", i, i);
        send_raw(c, "POST", "/api/client-errors", body, (size_t)n, &r);
        assert_int_equal(r.status, 201);
        e2e_resp_free(&r);
    }
    curl_easy_cleanup(c);
    e2e_get(&srv, "/api/client-errors?limit=2", NULL, &r);
    assert_int_equal(e2e_json_int(r.body, "total", -1), 1000);
    assert_non_null(strstr(r.body, "\"id\":\"bound-1000\""));
    assert_non_null(strstr(r.body, "\"id\":\"bound-0999\""));
    e2e_resp_free(&r);
    /* the oldest went: the earlier reports and bound-0000 */
    e2e_get(&srv, "/api/client-errors/bound-0000", NULL, &r);
    assert_int_equal(r.status, 404);
    e2e_resp_free(&r);
    snprintf(id, sizeof(id), "bound-%04d", 1);
    snprintf(path, sizeof(path), "/api/client-errors/%s", id);
    e2e_get(&srv, path, NULL, &r);
    assert_int_equal(r.status, 200);
    e2e_resp_free(&r);
}

static void test_client_error_bad_json(void **state)
{
    static const char *const bodies[] = {
        "",
        "not json",
        "[]",
        "{\"message\":\"no id\"}",
        "{\"id\":\"short\",\"message\":\"m\"}",
        "{\"id\":\"has space 123\",\"message\":\"m\"}",
        "{\"id\":\"no-message-1\"}",
        "{\"id\":\"no-message-2\",\"message\":\"\"}",
        "{\"id\":\"unknown-key-1\",\"message\":\"m\",\"x\":\"y\"}",
        "{\"id\":\"number-val-1\",\"message\":5}",
        "{\"id\":\"trailing-1\",\"message\":\"m\"} x",
        "{\"id\":\"unclosed-1\",\"message\":\"m\"",
        "{\"id\":\"bad-escape-1\",\"message\":\"\\x\"}",
        "{\"id\":\"surrogate-1\",\"message\":\"\\ud800\"}",
        "{\"id\":\"nul-char-1\",\"message\":\"a\\u0000b\"}",
        "{\"id\":\"ctl-char-1\",\"message\":\"a\tb\"}",
        "{\"id\":\"twice-key-1\",\"message\":\"a\",\"message\":\"b\"}",
        "{\"id\":\"bad-utf8-1\",\"message\":\"\xff\"}",
    };
    struct e2e_resp r;
    CURL *c;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        post_report(bodies[i], &r);
        if (r.status != 400)
            print_message("body %zu: %s -> %s\n", i, bodies[i], r.body);
        assert_code(&r, 400, "BAD_REQUEST");
        e2e_resp_free(&r);
    }
    e2e_get(&srv, "/api/client-errors/unknown-key-1", NULL, &r);
    assert_int_equal(r.status, 404);
    e2e_resp_free(&r);
    c = curl_easy_init();
    send_raw(c, "PUT", "/api/client-errors", "{}", 2, &r);
    assert_code(&r, 405, "METHOD_NOT_ALLOWED");
    e2e_resp_free(&r);
    send_raw(c, "GET", "/api/client-errors/a/b", NULL, 0, &r);
    assert_code(&r, 404, "NOT_FOUND");
    e2e_resp_free(&r);
    curl_easy_cleanup(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_found),
        cmocka_unit_test(test_lookup_not_found),
        cmocka_unit_test(test_lookup_other_company),
        cmocka_unit_test(test_lookup_bad_query),
        cmocka_unit_test(test_companies),
        cmocka_unit_test(test_client_error_stored),
        cmocka_unit_test(test_client_error_bounded),
        cmocka_unit_test(test_client_error_bad_json),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
