#include "auth/token.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth/ratelimit.h"
#include "core/sha256.h"

#define PREFIX "socc_"

enum socc_err token_create(struct store *st, const struct auth_store_token *t,
                           const char *companies_json,
                           char out[TOKEN_LEN + 1], int64_t *id,
                           struct socc_error *err)
{
    struct auth_store_token row = *t;
    unsigned char raw[32];
    char hash[65];
    enum socc_err e;

    if (!ratelimit_tier_ok(t->tier))
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "tier must be one of: %s", RATELIMIT_TIERS);
    if (!t->name[0])
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "a token needs a name");
    if (sodium_init() < 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "no random source");
    randombytes_buf(raw, sizeof(raw));
    memcpy(out, PREFIX, sizeof(PREFIX) - 1);
    sodium_bin2hex(out + sizeof(PREFIX) - 1, 65, raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
    snprintf(row.prefix, sizeof(row.prefix), "%.13s", out);
    sha256_hex(out, TOKEN_LEN, hash);
    e = auth_store_token_add(st, &row, hash, companies_json, id, err);
    if (e != SOCC_OK)
        sodium_memzero(out, TOKEN_LEN + 1);
    return e;
}

static int well_formed(const char *text)
{
    size_t i;

    if (strlen(text) != TOKEN_LEN ||
        strncmp(text, PREFIX, sizeof(PREFIX) - 1) != 0)
        return 0;
    for (i = sizeof(PREFIX) - 1; i < TOKEN_LEN; i++)
        if (!((text[i] >= '0' && text[i] <= '9') ||
              (text[i] >= 'a' && text[i] <= 'f')))
            return 0;
    return 1;
}

enum socc_err token_lookup(struct store *st, const char *text,
                           struct auth_store_token *t, struct buf *companies,
                           struct socc_error *err)
{
    char hash[65];
    enum socc_err e;

    if (!well_formed(text))
        return socc_error_set(err, SOCC_E_UNAUTHENTICATED,
                              "the API token is not valid");
    sha256_hex(text, TOKEN_LEN, hash);
    e = auth_store_token_get(st, hash, 0, t, companies, err);
    if (e == SOCC_E_NOT_FOUND || (e == SOCC_OK && t->revoked))
        return socc_error_set(err, SOCC_E_UNAUTHENTICATED,
                              "the API token is not valid or was revoked");
    return e;
}
