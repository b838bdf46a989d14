#include "upload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/sha256.h"
#include "http/multipart.h"
#include "ingest/progress.h"

enum part_kind { PART_SKIP, PART_COMPANY, PART_TOOL, PART_FILE };

struct upload {
    const struct config *cfg;        /* borrowed */
    struct store *store;             /* borrowed */
    const char *req_id;              /* borrowed */
    struct multipart *mp;            /* owned */
    enum part_kind part;             /* the part being read */
    struct buf field;                /* value of the current text field */
    char company[UPLOAD_FIELD_MAX + 1];
    char tool[UPLOAD_FIELD_MAX + 1];
    int has_company, has_tool;
    int fd;                          /* temp file, locked while open, or -1 */
    char tmp_path[1200];             /* "" once handed over or removed */
    struct sha256 sha;
    int sha_live;                    /* 1 while sha holds a context */
    char hash[65];                   /* set when the file part ended */
    uint64_t file_size;
    int has_file;                    /* a file part started */
    int file_done;                   /* and ended */
    char filename[256];              /* safe base name */
    struct socc_error err;           /* why a callback stopped the parser */
    struct progress *prog;           /* borrowed, may be NULL */
    const struct principal *who;     /* borrowed; NULL: no check */
    enum socc_err prepared;          /* upload_prepare()'s result */
    int prepare_done;                /* 1 once it ran */
};

/* ---- field checks ------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len, i;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] < 0xC2 || s[0] > 0xF4)
        return 0;
    len = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
    if (n < len)
        return 0;
    cp = s[0] & (0x7Fu >> len);
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
        (cp >= 0x80 && cp < 0xA0))
        return 0;
    return len;
}

/*
 * 1 when the n bytes at s hold NUL or another control byte (a tab is
 * allowed: blanks are trimmed later).  Checks every byte, so a value is
 * never cut short at an embedded NUL.
 */
static int has_control(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 1;
    }
    return 0;
}

static void trim(char *s)
{
    size_t n = strlen(s), k = 0;

    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (k < n && (s[k] == ' ' || s[k] == '\t'))
        k++;
    memmove(s, s + k, n - k);
    s[n - k] = '\0';
}

int upload_company_ok(char *company)
{
    const unsigned char *p = (const unsigned char *)company;
    size_t n, i = 0, k;

    trim(company);
    n = strlen(company);
    if (n == 0 || n > UPLOAD_COMPANY_MAX)
        return -1;
    while (i < n) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return -1;
        k = utf8_len(p + i, n - i);
        if (k == 0)
            return -1;
        i += k;
    }
    return 0;
}

/* ---- multipart callbacks ------------------------------------------------ */

static enum socc_err file_begin(struct upload *u,
                                const struct multipart_part *p)
{
    if (u->has_file)
        return socc_error_set(&u->err, SOCC_E_BAD_REQUEST,
                              "more than one file part");
    if (!p->has_filename || p->filename_len == 0)
        return socc_error_set(&u->err, SOCC_E_BAD_REQUEST,
                              "the file part has no file name");
    pipeline_safe_name(p->filename, p->filename_len, u->filename,
                       sizeof(u->filename));
    u->fd = store_tmp_create(u->store, "upload", u->tmp_path,
                             sizeof(u->tmp_path));
    if (u->fd < 0) {
        u->tmp_path[0] = '\0';
        return socc_error_set(&u->err, SOCC_E_INTERNAL,
                              "cannot create a temp file: %s",
                              strerror(errno));
    }
    if (sha256_init(&u->sha) != 0)
        return socc_error_set(&u->err, SOCC_E_INTERNAL, "out of memory");
    u->sha_live = 1;
    u->has_file = 1;
    return SOCC_OK;
}

static enum socc_err on_begin(void *ctx, const struct multipart_part *p)
{
    struct upload *u = ctx;
    int *seen = NULL;

    u->part = PART_SKIP;
    buf_reset(&u->field);
    if (strcmp(p->name, "file") == 0) {
        u->part = PART_FILE;
        return file_begin(u, p);
    }
    if (strcmp(p->name, "company") == 0) {
        u->part = PART_COMPANY;
        seen = &u->has_company;
    } else if (strcmp(p->name, "tool_type") == 0) {
        u->part = PART_TOOL;
        seen = &u->has_tool;
    }
    if (seen && *seen)
        return socc_error_set(&u->err, SOCC_E_BAD_REQUEST,
                              "field '%s' given twice", p->name);
    return SOCC_OK;
}

