#ifndef SOCC_PRINCIPAL_H
#define SOCC_PRINCIPAL_H

/*
 * Who is calling: a user signed in by session or by API token, with a
 * role and the companies the call may touch.  Roles are ordered: a
 * super admin may do what an admin may, an admin what an analyst may.
 * Caller storage: principal_init(), principal_release().
 */

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/auth_store.h"
#include "store/store.h"

enum principal_role {
    PRINCIPAL_NONE = 0,          /* nobody: not signed in */
    PRINCIPAL_ANALYST = 1,       /* uploads and reads own companies */
    PRINCIPAL_ADMIN = 2,         /* and manages their users and tokens */
    PRINCIPAL_SUPER_ADMIN = 3    /* every company */
};

enum principal_via { PRINCIPAL_VIA_NONE, PRINCIPAL_VIA_SESSION,
                     PRINCIPAL_VIA_TOKEN };

struct principal {
    enum principal_via via;
    enum principal_role role;
    int64_t user_id;
    char user[AUTH_STORE_NAME_MAX + 1];
    int all_companies;           /* 1: every company there is */
    char **companies;            /* owned names, when not all_companies */
    size_t n_companies;
    char *companies_json;        /* owned JSON array; NULL with all */
    char csrf[65];               /* the session's CSRF token, or "" */
    char session_id[65];         /* the session cookie value, or "" */
    int64_t token_id;            /* the API token, or 0 */
    char tier[16];               /* rate-limit tier */
};

void principal_init(struct principal *p);
void principal_release(struct principal *p);

/* PRINCIPAL_NONE for an unknown name. */
enum principal_role principal_role_parse(const char *name);
const char *principal_role_name(enum principal_role role);

/*
 * Fill p for user u (not disabled), through token t when not NULL, whose
 * scope is token_companies_json.  The companies are the user's
 * memberships (every company for a super admin), narrowed to the token's
 * scope.  UNAUTHENTICATED for a disabled user.
 */
enum socc_err principal_load(struct principal *p, struct store *st,
                             const struct auth_store_user *u,
                             const struct auth_store_token *t,
                             const char *token_companies_json,
                             struct socc_error *err);
/* 1 when p may touch company. */
int principal_has_company(const struct principal *p, const char *company);

/*
 * Decode a JSON array of strings (as SQLite writes them) into a list:
 * *out owned (each string and the array: principal_list_free), *n set.
 * 0, or -1 when malformed or out of memory.
 */
int principal_list_parse(const char *json, char ***out, size_t *n);
void principal_list_free(char **list, size_t n);

#endif
