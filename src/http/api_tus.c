#include "api_tus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/log.h"
#include "auth/audit.h"
#include "http/authz.h"
#include "http/params.h"
#include "http/respond.h"
#include "http/upload.h"
#include "http/upload_slots.h"
#include "ingest/pipeline.h"
#include "ingest/progress.h"
#include "ingest/tus_store.h"

#define TUS_VERSION "1.0.0"
#define TUS_EXTENSIONS "creation,creation-with-upload,creation-defer-length," \
                       "termination,checksum,expiration"
#define TUS_PREFIX "/api/tus/"
#define OCTETS "application/offset+octet-stream"
#define EXPIRE_DEFAULT_S 86400L
/* Body bytes read and dropped after an error before the connection is cut. */
#define DISCARD_MAX (64u * 1024u * 1024u)
/* Bytes of a decoded Upload-Metadata value. */
#define META_VALUE_MAX 1024

static struct tus_store *g_ts;   /* from api_tus_start() to api_tus_stop() */

/* ---- start and stop ----------------------------------------------------- */

static int expire_from_env(long *out)
{
    const char *v = getenv("SOCC_TUS_EXPIRE");
    char *end;
    long n;

    *out = EXPIRE_DEFAULT_S;
    if (!v || !*v)
        return 0;
    errno = 0;
    n = strtol(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno || n < 1 || n > 31536000)
        return -1;
    *out = n;
    return 0;
}

enum socc_err api_tus_start(const struct config *cfg, struct store *store,
                            struct socc_error *err)
{
    char dir[1200];
    long expire;
    enum socc_err e;

    if (expire_from_env(&expire) != 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "SOCC_TUS_EXPIRE must "
                              "be 1-31536000 seconds");
    snprintf(dir, sizeof(dir), "%s/tus", store_tmp_dir(store));
    e = tus_store_open(dir, expire, cfg->max_file_size, &g_ts, err);
    if (e == SOCC_OK && tus_store_start_sweeper(g_ts) != 0)
        log_event(LOG_WARN, "tus", "sweeper_failed", NULL, "expire_s=%ld",
                  expire);
    return e;
}

void api_tus_stop(void)
{
    tus_store_close(g_ts);
    g_ts = NULL;
}

/* ---- answers ------------------------------------------------------------ */

/* Headers a tus answer about one upload carries; NULL fields are left out. */
struct tus_hdrs {
    const struct tus_meta *m;    /* Upload-Offset, -Length, -Expires */
    const char *location;        /* Location of a created upload */
    int head;                    /* HEAD: Upload-Metadata, no-store */
    int options;                 /* OPTIONS: the server's capabilities */
};

static void add_num(struct MHD_Response *resp, const char *k, uint64_t v)
{
    char s[24];

    snprintf(s, sizeof(s), "%" PRIu64, v);
    MHD_add_response_header(resp, k, s);
}

