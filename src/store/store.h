#ifndef SOCC_STORE_H
#define SOCC_STORE_H

/*
 * The storage interface: uploads, sheets, records and content-addressed
 * blobs.  One backend today (SQLite, store_sqlite.c); http/ and cli/ see
 * only this header.  A struct store is safe to share between threads: it
 * keeps a small pool of connections inside.
 */

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct store;

/* One upload row. */
struct store_upload {
    int64_t id;
    char company[129];
    char tool_type[33];
    char filename[256];        /* safe base name, metadata only */
    uint64_t size;             /* bytes */
    char file_type[8];         /* "csv", "xlsx", "xls" */
    char file_hash[65];        /* SHA-256, lowercase hex */
    int64_t record_count;
    int64_t sheet_count;
    char status[16];           /* "stored" */
    int is_active;
    char uploaded_by[129];     /* "" when anonymous */
    char created_at[32];       /* "2026-12-04T15:49:44.123Z" */
    int64_t processing_ms;
    int64_t version;           /* 1, 2, ... per (company, tool_type) */
    int64_t previous_id;       /* 0 when first */
    char warnings[1024];       /* JSON array of strings */
};

/* Filter and page of store_list_json(). */
struct store_filter {
    const char *company;       /* NULL: any */
    const char *tool_type;     /* NULL: any */
    int active;                /* -1 any, 0 inactive, 1 active */
    int64_t limit;             /* 1..1000 */
    int64_t offset;
};

/*
 * Open (creating and migrating) the database and blob directory under
 * data_dir.  *out is owned by the caller: store_close().
 */
enum socc_err store_open(const char *data_dir, struct store **out,
                         struct socc_error *err);
void store_close(struct store *s);
/*
 * Copy the WAL back into the database when it holds more than
 * min_wal_bytes.  Uploads never wait for this: their commit is durable in
 * the WAL.  0 or -1.
 */
int store_checkpoint(struct store *s, long long min_wal_bytes);
/*
 * Run store_checkpoint() from a thread of the store's own every
 * interval_ms, and once more at store_close().  For long-running servers.
 */
int store_start_checkpointer(struct store *s, unsigned interval_ms);
/* Schema version after migrations. */
int store_schema_version(struct store *s);

/* ---- blobs ---- */

/*
 * Move the file at tmp_path (same file system) to blobs/<hh>/<hash>,
 * fsynced with its directory; when the blob exists already tmp_path is
 * removed.  *created (may be NULL) says whether this call made the blob.
 * Returns SOCC_OK, STORAGE_FULL or INTERNAL.  Uploads use
 * store_writer_blob() instead, which undoes the blob on abort.
 */
enum socc_err store_blob_put(struct store *s, const char *tmp_path,
                             const char *hash, int *created,
                             struct socc_error *err);
/* Path of a blob into out (size n). */
void store_blob_path(struct store *s, const char *hash, char *out, size_t n);
/* Directory for temp files (on the blob file system). */
const char *store_tmp_dir(struct store *s);
/*
 * Create <tmp dir>/<prefix>-XXXXXX (path written into path, size n) and
 * lock it (flock, exclusive) so that no sweep removes it.  Returns the fd,
 * owned by the caller, or -1 with errno set.  The lock lasts while the fd
 * is open: keep it open until the file is handed on (pipeline_run() has
 * returned) or removed.
 */
int store_tmp_create(struct store *s, const char *prefix, char *path,
                     size_t n);
/*
 * Remove regular files of the temp directory that no process holds
 * locked and that were not modified for max_age_s seconds: uploads cut
 * short by a crash.  Runs when a store opens and from the checkpointer,
 * with the grace period SOCC_TMP_GRACE (seconds, default 60).  Returns
 * how many went.
 */
int store_sweep_tmp(struct store *s, long max_age_s);

/*
 * Claim the data directory for this process (flock on serve.lock, held
 * until store_close()): UNAVAILABLE when another socc serve has it.
 * `socc ingest` does not claim it and may run beside a server.
 */
enum socc_err store_lock_dir(struct store *s, struct socc_error *err);
/*
 * Remove blobs no upload row names: a crash between a blob's rename and
 * its transaction's commit leaves one.  Runs under the database's write
 * lock, so no writer of any process is mid-way.  How many went, or -1.
 */
