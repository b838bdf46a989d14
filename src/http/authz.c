#include "http/authz.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/csrf.h"
#include "auth/ratelimit.h"
#include "auth/session.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/log.h"
#include "http/respond.h"

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* Monotonic seconds, never 0 (a bucket with last == 0 is new). */
static double now_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + 1.0;
}

int authz_changes_state(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
           strcmp(method, "OPTIONS") != 0;
}

/* Queue e (401, 403, 429...) with detail; returns 0 for the callers. */
static int refuse(struct server_req *r, enum socc_err e, const char *detail)
{
    /* the body of a refused request is never read */
    if (authz_changes_state(r->method))
        r->close_conn = 1;
    respond_error(r, e, 0, detail, NULL, NULL);
    return 0;
}

static enum socc_err by_token(struct server_req *r, const char *text,
                              struct socc_error *err)
{
    struct auth_store_token t;
    struct auth_store_user u;
    struct buf scope;
    enum socc_err e;

    buf_init(&scope);
    e = token_lookup(r->app->store, text, &t, &scope, err);
    if (e == SOCC_OK)
        e = auth_store_user_get(r->app->store, NULL, t.user_id, &u, err);
    if (e == SOCC_OK)
        e = principal_load(&r->who, r->app->store, &u, &t,
                           scope.data ? scope.data : "[]", err);
    buf_release(&scope);
    if (e == SOCC_E_NOT_FOUND)
        e = socc_error_set(err, SOCC_E_UNAUTHENTICATED, "unknown user");
    if (e == SOCC_OK)
        r->who.via = PRINCIPAL_VIA_TOKEN;
    return e;
}

static enum socc_err by_session(struct server_req *r, const char *id,
                                struct socc_error *err)
{
    struct auth_store_session ss;
    struct auth_store_user u;
    enum socc_err e;

    e = session_check(r->app->store, id, now_s(), &r->app->sessions, &ss,
                      err);
    if (e == SOCC_OK)
        e = auth_store_user_get(r->app->store, NULL, ss.user_id, &u, err);
    if (e == SOCC_OK)
        e = principal_load(&r->who, r->app->store, &u, NULL, NULL, err);
    if (e == SOCC_E_NOT_FOUND)
        e = socc_error_set(err, SOCC_E_UNAUTHENTICATED, "unknown user");
    if (e != SOCC_OK)
        return e;
    r->who.via = PRINCIPAL_VIA_SESSION;
    snprintf(r->who.csrf, sizeof(r->who.csrf), "%s", ss.csrf);
    snprintf(r->who.session_id, sizeof(r->who.session_id), "%s", id);
    return SOCC_OK;
}

/* Credentials of the request, if any: SOCC_OK with r->who maybe nobody. */
static enum socc_err credentials(struct server_req *r, struct socc_error *err)
{
    const char *auth = server_header(r, "Authorization");
    char sid[SESSION_ID_LEN + 1];

    if (auth) {
        if (strncasecmp(auth, "Bearer ", 7) != 0)
            return socc_error_set(err, SOCC_E_UNAUTHENTICATED,
                                  "Authorization must be \"Bearer <token>\"");
        return by_token(r, auth + 7 + strspn(auth + 7, " "), err);
    }
    if (session_from_cookie(server_header(r, "Cookie"), sid))
        return by_session(r, sid, err);
    return SOCC_OK;
}

static int rate_ok(struct server_req *r)
{
    char key[48];
    unsigned wait = 0;

    if (r->who.via == PRINCIPAL_VIA_TOKEN)
        snprintf(key, sizeof(key), "token:%lld", (long long)r->who.token_id);
    else
        snprintf(key, sizeof(key), "user:%lld", (long long)r->who.user_id);
    if (ratelimit_take(r->app->limits, key, r->who.tier, now_mono(), &wait))
        return 1;
    r->retry_after = wait;
    log_event(LOG_WARN, "auth", "rate_limited", r->id, "key=%s tier=%s "
              "retry_after=%u", key, r->who.tier, wait);
    return 0;
}

int authz_identify(struct server_req *r)
{
    struct socc_error err;
    enum socc_err e;

    if (r->identified)
        return r->identified > 0;
    r->identified = -1;
    socc_error_clear(&err);
    e = credentials(r, &err);
    if (e != SOCC_OK) {
        principal_release(&r->who);
        return refuse(r, e, err.detail);
    }
    if (r->who.via == PRINCIPAL_VIA_SESSION &&
        authz_changes_state(r->method) &&
        !csrf_ok(r->who.csrf, server_header(r, "X-CSRF-Token")))
        return refuse(r, SOCC_E_ACCESS_DENIED,
                      "the X-CSRF-Token header is missing or wrong");
    if (r->who.via != PRINCIPAL_VIA_NONE && !rate_ok(r))
        return refuse(r, SOCC_E_RATE_LIMITED, "slow down");
    r->identified = 1;
    return 1;
}

int authz_role(struct server_req *r, enum principal_role min)
{
    if (!authz_identify(r))
        return 0;
    if (r->who.via == PRINCIPAL_VIA_NONE)
        return refuse(r, SOCC_E_UNAUTHENTICATED, NULL);
    if (r->who.role < min)
        return refuse(r, SOCC_E_ACCESS_DENIED, "this needs the role of "
                      "an administrator");
    return 1;
}

int authz_company(struct server_req *r, const char *company,
                  enum principal_role min)
{
    if (!authz_role(r, min))
        return 0;
    if (!principal_has_company(&r->who, company))
        return refuse(r, SOCC_E_ACCESS_DENIED,
                      "you have no access to this company");
    return 1;
}

int authz_upload(struct server_req *r, int64_t id, enum principal_role min,
                 struct store_upload *u)
{
    struct store_upload tmp;
    struct socc_error err;
    enum socc_err e;

    if (!authz_role(r, PRINCIPAL_ANALYST))
        return 0;
    if (!u)
        u = &tmp;
    socc_error_clear(&err);
    e = store_get_upload(r->app->store, id, u, &err);
    if (e == SOCC_OK && !principal_has_company(&r->who, u->company))
        e = socc_error_set(&err, SOCC_E_NOT_FOUND, "no such upload");
    if (e != SOCC_OK)
        return refuse(r, e, err.detail);
    if (r->who.role < min)
        return refuse(r, SOCC_E_ACCESS_DENIED, "this needs the role of "
                      "an administrator");
    return 1;
}
