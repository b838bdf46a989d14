#include "http/api_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/audit.h"
#include "auth/password.h"
#include "auth/ratelimit.h"
#include "auth/token.h"
#include "core/buf.h"
#include "http/api_auth.h"
#include "http/authz.h"
#include "http/body.h"
#include "http/respond.h"
#include "http/upload.h"

#define USERS "/api/users"
#define TOKENS "/api/tokens"

int api_admin_route(const char *url)
{
    return strcmp(url, "/api/companies") == 0 ||
           strcmp(url, "/api/audit") == 0 || strcmp(url, USERS) == 0 ||
           strncmp(url, USERS "/", sizeof(USERS)) == 0 ||
           strcmp(url, TOKENS) == 0 ||
           strncmp(url, TOKENS "/", sizeof(TOKENS)) == 0;
}

static enum MHD_Result bad(struct server_req *r, const char *detail)
{
    return respond_error(r, SOCC_E_BAD_REQUEST, 0, detail, NULL, NULL);
}

static enum MHD_Result wrong_method(struct server_req *r, const char *allow)
{
    r->allow = allow;
    r->close_conn = 1;
    return respond_error(r, SOCC_E_METHOD_NOT_ALLOWED, 0, NULL, NULL, NULL);
}

static enum MHD_Result store_answer(struct server_req *r, enum socc_err e,
                                    const struct socc_error *err,
                                    struct buf *b, unsigned status)
{
    if (e != SOCC_OK) {
        buf_release(b);
        return respond_error(r, e, 0, err->detail, NULL, NULL);
    }
    return respond_json(r, status, b);
}

static enum MHD_Result created(struct server_req *r, int64_t id)
{
    struct buf b;

    buf_init(&b);
    buf_printf(&b, "{\"id\":%lld}", (long long)id);
    return respond_json(r, 201, &b);
}

static void audit(struct server_req *r, const char *action,
                  const char *company, const char *target)
{
    struct auth_store_audit a;

    memset(&a, 0, sizeof(a));
    a.actor = r->who.user;
    a.action = action;
    a.outcome = "ok";
    a.company = company;
    a.target = target;
    a.address = r->address;
    a.request_id = r->id;
    audit_record(r->app->store, &a);
}

/* "123" (whole string) as an id, else -1. */
static int64_t parse_id(const char *s, const char **rest)
{
    int64_t v = 0;
    size_t n = 0;

    for (; s[n] >= '0' && s[n] <= '9' && n < 18; n++)
        v = v * 10 + (s[n] - '0');
    *rest = s + n;
    return n && v > 0 && (**rest == '\0' || **rest == '/') ? v : -1;
}

/*
 * How many of user u's companies the caller holds, into *mine, of *all.
 * -1 when they cannot be read.
 */
static int shared(struct server_req *r, const struct auth_store_user *u,
                  size_t *mine, size_t *all)
{
    struct buf b;
    char **list;
    size_t i;
    int rc = -1;

    *mine = *all = 0;
    buf_init(&b);
    if (auth_store_companies_json(r->app->store, u->id, &b, NULL) == SOCC_OK &&
        principal_list_parse(b.data ? b.data : "[]", &list, all) == 0) {
        for (i = 0; i < *all; i++)
            *mine += (size_t)principal_has_company(&r->who, list[i]);
        principal_list_free(list, *all);
        rc = 0;
    }
    buf_release(&b);
    return rc;
}

/*
 * May the caller manage user u: see him, change his memberships in the
 * caller's companies, give him tokens scoped to them?  A super admin
 * anyone; an admin himself and the users below super admin who share one
 * of his companies.  With whole (a new password, a role, disabling: what
 * hands over the account) an admin must hold every company of the user,
 * or he would reach the other companies through it.
 */
static int can_manage(struct server_req *r, const struct auth_store_user *u,
                      int whole)
{
    size_t mine, all;

    if (r->who.role == PRINCIPAL_SUPER_ADMIN || u->id == r->who.user_id)
        return 1;
    if (r->who.role < PRINCIPAL_ADMIN || strcmp(u->role, "super_admin") == 0 ||
        shared(r, u, &mine, &all) != 0)
        return 0;
    return whole ? all > 0 && mine == all : mine > 0;
}

