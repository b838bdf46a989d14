#include "socc_test.h"

#include "core/base64.h"

/* RFC 4648 section 10 test vectors, both ways. */
static void rfc_vectors(void **state)
{
    static const char *const plain[] = { "", "f", "fo", "foo", "foob",
                                         "fooba", "foobar" };
    static const char *const coded[] = { "", "Zg==", "Zm8=", "Zm9v",
                                         "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
    char enc[16];
    unsigned char dec[16];
    size_t i, len;

    (void)state;
    for (i = 0; i < 7; i++) {
        base64_encode(plain[i], strlen(plain[i]), enc);
        assert_string_equal(enc, coded[i]);
        assert_int_equal(base64_decode(coded[i], strlen(coded[i]), dec,
                                       sizeof(dec), &len), 0);
        assert_int_equal(len, strlen(plain[i]));
        assert_memory_equal(dec, plain[i], len);
    }
}

static void refuses_bad_input(void **state)
{
    unsigned char dec[8];
    size_t len = 99;

    (void)state;
    assert_int_equal(base64_decode("Zm9v!", 5, dec, sizeof(dec), &len), -1);
    assert_int_equal(base64_decode("Z", 1, dec, sizeof(dec), &len), -1);
    assert_int_equal(base64_decode("Zm 9v", 5, dec, sizeof(dec), &len), -1);
    /* "Zh==" has bits past the last byte: not the canonical "Zg==" */
    assert_int_equal(base64_decode("Zh==", 4, dec, sizeof(dec), &len), -1);
    /* too small an output */
    assert_int_equal(base64_decode("Zm9vYmFy", 8, dec, 5, &len), -1);
    /* unpadded is accepted */
    assert_int_equal(base64_decode("Zm8", 3, dec, sizeof(dec), &len), 0);
    assert_int_equal(len, 2);
    assert_memory_equal(dec, "fo", 2);
}

static void binary_round_trip(void **state)
{
    unsigned char in[256], dec[256];
    char enc[BASE64_ENCODED_SIZE(256)];
    size_t i, n, len;

    (void)state;
    for (i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(255 - i);
    for (n = 0; n <= sizeof(in); n += 37) {
        base64_encode(in, n, enc);
        assert_int_equal(strlen(enc), BASE64_ENCODED_SIZE(n) - 1);
        assert_int_equal(base64_decode(enc, strlen(enc), dec, sizeof(dec),
                                       &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(dec, in, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc_vectors),
        cmocka_unit_test(refuses_bad_input),
        cmocka_unit_test(binary_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
