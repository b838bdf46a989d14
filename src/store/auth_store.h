#ifndef SOCC_AUTH_STORE_H
#define SOCC_AUTH_STORE_H

/*
 * The storage interface of access control (SPEC 6): users, companies,
 * memberships, sessions, API tokens, the audit log and login attempts.
 * Same database and connection pool as store.h (SQLite backend:
 * auth_store_sqlite.c).  Secrets never reach this layer in clear: it keeps
 * what src/auth/ hands it (Argon2id strings, SHA-256 hex).  Roles are the
 * strings "super_admin", "admin", "analyst".  Company lists travel as JSON
 * arrays of names.
 */

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

#define AUTH_STORE_NAME_MAX 128     /* bytes of a user or token name */

struct auth_store_user {
    int64_t id;
    char name[AUTH_STORE_NAME_MAX + 1];
    char role[16];                  /* "super_admin", "admin", "analyst" */
    char password_hash[192];        /* crypto_pwhash_str() output */
    char created_at[32];
    int disabled;
};

struct auth_store_session {
    char id_hash[65];               /* SHA-256 hex of the cookie value */
    int64_t user_id;
    char csrf[65];                  /* the session's CSRF token */
    int64_t created;                /* epoch seconds */
    int64_t last_seen;              /* epoch seconds, for the idle limit */
    int64_t expires;                /* absolute end, epoch seconds */
};

struct auth_store_token {
    int64_t id;
    int64_t user_id;
    char user[AUTH_STORE_NAME_MAX + 1];  /* owner's name */
    char name[AUTH_STORE_NAME_MAX + 1];  /* what it is for */
    char prefix[16];                /* first characters, to recognise it */
    int all_companies;              /* 1: every company of its owner */
    char tier[16];                  /* rate-limit tier */
    char created_at[32];
    char created_by[AUTH_STORE_NAME_MAX + 1];
    int revoked;
};

/* One audit event; every field but actor, action and outcome may be NULL. */
struct auth_store_audit {
    const char *actor;              /* user name, or "-" */
    const char *action;             /* "login", "upload", "token_create" */
    const char *outcome;            /* "ok", "denied", "failed" */
    const char *company;
    const char *target;             /* "upload:12", "user:bob", "token:3" */
    const char *address;            /* client address */
    const char *request_id;
    const char *detail;
};

/* ---- users and companies ---- */

/* DUPLICATE_FILE is never used here: a taken name is BAD_REQUEST. */
enum socc_err auth_store_user_add(struct store *s, const char *name,
                                  const char *role, const char *hash,
                                  int64_t *id, struct socc_error *err);
/* By name when name is not NULL, else by id; NOT_FOUND when none. */
enum socc_err auth_store_user_get(struct store *s, const char *name,
                                  int64_t id, struct auth_store_user *u,
                                  struct socc_error *err);
/* New password hash; the user's sessions are revoked. */
enum socc_err auth_store_user_set_password(struct store *s, int64_t id,
                                           const char *hash,
                                           struct socc_error *err);
/* Disable (1) or enable (0); disabling revokes sessions. */
enum socc_err auth_store_user_set_disabled(struct store *s, int64_t id,
                                           int disabled,
                                           struct socc_error *err);
enum socc_err auth_store_user_set_role(struct store *s, int64_t id,
                                       const char *role,
                                       struct socc_error *err);
/* Users in all, or -1 on a database error. */
int64_t auth_store_user_count(struct store *s);
/*
 * Append {"users":[{id,name,role,created_at,disabled,companies:[...]}]}:
 * every user when companies_json is NULL, else those with a membership in
 * one of those companies, showing only those companies.
 */
enum socc_err auth_store_users_json(struct store *s,
                                    const char *companies_json,
                                    struct buf *out, struct socc_error *err);
/*
 * Append a JSON array of company names: the user's memberships, or every
 * known company when user_id is 0.
 */
enum socc_err auth_store_companies_json(struct store *s, int64_t user_id,
                                        struct buf *out,
                                        struct socc_error *err);
/* Add (on = 1, creating the company) or remove a membership. */
enum socc_err auth_store_membership_set(struct store *s, int64_t user_id,
                                        const char *company, int on,
                                        struct socc_error *err);

/* ---- sessions ---- */

enum socc_err auth_store_session_add(struct store *s,
                                     const struct auth_store_session *ss,
                                     struct socc_error *err);
/* NOT_FOUND when there is none, or it was revoked. */
enum socc_err auth_store_session_get(struct store *s, const char *id_hash,
                                     struct auth_store_session *ss,
                                     struct socc_error *err);
enum socc_err auth_store_session_touch(struct store *s, const char *id_hash,
                                       int64_t now, struct socc_error *err);
enum socc_err auth_store_session_revoke(struct store *s, const char *id_hash,
                                        struct socc_error *err);

/* ---- API tokens ---- */

/*
 * Store a token: t->user_id, name, prefix, all_companies, tier and
 * created_by are read; hash is its SHA-256 hex; companies_json the
 * companies it is scoped to (ignored when all_companies).  *id set.
 */
enum socc_err auth_store_token_add(struct store *s,
                                   const struct auth_store_token *t,
                                   const char *hash,
                                   const char *companies_json, int64_t *id,
                                   struct socc_error *err);
/*
 * By hash (when not NULL) or id.  NOT_FOUND when none; a revoked token is
 * found with revoked set.  companies (may be NULL) gets the JSON array of
 * its scope.
 */
enum socc_err auth_store_token_get(struct store *s, const char *hash,
                                   int64_t id, struct auth_store_token *t,
                                   struct buf *companies,
                                   struct socc_error *err);
enum socc_err auth_store_token_revoke(struct store *s, int64_t id,
                                      struct socc_error *err);
/*
 * Append {"tokens":[...]}: every token when companies_json is NULL, else
 * the tokens of user self_id and of the users who are not super admins
 * and belong to one of those companies, their scopes cut to those
 * companies.  Hashes never leave.
 */
enum socc_err auth_store_tokens_json(struct store *s,
                                     const char *companies_json,
                                     int64_t self_id, struct buf *out,
                                     struct socc_error *err);

/* ---- audit ---- */

enum socc_err auth_store_audit_add(struct store *s,
                                   const struct auth_store_audit *a,
                                   struct socc_error *err);
/*
 * Append {"events":[...],"total":N}: newest first; every event when
 * companies_json is NULL, else those naming one of these companies.
 */
enum socc_err auth_store_audit_json(struct store *s,
                                    const char *companies_json,
                                    int64_t limit, int64_t offset,
                                    struct buf *out, struct socc_error *err);

/* ---- login attempts ---- */

enum socc_err auth_store_login_note(struct store *s, const char *account,
                                    const char *address, int ok, int64_t now,
                                    struct socc_error *err);
/*
 * Failed attempts since `since` for the account and for the address, and
 * the time of the oldest of each (0 when none).
 */
struct auth_store_failures {
    int64_t account, address;
    int64_t account_oldest, address_oldest;
};
enum socc_err auth_store_login_failures(struct store *s, const char *account,
                                        const char *address, int64_t since,
                                        struct auth_store_failures *f,
                                        struct socc_error *err);
/* Forget the account's failures (after a successful login). */
enum socc_err auth_store_login_clear(struct store *s, const char *account,
                                     struct socc_error *err);

#endif