static void add_expires(struct MHD_Response *resp, const struct tus_meta *m)
{
    time_t t = (time_t)(m->touched + tus_store_expire_s(g_ts));
    struct tm tm;
    char s[64];

    gmtime_r(&t, &tm);
    strftime(s, sizeof(s), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    MHD_add_response_header(resp, "Upload-Expires", s);
}

/* "filename b64,company b64,tool_type b64" of m into out. */
static void add_metadata(struct MHD_Response *resp, const struct tus_meta *m)
{
    const char *keys[3] = { "filename", "company", "tool_type" };
    const char *vals[3] = { m->filename, m->company, m->tool_type };
    char enc[BASE64_ENCODED_SIZE(256)];
    struct buf b;
    int i;

    buf_init(&b);
    for (i = 0; i < 3; i++) {
        base64_encode(vals[i], strlen(vals[i]), enc);
        buf_printf(&b, "%s%s %s", i ? "," : "", keys[i], enc);
    }
    if (buf_ok(&b))
        MHD_add_response_header(resp, "Upload-Metadata", b.data);
    buf_release(&b);
}

static void add_tus_headers(struct MHD_Response *resp,
                            const struct tus_hdrs *h)
{
    MHD_add_response_header(resp, "Tus-Resumable", TUS_VERSION);
    MHD_add_response_header(resp, "Tus-Version", TUS_VERSION);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (h->options) {
        MHD_add_response_header(resp, "Tus-Extension", TUS_EXTENSIONS);
        MHD_add_response_header(resp, "Tus-Checksum-Algorithm",
                                "sha1,sha256");
    }
    if (h->location)
        MHD_add_response_header(resp, "Location", h->location);
    if (!h->m)
        return;
    add_num(resp, "Upload-Offset", h->m->offset);
    if (h->m->deferred)
        MHD_add_response_header(resp, "Upload-Defer-Length", "1");
    else if (h->head)
        add_num(resp, "Upload-Length", h->m->length);
    if (!h->m->done)
        add_expires(resp, h->m);
    if (h->head)
        add_metadata(resp, h->m);
}

/* Queue status with body (taken; NULL for none) and the tus headers. */
static enum MHD_Result answer(struct server_req *r, unsigned status,
                              struct buf *body, const struct tus_hdrs *h)
{
    struct MHD_Response *resp;
    size_t len = 0;
    char *data = NULL;

    if (body && !buf_ok(body)) {
        buf_release(body);
        return MHD_NO;
    }
    if (body) {
        buf_addc(body, '\n');
        len = body->len;
        data = buf_detach(body);
    }
    resp = MHD_create_response_from_buffer(len, data ? data : (char *)"",
                                           data ? MHD_RESPMEM_MUST_FREE
                                                : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    if (body)
        MHD_add_response_header(resp, "Content-Type",
                                "application/json; charset=utf-8");
    add_tus_headers(resp, h);
    return respond_queue(r, status, resp, len);
}

/* The SPEC error body for code, with the tus headers of h. */
static enum MHD_Result fail(struct server_req *r, enum socc_err code,
                            const char *detail, const char *hint,
                            const struct store_upload *existing,
                            const struct tus_hdrs *h)
{
    struct buf b;

    buf_init(&b);
    respond_error_json(&b, r->id, code, detail, hint, existing);
    r->err_name = socc_err_name(code);
    return answer(r, (unsigned)socc_err_http(code), &b, h);
}

static enum MHD_Result fail0(struct server_req *r, enum socc_err code,
                             const char *detail, const char *hint)
{
    struct tus_hdrs h = { 0 };

    return fail(r, code, detail, hint, NULL, &h);
}

/* ---- request checks ----------------------------------------------------- */

/* 1 when the request speaks tus 1.0.0; else 0 and *res is the answer. */
static int version_ok(struct server_req *r, enum MHD_Result *res)
{
    const char *v = server_header(r, "Tus-Resumable");

    if (v && strcmp(v, TUS_VERSION) == 0)
        return 1;
    r->close_conn = 1;
    *res = fail0(r, SOCC_E_UNSUPPORTED_VERSION,
                 v ? "Tus-Resumable is not 1.0.0" : "Tus-Resumable is missing",
                 NULL);
    return 0;
}

/* 1 when Content-Type is application/offset+octet-stream. */
static int octets(struct server_req *r)
{
    const char *ct = server_header(r, "Content-Type");

    return ct && strncasecmp(ct, OCTETS, sizeof(OCTETS) - 1) == 0 &&
           (ct[sizeof(OCTETS) - 1] == '\0' || ct[sizeof(OCTETS) - 1] == ';');
}

/* Upload-Checksum "algo base64" into *sum and digest; 0 or -1. */
static int parse_checksum(const char *v, enum tus_sum *sum,
                          unsigned char *digest, size_t *dlen)
{
    const char *sp;

    *sum = TUS_SUM_NONE;
    *dlen = 0;
    if (!v)
        return 0;
    sp = strchr(v, ' ');
    if (!sp)
        return -1;
    if ((size_t)(sp - v) == 4 && strncmp(v, "sha1", 4) == 0)
        *sum = TUS_SUM_SHA1;
    else if ((size_t)(sp - v) == 6 && strncmp(v, "sha256", 6) == 0)
        *sum = TUS_SUM_SHA256;
    else
        return -1;
    if (base64_decode(sp + 1, strlen(sp + 1), digest, 64, dlen) != 0)
        return -1;
    return *dlen == (*sum == TUS_SUM_SHA1 ? 20u : 32u) ? 0 : -1;
}

/* ---- Upload-Metadata ---------------------------------------------------- */

/* The decoded value of key in an Upload-Metadata header into out; 0/-1. */
static int meta_value(const char *hdr, const char *key, char *out,
                      size_t cap, int *bad)
{
    size_t klen = strlen(key), vlen, len;
    const char *p = hdr, *end, *sp;
    unsigned char dec[META_VALUE_MAX];

    while (p && *p) {
        while (*p == ' ')
            p++;
        end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        sp = memchr(p, ' ', (size_t)(end - p));
        if ((size_t)((sp ? sp : end) - p) == klen &&
            strncmp(p, key, klen) == 0) {
            vlen = sp ? (size_t)(end - sp - 1) : 0;
            if (base64_decode(sp ? sp + 1 : "", vlen, dec, sizeof(dec),
                              &len) != 0 || len >= cap ||
                memchr(dec, '\0', len)) {
                *bad = 1;
                return -1;
            }
            memcpy(out, dec, len);
            out[len] = '\0';
            return 0;
        }
        p = *end ? end + 1 : end;
    }
    return -1;
}

/* Fill m's filename, company and tool_type from the header; the fault. */
static enum socc_err read_metadata(struct server_req *r, struct tus_meta *m,
                                   struct socc_error *err)
{
    const struct config *cfg = r->app->cfg;
    const char *hdr = server_header(r, "Upload-Metadata");
    char name[META_VALUE_MAX], tool[META_VALUE_MAX], *dot;
    char company[META_VALUE_MAX];
    int bad = 0;

    if (!hdr || meta_value(hdr, "company", company, sizeof(company),
                           &bad) != 0 || upload_company_ok(company) != 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "%s",
                              bad ? "Upload-Metadata is not base64"
                                  : "metadata 'company' must be 1-128 "
                                    "printable characters");
    if (meta_value(hdr, "tool_type", tool, sizeof(tool), &bad) != 0 ||
        !config_tool_ok(cfg, tool))
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "metadata "
                              "'tool_type' must be a configured tool type");
    if (meta_value(hdr, "filename", name, sizeof(name), &bad) != 0 ||
        !name[0])
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "metadata "
                              "'filename' is missing");
    pipeline_safe_name(name, strlen(name), m->filename, sizeof(m->filename));
    dot = strrchr(m->filename, '.');
    if (!dot || !config_ext_ok(cfg, dot + 1))
        return socc_error_set(err, SOCC_E_INVALID_FILE_TYPE, "'%.100s' does "
                              "not end in an allowed extension", m->filename);
    snprintf(m->company, sizeof(m->company), "%.128s", company);
    snprintf(m->tool_type, sizeof(m->tool_type), "%.32s", tool);
    return SOCC_OK;
}

