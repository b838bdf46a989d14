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
    const char *companies_json;/* JSON array of names it may show; NULL: any */
};

/*
 * Open (creating and migrating) the database and blob directory under
 * data_dir.  *out is owned by the caller: store_close().
 */
enum socc_err store_open(const char *data_dir, struct store **out,
                         struct socc_error *err);
/* store_open() flag: keep no journal (a point-in-time replay's copy). */
#define STORE_NO_JOURNAL 1u
enum socc_err store_open_flags(const char *data_dir, unsigned flags,
                               struct store **out, struct socc_error *err);
/* The data dir the store was opened on (borrowed). */
const char *store_data_dir(struct store *s);
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

/* ---- versions (store_versions.c) ---- */

/*
 * Each stored upload is a version of its (company, tool_type); its change
 * summary against its predecessor (the version that was active when it
 * was stored) is computed as it is saved: rows added, removed, unchanged
 * (a multiset of row identities, see migrations.c) and column names added
 * and removed (over all sheets).
 */

/* Which side of a diff to page through. */
enum store_diff_side { STORE_DIFF_ADDED, STORE_DIFF_REMOVED };

/* Append {"company":..,"tool_type":..,"versions":[upload + summary...]},
 * newest version first. */
enum socc_err store_versions_json(struct store *s, const char *company,
                                  const char *tool_type, struct buf *out,
                                  struct socc_error *err);
/* Append the upload as JSON with its "summary"; NOT_FOUND when absent. */
enum socc_err store_version_json(struct store *s, int64_t id, struct buf *out,
                                 struct socc_error *err);
/*
 * Append a page of the rows added (present in id, not its predecessor) or
 * removed: {"id":..,"previous_id":..,"side":"added","total":N,"limit":..,
 * "offset":..,"rows":[{"sheet":..,"row":..,"cells":{..}}],"next_offset":..}.
 */
enum socc_err store_version_diff_json(struct store *s, int64_t id,
                                      enum store_diff_side side,
                                      int64_t limit, int64_t offset,
                                      struct buf *out, struct socc_error *err);
/*
 * Make upload id the active version of its company and tool type (a
 * rollback); *u (may be NULL) is the upload afterwards.  Journaled.
 */
enum socc_err store_activate(struct store *s, int64_t id,
                             struct store_upload *u, struct socc_error *err);
/*
 * Remove upload id, its sheets and records.  Its successors get its
 * predecessor (and new summaries); when it was active, its predecessor
 * (else the newest remaining version) becomes active, *now_active (may be
 * NULL) says which (0: none).  The blob stays: backups may refer to it
 * (backup_prune() removes unreferenced blobs).  Journaled.
 */
enum socc_err store_delete(struct store *s, int64_t id, int64_t *now_active,
                           struct socc_error *err);

/* ---- snapshots (store_snapshot.c) ---- */

/*
 * Copy the database, consistent as of one moment, into the new file dest
 * (SQLite online backup API, while others keep writing) and check the copy
 * (PRAGMA integrity_check).  *journal_seq is the last journal entry the
 * copy contains.  INTERNAL or STORAGE_FULL with a detail on failure; dest
 * is removed then.
 */
enum socc_err store_snapshot(struct store *s, const char *dest,
                             int64_t *journal_seq, struct socc_error *err);
/*
 * Check a database file: PRAGMA quick_check (full=0) or integrity_check.
 * 0 when it is sound; else -1 with the first problem in detail (size n).
 */
int store_check_file(const char *db_path, int full, char *detail, size_t n);
/*
 * Under the database's write lock: drop journal entries up to
 * journal_after (0: keep all), then remove every blob that no upload, no
 * journal entry and none of keep[0..nkeep) (hashes) refers to; *removed
 * counts them.
 */
enum socc_err store_maintain(struct store *s, int64_t journal_after,
                             const char *const *keep, size_t nkeep,
                             int *removed, struct socc_error *err);
/* Append the distinct file hashes a database file refers to, one a line. */
int store_file_hashes(const char *db_path, struct buf *out);
/* The journal file of the store (borrowed). */
const char *store_journal_path(struct store *s);
/*
 * Replace every upload, sheet, record and summary of company in s with
 * those in the database file src (same schema), keeping ids, in one
 * transaction that also journals a "restore_company" entry (arg says
 * what).  Other companies are not touched.
 */
enum socc_err store_replace_company(struct store *s, const char *src,
                                    const char *company, const char *arg,
                                    struct socc_error *err);
/*
 * Set the journal position of a database file not in use (before a
 * restored file is opened, so that later journal entries are kept).
 */