/*
 * The user of id when the caller may manage it (whole: see can_manage):
 * 1.  Else 0 with 404 answered for a user the caller may not see at all,
 * 403 for one he sees but may not take over.
 */
static int managed_user(struct server_req *r, int64_t id, int whole,
                        struct auth_store_user *u)
{
    struct socc_error err;
    enum socc_err e;

    socc_error_clear(&err);
    e = auth_store_user_get(r->app->store, NULL, id, u, &err);
    if (e == SOCC_OK && !can_manage(r, u, 0))
        e = socc_error_set(&err, SOCC_E_NOT_FOUND, "no such user");
    if (e == SOCC_OK && !can_manage(r, u, whole)) {
        respond_error(r, SOCC_E_ACCESS_DENIED, 0, "this user belongs to "
                      "companies that are not yours", NULL, NULL);
        return 0;
    }
    if (e == SOCC_OK)
        return 1;
    respond_error(r, e, 0, err.detail, NULL, NULL);
    return 0;
}

/* ---- companies, audit ---- */

static enum MHD_Result companies(struct server_req *r)
{
    struct buf b;

    buf_init(&b);
    buf_adds(&b, "{\"companies\":");
    api_auth_companies(r, &b);
    buf_addc(&b, '}');
    return respond_json(r, 200, &b);
}

static int64_t query_int(struct server_req *r, const char *key, int64_t def,
                         int64_t max)
{
    const char *s = server_query(r, key);
    char *end;
    long long v;

    if (!s || !*s)
        return def;
    v = strtoll(s, &end, 10);
    return *end || v < 0 || v > max ? -1 : v;
}

static enum MHD_Result audit_list(struct server_req *r)
{
    int64_t limit = query_int(r, "limit", 100, 1000);
    int64_t offset = query_int(r, "offset", 0, INT64_MAX / 2);
    struct socc_error err;
    struct buf b;

    if (!authz_role(r, PRINCIPAL_ADMIN))
        return MHD_YES;
    if (limit < 1 || offset < 0)
        return bad(r, "limit must be 1-1000 and offset a number");
    buf_init(&b);
    socc_error_clear(&err);
    return store_answer(r, auth_store_audit_json(
                               r->app->store,
                               r->who.all_companies ? NULL
                                                    : r->who.companies_json,
                               limit, offset, &b, &err),
                        &err, &b, 200);
}

/* ---- users ---- */

static enum MHD_Result users_list(struct server_req *r)
{
    struct socc_error err;
    struct buf b;

    buf_init(&b);
    socc_error_clear(&err);
    return store_answer(r, auth_store_users_json(
                               r->app->store,
                               r->who.all_companies ? NULL
                                                    : r->who.companies_json,
                               &b, &err),
                        &err, &b, 200);
}

/*
 * The "companies" array of a body into *list: each one a valid name the
 * caller may touch.  0, or -1 with the answer queued.
 */
static int body_companies(struct server_req *r, const char *body, size_t len,
                          char ***list, size_t *n, int required)
{
    size_t vlen, i;
    const char *v = body_raw(body, len, "companies", &vlen);
    char *copy;

    *list = NULL;
    *n = 0;
    if (!v && !required)
        return 0;
    copy = v ? strndup(v, vlen) : NULL;
    if (!copy || principal_list_parse(copy, list, n) != 0 ||
        (required && *n == 0)) {
        free(copy);
        bad(r, "companies must be a non-empty array of names");
        return -1;
    }
    free(copy);
    for (i = 0; i < *n; i++) {
        if (upload_company_ok((*list)[i]) != 0 ||
            !principal_has_company(&r->who, (*list)[i])) {
            respond_error(r, SOCC_E_ACCESS_DENIED, 0, "you cannot grant a "
                          "company that is not yours", NULL, NULL);
            principal_list_free(*list, *n);
            return -1;
        }
    }
    return 0;
}

/* A role the caller may give: below super admin unless it is one. */
static int grantable(struct server_req *r, const char *role)
{
    enum principal_role want = principal_role_parse(role);

    return want != PRINCIPAL_NONE &&
           (want < PRINCIPAL_SUPER_ADMIN ||
            r->who.role == PRINCIPAL_SUPER_ADMIN);
}

