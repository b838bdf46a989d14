#include "auth/csrf.h"

#include <string.h>

#include <sodium.h>

void csrf_new(char out[CSRF_LEN + 1])
{
    unsigned char raw[CSRF_LEN / 2];

    if (sodium_init() < 0) {
        out[0] = '\0';
        return;
    }
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(out, CSRF_LEN + 1, raw, sizeof(raw));
}

int csrf_ok(const char *expected, const char *given)
{
    if (!given || strlen(expected) != CSRF_LEN || strlen(given) != CSRF_LEN)
        return 0;
    return sodium_memcmp(expected, given, CSRF_LEN) == 0;
}