static enum socc_err write_all(struct upload *u, const char *d, size_t n)
{
    ssize_t w;

    while (n > 0) {
        w = write(u->fd, d, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == ENOSPC || errno == EDQUOT))
            return socc_error_set(&u->err, SOCC_E_STORAGE_FULL,
                                  "no space for the temp file");
        if (w < 0)
            return socc_error_set(&u->err, SOCC_E_INTERNAL,
                                  "cannot write the temp file: %s",
                                  strerror(errno));
        d += w;
        n -= (size_t)w;
    }
    return SOCC_OK;
}

static enum socc_err file_data(struct upload *u, const char *d, size_t n)
{
    if (n > u->cfg->max_file_size - u->file_size)
        return socc_error_set(&u->err, SOCC_E_FILE_TOO_LARGE,
                              "the file passed %llu bytes",
                              (unsigned long long)u->cfg->max_file_size);
    u->file_size += n;
    sha256_update(&u->sha, d, n);
    return write_all(u, d, n);
}

static enum socc_err on_data(void *ctx, const char *d, size_t n)
{
    struct upload *u = ctx;

    if (u->part == PART_FILE)
        return file_data(u, d, n);
    if (u->part == PART_SKIP)
        return SOCC_OK;
    if (u->field.len + n > UPLOAD_FIELD_MAX)
        return socc_error_set(&u->err, SOCC_E_BAD_REQUEST,
                              "field '%s' longer than %d bytes",
                              u->part == PART_COMPANY ? "company"
                                                      : "tool_type",
                              UPLOAD_FIELD_MAX);
    buf_add(&u->field, d, n);
    return buf_ok(&u->field) ? SOCC_OK
                             : socc_error_set(&u->err, SOCC_E_INTERNAL,
                                              "out of memory");
}

/*
 * The company (trimmed and valid) is one the caller may touch: else
 * ACCESS_DENIED, the same for a company that exists and one that does
 * not.
 */
static enum socc_err company_allowed(struct upload *u, struct socc_error *err)
{
    if (upload_company_ok(u->company) != 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "company must be 1-%d printable characters",
                              UPLOAD_COMPANY_MAX);
    if (u->who && !principal_has_company(u->who, u->company))
        return socc_error_set(err, SOCC_E_ACCESS_DENIED,
                              "you may not upload for this company");
    return SOCC_OK;
}

static enum socc_err on_end(void *ctx)
{
    struct upload *u = ctx;
    char *dst = NULL;

    if (u->part == PART_FILE) {
        sha256_final_hex(&u->sha, u->hash);
        u->sha_live = 0;
        u->file_done = 1;
        return SOCC_OK;   /* fd stays open, and locked, until the pipeline */
    }
    if (u->part == PART_COMPANY) {
        dst = u->company;
        u->has_company = 1;
    } else if (u->part == PART_TOOL) {
        dst = u->tool;
        u->has_tool = 1;
    }
    if (!dst)
        return SOCC_OK;
    if (has_control(u->field.data, u->field.len))
        return socc_error_set(&u->err, SOCC_E_BAD_REQUEST,
                              "field '%s' holds a NUL or control character",
                              u->part == PART_COMPANY ? "company"
                                                      : "tool_type");
    memcpy(dst, u->field.data ? u->field.data : "", u->field.len);
    dst[u->field.len] = '\0';
    if (u->part == PART_COMPANY)
        return company_allowed(u, &u->err);
    return SOCC_OK;
}

/* ---- the upload --------------------------------------------------------- */

enum socc_err upload_new(const struct config *cfg, struct store *store,
                         const char *req_id, const char *content_type,
                         struct upload **out, struct socc_error *err)
{
    struct upload *u;
    struct multipart_cb cb;
    enum socc_err e;

