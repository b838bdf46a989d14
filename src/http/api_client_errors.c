#include "api_client_errors.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/json_decode.h"
#include "core/log.h"
#include "core/utf8.h"
#include "http/authz.h"
#include "http/respond.h"
#include "ops/metrics.h"
#include "store/store.h"

/*
 * The fields of a report and the bytes each keeps; longer values are cut
 * at a character boundary (a stack trace has no natural size).
 */
enum { F_ID, F_MESSAGE, F_STACK, F_PAGE, F_USER_AGENT, F_TIME, F_COUNT };
static const struct {
    const char *key;
    size_t max;
} fields[F_COUNT] = {
    { "id", 64 },        { "message", 2000 }, { "stack", 8000 },
    { "page", 2000 },    { "user_agent", 512 }, { "time", 40 },
};

/* A POST being read; owned by the request. */
struct report_body {
    struct buf body;
    int too_large;
};

static void body_free(void *p)
{
    struct report_body *rb = p;

    if (!rb)
        return;
    buf_release(&rb->body);
    free(rb);
}

/* 1 when id is 8-64 characters of A-Z a-z 0-9 - _. */
static int id_ok(const char *id, size_t n)
{
    size_t i;

    if (n < 8 || n > 64)
        return 0;
    for (i = 0; i < n; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
              (id[i] >= '0' && id[i] <= '9') || id[i] == '-' || id[i] == '_'))
            return 0;
    return 1;
}

/* Cut b to at most max bytes without splitting a UTF-8 sequence. */
static void cut_utf8(struct buf *b, size_t max)
{
    size_t n = 0, k;

    if (b->len <= max)
        return;
    while (n < max) {
        k = utf8_valid((const unsigned char *)b->data + n, b->len - n);
        if (k == 0 || n + k > max)
            break;
        n += k;
    }
    b->len = n;
    b->data[n] = '\0';
}

static int field_index(const char *key, size_t klen)
{
    int i;

    for (i = 0; i < F_COUNT; i++)
        if (strlen(fields[i].key) == klen &&
            memcmp(fields[i].key, key, klen) == 0)
            return i;
    return -1;
}

/*
 * Parse the report object into v[] (each decoded and cut); NULL, or what
 * is wrong with it.
 */
static const char *parse_report(const struct buf *body, struct buf v[F_COUNT],
                                int seen[F_COUNT])
{
    struct json_iter it;
    const char *key, *val;
    size_t klen, vlen, i;
    int f;

    if (!body->data || json_iter_init_object(&it, body->data, body->len) != 0)
        return "the body must be a JSON object";
    while (json_iter_next_member(&it, &key, &klen, &val, &vlen)) {
        f = field_index(key, klen);
        if (f < 0)
            return "unknown member (allowed: id, message, stack, page, "
                   "user_agent, time)";
        if (seen[f])
            return "a member appears twice";
        seen[f] = 1;
        if (vlen == 4 && memcmp(val, "null", 4) == 0)
            continue;
        if (json_decode_string(val, vlen, &v[f]) != 0)
            return "every member must be a JSON string (or null)";
        cut_utf8(&v[f], fields[f].max);
    }
    /* the iterator stops at '}' only when the object is well formed */
    i = it.pos;
    if (i >= body->len || body->data[i] != '}')
        return "the body is not well-formed JSON";
    for (i++; i < body->len; i++)
        if (!strchr(" \t\r\n", body->data[i]))
            return "text follows the JSON object";
    if (!seen[F_ID] || !id_ok(v[F_ID].data ? v[F_ID].data : "", v[F_ID].len))
        return "id must be 8-64 characters of A-Z a-z 0-9 - _";
    if (v[F_MESSAGE].len == 0)
        return "message must be a non-empty string";
    return NULL;
}

static const char *str(const struct buf *b)
{
    return b->data ? b->data : "";
}

static enum MHD_Result store_report(struct server_req *r,
                                    const struct buf *body)
{
    struct buf v[F_COUNT];
    int seen[F_COUNT] = { 0 };
    struct store_client_error e;
    struct socc_error err;
    const char *problem, *ua;
    struct buf out;
    int i, created = 0;
    enum socc_err rc;

    for (i = 0; i < F_COUNT; i++)
        buf_init(&v[i]);
    problem = parse_report(body, v, seen);
    if (problem) {
        for (i = 0; i < F_COUNT; i++)
            buf_release(&v[i]);
        return respond_error(r, SOCC_E_BAD_REQUEST, 0, problem,
                             "send {\"id\":..,\"message\":..} as JSON", NULL);
    }
    if (v[F_USER_AGENT].len == 0 && (ua = server_header(r, "User-Agent"))) {
        buf_adds(&v[F_USER_AGENT], ua);
        cut_utf8(&v[F_USER_AGENT], fields[F_USER_AGENT].max);
    }
    e.id = str(&v[F_ID]);
    e.message = str(&v[F_MESSAGE]);
    e.stack = str(&v[F_STACK]);
    e.page = str(&v[F_PAGE]);
    e.user_agent = str(&v[F_USER_AGENT]);
    e.occurred_at = str(&v[F_TIME]);
    e.request_id = r->id;
    socc_error_clear(&err);
    rc = store_client_error_add(r->app->store, &e, &created, &err);
    if (rc == SOCC_OK)
        log_event(LOG_WARN, "http", "client_error", r->id,
                  "error_id=%s created=%d", e.id, created);
    if (rc == SOCC_OK && created)
        metrics_client_error();   /* counted once, and fed to its alert */
    buf_init(&out);
    if (rc == SOCC_OK) {
        buf_adds(&out, "{\"id\":");
        buf_add_json_strz(&out, e.id);
        buf_printf(&out, ",\"stored\":%s}", created ? "true" : "false");
    }
    for (i = 0; i < F_COUNT; i++)
        buf_release(&v[i]);
    if (rc != SOCC_OK) {
        buf_release(&out);
        return respond_error(r, rc, 0, err.detail, NULL, NULL);
    }
    return respond_json(r, created ? 201 : 200, &out);
}

