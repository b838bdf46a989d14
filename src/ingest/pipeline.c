#include "ingest/pipeline.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/lifecycle.h"
#include "core/log.h"
#include "core/sha256.h"
#include "core/utf8.h"
#include "ingest/detect.h"
#include "ingest/progress.h"
#include "ingest/row.h"
#include "ingest/table.h"

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- file names ---- */


void pipeline_safe_name(const char *name, size_t len, char *out, size_t n)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t i, start = 0, o = 0, k;

    for (i = 0; i < len; i++)
        if (p[i] == '/' || p[i] == '\\')
            start = i + 1;
    for (i = start; i < len && n > 4;) {
        if (p[i] < 0x20 || p[i] == 0x7f) {
            i++;
            continue;
        }
        k = utf8_valid(p + i, len - i);
        if (o + (k ? k : 3) > 255 || o + (k ? k : 3) >= n)
            break;
        if (k) {
            memcpy(out + o, p + i, k);
            i += k;
            o += k;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '.'))
        o--;   /* trailing dots and spaces hide the extension on Windows */
    out[o] = '\0';
    while (out[0] == ' ')
        memmove(out, out + 1, o--);
    if (out[0] == '\0' || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        snprintf(out, n, "upload");
}

/* Lowercase extension of name into ext (size n), "" when none. */
static void extension(const char *name, char *ext, size_t n)
{
    const char *dot = strrchr(name, '.');
    size_t i;

    ext[0] = '\0';
    if (!dot || dot == name)
        return;
    for (i = 0; dot[1 + i] && i + 1 < n; i++)
        ext[i] = (char)tolower((unsigned char)dot[1 + i]);
    ext[i] = '\0';
}

/* ---- validating ---- */

static int is_sheet_ext(const char *ext)
{
    return strcmp(ext, "xlsx") == 0 || strcmp(ext, "xls") == 0;
}

static int is_sheet_kind(enum detect_kind k)
{
    return k == DETECT_XLSX || k == DETECT_XLS || k == DETECT_BIFF_RAW;
}

static enum socc_err refuse_type(struct pipeline_output *out,
                                 struct socc_error *err, const char *detail,
                                 const char *hint)
{
    snprintf(out->hint, sizeof(out->hint), "%s", hint);
    return socc_error_set(err, SOCC_E_INVALID_FILE_TYPE, "%s", detail);
}

/* Compare content and name; pick the reader kind in *kind. */
static enum socc_err validate(const struct config *cfg, const char *ext,
                              const struct detect_result *d, struct table *t,
                              struct pipeline_output *out,
                              struct socc_error *err)
{
    char hint[256], msg[200];

    switch (d->kind) {
    case DETECT_EMPTY:
        return socc_error_set(err, SOCC_E_EMPTY_FILE, "the file holds no data");
    case DETECT_ENCRYPTED:
        return socc_error_set(err, SOCC_E_ENCRYPTED_FILE,
                              "the workbook is encrypted with a password");
    case DETECT_OTHER:
        snprintf(hint, sizeof(hint), "the content is %s, not a spreadsheet "
                 "or CSV; export the data as .xlsx, .xls or .csv", d->what);
        return refuse_type(out, err, "content is not a spreadsheet or text",
                           hint);
    default:
        break;
    }
    if (!cfg->file_validation)
        return SOCC_OK;
    if (is_sheet_ext(ext) && !is_sheet_kind(d->kind)) {
        snprintf(hint, sizeof(hint), "the name ends in .%s but the content "
                 "is plain text; if it is CSV, name it .csv", ext);
        return refuse_type(out, err, "spreadsheet name with text content",
                           hint);
    }
    if (!is_sheet_ext(ext) && is_sheet_kind(d->kind)) {
        snprintf(hint, sizeof(hint), "the name ends in .%s but the content "
                 "is %s; name it .%s", ext, d->what,
                 d->kind == DETECT_XLSX ? "xlsx" : "xls");
        return refuse_type(out, err, "text name with spreadsheet content",
                           hint);
    }
    if (is_sheet_ext(ext) && strcmp(ext, detect_kind_name(d->kind)) != 0) {
        snprintf(msg, sizeof(msg), "the name ends in .%s but the content is "
                 "%s; it was read as %s", ext, d->what,
                 detect_kind_name(d->kind));
        table_warn(t, msg);
    }
    return SOCC_OK;
}

/* ---- processing and saving ---- */

/*
 * What a file may take in the database: real exports expand about 1x
 * (CSV) to 5x (XLSX) as JSON; 16x, and at least 16 MiB, leaves room and
 * still stops a 100 KB workbook of sparse rows at column XFD, or one
 * 32767-character shared string repeated in thousands of cells.
 */
static uint64_t max_stored(uint64_t size)
{
    uint64_t floor = 16ull * 1024 * 1024;

    return size > floor / 16 ? size * 16 : floor;
}

