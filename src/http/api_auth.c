#include "http/api_auth.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/audit.h"
#include "auth/password.h"
#include "auth/ratelimit.h"
#include "auth/session.h"
#include "core/buf.h"
#include "core/log.h"
#include "http/authz.h"
#include "http/body.h"
#include "http/respond.h"

static void audit(struct server_req *r, const char *actor,
                  const char *action, const char *outcome,
                  const char *detail)
{
    struct auth_store_audit a;

    memset(&a, 0, sizeof(a));
    a.actor = actor;
    a.action = action;
    a.outcome = outcome;
    a.address = r->address;
    a.request_id = r->id;
    a.detail = detail;
    audit_record(r->app->store, &a);
}

void api_auth_companies(struct server_req *r, struct buf *b)
{
    if (r->who.all_companies)
        auth_store_companies_json(r->app->store, 0, b, NULL);
    else
        buf_adds(b, r->who.companies_json ? r->who.companies_json : "[]");
}

/* {"user":{...},"auth":"session","companies":[...],"csrf_token":...} */
static void who_json(struct server_req *r, struct buf *b, const char *csrf)
{
    buf_printf(b, "{\"user\":{\"id\":%lld,\"name\":",
               (long long)r->who.user_id);
    buf_add_json_strz(b, r->who.user);
    buf_printf(b, ",\"role\":\"%s\"},\"auth\":\"%s\",\"all_companies\":%s,"
               "\"companies\":", principal_role_name(r->who.role),
               r->who.via == PRINCIPAL_VIA_TOKEN ? "token" : "session",
               r->who.all_companies ? "true" : "false");
    api_auth_companies(r, b);
    buf_adds(b, ",\"csrf_token\":");
    buf_add_json_strz(b, csrf && *csrf ? csrf : NULL);
    buf_addc(b, '}');
}

/* The password was wrong or the user unknown: note, audit, answer 401. */
static enum MHD_Result login_failed(struct server_req *r, const char *name)
{
    auth_store_login_note(r->app->store, name, r->address, 0,
                          (int64_t)time(NULL), NULL);
    audit(r, name, "login", "failed", "wrong name or password");
    return respond_error(r, SOCC_E_UNAUTHENTICATED, 0,
                         "wrong name or password", NULL, NULL);
}

static enum MHD_Result login_ok(struct server_req *r,
                                const struct auth_store_user *u)
{
    struct auth_store_session ss;
    char sid[SESSION_ID_LEN + 1];
    struct socc_error err;
    struct buf b;
    int64_t now = (int64_t)time(NULL);
    enum socc_err e;

    socc_error_clear(&err);
    auth_store_login_clear(r->app->store, u->name, NULL);
    e = session_create(r->app->store, u->id, now, &r->app->sessions, sid, &ss,
                       &err);
    if (e == SOCC_OK)
        e = principal_load(&r->who, r->app->store, u, NULL, NULL, &err);
    if (e != SOCC_OK)
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    r->who.via = PRINCIPAL_VIA_SESSION;
    session_cookie(r->set_cookie, sizeof(r->set_cookie), sid, r->app->tls);
    audit(r, u->name, "login", "ok", NULL);
    buf_init(&b);
    who_json(r, &b, ss.csrf);
    return respond_json(r, 200, &b);
}

static enum MHD_Result login_body(struct server_req *r, const char *body,
                                  size_t len)
{
    char name[AUTH_STORE_NAME_MAX + 1], pw[PASSWORD_MAX + 1];
    struct auth_store_user u;
    struct socc_error err;
    unsigned wait = 0;
    enum socc_err e;
    int ok;

    if (body_str(body, len, "name", name, sizeof(name)) != 1 ||
        body_str(body, len, "password", pw, sizeof(pw)) != 1 || !name[0])
        return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                             "give {\"name\": ..., \"password\": ...}", NULL,
                             NULL);
    socc_error_clear(&err);
    e = ratelimit_login_check(r->app->store, name, r->address,
                              (int64_t)time(NULL), &wait, &err);
    if (e == SOCC_E_RATE_LIMITED) {
        r->retry_after = wait;
        audit(r, name, "login", "locked", err.detail);
    }
    if (e != SOCC_OK)
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    e = auth_store_user_get(r->app->store, name, 0, &u, &err);
    if (e == SOCC_E_NOT_FOUND) {
        password_verify_dummy(pw);
        return login_failed(r, name);
    }
    if (e != SOCC_OK)
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    ok = password_verify(u.password_hash, pw) && !u.disabled;
    memset(pw, 0, sizeof(pw));
    return ok ? login_ok(r, &u) : login_failed(r, name);
}

enum MHD_Result api_auth_login(struct server_req *r)
{
    if (strcmp(r->method, "POST") != 0) {
        r->allow = "POST";
        return respond_error(r, SOCC_E_METHOD_NOT_ALLOWED, 0, NULL, NULL,
                             NULL);
    }
    return body_read_json(r, login_body);
}

enum MHD_Result api_auth_logout(struct server_req *r)
{
    struct buf b;

    if (strcmp(r->method, "POST") != 0) {
        r->allow = "POST";
        r->close_conn = 1;
        return respond_error(r, SOCC_E_METHOD_NOT_ALLOWED, 0, NULL, NULL,
                             NULL);
    }
    if (!authz_role(r, PRINCIPAL_ANALYST))
        return MHD_YES;
    if (r->who.via != PRINCIPAL_VIA_SESSION)
        return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                             "sign-out ends a browser session",
                             "revoke an API token with DELETE "
                             "/api/tokens/{id}", NULL);
    session_revoke(r->app->store, r->who.session_id, NULL);
    session_cookie(r->set_cookie, sizeof(r->set_cookie), NULL, r->app->tls);
    audit(r, r->who.user, "logout", "ok", NULL);
    buf_init(&b);
    buf_adds(&b, "{\"signed_out\":true}");
    return respond_json(r, 200, &b);
}

enum MHD_Result api_auth_me(struct server_req *r)
{
    struct buf b;

    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
        r->allow = "GET, HEAD";
        r->close_conn = 1;
        return respond_error(r, SOCC_E_METHOD_NOT_ALLOWED, 0, NULL, NULL,
                             NULL);
    }
    if (!authz_role(r, PRINCIPAL_ANALYST))
        return MHD_YES;
    buf_init(&b);
    who_json(r, &b, r->who.csrf);
    return respond_json(r, 200, &b);
}
