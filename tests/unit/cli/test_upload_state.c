#include "socc_test.h"

#include "cli/upload_state.h"

static const char sha_a[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char sha_b[] =
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/* Put, get by content, size and server, replace, delete. */
static void remembers_by_content(void **state)
{
    char dir[256], path[300], url[512];

    (void)state;
    st_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/sub/uploads", dir);
    assert_int_equal(upload_state_get(path, sha_a, 10, "http://h:1", url,
                                      sizeof(url)), -1);
    assert_int_equal(upload_state_put(path, sha_a, 10,
                                      "http://h:1/api/tus/1"), 0);
    assert_int_equal(upload_state_put(path, sha_b, 20,
                                      "http://h:1/api/tus/2"), 0);
    assert_int_equal(upload_state_get(path, sha_a, 10, "http://h:1", url,
                                      sizeof(url)), 0);
    assert_string_equal(url, "http://h:1/api/tus/1");
    /* another size, another server: not the same upload */
    assert_int_equal(upload_state_get(path, sha_a, 11, "http://h:1", url,
                                      sizeof(url)), -1);
    assert_int_equal(upload_state_get(path, sha_a, 10, "http://other", url,
                                      sizeof(url)), -1);
    /* a new URL for the same file replaces the old one */
    assert_int_equal(upload_state_put(path, sha_a, 10,
                                      "http://h:1/api/tus/3"), 0);
    assert_int_equal(upload_state_get(path, sha_a, 10, "http://h:1", url,
                                      sizeof(url)), 0);
    assert_string_equal(url, "http://h:1/api/tus/3");
    assert_int_equal(upload_state_del(path, "http://h:1/api/tus/3"), 0);
    assert_int_equal(upload_state_get(path, sha_a, 10, "http://h:1", url,
                                      sizeof(url)), -1);
    assert_int_equal(upload_state_get(path, sha_b, 20, "http://h:1", url,
                                      sizeof(url)), 0);
    assert_string_equal(url, "http://h:1/api/tus/2");
    st_rmtree(dir);
}

static void path_from_env(void **state)
{
    char path[300];

    (void)state;
    setenv("SOCC_UPLOAD_STATE", "/x/y", 1);
    assert_int_equal(upload_state_path(path, sizeof(path)), 0);
    assert_string_equal(path, "/x/y");
    unsetenv("SOCC_UPLOAD_STATE");
    setenv("XDG_STATE_HOME", "/st", 1);
    assert_int_equal(upload_state_path(path, sizeof(path)), 0);
    assert_string_equal(path, "/st/socc/uploads");
    unsetenv("XDG_STATE_HOME");
    setenv("HOME", "/home/u", 1);
    assert_int_equal(upload_state_path(path, sizeof(path)), 0);
    assert_string_equal(path, "/home/u/.local/state/socc/uploads");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(remembers_by_content),
        cmocka_unit_test(path_from_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