static enum socc_err run_reader(enum detect_kind k, const char *path,
                                uint64_t size, const struct config *cfg,
                                struct table *t, struct socc_error *err)
{
    struct row_limits lim;
    struct row_sink sink = table_sink(t);
    enum socc_err rc;

    row_limits_default(&lim);
    lim.csv_max_field = cfg->csv_max_field;
    table_set_infer_numbers(t, k == DETECT_TEXT);
    table_set_max_stored(t, max_stored(size));
    if (k == DETECT_XLSX)
        rc = xlsx_reader_run(path, &lim, &sink, err);
    else if (k == DETECT_TEXT)
        rc = csv_reader_run(path, &lim, &sink, err);
    else
        rc = xls_reader_run(path, &lim, &sink, err);
    if (rc != SOCC_OK && table_error(t)->code == rc) {
        *err = *table_error(t);   /* the sink's own fault, with its detail */
    }
    return rc;
}

struct job {
    struct store *st;
    const struct config *cfg;
    const struct pipeline_input *in;
    struct pipeline_output *out;
    struct socc_error *err;
    struct store_upload meta;
    struct detect_result det;
    char ext[16];
    int64_t t0;
    int64_t t0_us;            /* when the upload began, microseconds */
    int64_t stage_t0;         /* when the current stage began, us */
};

static const struct pipeline_observer *_Atomic observer;

void pipeline_set_observer(const struct pipeline_observer *obs)
{
    observer = obs;
}

/* End the current stage (telling the observer) and begin stage, or none. */
static void enter(struct job *j, const char *stage)
{
    int64_t now = now_us();
    const struct pipeline_observer *o = observer;

    if (j->out->stage && o && o->stage_done)
        o->stage_done(j->out->stage, now - j->stage_t0);
    j->stage_t0 = now;
    if (!stage)
        return;
    j->out->stage = stage;
    progress_stage(j->in->progress, stage);
}

static enum socc_err stage_validate(struct job *j, struct table *t)
{
    enum socc_err rc;

    enter(j, "validating");
    extension(j->meta.filename, j->ext, sizeof(j->ext));
    if (j->cfg->file_validation && !config_ext_ok(j->cfg, j->ext)) {
        char hint[256];
        snprintf(hint, sizeof(hint), "files ending in '.%s' are not "
                 "accepted; export the data as .xlsx, .xls or .csv", j->ext);
        return refuse_type(j->out, j->err, "extension is not allowed", hint);
    }
    if (j->in->size == 0)
        return socc_error_set(j->err, SOCC_E_EMPTY_FILE, "zero bytes");
    rc = detect_file(j->in->path, &j->det, j->err);
    if (rc != SOCC_OK)
        return rc;
    rc = validate(j->cfg, j->ext, &j->det, t, j->out, j->err);
    if (rc != SOCC_OK)
        return rc;
    snprintf(j->meta.file_type, sizeof(j->meta.file_type), "%s",
             detect_kind_name(j->det.kind));
    return SOCC_OK;
}

static enum socc_err stage_duplicates(struct job *j)
{
    enum socc_err rc;
    struct socc_error e2;

    enter(j, "checking_duplicates");
    if (!j->cfg->duplicate_check)
        return SOCC_OK;
    rc = store_find_hash(j->st, j->meta.company, j->meta.file_hash,
                         &j->out->existing, &e2);
    if (rc == SOCC_E_NOT_FOUND)
        return SOCC_OK;
    if (rc != SOCC_OK) {
        *j->err = e2;
        return rc;
    }
    return socc_error_set(j->err, SOCC_E_DUPLICATE_FILE,
                          "company already holds upload %lld",
                          (long long)j->out->existing.id);
}

/* Parse the file into the spool; no database lock is held meanwhile. */
static enum socc_err stage_process(struct job *j, struct table *t,
                                   struct spool *sp)
{
    enum socc_err rc;

    enter(j, "processing");
    table_set_spool(t, sp);
    table_set_progress(t, j->in->progress);
    rc = run_reader(j->det.kind, j->in->path, j->in->size, j->cfg, t,
                    j->err);
    progress_rows(j->in->progress, table_records(t));
    if (rc == SOCC_OK && table_records(t) == 0)
        table_warn(t, "the file holds no data rows");
    return rc;
}

/*
 * One short write transaction: the unique (company, file_hash) index
 * settles a race with a concurrent copy, the spooled records go in, the
 * blob is kept, and the commit is durable.
 */
static enum socc_err stage_save(struct job *j, struct table *t,
                                struct spool *sp)
{
    struct store_writer *w = NULL;
    enum socc_err rc;

    enter(j, "saving");
    rc = store_writer_begin(j->st, &j->meta, &w, &j->out->existing, j->err);
    if (rc != SOCC_OK)
        return rc;
    rc = spool_replay(sp, w, j->err);
    if (rc == SOCC_OK)
        rc = store_writer_blob(w, j->in->path, j->meta.file_hash, j->err);
    /* past the shutdown deadline nothing more is committed */
    if (rc == SOCC_OK && lifecycle_aborted())
        rc = socc_error_set(j->err, SOCC_E_UNAVAILABLE,
                            "the server is shutting down");
    if (rc != SOCC_OK) {
        store_writer_abort(w);
        return rc;
    }
    return store_writer_commit(w, now_ms() - j->t0, table_warnings_json(t),
                               &j->out->upload, j->err);
}

