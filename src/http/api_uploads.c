#include "api_uploads.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/audit.h"
#include "core/buf.h"
#include "core/log.h"
#include "http/authz.h"
#include "http/cached_reads.h"
#include "http/export_csv.h"
#include "http/idempotency.h"
#include "http/params.h"
#include "http/respond.h"
#include "http/upload.h"
#include "http/upload_slots.h"
#include "ingest/pipeline.h"
#include "ingest/progress.h"

/* ---- POST /api/uploads -------------------------------------------------- */

/* A POST in progress; owned by the request (server_req.state). */
struct post {
    struct upload *up;           /* owned */
    enum socc_err failed;        /* first error while receiving */
    struct socc_error err;       /* its detail */
    int answered;                /* a response is queued */
    uint64_t failed_at;          /* body bytes read when it failed */
    uint64_t declared;           /* Content-Length, 0 when chunked */
    struct progress *prog;       /* owned: this upload in the registry */
    const char *outcome;         /* "done" or the error's name */
    char idem_key[IDEM_KEY_MAX + 1]; /* Idempotency-Key, "" when none */
    int idem_claimed;            /* idem_claim() holds it */
    char fingerprint[65];        /* of the request, "" before the body */
    char company[UPLOAD_FIELD_MAX + 1]; /* as received, for the audit */
};

/* Body bytes read and dropped after an error before the connection is cut. */
#define DISCARD_MAX (64u * 1024u * 1024u)

/*
 * The request's answer is decided: record the outcome in the progress
 * registry and let a retry with the key in.  Before the answer reaches
 * the client, so that the client's next request (a progress poll, a
 * retry) never finds its own finished upload still running.
 */
static void decided(struct post *ps)
{
    if (ps->up)   /* the pipeline reports to nobody from here on */
        upload_set_progress(ps->up, NULL);
    progress_end(ps->prog, ps->outcome ? ps->outcome : "UPLOAD_INCOMPLETE");
    ps->prog = NULL;
    if (ps->idem_claimed)
        idem_release(ps->idem_key);
    ps->idem_claimed = 0;
}

static void post_free(void *p)
{
    struct post *ps = p;

    if (!ps)
        return;
    decided(ps);
    upload_free(ps->up);
    free(ps);
}

/* Audit an upload attempt that reached a company the caller may touch. */
static void audit_upload(struct server_req *r, const char *company,
                         enum socc_err e, int64_t id)
{
    struct auth_store_audit a;
    char target[40];

    snprintf(target, sizeof(target), "upload:%lld", (long long)id);
    memset(&a, 0, sizeof(a));
    a.actor = r->who.user;
    a.action = "upload";
    a.outcome = e == SOCC_OK ? "ok" : e == SOCC_E_ACCESS_DENIED ? "denied"
                                                              : "failed";
    a.company = company && *company ? company : NULL;
    a.target = e == SOCC_OK ? target : NULL;
    a.address = r->address;
    a.request_id = r->id;
    a.detail = e == SOCC_OK ? NULL : socc_err_name(e);
    audit_record(r->app->store, &a);
}

/*
 * With an Idempotency-Key: the kept answer to the same request, or a
 * refusal when the key was used for another.  1 when r was answered.
 */
static int idem_answered(struct server_req *r, struct post *ps,
                         enum MHD_Result *mr)
{
    char fp[65];
    unsigned status = 0;
    struct socc_error err;
    struct buf b;
    enum socc_err e;

    if (!ps->idem_key[0] || upload_prepare(ps->up, NULL) != SOCC_OK)
        return 0;
    upload_fingerprint(ps->up, ps->fingerprint);
    buf_init(&b);
    e = store_idem_get(r->app->store, upload_company(ps->up), ps->idem_key,
                       (int64_t)time(NULL) - r->app->idem_ttl_s, fp, &status,
                       &b, &err);
    if (e == SOCC_E_NOT_FOUND) {
        buf_release(&b);
        return 0;
    }
    ps->outcome = "replayed";
    if (e != SOCC_OK) {
        buf_release(&b);
        *mr = respond_error(r, e, 0, err.detail, NULL, NULL);
    } else if (strcmp(fp, ps->fingerprint) != 0) {
        buf_release(&b);
        *mr = respond_error(r, SOCC_E_IDEMPOTENCY_MISMATCH, 0,
                            "the key was first sent with another file, "
                            "company, tool type or file name", NULL, NULL);
    } else {
        buf_addc(&b, '\n');
        *mr = buf_ok(&b) ? idem_replay(r, status, b.data, b.len) : MHD_NO;
        buf_release(&b);
    }
    return 1;
}

/*
 * Keep the answer in b (status below 500) for retries with the key.
 * LIMIT: a write of its own after the upload's commit; a crash between
 * them leaves a retry answered 409 DUPLICATE_FILE naming the upload.
 */