static enum MHD_Result user_add_body(struct server_req *r, const char *body,
                                     size_t len)
{
    char name[AUTH_STORE_NAME_MAX + 1], pw[PASSWORD_MAX + 1], role[16];
    char hash[PASSWORD_HASH_MAX], target[160];
    struct socc_error err;
    char **list;
    size_t n, i;
    int64_t id = 0;
    enum socc_err e;

    if (body_str(body, len, "name", name, sizeof(name)) != 1 || !name[0] ||
        upload_company_ok(name) != 0 ||
        body_str(body, len, "password", pw, sizeof(pw)) != 1 ||
        body_str(body, len, "role", role, sizeof(role)) != 1)
        return bad(r, "give name, password and role");
    if (!password_acceptable(pw))
        return bad(r, "a password needs 10-1024 characters");
    if (!grantable(r, role))
        return respond_error(r, SOCC_E_ACCESS_DENIED, 0, "you cannot give "
                             "this role", NULL, NULL);
    if (body_companies(r, body, len, &list, &n,
                       r->who.role != PRINCIPAL_SUPER_ADMIN) != 0)
        return MHD_YES;
    socc_error_clear(&err);
    e = password_hash(pw, hash) == 0 ? SOCC_OK
        : socc_error_set(&err, SOCC_E_INTERNAL, "cannot hash the password");
    memset(pw, 0, sizeof(pw));
    if (e == SOCC_OK)
        e = auth_store_user_add(r->app->store, name, role, hash, &id, &err);
    for (i = 0; e == SOCC_OK && i < n; i++)
        e = auth_store_membership_set(r->app->store, id, list[i], 1, &err);
    principal_list_free(list, n);
    if (e != SOCC_OK)
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    snprintf(target, sizeof(target), "user:%s", name);
    audit(r, "user_create", NULL, target);
    return created(r, id);
}

/* PATCH /api/users/{id}: {"password"?, "disabled"?, "role"?} */
static enum MHD_Result user_patch_body(struct server_req *r, const char *body,
                                       size_t len)
{
    char pw[PASSWORD_MAX + 1], role[16], hash[PASSWORD_HASH_MAX];
    char target[160];
    struct auth_store_user u;
    struct socc_error err;
    struct buf b;
    const char *dis;
    size_t dlen = 0;
    int has_pw, has_role;
    enum socc_err e = SOCC_OK;

    if (!managed_user(r, (int64_t)(intptr_t)r->state_aux, 1, &u))
        return MHD_YES;
    has_pw = body_str(body, len, "password", pw, sizeof(pw));
    has_role = body_str(body, len, "role", role, sizeof(role));
    dis = body_raw(body, len, "disabled", &dlen);
    if (has_pw < 0 || has_role < 0 ||
        (dis && !(dlen == 4 && !memcmp(dis, "true", 4)) &&
         !(dlen == 5 && !memcmp(dis, "false", 5))))
        return bad(r, "give password (string), role (string) or disabled "
                      "(true or false)");
    if ((has_role == 1 || dis) && u.id == r->who.user_id)
        return respond_error(r, SOCC_E_ACCESS_DENIED, 0, "you cannot change "
                             "your own role or disable yourself", NULL, NULL);
    if (has_role == 1 && !grantable(r, role))
        return respond_error(r, SOCC_E_ACCESS_DENIED, 0, "you cannot give "
                             "this role", NULL, NULL);
    if (has_pw == 1 && !password_acceptable(pw))
        return bad(r, "a password needs 10-1024 characters");
    socc_error_clear(&err);
    if (has_pw == 1)
        e = password_hash(pw, hash) == 0
            ? auth_store_user_set_password(r->app->store, u.id, hash, &err)
            : socc_error_set(&err, SOCC_E_INTERNAL, "cannot hash");
    memset(pw, 0, sizeof(pw));
    if (e == SOCC_OK && has_role == 1)
        e = auth_store_user_set_role(r->app->store, u.id, role, &err);
    if (e == SOCC_OK && dis)
        e = auth_store_user_set_disabled(r->app->store, u.id, dlen == 4,
                                         &err);
    if (e != SOCC_OK)
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    snprintf(target, sizeof(target), "user:%s", u.name);
    audit(r, "user_update", NULL, target);
    buf_init(&b);
    buf_printf(&b, "{\"id\":%lld,\"updated\":true}", (long long)u.id);
    return respond_json(r, 200, &b);
}