/* ---- the pipeline at the last byte -------------------------------------- */

/* 201 with the stored upload id as JSON, like POST /api/uploads. */
static enum MHD_Result answer_upload(struct server_req *r, int64_t id,
                                     const char *warnings,
                                     const struct tus_hdrs *h)
{
    struct socc_error err;
    struct buf b;
    enum socc_err e;

    buf_init(&b);
    socc_error_clear(&err);
    e = store_upload_json(r->app->store, id, &b, &err);
    if (e != SOCC_OK) {
        buf_release(&b);
        return fail(r, e, err.detail, NULL, NULL, h);
    }
    respond_add_warnings(&b, warnings);
    return answer(r, 201, &b, h);
}

/* A finished upload asked again: the answer it gave the first time. */
static enum MHD_Result answer_done(struct server_req *r,
                                   const struct tus_hdrs *h)
{
    const struct tus_meta *m = h->m;
    struct store_upload ex;
    enum socc_err code;

    if (strcmp(m->result, "OK") == 0)
        return answer_upload(r, m->result_id, NULL, h);
    if (socc_err_from_name(m->result, &code) != 0)
        code = SOCC_E_INTERNAL;
    memset(&ex, 0, sizeof(ex));
    if (code == SOCC_E_DUPLICATE_FILE &&
        store_get_upload(r->app->store, m->result_id, &ex, NULL) != SOCC_OK)
        memset(&ex, 0, sizeof(ex));
    return fail(r, code, "the upload finished earlier with this result",
                NULL, &ex, h);
}

