#include "auth/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/csrf.h"
#include "core/sha256.h"

static int is_hex(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

enum socc_err session_create(struct store *st, int64_t user_id, int64_t now,
                             const struct session_limits *lim,
                             char id[SESSION_ID_LEN + 1],
                             struct auth_store_session *ss,
                             struct socc_error *err)
{
    unsigned char raw[SESSION_ID_LEN / 2];

    if (sodium_init() < 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "no random source");
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(id, SESSION_ID_LEN + 1, raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
    memset(ss, 0, sizeof(*ss));
    sha256_hex(id, SESSION_ID_LEN, ss->id_hash);
    ss->user_id = user_id;
    csrf_new(ss->csrf);
    ss->created = now;
    ss->last_seen = now;
    ss->expires = now + lim->max_s;
    return auth_store_session_add(st, ss, err);
}

enum socc_err session_check(struct store *st, const char *id, int64_t now,
                            const struct session_limits *lim,
                            struct auth_store_session *ss,
                            struct socc_error *err)
{
    char hash[65];
    enum socc_err e;

    if (strlen(id) != SESSION_ID_LEN || !is_hex(id, SESSION_ID_LEN))
        return socc_error_set(err, SOCC_E_UNAUTHENTICATED,
                              "the session is not valid");
    sha256_hex(id, SESSION_ID_LEN, hash);
    e = auth_store_session_get(st, hash, ss, err);
    if (e == SOCC_E_NOT_FOUND)
        return socc_error_set(err, SOCC_E_UNAUTHENTICATED,
                              "the session ended; sign in again");
    if (e != SOCC_OK)
        return e;
    if (now >= ss->expires || now - ss->last_seen > lim->idle_s) {
        auth_store_session_revoke(st, hash, NULL);
        return socc_error_set(err, SOCC_E_UNAUTHENTICATED,
                              "the session expired; sign in again");
    }
    if (now > ss->last_seen)
        auth_store_session_touch(st, hash, now, NULL);
    return SOCC_OK;
}

enum socc_err session_revoke(struct store *st, const char *id,
                             struct socc_error *err)
{
    char hash[65];

    sha256_hex(id, strlen(id), hash);
    return auth_store_session_revoke(st, hash, err);
}

int session_from_cookie(const char *header, char id[SESSION_ID_LEN + 1])
{
    const char *p = header;
    size_t klen = strlen(SESSION_COOKIE), n;

    while (p && *p) {
        p += strspn(p, " \t;");
        n = strcspn(p, ";");
        if (n == klen + 1 + SESSION_ID_LEN &&
            strncmp(p, SESSION_COOKIE "=", klen + 1) == 0 &&
            is_hex(p + klen + 1, SESSION_ID_LEN)) {
            memcpy(id, p + klen + 1, SESSION_ID_LEN);
            id[SESSION_ID_LEN] = '\0';
            return 1;
        }
        p += n;
    }
    return 0;
}

void session_cookie(char *out, size_t n, const char *id, int secure)
{
    snprintf(out, n, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
             SESSION_COOKIE, id ? id : "", secure ? "; Secure" : "",
             id ? "" : "; Max-Age=0");
}

static int env_seconds(const char *name, int64_t def, int64_t *out)
{
    const char *v = getenv(name);
    char *end;
    long long n;

    *out = def;
    if (!v || !*v)
        return 0;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno || *end || n < 1 || n > 31536000)
        return -1;
    *out = n;
    return 0;
}

int session_limits_from_env(struct session_limits *lim)
{
    if (env_seconds("SOCC_SESSION_IDLE", SESSION_IDLE_DEFAULT,
                    &lim->idle_s) != 0 ||
        env_seconds("SOCC_SESSION_MAX", SESSION_MAX_DEFAULT, &lim->max_s) != 0)
        return -1;
    return 0;
}