/* Spool, parse, save. */
static enum socc_err stage_rest(struct job *j, struct table *t)
{
    struct spool *sp = NULL;
    enum socc_err rc = spool_new(store_tmp_dir(j->st), &sp, j->err);

    if (rc == SOCC_OK)
        rc = stage_process(j, t, sp);
    log_event(LOG_DEBUG, "ingest", "stage_done", j->in->req_id,
              "stage=processing ms=%lld spooled=%llu",
              (long long)(now_ms() - j->t0),
              (unsigned long long)(sp ? spool_bytes(sp) : 0));
    if (rc == SOCC_OK)
        rc = stage_save(j, t, sp);
    log_event(LOG_DEBUG, "ingest", "stage_done", j->in->req_id,
              "stage=saving ms=%lld", (long long)(now_ms() - j->t0));
    spool_free(sp);
    return rc;
}

static void log_outcome(const struct job *j, enum socc_err rc)
{
    char name[300], company[300];

    log_quote(name, sizeof(name), j->meta.filename);
    log_quote(company, sizeof(company), j->meta.company);
    if (rc == SOCC_OK)
        log_event(LOG_INFO, "ingest", "upload_stored", j->in->req_id,
                  "company=%s id=%lld type=%s size=%llu sha256=%s "
                  "records=%lld ms=%lld", company,
                  (long long)j->out->upload.id, j->meta.file_type,
                  (unsigned long long)j->in->size, j->meta.file_hash,
                  (long long)j->out->upload.record_count,
                  (long long)j->out->upload.processing_ms);
    else
        log_event(rc == SOCC_E_INTERNAL ? LOG_ERROR : LOG_INFO, "ingest",
                  "upload_rejected", j->in->req_id,
                  "company=%s stage=%s size=%llu sha256=%s name=%s err=%s "
                  "detail=\"%s\"", company, j->out->stage, (unsigned long long)j->in->size,
                  j->meta.file_hash[0] ? j->meta.file_hash : "-", name,
                  socc_err_name(rc), j->err->detail);
}

static void fill_meta(struct job *j)
{
    const struct pipeline_input *in = j->in;

    memset(&j->meta, 0, sizeof(j->meta));
    snprintf(j->meta.company, sizeof(j->meta.company), "%s", in->company);
    snprintf(j->meta.tool_type, sizeof(j->meta.tool_type), "%s",
             in->tool_type);
    pipeline_safe_name(in->filename ? in->filename : "",
                       in->filename ? strlen(in->filename) : 0,
                       j->meta.filename, sizeof(j->meta.filename));
    snprintf(j->meta.uploaded_by, sizeof(j->meta.uploaded_by), "%s",
             in->uploaded_by ? in->uploaded_by : "");
    j->meta.size = in->size;
    j->meta.id = in->id;
    if (in->created_at)
        snprintf(j->meta.created_at, sizeof(j->meta.created_at), "%s",
                 in->created_at);
}

enum socc_err pipeline_run(struct store *st, const struct config *cfg,
                           const struct pipeline_input *in,
                           struct pipeline_output *out,
                           struct socc_error *err)
{
    struct job j;
    struct table *t = table_new(NULL);
    const struct pipeline_observer *obs;
    enum socc_err rc;

    memset(out, 0, sizeof(*out));
    socc_error_clear(err);
    memset(&j, 0, sizeof(j));
    j.st = st;
    j.cfg = cfg;
    j.in = in;
    j.out = out;
    j.err = err;
    j.t0 = now_ms();
    j.t0_us = now_us();
    fill_meta(&j);
    if (!t) {
        rc = socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
        goto out;
    }
    rc = stage_validate(&j, t);
    if (rc == SOCC_OK) {
        if (in->hash && sha256_is_hex(in->hash))
            snprintf(j.meta.file_hash, sizeof(j.meta.file_hash), "%s",
                     in->hash);
        else if (sha256_file_hex(in->path, j.meta.file_hash) != 0)
            rc = socc_error_set(err, SOCC_E_INTERNAL, "cannot hash the file");
    }
    if (rc == SOCC_OK)
        rc = stage_duplicates(&j);
    if (rc == SOCC_OK)
        rc = stage_rest(&j, t);
out:
    if (rc != SOCC_OK)
        unlink(in->path);   /* after success the blob holds the bytes */
    enter(&j, NULL);
    obs = observer;
    if (obs && obs->finished)
        obs->finished(j.meta.company, rc, now_us() - j.t0_us, in->size);
    log_outcome(&j, rc);
    table_free(t);
    return rc;
}