/* The pipeline's input for upload m; every pointer borrowed. */
static void fill_input(struct pipeline_input *in, const struct tus_meta *m,
                       const char *req_id, const char *path,
                       const char *hash, struct progress *prog)
{
    memset(in, 0, sizeof(*in));
    in->company = m->company;
    in->tool_type = m->tool_type;
    in->filename = m->filename;
    in->req_id = req_id;
    in->path = path;
    in->hash = hash;
    in->size = m->length;
    in->progress = prog;
}

/*
 * 1 when the caller may touch upload id (metadata m): the user who
 * created it, while still a member of its company.  Else 0 with the same
 * 404 an unknown id gets, so an id of another user or company reveals
 * nothing, and nobody can write into or finish another user's upload.
 * (Uploads created before owners were kept have none: their company's
 * members may go on with them.)
 */
static int caller_may(struct server_req *r, const char *id,
                      const struct tus_meta *m, enum MHD_Result *res)
{
    char detail[64];

    if (principal_has_company(&r->who, m->company) &&
        (!m->owner[0] || strcmp(m->owner, r->who.user) == 0))
        return 1;
    /* the words tus_store uses for an id it does not hold */
    snprintf(detail, sizeof(detail), "no upload '%.40s'", id);
    *res = fail0(r, SOCC_E_NOT_FOUND, detail, NULL);
    return 0;
}

/* The audit row of a finished tus upload. */
static void audit_tus(struct server_req *r, const struct tus_meta *m,
                      enum socc_err e, int64_t id)
{
    struct auth_store_audit a;
    char target[40];

    snprintf(target, sizeof(target), "upload:%lld", (long long)id);
    memset(&a, 0, sizeof(a));
    a.actor = r->who.user;
    a.action = "upload";
    a.outcome = e == SOCC_OK ? "ok" : "failed";
    a.company = m->company;
    a.target = e == SOCC_OK ? target : NULL;
    a.address = r->address;
    a.request_id = r->id;
    a.detail = e == SOCC_OK ? "tus" : socc_err_name(e);
    audit_record(r->app->store, &a);
}

/*
 * Every byte is in: run the pipeline on the data file (it takes it),
 * record the result in the upload and answer like POST /api/uploads.
 */
static enum MHD_Result finish(struct server_req *r, struct tus_upload *u,
                              struct progress *prog, const char **outcome,
                              const char *location)
{
    const struct tus_meta *m = tus_upload_meta(u);
    struct tus_hdrs h = { m, location, 0, 0 };
    struct pipeline_input in;
    struct pipeline_output out;
    struct socc_error err;
    char hash[65], path[1200];
    int64_t id;
    enum socc_err e;

    socc_error_clear(&err);
    memset(&out, 0, sizeof(out));
    e = tus_upload_hash(u, hash, &err);
    if (e != SOCC_OK)
        return fail(r, e, err.detail, NULL, NULL, &h);
    log_event(LOG_INFO, "tus", "upload_received", r->id,
              "id=%s size=%" PRIu64 " sha256=%s", m->id, m->length, hash);
    tus_upload_data_path(u, path, sizeof(path));
    fill_input(&in, m, r->id, path, hash, prog);
    in.uploaded_by = r->who.user[0] ? r->who.user : NULL;
    e = pipeline_run(r->app->store, r->app->cfg, &in, &out, &err);
    audit_tus(r, m, e, e == SOCC_OK ? out.upload.id : 0);
    *outcome = e == SOCC_OK ? "done" : socc_err_name(e);
    id = e == SOCC_OK ? out.upload.id
         : e == SOCC_E_DUPLICATE_FILE ? out.existing.id : 0;
    if (tus_upload_finish(u, e == SOCC_OK ? "OK" : socc_err_name(e), id,
                          hash, NULL) != SOCC_OK)
        log_event(LOG_WARN, "tus", "result_not_saved", r->id, "id=%s",
                  m->id);
    if (e == SOCC_OK)
        return answer_upload(r, id, out.upload.warnings, &h);
    return fail(r, e, err.detail, out.hint,
                e == SOCC_E_DUPLICATE_FILE ? &out.existing : NULL, &h);
}

