#include "auth/password.h"

#include <string.h>

#include <sodium.h>

/* Interactive limits: about 64 MiB and a tenth of a second per hash. */
#define OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

_Static_assert(PASSWORD_HASH_MAX >= crypto_pwhash_STRBYTES,
               "hash buffer too small");

int password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
    if (sodium_init() < 0)
        return -1;
    if (crypto_pwhash_str_alg(out, pw, strlen(pw), OPS, MEM,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return -1;
    return 0;
}

int password_verify(const char *hash, const char *pw)
{
    if (sodium_init() < 0 || strncmp(hash, "$argon2id$", 10) != 0)
        return 0;
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

void password_verify_dummy(const char *pw)
{
    static const char salt[crypto_pwhash_SALTBYTES];
    unsigned char out[32];

    if (sodium_init() < 0)
        return;
    if (crypto_pwhash(out, sizeof(out), pw, strlen(pw),
                      (const unsigned char *)salt, OPS, MEM,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return;
    sodium_memzero(out, sizeof(out));
}

int password_acceptable(const char *pw)
{
    size_t n = strlen(pw), i;

    if (n < PASSWORD_MIN || n > PASSWORD_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f)
            return 0;
    return 1;
}

void password_random(char *out, size_t n)
{
    static const char alpha[] = "abcdefghjkmnpqrstuvwxyz"
                                "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    size_t i;

    if (n == 0)
        return;
    if (sodium_init() < 0) {
        out[0] = '\0';
        return;
    }
    for (i = 0; i + 1 < n; i++)
        out[i] = alpha[randombytes_uniform(sizeof(alpha) - 1)];
    out[n - 1] = '\0';
}