/* PUT or DELETE /api/users/{id}/companies/{name} */
static enum MHD_Result membership(struct server_req *r, int64_t id,
                                  const char *company_raw, int on)
{
    char company[UPLOAD_FIELD_MAX + 1], target[160];
    struct auth_store_user u;
    struct socc_error err;
    enum socc_err e;
    struct buf b;

    snprintf(company, sizeof(company), "%s", company_raw);
    if (upload_company_ok(company) != 0)
        return bad(r, "not a company name");
    if (!authz_company(r, company, PRINCIPAL_ADMIN) ||
        !managed_user(r, id, 0, &u))
        return MHD_YES;
    socc_error_clear(&err);
    e = auth_store_membership_set(r->app->store, u.id, company, on, &err);
    if (e != SOCC_OK)
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    snprintf(target, sizeof(target), "user:%s", u.name);
    audit(r, on ? "membership_add" : "membership_remove", company, target);
    buf_init(&b);
    buf_adds(&b, "{\"companies\":");
    auth_store_companies_json(r->app->store, u.id, &b, NULL);
    buf_addc(&b, '}');
    return respond_json(r, 200, &b);
}

/* ---- tokens ---- */

static enum MHD_Result tokens_list(struct server_req *r)
{
    struct socc_error err;
    struct buf b;

    buf_init(&b);
    socc_error_clear(&err);
    return store_answer(r, auth_store_tokens_json(
                               r->app->store,
                               r->who.all_companies ? NULL
                                                    : r->who.companies_json,
                               r->who.user_id, &b, &err),
                        &err, &b, 200);
}

/* The owner of a new token: "user" of the body, else the caller. */
static int token_owner(struct server_req *r, const char *body, size_t len,
                       struct auth_store_user *u)
{
    char name[AUTH_STORE_NAME_MAX + 1];
    struct socc_error err;
    int has = body_str(body, len, "user", name, sizeof(name));

    if (has < 0) {
        bad(r, "user must be a user name");
        return 0;
    }
    socc_error_clear(&err);
    if (auth_store_user_get(r->app->store, has ? name : r->who.user, 0, u,
                            &err) != SOCC_OK || !can_manage(r, u, 0)) {
        respond_error(r, SOCC_E_NOT_FOUND, 0, "no such user", NULL, NULL);
        return 0;
    }
    return 1;
}

static void list_json(char **list, size_t n, struct buf *b)
{
    size_t i;

    buf_addc(b, '[');
    for (i = 0; i < n; i++) {
        if (i)
            buf_addc(b, ',');
        buf_add_json_strz(b, list[i]);
    }
    buf_addc(b, ']');
}

static enum MHD_Result token_answer(struct server_req *r, int64_t id,
                                    const char *text)
{
    struct buf b;

    buf_init(&b);
    buf_printf(&b, "{\"id\":%lld,\"token\":\"%s\",\"note\":\"shown once: "
               "keep it now\"}", (long long)id, text);
    return respond_json(r, 201, &b);
}

static enum MHD_Result token_add_body(struct server_req *r, const char *body,
                                      size_t len)
{
    struct auth_store_token t;
    struct auth_store_user owner;
    struct socc_error err;
    char text[TOKEN_LEN + 1], target[48];
    char **list = NULL;
    size_t n = 0, vlen;
    const char *v = body_raw(body, len, "companies", &vlen);
    struct buf scope;
    int64_t id = 0;
    enum socc_err e;

    memset(&t, 0, sizeof(t));
    if (body_str(body, len, "name", t.name, sizeof(t.name)) != 1 ||
        !t.name[0])
        return bad(r, "a token needs a name");
    if (body_str(body, len, "tier", t.tier, sizeof(t.tier)) == 0)
        snprintf(t.tier, sizeof(t.tier), "standard");
    if (!ratelimit_tier_ok(t.tier))
        return bad(r, "tier must be one of: " RATELIMIT_TIERS);
    if (!token_owner(r, body, len, &owner))
        return MHD_YES;
    t.all_companies = v && vlen == 3 && memcmp(v, "\"*\"", 3) == 0;
    if (t.all_companies && r->who.role != PRINCIPAL_SUPER_ADMIN &&
        owner.id != r->who.user_id)
        return respond_error(r, SOCC_E_ACCESS_DENIED, 0, "name the companies "
                             "of a token for another user", NULL, NULL);
    if (!t.all_companies && body_companies(r, body, len, &list, &n, 1) != 0)
        return MHD_YES;
    t.user_id = owner.id;
    snprintf(t.created_by, sizeof(t.created_by), "%s", r->who.user);
    buf_init(&scope);
    list_json(list, n, &scope);
    principal_list_free(list, n);
    socc_error_clear(&err);
    e = buf_ok(&scope) ? token_create(r->app->store, &t, scope.data, text,
                                      &id, &err)
                       : socc_error_set(&err, SOCC_E_INTERNAL, "no memory");
    buf_release(&scope);
    if (e != SOCC_OK)
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    snprintf(target, sizeof(target), "token:%lld", (long long)id);
    audit(r, "token_create", NULL, target);
    return token_answer(r, id, text);
}

