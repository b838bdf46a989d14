#include "socc_test.h"

#include "core/log.h"

static void quoting(void **state)
{
    char out[64];

    (void)state;
    assert_string_equal(log_quote(out, sizeof(out), "plain.csv"), "plain.csv");
    assert_string_equal(log_quote(out, sizeof(out), "a b"), "\"a b\"");
    assert_string_equal(log_quote(out, sizeof(out), "x\"y\n"),
                        "\"x\\\"y\\x0a\"");
    assert_string_equal(log_quote(out, sizeof(out), ""), "\"\"");
    assert_string_equal(log_quote(out, 8, "aaaaaaaaaaaaaaa b"), "\"a\"");
}

static void request_ids(void **state)
{
    char a[17], b[17];
    size_t i;

    (void)state;
    log_new_request_id(a);
    log_new_request_id(b);
    assert_int_equal(strlen(a), 16);
    for (i = 0; i < 16; i++)
        assert_non_null(strchr("0123456789abcdef", a[i]));
    assert_string_not_equal(a, b);
}

static void one_line_with_fixed_keys(void **state)
{
    int fds[2], saved;
    char line[512];
    ssize_t n;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    saved = dup(2);
    dup2(fds[1], 2);
    log_event(LOG_WARN, "test", "thing_done", "abc123", "k=%d", 7);
    log_event(LOG_DEBUG, "test", "hidden", NULL, "k=1");
    dup2(saved, 2);
    close(saved);
    close(fds[1]);
    n = read(fds[0], line, sizeof(line) - 1);
    close(fds[0]);
    assert_true(n > 0);
    line[n] = '\0';
    assert_non_null(strstr(line, " level=warn mod=test ev=thing_done "
                                 "req=abc123 k=7\n"));
    assert_true(strncmp(line, "ts=", 3) == 0);
    assert_null(strstr(line, "hidden"));
}

/* Capture what log_event() writes for one call. */
static void capture(char *out, size_t n, const char *q)
{
    int fds[2], saved;
    ssize_t k;

    assert_int_equal(pipe(fds), 0);
    saved = dup(2);
    dup2(fds[1], 2);
    log_event(LOG_WARN, "test", "thing", "r-1", "name=%s ms=12 neg=-3 "
              "ver=1.5 hex=0x1f zero=007 flag", q);
    dup2(saved, 2);
    close(saved);
    close(fds[1]);
    k = read(fds[0], out, n - 1);
    close(fds[0]);
    assert_true(k > 0);
    out[k] = '\0';
}

static void json_lines(void **state)
{
    char line[1024], q[128];
    const char *body;

    (void)state;
    log_set_format(LOG_FORMAT_JSON);
    log_quote(q, sizeof(q), "a \"b\"\n\xc3\xa9");
    capture(line, sizeof(line), q);
    log_set_format(LOG_FORMAT_KV);
    assert_true(strncmp(line, "{\"ts\":\"20", 9) == 0);
    body = strstr(line, "\"level\"");
    assert_non_null(body);
    assert_string_equal(body, "\"level\":\"warn\",\"mod\":\"test\","
                        "\"ev\":\"thing\",\"req\":\"r-1\","
                        "\"name\":\"a \\\"b\\\"\\u000a\xc3\xa9\","
                        "\"ms\":12,\"neg\":-3,\"ver\":1.5,"
                        "\"hex\":\"0x1f\",\"zero\":\"007\","
                        "\"flag\":true}\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quoting),
        cmocka_unit_test(request_ids),
        cmocka_unit_test(one_line_with_fixed_keys),
        cmocka_unit_test(json_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