static void idem_keep(struct server_req *r, struct post *ps, unsigned status,
                      const struct buf *b)
{
    struct socc_error err;
    int64_t now = (int64_t)time(NULL);

    if (!ps->idem_key[0] || !ps->fingerprint[0] || status >= 500 ||
        !buf_ok(b))
        return;
    if (store_idem_put(r->app->store, upload_company(ps->up), ps->idem_key,
                       ps->fingerprint, status, b->data ? b->data : "",
                       b->len, now, now - r->app->idem_ttl_s,
                       &err) != SOCC_OK)
        log_event(LOG_WARN, "http", "idempotency_not_kept", r->id,
                  "err=%s", socc_err_name(err.code));
}

static enum MHD_Result post_done(struct server_req *r, struct post *ps)
{
    struct pipeline_output out;
    struct socc_error err;
    enum MHD_Result mr = MHD_NO;
    unsigned status = 201;
    struct buf b;
    enum socc_err e;

    if (idem_answered(r, ps, &mr)) {
        decided(ps);
        return mr;
    }
    socc_error_clear(&err);
    buf_init(&b);
    e = upload_finish(ps->up, &out, &err);
    ps->outcome = e == SOCC_OK ? "done" : socc_err_name(e);
    audit_upload(r, upload_company(ps->up), e, out.upload.id);
    if (e == SOCC_OK) {
        e = store_upload_json(r->app->store, out.upload.id, &b, &err);
        respond_add_warnings(&b, out.upload.warnings);
        out.hint[0] = '\0';
    }
    if (e != SOCC_OK) {
        buf_reset(&b);
        respond_error_json(&b, r->id, e, err.detail, out.hint,
                           e == SOCC_E_DUPLICATE_FILE ? &out.existing : NULL);
        r->err_name = socc_err_name(e);
        status = (unsigned)socc_err_http(e);
    }
    idem_keep(r, ps, status, &b);
    decided(ps);
    return respond_json(r, status, &b);
}

static enum MHD_Result post_body(struct server_req *r, const char *data,
                                 size_t *size)
{
    struct post *ps = r->state;

    if (*size == 0) {
        if (ps->answered)
            return MHD_YES;
        ps->answered = 1;
        r->close_conn = ps->failed != SOCC_OK;
        if (ps->failed == SOCC_E_ACCESS_DENIED)
            audit_upload(r, ps->company, ps->failed, 0);
        if (ps->failed != SOCC_OK) {
            ps->outcome = socc_err_name(ps->failed);
            decided(ps);
            return respond_error(r, ps->failed, 0, ps->err.detail, NULL,
                                 NULL);
        }
        return post_done(r, ps);
    }
    r->bytes_in += *size;
    progress_bytes(ps->prog, r->bytes_in, ps->declared);
    /*
     * LIMIT: libmicrohttpd 0.9.75 queues no response in the middle of a
     * request body, so an error found mid-body (a chunked upload passing
     * MAX_FILE_SIZE) is answered when the body ends; the rest is read and
     * dropped, never stored.  Past DISCARD_MAX the connection is cut
     * without an answer.
     */
    if (ps->failed == SOCC_OK)
        ps->failed = upload_feed(ps->up, data, *size, &ps->err);
    else if (r->bytes_in - ps->failed_at > DISCARD_MAX)
        return MHD_NO;
    if (ps->failed != SOCC_OK && ps->failed_at == 0) {
        ps->failed_at = r->bytes_in;
        snprintf(ps->company, sizeof(ps->company), "%s",
                 upload_company(ps->up));
        upload_free(ps->up);
        ps->up = NULL;
    }
    *size = 0;
    return MHD_YES;
}

enum MHD_Result api_uploads_post(struct server_req *r)
{
    const struct config *cfg = r->app->cfg;
    struct post *ps;
    struct socc_error err;
    uint64_t declared;
    const char *key;
    enum socc_err e;

