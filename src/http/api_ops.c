#include "http/api_ops.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "http/cached_reads.h"
#include "http/authz.h"
#include "http/respond.h"
#include "ops/alerts.h"
#include "ops/metrics.h"
#include "ops/ops.h"
#include "ops/procstat.h"

enum MHD_Result api_ops_health(struct server_req *r)
{
    struct buf b;
    enum health_status s;

    buf_init(&b);
    s = health_check(r->app->store, ops_cache(), ops_health_limits(), &b);
    /* the same object with "ready" added before its closing brace */
    if (b.len && b.data[b.len - 1] == '}') {
        b.len--;
        buf_printf(&b, ",\"ready\":%s}", ops_ready() ? "true" : "false");
    }
    return respond_json(r, s == HEALTH_DOWN ? 503 : 200, &b);
}

enum MHD_Result api_ops_livez(struct server_req *r)
{
    struct buf b;

    buf_init(&b);
    buf_adds(&b, "{\"status\":\"alive\"}");
    return respond_json(r, 200, &b);
}

enum MHD_Result api_ops_readyz(struct server_req *r)
{
    char why[300] = "starting or shutting down";
    struct buf b;
    int ok = ops_ready() && health_ready(r->app->store, why, sizeof(why)) == 0;

    buf_init(&b);
    if (ok) {
        buf_adds(&b, "{\"status\":\"ready\"}");
    } else {
        buf_adds(&b, "{\"status\":\"not_ready\",\"reason\":");
        buf_add_json_strz(&b, why);
        buf_addc(&b, '}');
    }
    return respond_json(r, ok ? 200 : 503, &b);
}

enum MHD_Result api_ops_metrics(struct server_req *r)
{
    struct MHD_Response *resp;
    struct buf b;
    size_t len;
    char *data;

    /* instance-wide figures: a super admin's token (Prometheus sends it as
     * a bearer token) */
    if (!authz_role(r, PRINCIPAL_SUPER_ADMIN))
        return MHD_YES;
    buf_init(&b);
    metrics_render(&b);
    if (!buf_ok(&b)) {
        buf_release(&b);
        return MHD_NO;
    }
    len = b.len;
    data = buf_detach(&b);
    resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type",
                            "text/plain; version=0.0.4; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return respond_queue(r, 200, resp, len);
}

enum MHD_Result api_ops_alerts(struct server_req *r)
{
    const char *src;
    uint64_t limit = procstat_memory_limit(&src);
    struct buf b;

    if (!authz_role(r, PRINCIPAL_SUPER_ADMIN))   /* instance-wide */
        return MHD_YES;
    alerts_evaluate(alerts_now_ms(),
                    limit ? (double)procstat_rss() / (double)limit : 0);
    buf_init(&b);
    alerts_json(&b);
    return respond_json(r, 200, &b);
}

enum MHD_Result api_ops_summary(struct server_req *r)
{
    const char *company = server_query(r, "company");
    struct socc_error err;
    struct metrics_totals t;
    struct buf b;

    if (company && (!*company || strlen(company) > 128))
        return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                             "company must be 1-128 bytes", NULL, NULL);
    /* one company's figures for its members; all companies' for a super
     * admin only */
    if (company ? !authz_company(r, company, PRINCIPAL_ANALYST)
                : !authz_role(r, PRINCIPAL_SUPER_ADMIN))
        return MHD_YES;
    buf_init(&b);
    socc_error_clear(&err);
    buf_adds(&b, "{\"last_24h\":");
    if (cached_summary_json(r->app->store, company, &b, &err) != SOCC_OK) {
        buf_release(&b);
        return respond_error(r, err.code, 0, err.detail, NULL, NULL);
    }
    /* the counters since start and the alerts are the whole instance's:
     * only a super admin sees them, never a member of one company */
    if (r->who.role < PRINCIPAL_SUPER_ADMIN) {
        buf_addc(&b, '}');
        return respond_json(r, 200, &b);
    }
    metrics_totals(&t);
    buf_printf(&b, ",\"since_start\":{\"stored\":%llu,\"rejected\":%llu,"
               "\"duplicates\":%llu,\"client_errors\":%llu},"
               "\"alerts_firing\":%d}",
               (unsigned long long)t.uploads_ok,
               (unsigned long long)t.uploads_failed,
               (unsigned long long)t.duplicates,
               (unsigned long long)t.client_errors, alerts_firing_count());
    return respond_json(r, 200, &b);
}
