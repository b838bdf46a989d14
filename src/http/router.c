#include "router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "http/api_admin.h"
#include "http/api_auth.h"
#include "http/api_client_errors.h"
#include "http/api_lookup.h"
#include "http/api_ops.h"
#include "http/api_tus.h"
#include "http/api_uploads.h"
#include "http/api_versions.h"
#include "http/authz.h"
#include "http/respond.h"
#include "http/static.h"

#define UPLOADS "/api/uploads"

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

static enum MHD_Result get_only(struct server_req *r, const char *method,
                                enum MHD_Result (*fn)(struct server_req *))
{
    return is_get(method) ? fn(r) : wrong_method(r, "GET, HEAD");
}

static int is_tus(const char *url)
{
    return strcmp(url, "/api/tus") == 0 ||
           strncmp(url, "/api/tus/", 9) == 0;
}

static void add_bool(struct buf *b, const char *key, int v)
{
    buf_printf(b, ",\"%s\":%s", key, v ? "true" : "false");
}

static void add_tool_types(struct buf *b, const struct config *c)
{
    size_t i;

    buf_adds(b, ",\"tool_types\":[");
    for (i = 0; i < c->n_tool_types; i++) {
        buf_adds(b, i ? ",{\"id\":" : "{\"id\":");
        buf_add_json_strz(b, c->tool_types[i]);
        buf_adds(b, ",\"label\":");
        buf_add_json_strz(b, config_tool_label(c->tool_types[i]));
        buf_addc(b, '}');
    }
    buf_addc(b, ']');
}

/* GET /api/config: what the page needs to behave like the server. */
static enum MHD_Result client_config(struct server_req *r)
{
    const struct config *c = r->app->cfg;
    struct buf b;
    size_t i;

    buf_init(&b);
    buf_printf(&b, "{\"max_file_size\":%llu,\"allowed_file_types\":[",
               (unsigned long long)c->max_file_size);
    for (i = 0; i < c->n_file_types; i++) {
        buf_adds(&b, i ? "," : "");
        buf_add_json_strz(&b, c->file_types[i]);
    }
    buf_addc(&b, ']');
    add_tool_types(&b, c);
    add_bool(&b, "enable_duplicate_check", c->duplicate_check);
    add_bool(&b, "enable_file_validation", c->file_validation);
    add_bool(&b, "enable_retry_logic", c->retry_logic);
    buf_printf(&b, ",\"success_toast_duration\":%u,\"error_toast_duration\":%u"
               ",\"progress_toast_duration\":%u,\"max_retry_attempts\":%u"
               ",\"retry_base_delay\":%u,\"retry_max_delay\":%u}",
               c->success_toast_ms, c->error_toast_ms, c->progress_toast_ms,
               c->max_retry_attempts, c->retry_base_delay_ms,
               c->retry_max_delay_ms);
    return respond_json(r, 200, &b);
}

/*
 * "123" or "123/rest": the id, and *rest after it; -1 when it is not a
 * positive integer that fits in 64 bits.
 */
static int64_t parse_id(const char *s, const char **rest)
{
    int64_t v = 0;
    size_t n = 0;
    int digit;

    for (; s[n] >= '0' && s[n] <= '9'; n++) {
        digit = s[n] - '0';
        if (v > (INT64_MAX - digit) / 10)
            return -1;
        v = v * 10 + digit;
    }
    *rest = s + n;
    if (n == 0 || v <= 0 || (**rest && **rest != '/'))
        return -1;
    return v;
}

/* /api/uploads/{id}[/records|/file] */
static enum MHD_Result upload_item(struct server_req *r, const char *method,
                                   const char *tail)
{
    const char *rest;
    int64_t id = parse_id(tail, &rest);

    if (id < 0)
        return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                             "upload id must be an integer from 1 to "
                             "9223372036854775807",
                             "use the numeric id from GET /api/uploads",
                             NULL);
    if (strcmp(rest, "/activate") == 0 ||
        (strcmp(rest, "") == 0 && !is_get(method)))
        return api_versions_upload(r, method, id, rest);
    if (strcmp(rest, "") != 0 && strcmp(rest, "/records") != 0 &&
        strcmp(rest, "/records.csv") != 0 && strcmp(rest, "/file") != 0)
        return respond_error(r, SOCC_E_NOT_FOUND, 0, "no such route", NULL,
                             NULL);
    if (!is_get(method))
        return wrong_method(r, "GET, HEAD");
    if (strcmp(rest, "/records") == 0 || strcmp(rest, "/records.csv") == 0)
        return api_uploads_records(r, id, rest[8] == '.');
    if (strcmp(rest, "/file") == 0)
        return api_uploads_file(r, id);
    return api_uploads_get(r, id);
}