/* ---- PATCH (and the body of creation-with-upload) ----------------------- */

/* A chunk being received; owned by the request (server_req.state). */
struct chunk {
    struct tus_upload *u;          /* owned: holds the upload's lock */
    struct progress *prog;         /* owned: in the in-flight registry */
    unsigned char digest[64];      /* Upload-Checksum, dlen bytes */
    size_t dlen;
    enum socc_err failed;          /* first error while receiving */
    struct socc_error err;
    uint64_t dropped;              /* body bytes read after the failure */
    int answered;
    const char *outcome;           /* for the registry: "done" or a name */
    char location[64];             /* creation-with-upload: the new URL */
    int created;                   /* answer 201 (creation) not 204 */
};

static void chunk_free(void *p)
{
    struct chunk *c = p;

    if (!c)
        return;
    tus_upload_release(c->u);   /* keeps or drops a cut-short chunk */
    progress_end(c->prog, c->outcome ? c->outcome : "receiving");
    free(c);
}

static enum MHD_Result chunk_done(struct server_req *r, struct chunk *c)
{
    struct tus_hdrs h = { tus_upload_meta(c->u), NULL, 0, 0 };
    enum socc_err e = c->failed;

    if (c->location[0])
        h.location = c->location;
    if (e == SOCC_OK)
        e = tus_upload_chunk_end(c->u, c->dlen ? c->digest : NULL, c->dlen,
                                 &c->err);
    if (e != SOCC_OK) {
        c->outcome = socc_err_name(e);
        return fail(r, e, c->err.detail, NULL, NULL, &h);
    }
    progress_bytes(c->prog, h.m->offset, h.m->deferred ? 0 : h.m->length);
    if (tus_upload_complete(c->u))
        return finish(r, c->u, c->prog, &c->outcome, h.location);
    return answer(r, c->created ? 201 : 204, NULL, &h);
}

static enum MHD_Result chunk_body(struct server_req *r, const char *data,
                                  size_t *size)
{
    struct chunk *c = r->state;
    const struct tus_meta *m = tus_upload_meta(c->u);
    enum MHD_Result res;

    if (*size == 0) {
        if (c->answered)
            return MHD_YES;
        c->answered = 1;
        r->close_conn = c->failed != SOCC_OK;
        res = chunk_done(r, c);
        /* before the answer leaves: a poll right after it sees the end */
        progress_end(c->prog, c->outcome ? c->outcome : "receiving");
        c->prog = NULL;
        return res;
    }
    r->bytes_in += *size;
    if (c->failed == SOCC_OK) {
        c->failed = tus_upload_write(c->u, data, *size, &c->err);
        progress_bytes(c->prog, m->offset, m->deferred ? 0 : m->length);
    } else if ((c->dropped += *size) > DISCARD_MAX) {
        return MHD_NO;
    }
    *size = 0;
    return MHD_YES;
}

/* Refuse a declared body that cannot fit before reading it; 1 if refused. */
static int too_long(struct server_req *r, const struct tus_meta *m,
                    enum MHD_Result *res)
{
    struct tus_hdrs h = { m, NULL, 0, 0 };
    uint64_t n, max = r->app->cfg->max_file_size;