int store_file_set_seq(const char *db_path, int64_t seq);
/*
 * Copy the sign-in tables (users, companies, memberships, sessions, API
 * tokens, audit log, login attempts) of the database file live_path over
 * those of db_path, a database about to replace it: restoring data to a
 * moment must not bring back a revoked token or an old password, nor
 * shorten the audit log.  0, or -1 with the reason in detail (size n).
 */
int store_file_keep_access(const char *db_path, const char *live_path,
                           char *detail, size_t n);
/* The journal position of a database file, -1 when unreadable. */
int64_t store_file_seq(const char *db_path);
/* Journal a "restore" entry (arg says what) in its own transaction. */
enum socc_err store_mark_restore(struct store *s, const char *arg,
                                 struct socc_error *err);
/* Called per record by store_records_each(); non-zero stops the walk. */
typedef int (*store_record_fn)(void *ctx, int64_t row_num, const char *cells,
                               size_t len);
/*
 * Walk at most max records of one sheet of an upload, in file order,
 * from position `from` (0 = first data row): fn gets the row number and
 * the cells as a JSON array text (borrowed for the call).  *next is the
 * position after the last record passed.  NOT_FOUND for a sheet the
 * upload lacks.
 */
enum socc_err store_records_each(struct store *s, int64_t upload_id,
                                 int sheet, int64_t from, int64_t max,
                                 store_record_fn fn, void *ctx,
                                 int64_t *next, struct socc_error *err);
/* Append the column names of a sheet (JSON array); NOT_FOUND when none. */
enum socc_err store_sheet_columns(struct store *s, int64_t upload_id,
                                  int sheet, struct buf *out,
                                  struct socc_error *err);
/*
 * Append {"company":C|null,"since":"<ISO>","by_tool":[{"tool_type":..,
 * "uploads":N,"records":N},..],"uploads":N,"records":N}: stored uploads
 * created at or after since_s (seconds since the epoch), of company or,
 * when NULL, of all.
 */
enum socc_err store_summary_json(struct store *s, const char *company,
                                 int64_t since_s, struct buf *out,
                                 struct socc_error *err);

/* ---- operations ---- */

/*
 * Run a real query on a pooled connection; *ns its time including taking
 * the connection.  UNAVAILABLE or INTERNAL when the database fails.
 */
enum socc_err store_ping(struct store *s, int64_t *ns, struct socc_error *err);

/*
 * Who watches the store (metrics, alerts, cache invalidation), without the
 * store knowing them; callbacks may be NULL and must be quick.
 * query: a statement ran for ns nanoseconds (every connection, every
 * statement).  written: a write that changes what readers of company see
 * has committed.  Every write path of the store calls written() after its
 * commit and before returning, so a cache keyed on it is never stale for
 * a read that follows the write.  Set once before the store is used.
 */
struct store_observer {
    void (*query)(int64_t ns);
    void (*written)(const char *company);
};
void store_set_observer(const struct store_observer *obs);
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

/* ---- companies (store_companies.c) ---- */

/*
 * Append {"companies":[{"name":"acme","uploads":3,
 * "last_upload_at":"..."},...]}: every company with a stored upload, by
 * name; only those in the JSON array of names only (NULL: all).
 */
enum socc_err store_companies_json(struct store *s, const char *only,
                                   struct buf *out, struct socc_error *err);

/* ---- errors reported by the page (store_client_errors.c) ---- */

/* The table keeps the newest this many reports; older ones go. */
#define STORE_CLIENT_ERRORS_MAX 1000

/* One report; every string borrowed, NUL-terminated, "" when unknown. */
struct store_client_error {
    const char *id;            /* the page's error id, unique */
    const char *message;
    const char *stack;
    const char *page;          /* the page's address */
    const char *user_agent;
    const char *occurred_at;   /* the page's clock, as it sent it */
    const char *request_id;    /* of the POST that brought it */
};

/*
 * Store e (received now) unless its id is stored already: *created says
 * which.  Keeps at most STORE_CLIENT_ERRORS_MAX reports.
 */
enum socc_err store_client_error_add(struct store *s,
                                     const struct store_client_error *e,
                                     int *created, struct socc_error *err);
/* Append the report with this id as a JSON object; NOT_FOUND when none. */
enum socc_err store_client_error_json(struct store *s, const char *id,
                                      struct buf *out,
                                      struct socc_error *err);
/* Append {"client_errors":[...newest first...],"total":N}. */
enum socc_err store_client_errors_json(struct store *s, int64_t limit,
                                       struct buf *out,
                                       struct socc_error *err);

#endif