static enum MHD_Result token_revoke(struct server_req *r, int64_t id)
{
    struct auth_store_token t;
    struct auth_store_user owner;
    struct socc_error err;
    char target[48];
    struct buf b;
    enum socc_err e;

    socc_error_clear(&err);
    e = auth_store_token_get(r->app->store, NULL, id, &t, NULL, &err);
    if (e == SOCC_OK)
        e = auth_store_user_get(r->app->store, NULL, t.user_id, &owner, &err);
    if (e == SOCC_OK && !can_manage(r, &owner, 0))
        e = socc_error_set(&err, SOCC_E_NOT_FOUND, "no such token");
    if (e == SOCC_OK)
        e = auth_store_token_revoke(r->app->store, id, &err);
    if (e != SOCC_OK)
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    snprintf(target, sizeof(target), "token:%lld", (long long)id);
    audit(r, "token_revoke", NULL, target);
    buf_init(&b);
    buf_printf(&b, "{\"id\":%lld,\"revoked\":true}", (long long)id);
    return respond_json(r, 200, &b);
}

/* ---- routing ---- */

static int is_get(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

static enum MHD_Result users_route(struct server_req *r, const char *method,
                                   const char *tail)
{
    const char *rest;
    int64_t id;

    if (!*tail) {
        if (is_get(method))
            return users_list(r);
        if (strcmp(method, "POST") == 0)
            return body_read_json(r, user_add_body);
        return wrong_method(r, "GET, HEAD, POST");
    }
    id = parse_id(tail + 1, &rest);
    if (id < 0)
        return bad(r, "a user id is a positive integer");
    if (!*rest) {
        if (strcmp(method, "PATCH") != 0)
            return wrong_method(r, "PATCH");
        r->state_aux = (void *)(intptr_t)id;
        return body_read_json(r, user_patch_body);
    }
    if (strncmp(rest, "/companies/", 11) == 0 && rest[11]) {
        if (strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0)
            return membership(r, id, rest + 11, method[0] == 'P');
        return wrong_method(r, "PUT, DELETE");
    }
    return respond_error(r, SOCC_E_NOT_FOUND, 0, "no such route", NULL, NULL);
}

static enum MHD_Result tokens_route(struct server_req *r, const char *method,
                                    const char *tail)
{
    const char *rest;
    int64_t id;

    if (!*tail) {
        if (is_get(method))
            return tokens_list(r);
        if (strcmp(method, "POST") == 0)
            return body_read_json(r, token_add_body);
        return wrong_method(r, "GET, HEAD, POST");
    }
    id = parse_id(tail + 1, &rest);
    if (id < 0 || *rest)
        return bad(r, "a token id is a positive integer");
    if (strcmp(method, "DELETE") != 0)
        return wrong_method(r, "DELETE");
    return token_revoke(r, id);
}

enum MHD_Result api_admin(struct server_req *r, const char *method,
                          const char *url)
{
    if (strcmp(url, "/api/companies") == 0)
        return is_get(method) ? companies(r) : wrong_method(r, "GET, HEAD");
    if (strcmp(url, "/api/audit") == 0)
        return is_get(method) ? audit_list(r) : wrong_method(r, "GET, HEAD");
    if (!authz_role(r, PRINCIPAL_ADMIN))
        return MHD_YES;
    if (strncmp(url, USERS, sizeof(USERS) - 1) == 0)
        return users_route(r, method, url + sizeof(USERS) - 1);
    return tokens_route(r, method, url + sizeof(TOKENS) - 1);
}
