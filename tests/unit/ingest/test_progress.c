#include "socc_test.h"

#include "ingest/progress.h"

static void tokens(void **state)
{
    char long_tok[PROGRESS_TOKEN_MAX + 2];

    (void)state;
    assert_true(progress_token_ok("a"));
    assert_true(progress_token_ok("AZaz09-_"));
    assert_false(progress_token_ok(NULL));
    assert_false(progress_token_ok(""));
    assert_false(progress_token_ok("a b"));
    assert_false(progress_token_ok("a/b"));
    assert_false(progress_token_ok("\xc3\xa9"));
    memset(long_tok, 'x', sizeof(long_tok));
    long_tok[PROGRESS_TOKEN_MAX] = '\0';
    assert_true(progress_token_ok(long_tok));
    long_tok[PROGRESS_TOKEN_MAX] = 'x';
    long_tok[PROGRESS_TOKEN_MAX + 1] = '\0';
    assert_false(progress_token_ok(long_tok));
}

/* Stages, bytes and rows are seen by a reader; the outcome outlives it. */
static void follows_an_upload(void **state)
{
    struct progress *p, *q;
    struct progress_view v;
    int64_t oldest = -1;

    (void)state;
    assert_int_equal(progress_active(&oldest), 0);
    assert_int_equal(oldest, 0);
    p = progress_begin("tok1", "req-1");
    q = progress_begin(NULL, "req-2");
    assert_non_null(p);
    assert_non_null(q);
    assert_int_equal(progress_active(&oldest), 2);
    assert_true(oldest > 0);

    assert_int_equal(progress_find("tok1", &v), 0);
    assert_string_equal(v.stage, "receiving");
    assert_string_equal(v.req_id, "req-1");
    progress_bytes(p, 500, 1000);
    progress_meta(p, "acme", "siem", "a.csv");
    progress_stage(p, "processing");
    progress_rows(p, 4096);
    assert_int_equal(progress_find("tok1", &v), 0);
    assert_string_equal(v.stage, "processing");
    assert_int_equal(v.bytes, 500);
    assert_int_equal(v.total, 1000);
    assert_int_equal(v.rows, 4096);
    assert_string_equal(v.company, "acme");
    assert_string_equal(v.filename, "a.csv");

    progress_end(p, "done");
    progress_end(q, "done");
    assert_int_equal(progress_active(NULL), 0);
    assert_int_equal(progress_find("tok1", &v), 0);
    assert_string_equal(v.stage, "done");
    assert_int_equal(v.rows, 4096);
    assert_int_equal(progress_find("tok2", &v), -1);

    /* the in-flight upload with a reused token wins over the finished one */
    p = progress_begin("tok1", "req-3");
    assert_int_equal(progress_find("tok1", &v), 0);
    assert_string_equal(v.stage, "receiving");
    assert_string_equal(v.req_id, "req-3");
    progress_end(p, "CORRUPTED_FILE");
    assert_int_equal(progress_find("tok1", &v), 0);
    assert_string_equal(v.stage, "CORRUPTED_FILE");

    /* NULL handles are accepted everywhere */
    progress_stage(NULL, "x");
    progress_rows(NULL, 1);
    progress_bytes(NULL, 1, 1);
    progress_meta(NULL, "a", "b", "c");
    progress_end(NULL, "done");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokens),
        cmocka_unit_test(follows_an_upload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