static enum MHD_Result post_body(struct server_req *r, const char *data,
                                 size_t *size)
{
    struct report_body *rb = r->state;

    if (*size == 0) {
        if (rb->too_large) {
            r->close_conn = 1;
            return respond_error(r, SOCC_E_BAD_REQUEST, 413,
                                 "the report is larger than 16 KiB",
                                 "cut the stack trace", NULL);
        }
        return store_report(r, &rb->body);
    }
    r->bytes_in += *size;
    if (rb->body.len + *size > CLIENT_ERROR_BODY_MAX)
        rb->too_large = 1;
    if (rb->too_large && r->bytes_in > 4 * CLIENT_ERROR_BODY_MAX)
        return MHD_NO;
    if (!rb->too_large)
        buf_add(&rb->body, data, *size);
    *size = 0;
    return MHD_YES;
}

static enum MHD_Result post(struct server_req *r)
{
    const char *cl = server_header(r, "Content-Length");
    struct report_body *rb;

    if (cl && strtoull(cl, NULL, 10) > CLIENT_ERROR_BODY_MAX) {
        r->close_conn = 1;
        return respond_error(r, SOCC_E_BAD_REQUEST, 413,
                             "the report is larger than 16 KiB",
                             "cut the stack trace", NULL);
    }
    rb = calloc(1, sizeof(*rb));
    if (!rb)
        return MHD_NO;
    buf_init(&rb->body);
    r->state = rb;
    r->state_free = body_free;
    r->on_body = post_body;
    return MHD_YES;
}

static enum MHD_Result list(struct server_req *r)
{
    const char *q = server_query(r, "limit");
    struct socc_error err;
    struct buf b;
    long limit = 50;
    char *end;
    enum socc_err e;

    if (q && *q) {
        limit = strtol(q, &end, 10);
        if (*end || limit < 1 || limit > 1000)
            return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                                 "limit must be an integer in the range "
                                 "1-1000", NULL, NULL);
    }
    buf_init(&b);
    socc_error_clear(&err);
    e = store_client_errors_json(r->app->store, limit, &b, &err);
    if (e != SOCC_OK) {
        buf_release(&b);
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    }
    return respond_json(r, 200, &b);
}

static enum MHD_Result one(struct server_req *r, const char *id)
{
    struct socc_error err;
    struct buf b;
    enum socc_err e;

    if (!id_ok(id, strlen(id)))
        return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                             "an error id is 8-64 characters of "
                             "A-Z a-z 0-9 - _", NULL, NULL);
    buf_init(&b);
    socc_error_clear(&err);
    e = store_client_error_json(r->app->store, id, &b, &err);
    if (e != SOCC_OK) {
        buf_release(&b);
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    }
    return respond_json(r, 200, &b);
}

/*
 * Any signed-in caller may report (the router checked); reading the
 * reports, which come from every company's pages, is for a super admin.
 * LIMIT: reports are not rate limited; a flood pushes older ones out of
 * the table (the newest STORE_CLIENT_ERRORS_MAX stay).
 */
enum MHD_Result api_client_errors(struct server_req *r, const char *method,
                                  const char *tail)
{
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

    if (strcmp(tail, "") == 0 || strcmp(tail, "/") == 0) {
        if (strcmp(method, "POST") == 0)
            return post(r);
        if (get)
            return authz_role(r, PRINCIPAL_SUPER_ADMIN) ? list(r) : MHD_YES;
        r->allow = "GET, HEAD, POST";
    } else if (tail[0] == '/' && !strchr(tail + 1, '/')) {
        if (get)
            return authz_role(r, PRINCIPAL_SUPER_ADMIN) ? one(r, tail + 1)
                                                       : MHD_YES;
        r->allow = "GET, HEAD";
    } else {
        r->close_conn = 1;
        return respond_error(r, SOCC_E_NOT_FOUND, 0, "no such route", NULL,
                             NULL);
    }
    r->close_conn = 1;
    return respond_error(r, SOCC_E_METHOD_NOT_ALLOWED, 0, NULL, NULL, NULL);
}
