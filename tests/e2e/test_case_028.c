/*
 * Case 028 (../shared/cases/028-tus-resume-offsets): the ten requests of
 * the case, sent as they are to /api/tus/, each answered as case.md says:
 * a stale offset is 409 and appends nothing, a wrong Content-Type 415, a
 * missing Tus-Resumable 412, a chunk past Upload-Length a 4xx that
 * appends nothing, and the last chunk completes the upload, which the
 * pipeline stores with its three records under its Unicode name.
 *
 * Two adaptations, both about socc rather than the protocol: the case's
 * placeholder path /files/ is socc's /api/tus/, every request carries the
 * test admin's token, and the creation's metadata gains tool_type (socc
 * files every upload under a tool type; the case names none).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "e2e.h"
#include "faults.h"
#include "socc_test.h"

static struct e2e_server srv;
static char dir028[4200], location[200];

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return e2e_start(&srv, NULL);
}

static int teardown(void **state)
{
    (void)state;
    e2e_stop(&srv);
    curl_global_cleanup();
    return 0;
}

/* Replace the first `from` in s (cap bytes) with `to`. */
static void replace(char *s, size_t cap, const char *from, const char *to)
{
    char *p = strstr(s, from), tail[4096];

    if (!p)
        return;
    snprintf(tail, sizeof(tail), "%s", p + strlen(from));
    snprintf(p, cap - (size_t)(p - s), "%s%s", to, tail);
}

/* Send request file name of the case, adapted; the raw answer in resp. */
static void send_step(const char *name, char *resp, size_t cap)
{
    char path[4300], req[4096], auth[200];
    size_t n = 0;
    char *raw;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir028, name);
    raw = e2e_slurp(path, &n);
    assert_non_null(raw);
    assert_true(n < sizeof(req) - 400);
    memcpy(req, raw, n);
    req[n] = '\0';
    free(raw);
    replace(req, sizeof(req), "/files/", "/api/tus/");
    replace(req, sizeof(req), "{UPLOAD_PATH}", location);
    replace(req, sizeof(req), "company YWNtZQ==",
            "company YWNtZQ==,tool_type c2llbQ==");
    snprintf(auth, sizeof(auth), "HTTP/1.1\r\n%s", srv.auth);
    replace(req, sizeof(req), "HTTP/1.1\r\n", auth);
    fd = e2e_connect(&srv);
    assert_true(fd >= 0);
    assert_int_equal(e2e_send_all(fd, req, strlen(req)), 0);
    e2e_read_until(fd, resp, cap, NULL, 5000);
    close(fd);
    if (!f_status(resp))
        print_message("%s: no answer\n", name);
}

static void expect_offset(const char *resp, const char *want)
{
    char v[32];

    assert_int_equal(f_header(resp, "Upload-Offset:", v, sizeof(v)), 0);
    assert_string_equal(v, want);
}

/* HEAD: the offset stays where it was. */
static void offset_is(const char *want)
{
    char resp[4096];

    send_step("05_head.http", resp, sizeof(resp));
    assert_int_equal(f_status(resp), 200);
    expect_offset(resp, want);
}