    if (!params_u64(server_header(r, "Content-Length"), &n))
        return 0;
    if (n > max - m->offset)
        *res = fail(r, SOCC_E_FILE_TOO_LARGE, "the chunk would pass the "
                    "upload limit", NULL, NULL, &h);
    else if (!m->deferred && n > m->length - m->offset)
        *res = fail(r, SOCC_E_BAD_REQUEST, "the chunk goes past "
                    "Upload-Length", NULL, NULL, &h);
    else
        return 0;
    r->close_conn = 1;
    return 1;
}

/*
 * Start receiving a chunk into u (taken) at its offset: the body arrives
 * through chunk_body().  location is set for creation-with-upload.
 */
static enum MHD_Result start_chunk(struct server_req *r, struct tus_upload *u,
                                   const char *location)
{
    const struct tus_meta *m = tus_upload_meta(u);
    struct tus_hdrs h = { m, location, 0, 0 };
    struct chunk *c;
    enum tus_sum sum;
    enum MHD_Result res;
    enum socc_err e;

    c = calloc(1, sizeof(*c));
    if (!c) {
        tus_upload_release(u);
        return MHD_NO;
    }
    c->u = u;
    if (parse_checksum(server_header(r, "Upload-Checksum"), &sum, c->digest,
                       &c->dlen) != 0) {
        r->close_conn = 1;
        res = fail(r, SOCC_E_BAD_REQUEST, "Upload-Checksum must be 'sha1 "
                   "<base64>' or 'sha256 <base64>'", NULL, NULL, &h);
        chunk_free(c);
        return res;
    }
    if (too_long(r, m, &res)) {
        chunk_free(c);
        return res;
    }
    /* tus uploads share the one limit of uploads in flight */
    if (upload_slot_take(r->app->max_uploads,
                         server_header(r, "X-Upload-Token"), r->id,
                         &c->prog) != 0) {
        r->close_conn = 1;
        r->retry_after = SERVER_RETRY_AFTER_S;
        res = fail(r, SOCC_E_UNAVAILABLE, "the server holds its maximum of "
                   "uploads in flight", "try again after the Retry-After "
                   "seconds", NULL, &h);
        chunk_free(c);
        return res;
    }
    progress_user(c->prog, r->who.user);
    e = tus_upload_chunk_begin(u, sum, &c->err);
    if (e != SOCC_OK) {
        res = fail(r, e, c->err.detail, NULL, NULL, &h);
        chunk_free(c);
        return res;
    }
    if (location) {
        snprintf(c->location, sizeof(c->location), "%s", location);
        c->created = 1;
    }
    progress_meta(c->prog, m->company, m->tool_type, m->filename);
    progress_bytes(c->prog, m->offset, m->deferred ? 0 : m->length);
    r->state = c;
    r->state_free = chunk_free;
    r->on_body = chunk_body;
    return MHD_YES;
}

/* PATCH on a taken upload: the checks before its body. */
static enum MHD_Result patch_upload(struct server_req *r,
                                    struct tus_upload *u, uint64_t offset)
{
    const struct tus_meta *m = tus_upload_meta(u);
    struct tus_hdrs h = { m, NULL, 0, 0 };
    struct socc_error err;
    uint64_t len, n;
    enum MHD_Result res;

    socc_error_clear(&err);
    if (m->done && offset == m->length &&
        (!params_u64(server_header(r, "Content-Length"), &n) || n == 0))
        res = answer_done(r, &h);
    else if (offset != m->offset)
        res = fail(r, SOCC_E_OFFSET_MISMATCH, "Upload-Offset is not the "
                   "upload's offset (see the Upload-Offset header)", NULL,
                   NULL, &h);
    else if (params_u64(server_header(r, "Upload-Length"), &len) &&
             m->deferred && tus_upload_set_length(u, len, &err) != SOCC_OK)
        res = fail(r, err.code, err.detail, NULL, NULL, &h);
    else
        return start_chunk(r, u, NULL);
    r->close_conn = 1;
    tus_upload_release(u);
    return res;
}