int store_sweep_blobs(struct store *s);

/* ---- reads ---- */

enum socc_err store_get_upload(struct store *s, int64_t id,
                               struct store_upload *u,
                               struct socc_error *err);
/* NOT_FOUND when company has no upload with this hash. */
enum socc_err store_find_hash(struct store *s, const char *company,
                              const char *hash, struct store_upload *u,
                              struct socc_error *err);
/* Append the upload as the JSON object of the API (with its sheets). */
enum socc_err store_upload_json(struct store *s, int64_t id, struct buf *out,
                                struct socc_error *err);
/* Append {"uploads":[...],"total":N,"limit":L,"offset":O}. */
enum socc_err store_list_json(struct store *s, const struct store_filter *f,
                              struct buf *out, struct socc_error *err);
/*
 * Append {"upload_id":..,"total":N,"limit":..,"offset":..,"records":[
 * {"sheet":"..","row":12,"cells":{"col":value,...}},...]}.  sheet < 0
 * means every sheet.
 */
enum socc_err store_records_json(struct store *s, int64_t upload_id,
                                 int sheet, int64_t limit, int64_t offset,
                                 struct buf *out, struct socc_error *err);

/* ---- idempotency: first answers to retried requests ---- */

/*
 * The answer kept for (company, key) if it was kept at or after
 * not_before (Unix seconds): its request fingerprint (SHA-256 hex),
 * HTTP status and body (appended to body).  NOT_FOUND when none.
 */
enum socc_err store_idem_get(struct store *s, const char *company,
                             const char *key, int64_t not_before,
                             char fingerprint[65], unsigned *status,
                             struct buf *body, struct socc_error *err);
/*
 * Keep the answer for (company, key) as of now (Unix seconds), replacing
 * an older one, and drop answers kept before expire_before.
 */
enum socc_err store_idem_put(struct store *s, const char *company,
                             const char *key, const char *fingerprint,
                             unsigned status, const char *body, size_t len,
                             int64_t now, int64_t expire_before,
                             struct socc_error *err);

/* ---- writes: one upload in one transaction ---- */

struct store_writer;

/*
 * Start writing upload u (company, tool_type, filename, size, file_type,
 * file_hash, uploaded_by are read).  Holds the database's write lock until
 * commit or abort.  DUPLICATE_FILE, with *existing filled, when the company
 * holds the hash already.
 */
enum socc_err store_writer_begin(struct store *s, const struct store_upload *u,
                                 struct store_writer **out,
                                 struct store_upload *existing,
                                 struct socc_error *err);
/* A sheet starts: index 0, 1, ... in workbook order. */
enum socc_err store_writer_sheet(struct store_writer *w, int idx,
                                 const char *name, struct socc_error *err);
/* One record: cells is a JSON array text of the row's values. */
enum socc_err store_writer_record(struct store_writer *w, int sheet_idx,
                                  int64_t row_num, const char *cells,
                                  size_t len, struct socc_error *err);
/* The sheet is done: data rows, column names (JSON array), header row. */
enum socc_err store_writer_sheet_done(struct store_writer *w, int idx,
                                      int64_t rows, const char *columns_json,
                                      int64_t ncols, int64_t header_row,
                                      struct socc_error *err);
/*
 * Keep the upload's original bytes: store_blob_put() inside the writer's
 * transaction.  When the writer is aborted afterwards (a failed commit, a
 * full disk) a blob it created is removed again.
 */
enum socc_err store_writer_blob(struct store_writer *w, const char *tmp_path,
                                const char *hash, struct socc_error *err);
/*
 * Make the upload the active version for its company and tool type and
 * commit durably.  warnings_json is a JSON array.  On success *u is the
 * stored row and the writer is freed.
 */
enum socc_err store_writer_commit(struct store_writer *w, int64_t processing_ms,
                                  const char *warnings_json,
                                  struct store_upload *u,
                                  struct socc_error *err);
/* Roll back and free; NULL is fine. */
void store_writer_abort(struct store_writer *w);

#endif