static void case_028_tus_resume_offsets(void **state)
{
    char resp[8192], v[200], url[300], hash[65];
    struct e2e_resp r;
    long long id;
    int st;

    (void)state;
    {
        ST_NEED_SHARED(shared);
        snprintf(dir028, sizeof(dir028),
                 "%s/cases/028-tus-resume-offsets", shared);
    }
    /* 01 OPTIONS */
    send_step("01_options.http", resp, sizeof(resp));
    st = f_status(resp);
    assert_true(st == 200 || st == 204);
    assert_int_equal(f_header(resp, "Tus-Resumable:", v, sizeof(v)), 0);
    assert_string_equal(v, "1.0.0");
    assert_int_equal(f_header(resp, "Tus-Version:", v, sizeof(v)), 0);
    assert_non_null(strstr(v, "1.0.0"));
    assert_int_equal(f_header(resp, "Tus-Extension:", v, sizeof(v)), 0);
    assert_non_null(strstr(v, "creation"));
    /* 02 POST: created, Location */
    send_step("02_create.http", resp, sizeof(resp));
    if (f_status(resp) != 201)
        print_message("02: %s\n", resp);
    assert_int_equal(f_status(resp), 201);
    assert_int_equal(f_header(resp, "Location:", v, sizeof(v)), 0);
    snprintf(location, sizeof(location), "%s",
             strstr(v, "/api/tus/") ? strstr(v, "/api/tus/") : v);
    assert_int_equal(f_header(resp, "Tus-Resumable:", v, sizeof(v)), 0);
    /* 03 PATCH 12 bytes at 0 */
    send_step("03_patch_first_12.http", resp, sizeof(resp));
    assert_int_equal(f_status(resp), 204);
    expect_offset(resp, "12");
    /* 04 the same again: a stale offset */
    send_step("04_patch_stale_offset0.http", resp, sizeof(resp));
    assert_int_equal(f_status(resp), 409);
    offset_is("12");
    /* 05 HEAD */
    send_step("05_head.http", resp, sizeof(resp));
    assert_int_equal(f_status(resp), 200);
    expect_offset(resp, "12");
    assert_int_equal(f_header(resp, "Upload-Length:", v, sizeof(v)), 0);
    assert_string_equal(v, "32");
    assert_int_equal(f_header(resp, "Cache-Control:", v, sizeof(v)), 0);
    assert_string_equal(v, "no-store");
    /* 06 wrong Content-Type */
    send_step("06_patch_wrong_content_type.http", resp, sizeof(resp));
    assert_int_equal(f_status(resp), 415);
    offset_is("12");
    /* 07 no Tus-Resumable */
    send_step("07_patch_missing_tus_resumable.http", resp, sizeof(resp));
    assert_int_equal(f_status(resp), 412);
    offset_is("12");
    /* 08 past Upload-Length: refused, nothing appended */
    send_step("08_patch_past_length.http", resp, sizeof(resp));
    st = f_status(resp);
    assert_true(st >= 400 && st < 500);
    offset_is("12");
    /* 09 the rest: complete, processed */
    send_step("09_patch_rest.http", resp, sizeof(resp));
    if (f_status(resp) != 201 && f_status(resp) != 204)
        print_message("09: %s\n", resp);
    assert_true(f_status(resp) == 201 || f_status(resp) == 204);
    expect_offset(resp, "32");
    /* 10 HEAD: done */
    send_step("10_head_done.http", resp, sizeof(resp));
    expect_offset(resp, "32");
    assert_int_equal(f_header(resp, "Upload-Length:", v, sizeof(v)), 0);
    assert_string_equal(v, "32");

    /* the stored upload: hash, Unicode name, three records */
    e2e_get(&srv, "/api/uploads?company=acme", NULL, &r);
    assert_int_equal(r.status, 200);
    id = e2e_json_int(r.body, "id", -1);
    assert_true(id > 0);
    assert_int_equal(e2e_json_str(r.body, "file_hash", hash, sizeof(hash)),
                     0);
    assert_string_equal(hash, "16efc1e9262027cc03a8ab42e84df1294c000f5c57bcb"
                              "8040ee795160e015ea6");
    assert_int_equal(e2e_json_str(r.body, "filename", v, sizeof(v)), 0);
    assert_string_equal(v, "tus-\xc3\xbc" "n\xc3\xaf" "code.csv");
    assert_int_equal(e2e_json_int(r.body, "record_count", -1), 3);
    e2e_resp_free(&r);
    snprintf(url, sizeof(url), "/api/uploads/%lld/records", id);
    e2e_get(&srv, url, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"rule\":\"R1\",\"hits\":10"));
    assert_non_null(strstr(r.body, "\"rule\":\"R2\",\"hits\":20"));
    assert_non_null(strstr(r.body, "\"rule\":\"R3\",\"hits\":30"));
    e2e_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(case_028_tus_resume_offsets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