static enum MHD_Result api(struct server_req *r, const char *method,
                           const char *url)
{
    if (strcmp(url, "/api/health") == 0)
        return get_only(r, method, api_ops_health);
    if (strcmp(url, "/api/config") == 0)
        return is_get(method) ? client_config(r)
                              : wrong_method(r, "GET, HEAD");
    if (strcmp(url, "/api/auth/login") == 0)
        return api_auth_login(r);
    /* every other route needs a signed-in caller (http/authz.h) */
    if (!authz_role(r, PRINCIPAL_ANALYST))
        return MHD_YES;
    if (strcmp(url, "/api/auth/logout") == 0)
        return api_auth_logout(r);
    if (strcmp(url, "/api/auth/me") == 0)
        return api_auth_me(r);
    if (api_admin_route(url))
        return api_admin(r, method, url);
    if (strcmp(url, "/api/alerts") == 0)
        return get_only(r, method, api_ops_alerts);
    if (strcmp(url, "/api/summary") == 0)
        return get_only(r, method, api_ops_summary);
    if (strcmp(url, UPLOADS) == 0 || strcmp(url, UPLOADS "/") == 0) {
        if (strcmp(method, "POST") == 0)
            return api_uploads_post(r);
        return is_get(method) ? api_uploads_list(r)
                              : wrong_method(r, "GET, HEAD, POST");
    }
    if (strncmp(url, UPLOADS "/progress/", sizeof(UPLOADS "/progress")) == 0)
        return is_get(method)
                   ? api_uploads_progress(r, url + sizeof(UPLOADS "/progress"))
                   : wrong_method(r, "GET, HEAD");
    if (strcmp(url, UPLOADS "/lookup") == 0)
        return is_get(method) ? api_uploads_lookup(r)
                              : wrong_method(r, "GET, HEAD");
    if (strcmp(url, UPLOADS "/companies") == 0)
        return is_get(method) ? api_uploads_companies(r)
                              : wrong_method(r, "GET, HEAD");
    if (strncmp(url, UPLOADS "/", sizeof(UPLOADS)) == 0)
        return upload_item(r, method, url + sizeof(UPLOADS));
    if (strncmp(url, "/api/versions", 13) == 0 &&
        (url[13] == '\0' || url[13] == '/'))
        return api_versions_route(r, method, url);
    if (strncmp(url, "/api/client-errors", 18) == 0)
        return api_client_errors(r, method, url + 18);
    if (is_tus(url))
        return api_tus(r, method, url);
    r->close_conn = 1;
    return respond_error(r, SOCC_E_NOT_FOUND, 0, "no such route", NULL, NULL);
}

/* Probes and metrics live outside /api, where tools look for them. */
static enum MHD_Result (*ops_route(const char *url))(struct server_req *)
{
    if (strcmp(url, "/livez") == 0)
        return api_ops_livez;
    if (strcmp(url, "/readyz") == 0)
        return api_ops_readyz;
    if (strcmp(url, "/metrics") == 0)
        return api_ops_metrics;
    return NULL;
}

enum MHD_Result router_begin(struct server_req *r, const char *method,
                             const char *url)
{
    if (strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0)
        return api(r, method, url);
    if (ops_route(url))
        return get_only(r, method, ops_route(url));
    if (!static_exists(url)) {
        r->close_conn = 1;
        return respond_error(r, SOCC_E_NOT_FOUND, 0, "no such page", NULL,
                             NULL);
    }
    if (!is_get(method))
        return wrong_method(r, "GET, HEAD");
    return static_serve(r, url);
}