    if (!authz_role(r, PRINCIPAL_ANALYST))
        return MHD_YES;
    if (params_u64(server_header(r, "Content-Length"), &declared) &&
        declared > cfg->max_file_size + API_UPLOADS_OVERHEAD) {
        r->close_conn = 1;
        return respond_error(r, SOCC_E_FILE_TOO_LARGE, 0,
                             "the request declares more bytes than the limit",
                             NULL, NULL);
    }
    key = server_header(r, "Idempotency-Key");
    if (key && !idem_key_ok(key)) {
        r->close_conn = 1;
        return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                             "Idempotency-Key must be 1-255 visible ASCII "
                             "characters", "send a random UUID per upload",
                             NULL);
    }
    if (key && idem_claim(key) != 0) {
        r->close_conn = 1;
        return respond_error(r, SOCC_E_IDEMPOTENCY_IN_PROGRESS, 0, NULL,
                             NULL, NULL);
    }
    ps = calloc(1, sizeof(*ps));
    if (!ps) {
        if (key)
            idem_release(key);
        return MHD_NO;
    }
    if (key) {
        snprintf(ps->idem_key, sizeof(ps->idem_key), "%s", key);
        ps->idem_claimed = 1;
    }
    r->state = ps;
    r->state_free = post_free;
    if (upload_slot_take(r->app->max_uploads,
                         server_header(r, "X-Upload-Token"), r->id,
                         &ps->prog) != 0) {
        ps->outcome = "UNAVAILABLE";
        r->close_conn = 1;
        r->retry_after = SERVER_RETRY_AFTER_S;
        return respond_error(r, SOCC_E_UNAVAILABLE, 0,
                             "the server holds its maximum of uploads in "
                             "flight", "try again after the Retry-After "
                             "seconds", NULL);
    }
    socc_error_clear(&err);
    e = upload_new(cfg, r->app->store, r->id,
                   server_header(r, "Content-Type"), &ps->up, &err);
    if (e != SOCC_OK) {
        ps->outcome = socc_err_name(e);
        r->close_conn = 1;
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    }
    if (params_u64(server_header(r, "Content-Length"), &declared))
        ps->declared = declared;
    progress_user(ps->prog, r->who.user);
    upload_set_progress(ps->up, ps->prog);
    upload_set_caller(ps->up, &r->who);
    r->on_body = post_body;
    return MHD_YES;
}

/* ---- reads -------------------------------------------------------------- */

/* Rows one list or records page may ask for, and the refusals' words. */
#define LIMIT_MAX 1000
#define LIMIT_RANGE "limit must be an integer in the range 1-1000"
#define OFFSET_RANGE "offset must be an integer in the range " \
                     "0-9223372036854775807"

static enum MHD_Result bad_query(struct server_req *r, const char *what)
{
    return respond_error(r, SOCC_E_BAD_REQUEST, 0, what,
                         "check the query parameters of the address", NULL);
}

/* Answer the JSON in b, or the store's error. */
static enum MHD_Result answer(struct server_req *r, enum socc_err e,
                              struct buf *b, const struct socc_error *err)
{
    if (e != SOCC_OK) {
        buf_release(b);
        return respond_error(r, e, 0, err->detail, NULL, NULL);
    }
    return respond_json(r, 200, b);
}

enum MHD_Result api_uploads_list(struct server_req *r)
{
    struct store_filter f;
    struct socc_error err;
    const char *active = server_query(r, "active");
    struct buf b;

    memset(&f, 0, sizeof(f));
    f.company = server_query(r, "company");
    if (f.company && *f.company &&
        !authz_company(r, f.company, PRINCIPAL_ANALYST))
        return MHD_YES;
    f.companies_json = r->who.all_companies ? NULL : r->who.companies_json;
    f.tool_type = server_query(r, "tool_type");
    f.active = -1;
    if (active && strcmp(active, "true") == 0)
        f.active = 1;
    else if (active && strcmp(active, "false") == 0)
        f.active = 0;
    else if (active && *active)
        return bad_query(r, "active must be true or false");
    if (params_query_num(r, "limit", 50, 1, LIMIT_MAX, &f.limit) != 0)
        return bad_query(r, LIMIT_RANGE);
    if (params_query_num(r, "offset", 0, 0, INT64_MAX, &f.offset) != 0)
        return bad_query(r, OFFSET_RANGE);
    buf_init(&b);
    socc_error_clear(&err);
    return answer(r, cached_list_json(r->app->store, &f, &b, &err), &b, &err);
}

enum MHD_Result api_uploads_get(struct server_req *r, int64_t id)
{
    struct socc_error err;
    struct buf b;

    if (!authz_upload(r, id, PRINCIPAL_ANALYST, NULL))
        return MHD_YES;
    buf_init(&b);
    socc_error_clear(&err);
    return answer(r, store_upload_json(r->app->store, id, &b, &err), &b,
                  &err);
}

enum MHD_Result api_uploads_records(struct server_req *r, int64_t id,
                                    int csv)
{
    struct socc_error err;
    int64_t sheet, limit = 0, offset = 0;
    struct buf b;
    const char *format = server_query(r, "format");

    csv = csv || (format && strcmp(format, "csv") == 0);
    if (params_query_num(r, "sheet", -1, 0, 65535, &sheet) != 0)
        return bad_query(r, "sheet must be an integer in the range 0-65535");
    if (!csv && params_query_num(r, "limit", 100, 1, LIMIT_MAX, &limit) != 0)
        return bad_query(r, LIMIT_RANGE);
    if (!csv && params_query_num(r, "offset", 0, 0, INT64_MAX, &offset) != 0)
        return bad_query(r, OFFSET_RANGE);
    if (!authz_upload(r, id, PRINCIPAL_ANALYST, NULL))
        return MHD_YES;
    if (csv)
        return export_csv_records(r, id);
    buf_init(&b);
    socc_error_clear(&err);
    return answer(r, store_records_json(r->app->store, id, (int)sheet, limit,
                                        offset, &b, &err),
                  &b, &err);
}