    *out = NULL;
    u = calloc(1, sizeof(*u));
    if (!u)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    u->cfg = cfg;
    u->store = store;
    u->req_id = req_id;
    u->fd = -1;
    buf_init(&u->field);
    cb = (struct multipart_cb){ u, on_begin, on_data, on_end };
    e = multipart_new(content_type, &cb, &u->mp, err);
    if (e != SOCC_OK) {
        upload_free(u);
        return e;
    }
    *out = u;
    return SOCC_OK;
}

enum socc_err upload_feed(struct upload *u, const char *data, size_t n,
                          struct socc_error *err)
{
    enum socc_err e = multipart_feed(u->mp, data, n, err);

    if (e != SOCC_OK && u->err.code == e && err)
        *err = u->err;
    return e;
}

void upload_set_progress(struct upload *u, struct progress *p)
{
    u->prog = p;
}

void upload_set_caller(struct upload *u, const struct principal *who)
{
    u->who = who;
}

const char *upload_company(const struct upload *u)
{
    return u->has_company ? u->company : "";
}

uint64_t upload_file_size(const struct upload *u)
{
    return u->file_size;
}

/* The fields after the body: BAD_REQUEST naming the first fault. */
static enum socc_err check_fields(struct upload *u, struct socc_error *err)
{
    char list[CONFIG_MAX_TYPES * (CONFIG_NAME_MAX + 2)] = "";
    size_t i;
    enum socc_err e;

    if (!u->has_company)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "company must be 1-%d printable characters",
                              UPLOAD_COMPANY_MAX);
    e = company_allowed(u, err);
    if (e != SOCC_OK)
        return e;
    trim(u->tool);
    if (!u->has_tool || !config_tool_ok(u->cfg, u->tool)) {
        for (i = 0; i < u->cfg->n_tool_types; i++) {
            strcat(list, i ? ", " : "");
            strcat(list, u->cfg->tool_types[i]);
        }
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "tool_type must be one of: %s", list);
    }
    if (!u->file_done)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "the file field is missing");
    return SOCC_OK;
}

enum socc_err upload_prepare(struct upload *u, struct socc_error *err)
{
    if (!u->prepare_done) {
        u->prepare_done = 1;
        socc_error_clear(&u->err);
        u->prepared = multipart_finish(u->mp, &u->err);
        if (u->prepared == SOCC_OK)
            u->prepared = check_fields(u, &u->err);
    }
    if (u->prepared != SOCC_OK && err)
        *err = u->err;
    return u->prepared;
}

void upload_fingerprint(const struct upload *u, char out[65])
{
    struct buf b;

    buf_init(&b);
    buf_add(&b, u->company, strlen(u->company) + 1);
    buf_add(&b, u->tool, strlen(u->tool) + 1);
    buf_add(&b, u->filename, strlen(u->filename) + 1);
    buf_adds(&b, u->hash);
    sha256_hex(b.data ? b.data : "", b.len, out);
    buf_release(&b);
}

enum socc_err upload_finish(struct upload *u, struct pipeline_output *out,
                            struct socc_error *err)
{
    struct pipeline_input in;
    enum socc_err e;

    memset(out, 0, sizeof(*out));
    e = upload_prepare(u, err);
    if (e != SOCC_OK)
        return e;
    log_event(LOG_INFO, "http", "upload_received", u->req_id,
              "size=%llu sha256=%s", (unsigned long long)u->file_size,
              u->hash);
    memset(&in, 0, sizeof(in));
    in.company = u->company;
    in.tool_type = u->tool;
    in.uploaded_by = u->who ? u->who->user : NULL;
    in.filename = u->filename;
    in.req_id = u->req_id;
    in.path = u->tmp_path;
    in.hash = u->hash;
    in.size = u->file_size;
    in.progress = u->prog;
    progress_meta(u->prog, u->company, u->tool, u->filename);
    e = pipeline_run(u->store, u->cfg, &in, out, err);
    u->tmp_path[0] = '\0';   /* the pipeline took it: moved or removed */
    close(u->fd);
    u->fd = -1;
    return e;
}

void upload_free(struct upload *u)
{
    if (!u)
        return;
    if (u->tmp_path[0])
        unlink(u->tmp_path);   /* while still locked: no sweep races us */
    if (u->fd >= 0)
        close(u->fd);
    if (u->sha_live)
        sha256_release(&u->sha);
    multipart_free(u->mp);
    buf_release(&u->field);
    free(u);
}
