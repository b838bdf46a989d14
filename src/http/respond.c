#include "respond.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_headers(struct server_req *r, struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; object-src 'none'; "
                            "base-uri 'none'; frame-ancestors 'none'; "
                            "form-action 'self'");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
                            "same-origin");
    if (r->app->tls)
        MHD_add_response_header(resp, "Strict-Transport-Security",
                                "max-age=31536000");
    if (r->set_cookie[0])
        MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
    if (r->allow)
        MHD_add_response_header(resp, "Allow", r->allow);
    if (r->retry_after) {
        char secs[16];
        snprintf(secs, sizeof(secs), "%u", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", secs);
    }
    if (r->close_conn || server_draining())
        MHD_add_response_header(resp, "Connection", "close");
}

enum MHD_Result respond_queue(struct server_req *r, unsigned status,
                              struct MHD_Response *resp, uint64_t len)
{
    enum MHD_Result rc;

    if (!resp)
        return MHD_NO;
    add_headers(r, resp);
    rc = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    if (rc == MHD_YES) {
        r->status = status;
        r->bytes_out = len;
    }
    return rc;
}

enum MHD_Result respond_json(struct server_req *r, unsigned status,
                             struct buf *body)
{
    struct MHD_Response *resp;
    size_t len;
    char *data;

    if (!buf_ok(body)) {
        buf_release(body);
        return MHD_NO;
    }
    buf_addc(body, '\n');
    len = body->len;
    data = buf_detach(body);
    resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type",
                            "application/json; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return respond_queue(r, status, resp, len);
}

void respond_existing_json(struct buf *out, const struct store_upload *u)
{
    buf_adds(out, "{\"id\":");
    buf_add_i64(out, u->id);
    buf_adds(out, ",\"filename\":");
    buf_add_json_strz(out, u->filename);
    buf_adds(out, ",\"tool_type\":");
    buf_add_json_strz(out, u->tool_type);
    buf_adds(out, ",\"uploaded_at\":");
    buf_add_json_strz(out, u->created_at);
    buf_adds(out, ",\"uploaded_by\":");
    buf_add_json_strz(out, u->uploaded_by[0] ? u->uploaded_by : NULL);
    buf_adds(out, ",\"record_count\":");
    buf_add_i64(out, u->record_count);
    buf_adds(out, ",\"version\":");
    buf_add_i64(out, u->version);
    buf_printf(out, ",\"is_active\":%s", u->is_active ? "true" : "false");
    buf_addc(out, '}');
}

static void add_existing(struct buf *out, const struct store_upload *u)
{
    buf_adds(out, ",\"existing\":");
    respond_existing_json(out, u);
}

void respond_error_json(struct buf *out, const char *req_id,
                        enum socc_err code, const char *detail,
                        const char *hint,
                        const struct store_upload *existing)
{
    buf_adds(out, "{\"error\":{\"code\":");
    buf_add_json_strz(out, socc_err_name(code));
    buf_adds(out, ",\"message\":");
    if (detail && *detail) {
        struct buf msg;
        buf_init(&msg);
        buf_printf(&msg, "%s: %s", socc_err_message(code), detail);
        buf_add_json_str(out, msg.data ? msg.data : "", msg.len);
        buf_release(&msg);
    } else {
        buf_add_json_strz(out, socc_err_message(code));
    }
    buf_adds(out, ",\"hint\":");
    buf_add_json_strz(out, hint && *hint ? hint : socc_err_hint(code));
    buf_adds(out, ",\"request_id\":");
    buf_add_json_strz(out, req_id);
    if (existing && existing->id > 0)
        add_existing(out, existing);
    buf_adds(out, "}}");
}

enum MHD_Result respond_error(struct server_req *r, enum socc_err code,
                              unsigned status, const char *detail,
                              const char *hint,
                              const struct store_upload *existing)
{
    struct buf body;

    buf_init(&body);
    respond_error_json(&body, r->id, code, detail, hint, existing);
    r->err_name = socc_err_name(code);
    if (status == 0)
        status = (unsigned)socc_err_http(code);
    return respond_json(r, status, &body);
}

void respond_add_warnings(struct buf *b, const char *warnings)
{
    if (!warnings || !*warnings || strcmp(warnings, "[]") == 0 ||
        !b->data || b->len == 0 || b->data[b->len - 1] != '}' ||
        strstr(b->data, "\"warnings\":"))
        return;
    b->len--;
    buf_adds(b, ",\"warnings\":");
    buf_adds(b, warnings);
    buf_addc(b, '}');
}
