#include "socc_test.h"

#include "core/utf8.h"

static void encodes(void **state)
{
    char o[4];

    (void)state;
    assert_int_equal(utf8_put(o, 'A'), 1);
    assert_memory_equal(o, "A", 1);
    assert_int_equal(utf8_put(o, 0xE9), 2);
    assert_memory_equal(o, "\xc3\xa9", 2);
    assert_int_equal(utf8_put(o, 0x20AC), 3);
    assert_memory_equal(o, "\xe2\x82\xac", 3);
    assert_int_equal(utf8_put(o, 0x1F600), 4);
    assert_memory_equal(o, "\xf0\x9f\x98\x80", 4);
}

static void validates(void **state)
{
    const unsigned char *p;

    (void)state;
    p = (const unsigned char *)"a";
    assert_int_equal(utf8_valid(p, 1), 1);
    p = (const unsigned char *)"\xc3\xa9";
    assert_int_equal(utf8_valid(p, 2), 2);
    assert_int_equal(utf8_valid(p, 1), 0);            /* cut short */
    p = (const unsigned char *)"\xf0\x9f\x98\x80";
    assert_int_equal(utf8_valid(p, 4), 4);
    p = (const unsigned char *)"\xc0\xaf";           /* overlong '/' */
    assert_int_equal(utf8_valid(p, 2), 0);
    p = (const unsigned char *)"\xe0\x80\xaf";       /* overlong */
    assert_int_equal(utf8_valid(p, 3), 0);
    p = (const unsigned char *)"\xed\xa0\x80";       /* surrogate */
    assert_int_equal(utf8_valid(p, 3), 0);
    p = (const unsigned char *)"\xf4\x90\x80\x80";   /* past U+10FFFF */
    assert_int_equal(utf8_valid(p, 4), 0);
    p = (const unsigned char *)"\x80";               /* stray */
    assert_int_equal(utf8_valid(p, 1), 0);
    assert_int_equal(utf8_valid(p, 0), 0);
    /* a stream cut in the middle of a sequence may go on */
    p = (const unsigned char *)"\xe2\x82\xac";
    assert_int_equal(utf8_scan(p, 2), -1);
    assert_int_equal(utf8_scan(p, 3), 3);
    p = (const unsigned char *)"\xe2\x41";
    assert_int_equal(utf8_scan(p, 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encodes),
        cmocka_unit_test(validates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
