#include "socc_test.h"

#include "core/sha256.h"

static void known_vectors(void **state)
{
    char hex[65];
    struct sha256 h;

    (void)state;
    sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                             "27ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    /* streaming in pieces gives the same digest */
    assert_int_equal(sha256_init(&h), 0);
    sha256_update(&h, "a", 1);
    sha256_update(&h, "bc", 2);
    sha256_final_hex(&h, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    assert_true(sha256_is_hex(hex));
    hex[3] = 'G';
    assert_false(sha256_is_hex(hex));
}

static void corpus_file_hash(void **state)
{
    struct st_expect e;
    char path[4300], hex[65];

    (void)state;
    ST_NEED_SHARED(shared);
    assert_int_equal(st_expect_get(shared, "security/defectdojo_nessus_new.csv",
                                   &e), 0);
    snprintf(path, sizeof(path), "%s/corpus/%s", shared, e.file);
    assert_int_equal(sha256_file_hex(path, hex), 0);
    assert_string_equal(hex, e.sha256);
    st_expect_free(&e);
    assert_int_equal(sha256_file_hex("/nonexistent/x", hex), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_vectors),
        cmocka_unit_test(corpus_file_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
