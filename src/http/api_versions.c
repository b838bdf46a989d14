#include "http/api_versions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "auth/audit.h"
#include "http/authz.h"
#include "http/params.h"
#include "http/respond.h"

#define VERSIONS "/api/versions"
#define LIMIT_MAX 1000

static int is_get(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static enum MHD_Result wrong_method(struct server_req *r, const char *allow)
{
    r->allow = allow;
    r->close_conn = 1;
    return respond_error(r, SOCC_E_METHOD_NOT_ALLOWED, 0, NULL, NULL, NULL);
}

static enum MHD_Result bad(struct server_req *r, const char *what)
{
    return respond_error(r, SOCC_E_BAD_REQUEST, 0, what,
                         "check the query parameters of the address", NULL);
}

/* "123" or "123/rest": the id and *rest; -1 when not a positive id. */
static int64_t parse_id(const char *s, const char **rest)
{
    char *end;
    long long v;

    *rest = s;
    if (*s < '1' || *s > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    *rest = end;
    if (errno || (*end && *end != '/'))
        return -1;
    return v;
}

static enum MHD_Result answer(struct server_req *r, enum socc_err e,
                              struct buf *b, const struct socc_error *err)
{
    if (e != SOCC_OK) {
        buf_release(b);
        return respond_error(r, e, 0, err->detail, NULL, NULL);
    }
    return respond_json(r, 200, b);
}

/* GET /api/versions?company=&tool_type= */
static enum MHD_Result chain(struct server_req *r)
{
    const char *company = server_query(r, "company");
    const char *tool = server_query(r, "tool_type");
    struct socc_error err;
    struct buf b;

    if (!company || !*company || !tool || !*tool)
        return bad(r, "company and tool_type are required");
    if (!authz_company(r, company, PRINCIPAL_ANALYST))
        return MHD_YES;
    buf_init(&b);
    socc_error_clear(&err);
    return answer(r, store_versions_json(r->app->store, company, tool, &b,
                                         &err), &b, &err);
}

/*
 * The upload behind a version route when the caller (role min) may touch
 * it; else 0 with the answer queued: 404 for an id that does not exist or
 * belongs to another company (ids reveal nothing), 403 for too low a role.
 */
static int load(struct server_req *r, int64_t id, struct store_upload *u,
                enum principal_role min, enum MHD_Result *res)
{
    *res = MHD_YES;
    return authz_upload(r, id, min, u);
}

/* One audit row for a rollback or a delete. */
static void audit_change(struct server_req *r, const char *action,
                         const struct store_upload *u, enum socc_err e,
                         const char *backup)
{
    struct auth_store_audit a;
    char target[40];

    snprintf(target, sizeof(target), "upload:%lld", (long long)u->id);
    memset(&a, 0, sizeof(a));
    a.actor = r->who.user;
    a.action = action;
    a.outcome = e == SOCC_OK ? "ok" : "failed";
    a.company = u->company;
    a.target = target;
    a.address = r->address;
    a.request_id = r->id;
    a.detail = e == SOCC_OK ? backup : socc_err_name(e);
    audit_record(r->app->store, &a);
}

static enum MHD_Result one(struct server_req *r, int64_t id)
{
    struct store_upload u;
    struct socc_error err;
    enum MHD_Result res;
    struct buf b;

    if (!load(r, id, &u, PRINCIPAL_ANALYST, &res))
        return res;
    buf_init(&b);
    socc_error_clear(&err);
    return answer(r, store_version_json(r->app->store, id, &b, &err), &b,
                  &err);
}

/* GET /api/versions/{id}/diff?side=added|removed&limit=&offset= */
static enum MHD_Result diff(struct server_req *r, int64_t id)
{
    const char *side = server_query(r, "side");
    enum store_diff_side sd = STORE_DIFF_ADDED;
    struct store_upload u;
    struct socc_error err;
    enum MHD_Result res;
    int64_t limit, offset;
    struct buf b;

    if (side && strcmp(side, "removed") == 0)
        sd = STORE_DIFF_REMOVED;
    else if (side && *side && strcmp(side, "added") != 0)
        return bad(r, "side must be added or removed");
    if (params_query_num(r, "limit", 100, 1, LIMIT_MAX, &limit) != 0)
        return bad(r, "limit must be an integer in the range 1-1000");
    if (params_query_num(r, "offset", 0, 0, INT64_MAX, &offset) != 0)
        return bad(r, "offset must be an integer in the range "
                      "0-9223372036854775807");
    if (!load(r, id, &u, PRINCIPAL_ANALYST, &res))
        return res;
    buf_init(&b);
    socc_error_clear(&err);
    return answer(r, store_version_diff_json(r->app->store, id, sd, limit,
                                             offset, &b, &err), &b, &err);
}

enum MHD_Result api_versions_route(struct server_req *r, const char *method,
                                   const char *url)
{
    const char *tail = url + strlen(VERSIONS), *rest;
    int64_t id;

    if (strcmp(tail, "") == 0 || strcmp(tail, "/") == 0)
        return is_get(method) ? chain(r) : wrong_method(r, "GET, HEAD");
    if (tail[0] != '/')
        return respond_error(r, SOCC_E_NOT_FOUND, 0, "no such route", NULL,
                             NULL);
    id = parse_id(tail + 1, &rest);
    if (id < 0)
        return respond_error(r, SOCC_E_BAD_REQUEST, 0, "version id must be "
                             "an integer from 1 to 9223372036854775807",
                             "use an id from GET /api/versions", NULL);
    if (strcmp(rest, "") != 0 && strcmp(rest, "/diff") != 0)
        return respond_error(r, SOCC_E_NOT_FOUND, 0, "no such route", NULL,
                             NULL);
    if (!is_get(method))
        return wrong_method(r, "GET, HEAD");
    return strcmp(rest, "/diff") == 0 ? diff(r, id) : one(r, id);
}

/* ---- destructive operations ---- */

/*
 * The verified backup every destructive operation needs first; on
 * failure the answer is sent here and 0 returned.
 */
static int backed_up(struct server_req *r, const char *reason,
                     struct backup_info *bi, enum MHD_Result *res)
{
    struct socc_error err;

    socc_error_clear(&err);
    if (!r->app->backup) {
        *res = respond_error(r, SOCC_E_BACKUP_FAILED, 0, "backups are not "
                             "set up on this server", NULL, NULL);
        return 0;
    }
    if (backup_take(r->app->backup, reason, bi, &err) != SOCC_OK) {
        *res = respond_error(r, SOCC_E_BACKUP_FAILED, 0, err.detail, NULL,
                             NULL);
        return 0;
    }
    return 1;
}

static enum MHD_Result activate(struct server_req *r, int64_t id)
{
    struct store_upload u;
    struct backup_info bi = { .journal_seq = 0 };
    int was_active;
    struct socc_error err;
    enum MHD_Result res;
    struct buf b;
    enum socc_err e = SOCC_OK;

    /* the resource, and so its company, is known before anything is done;
     * a rollback is an admin's decision */
    if (!load(r, id, &u, PRINCIPAL_ADMIN, &res))
        return res;
    socc_error_clear(&err);
    /* activating the active version changes nothing: no backup needed */
    was_active = u.is_active;
    if (!was_active && !backed_up(r, "activate", &bi, &res)) {
        audit_change(r, "rollback", &u, SOCC_E_BACKUP_FAILED, NULL);
        return res;
    }
    if (!was_active) {
        e = store_activate(r->app->store, id, &u, &err);
        audit_change(r, "rollback", &u, e, bi.name);
    }
    if (e == SOCC_OK)
        log_event(LOG_INFO, "http", "version_activated", r->id,
                  "id=%lld backup=%s", (long long)id,
                  was_active ? "-" : bi.name);
    buf_init(&b);
    if (e == SOCC_OK)
        e = store_version_json(r->app->store, id, &b, &err);
    return answer(r, e, &b, &err);
}

static enum MHD_Result delete_upload(struct server_req *r, int64_t id)
{
    struct store_upload u;
    struct backup_info bi;
    struct socc_error err;
    enum MHD_Result res;
    int64_t heir = 0;
    struct buf b;
    enum socc_err e;

    if (!load(r, id, &u, PRINCIPAL_ADMIN, &res))
        return res;
    socc_error_clear(&err);
    if (!backed_up(r, "delete", &bi, &res)) {
        audit_change(r, "delete", &u, SOCC_E_BACKUP_FAILED, NULL);
        return res;
    }
    e = store_delete(r->app->store, id, &heir, &err);
    audit_change(r, "delete", &u, e, bi.name);
    if (e != SOCC_OK)
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    log_event(LOG_INFO, "http", "upload_deleted", r->id,
              "id=%lld sha256=%s active=%lld backup=%s", (long long)id,
              u.file_hash, (long long)heir, bi.name);
    buf_init(&b);
    buf_printf(&b, "{\"deleted\":%lld,\"company\":", (long long)id);
    buf_add_json_strz(&b, u.company);
    buf_adds(&b, ",\"tool_type\":");
    buf_add_json_strz(&b, u.tool_type);
    buf_adds(&b, ",\"active_id\":");
    if (heir)
        buf_add_i64(&b, heir);
    else
        buf_adds(&b, "null");
    buf_adds(&b, ",\"backup\":");
    buf_add_json_strz(&b, bi.name);
    buf_addc(&b, '}');
    return respond_json(r, 200, &b);
}

enum MHD_Result api_versions_upload(struct server_req *r, const char *method,
                                    int64_t id, const char *rest)
{
    if (strcmp(rest, "/activate") == 0)
        return strcmp(method, "POST") == 0 ? activate(r, id)
                                           : wrong_method(r, "POST");
    if (strcmp(method, "DELETE") == 0)
        return delete_upload(r, id);
    return wrong_method(r, "GET, HEAD, DELETE");
}