/* ---- GET /api/uploads/{id}/file ----------------------------------------- */

static const char *mime_of(const char *file_type)
{
    if (strcmp(file_type, "xlsx") == 0)
        return "application/vnd.openxmlformats-officedocument."
               "spreadsheetml.sheet";
    if (strcmp(file_type, "xls") == 0)
        return "application/vnd.ms-excel";
    if (strcmp(file_type, "csv") == 0)
        return "text/csv";
    return "application/octet-stream";
}

/* 1 for RFC 5987 attr-char. */
static int attr_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$&+-.^_`|~", c));
}

/* attachment; filename="ascii fallback"; filename*=UTF-8''pct-encoded */
static void disposition(struct buf *b, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;

    buf_adds(b, "attachment; filename=\"");
    for (p = (const unsigned char *)name; *p; p++)
        buf_addc(b, (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
                        ? '_' : (char)*p);
    buf_adds(b, "\"; filename*=UTF-8''");
    for (p = (const unsigned char *)name; *p; p++) {
        if (attr_char(*p)) {
            buf_addc(b, (char)*p);
        } else {
            buf_addc(b, '%');
            buf_addc(b, hex[*p >> 4]);
            buf_addc(b, hex[*p & 15]);
        }
    }
}

enum MHD_Result api_uploads_file(struct server_req *r, int64_t id)
{
    struct store_upload u;
    struct MHD_Response *resp;
    struct stat sb;
    char path[1200];
    struct buf cd;
    int fd;

    if (!authz_upload(r, id, PRINCIPAL_ANALYST, &u))
        return MHD_YES;
    store_blob_path(r->app->store, u.file_hash, path, sizeof(path));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        log_event(LOG_ERROR, "http", "blob_missing", r->id, "sha256=%s",
                  u.file_hash);
        if (fd >= 0)
            close(fd);
        return respond_error(r, SOCC_E_INTERNAL, 0,
                             "the stored file cannot be read", NULL, NULL);
    }
    resp = MHD_create_response_from_fd64((uint64_t)sb.st_size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    buf_init(&cd);
    disposition(&cd, u.filename);
    MHD_add_response_header(resp, "Content-Type", mime_of(u.file_type));
    if (buf_ok(&cd))
        MHD_add_response_header(resp, "Content-Disposition", cd.data);
    buf_release(&cd);
    return respond_queue(r, 200, resp, (uint64_t)sb.st_size);
}

/* ---- GET /api/uploads/progress/{token} ---------------------------------- */

/*
 * What the upload the client tagged with X-Upload-Token is doing now: the
 * page polls this while its POST runs to show rows parsed so far.  A token
 * is the client's random choice, so knowing one is the only way to see it.
 */
enum MHD_Result api_uploads_progress(struct server_req *r, const char *token)
{
    struct progress_view v;
    struct buf b;

    if (!progress_token_ok(token))
        return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                             "a progress token is 1-64 characters of "
                             "A-Z a-z 0-9 - _",
                             "send the same value as X-Upload-Token", NULL);
    /* another company's upload answers like an unknown token */
    if (progress_find(token, &v) != 0 ||
        (v.company[0] && !principal_has_company(&r->who, v.company)) ||
        (!v.company[0] && strcmp(v.user, r->who.user) != 0))
        return respond_error(r, SOCC_E_NOT_FOUND, 0,
                             "no upload in flight or finished in the last "
                             "minute has this token",
                             NULL, NULL);
    buf_init(&b);
    buf_adds(&b, "{\"token\":");
    buf_add_json_strz(&b, v.token);
    buf_adds(&b, ",\"stage\":");
    buf_add_json_strz(&b, v.stage);
    buf_printf(&b, ",\"bytes\":%llu,\"total\":%llu,\"rows\":%lld"
               ",\"started_ms\":%lld,\"stage_ms\":%lld",
               (unsigned long long)v.bytes, (unsigned long long)v.total,
               (long long)v.rows, (long long)v.started_ms,
               (long long)v.stage_ms);
    buf_adds(&b, ",\"company\":");
    buf_add_json_strz(&b, v.company);
    buf_adds(&b, ",\"tool_type\":");
    buf_add_json_strz(&b, v.tool_type);
    buf_adds(&b, ",\"filename\":");
    buf_add_json_strz(&b, v.filename);
    buf_addc(&b, '}');
    return respond_json(r, 200, &b);
}
