#ifndef SOCC_SESSION_H
#define SOCC_SESSION_H

/*
 * Browser sessions: a random id in an HttpOnly, SameSite=Strict cookie,
 * stored as its SHA-256 only, with an idle and an absolute expiry and a
 * CSRF token of its own.
 */

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/auth_store.h"
#include "store/store.h"

#define SESSION_COOKIE "socc_session"
#define SESSION_ID_LEN 64          /* hex digits of the cookie value */
#define SESSION_IDLE_DEFAULT 1800  /* SOCC_SESSION_IDLE, seconds */
#define SESSION_MAX_DEFAULT 43200  /* SOCC_SESSION_MAX, seconds */

struct session_limits {
    int64_t idle_s;                /* expires after this long unused */
    int64_t max_s;                 /* and this long after login */
};

/*
 * Start a session for user_id at now: *id gets the cookie value (shown
 * to the client only), ss the stored row (csrf included).
 */
enum socc_err session_create(struct store *st, int64_t user_id, int64_t now,
                             const struct session_limits *lim,
                             char id[SESSION_ID_LEN + 1],
                             struct auth_store_session *ss,
                             struct socc_error *err);
/*
 * The live session of cookie value id at now, its last use moved to now.
 * UNAUTHENTICATED when unknown, revoked, idle too long or past its end.
 */
enum socc_err session_check(struct store *st, const char *id, int64_t now,
                            const struct session_limits *lim,
                            struct auth_store_session *ss,
                            struct socc_error *err);
/* Revoke the session of cookie value id (unknown ids are fine). */
enum socc_err session_revoke(struct store *st, const char *id,
                             struct socc_error *err);
/*
 * The value of the session cookie in a Cookie header (may be NULL) into
 * id; 1 when found and well formed, else 0.
 */
int session_from_cookie(const char *header, char id[SESSION_ID_LEN + 1]);
/*
 * The Set-Cookie value for id (or, when id is NULL, one that deletes the
 * cookie): HttpOnly, SameSite=Strict, Path=/, Secure when secure.
 */
void session_cookie(char *out, size_t n, const char *id, int secure);
/* Read SOCC_SESSION_IDLE and SOCC_SESSION_MAX; -1 when one is bad. */
int session_limits_from_env(struct session_limits *lim);

#endif