/*
 * LIMIT: the request writing an upload holds its lock until it ends; when
 * a client vanishes without the server seeing the connection close, a
 * resume gets 423 UPLOAD_LOCKED until SOCC_CONNECTION_TIMEOUT passes.
 */
static enum MHD_Result tus_patch(struct server_req *r, const char *id)
{
    struct tus_upload *u;
    struct socc_error err;
    uint64_t offset;
    enum MHD_Result res;

    if (!version_ok(r, &res))
        return res;
    r->close_conn = 1;   /* until the body is accepted */
    if (!octets(r))
        return fail0(r, SOCC_E_UNSUPPORTED_MEDIA_TYPE,
                     "Content-Type must be " OCTETS, NULL);
    if (!params_u64(server_header(r, "Upload-Offset"), &offset))
        return fail0(r, SOCC_E_BAD_REQUEST,
                     "Upload-Offset must be a number of bytes", NULL);
    socc_error_clear(&err);
    if (tus_store_acquire(g_ts, id, &u, &err) != SOCC_OK)
        return fail0(r, err.code, err.detail, NULL);
    if (!caller_may(r, id, tus_upload_meta(u), &res)) {
        tus_upload_release(u);
        return res;
    }
    r->close_conn = 0;
    return patch_upload(r, u, offset);
}

/* ---- POST (creation) ---------------------------------------------------- */

/* Upload-Length or Upload-Defer-Length into m; the fault. */
static enum socc_err read_length(struct server_req *r, struct tus_meta *m,
                                 struct socc_error *err)
{
    const char *len = server_header(r, "Upload-Length");
    const char *defer = server_header(r, "Upload-Defer-Length");

    if (len && defer)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "give Upload-Length "
                              "or Upload-Defer-Length, not both");
    if (defer) {
        m->deferred = 1;
        return strcmp(defer, "1") == 0
                   ? SOCC_OK
                   : socc_error_set(err, SOCC_E_BAD_REQUEST,
                                    "Upload-Defer-Length must be 1");
    }
    if (!params_u64(len, &m->length))
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "Upload-Length must "
                              "be a number of bytes");
    if (m->length > r->app->cfg->max_file_size)
        return socc_error_set(err, SOCC_E_FILE_TOO_LARGE, "Upload-Length "
                              "%" PRIu64 " is over %" PRIu64 " bytes",
                              m->length, r->app->cfg->max_file_size);
    return SOCC_OK;
}

/* 1 when the creation request carries a body (creation-with-upload). */
static int has_body(struct server_req *r)
{
    uint64_t n;

    if (server_header(r, "Transfer-Encoding"))
        return 1;
    return params_u64(server_header(r, "Content-Length"), &n) && n > 0;
}

static enum MHD_Result tus_create(struct server_req *r)
{
    struct tus_meta m;
    struct tus_hdrs h = { &m, NULL, 0, 0 };
    struct tus_upload *u;
    struct socc_error err;
    char location[64];
    enum MHD_Result res;
    enum socc_err e;

    if (!version_ok(r, &res))
        return res;
    memset(&m, 0, sizeof(m));
    socc_error_clear(&err);
    e = read_length(r, &m, &err);
    if (e == SOCC_OK)
        e = read_metadata(r, &m, &err);
    if (e == SOCC_OK && !authz_company(r, m.company, PRINCIPAL_ANALYST)) {
        r->close_conn = 1;
        return MHD_YES;
    }
    snprintf(m.owner, sizeof(m.owner), "%s", r->who.user);
    if (e == SOCC_OK && has_body(r) && !octets(r))
        e = socc_error_set(&err, SOCC_E_UNSUPPORTED_MEDIA_TYPE, "a creation body needs "
                           "Content-Type " OCTETS);
    if (e == SOCC_OK)
        e = tus_store_create(g_ts, &m, &err);
    if (e != SOCC_OK) {
        r->close_conn = 1;
        return fail0(r, e, err.detail, NULL);
    }
    log_event(LOG_INFO, "tus", "created", r->id, "id=%s length=%" PRIu64
              " deferred=%d", m.id, m.length, m.deferred);
    snprintf(location, sizeof(location), TUS_PREFIX "%s", m.id);
    h.location = location;
    if (!has_body(r) && !(!m.deferred && m.length == 0))
        return answer(r, 201, NULL, &h);
    if (tus_store_acquire(g_ts, m.id, &u, &err) != SOCC_OK)
        return fail(r, err.code, err.detail, NULL, NULL, &h);
    return start_chunk(r, u, location);
}

/* ---- HEAD, DELETE, OPTIONS ---------------------------------------------- */

static enum MHD_Result tus_head(struct server_req *r, const char *id)
{
    struct tus_meta m;
    struct tus_hdrs h = { &m, NULL, 1, 0 };
    struct socc_error err;
    enum MHD_Result res;

    if (!version_ok(r, &res))
        return res;
    socc_error_clear(&err);
    if (tus_store_peek(g_ts, id, &m, &err) != SOCC_OK)
        return fail0(r, err.code, err.detail, NULL);
    if (!caller_may(r, id, &m, &res))
        return res;
    if (m.done)
        m.offset = m.length;
    return answer(r, 200, NULL, &h);
}

static enum MHD_Result tus_delete(struct server_req *r, const char *id)
{
    struct tus_hdrs h = { 0 };
    struct tus_upload *u;
    struct socc_error err;
    enum MHD_Result res;

    if (!version_ok(r, &res))
        return res;
    socc_error_clear(&err);
    if (tus_store_acquire(g_ts, id, &u, &err) != SOCC_OK)
        return fail0(r, err.code, err.detail, NULL);
    if (!caller_may(r, id, tus_upload_meta(u), &res)) {
        tus_upload_release(u);
        return res;
    }
    log_event(LOG_INFO, "tus", "terminated", r->id, "id=%s", id);
    tus_upload_remove(u);
    return answer(r, 204, NULL, &h);
}

static enum MHD_Result tus_options(struct server_req *r)
{
    struct tus_hdrs h = { NULL, NULL, 0, 1 };
    struct MHD_Response *resp;

    resp = MHD_create_response_from_buffer(0, (char *)"",
                                           MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    add_tus_headers(resp, &h);
    add_num(resp, "Tus-Max-Size", r->app->cfg->max_file_size);
    return respond_queue(r, 204, resp, 0);
}

/* ---- routing ------------------------------------------------------------ */

static enum MHD_Result not_allowed(struct server_req *r, const char *allow)
{
    r->allow = allow;
    r->close_conn = 1;
    return fail0(r, SOCC_E_METHOD_NOT_ALLOWED, NULL, NULL);
}

enum MHD_Result api_tus(struct server_req *r, const char *method,
                        const char *url)
{
    const char *over = server_header(r, "X-HTTP-Method-Override");
    const char *id;

    if (!g_ts) {
        r->close_conn = 1;
        return fail0(r, SOCC_E_UNAVAILABLE, "resumable uploads are not "
                     "started", "use POST /api/uploads");
    }
    if (over && strcmp(method, "POST") == 0)
        method = over;
    if (strcmp(method, "OPTIONS") == 0)
        return tus_options(r);
    if (strcmp(url, "/api/tus") == 0 || strcmp(url, TUS_PREFIX) == 0)
        return strcmp(method, "POST") == 0 ? tus_create(r)
                                           : not_allowed(r, "OPTIONS, POST");
    id = url + sizeof(TUS_PREFIX) - 1;
    if (strcmp(method, "HEAD") == 0)
        return tus_head(r, id);
    if (strcmp(method, "PATCH") == 0)
        return tus_patch(r, id);
    if (strcmp(method, "DELETE") == 0)
        return tus_delete(r, id);
    return not_allowed(r, "OPTIONS, HEAD, PATCH, DELETE");
}
