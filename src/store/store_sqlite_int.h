#ifndef SOCC_STORE_SQLITE_INT_H
#define SOCC_STORE_SQLITE_INT_H

/*
 * What the SQLite backend's files share among themselves (store_sqlite.c,
 * store_versions.c, store_snapshot.c).  Not part of store.h: http/ and
 * cli/ never include this.
 */

#include <sqlite3.h>

#include "store/journal.h"
#include "store/store.h"

/* A pooled connection, or NULL; give it back with store_sqlite_put(). */
sqlite3 *store_sqlite_get(struct store *s);
void store_sqlite_put(struct store *s, sqlite3 *db);
/* Tell the store's observer (caches) that company's data changed; call
 * after every commit that changes what its readers see. */
void store_sqlite_written(const char *company);
/* UTC now as ISO 8601 with milliseconds, the form every table stores. */
void store_sqlite_now_iso(char *out, size_t n);
/* Log the database error of db and map it to a socc code in *err. */
enum socc_err store_sqlite_fail(struct socc_error *err, sqlite3 *db,
                                const char *what);
/* sqlite3_exec without callbacks; the SQLite code. */
int store_sqlite_exec(sqlite3 *db, const char *sql);
/* The stored upload id (status 'stored'); NOT_FOUND when absent. */
enum socc_err store_sqlite_upload(sqlite3 *db, int64_t id,
                                  struct store_upload *u,
                                  struct socc_error *err);
/* Append the upload's JSON members, without the closing brace. */
void store_sqlite_upload_members(const struct store_upload *u,
                                 struct buf *b);
/* First and last record key of an upload. */
sqlite3_int64 store_sqlite_key_lo(int64_t upload);
sqlite3_int64 store_sqlite_key_hi(int64_t upload);
/*
 * Step st (columns: record key, row_num, cells) and append each row as
 * {"sheet":..,"row":..,"cells":{..}} of upload_id, comma-separated;
 * *n counts them.
 */
enum socc_err store_sqlite_rows_json(sqlite3 *db, int64_t upload_id,
                                     sqlite3_stmt *st, struct buf *b,
                                     int64_t *n, struct socc_error *err);
/*
 * Inside a write transaction: take the next journal number into the
 * database and append e with it to the journal (unless the store keeps
 * none), fsynced.  e->seq and e->ts_ms are filled here.
 */
enum socc_err store_sqlite_journal(struct store *s, sqlite3 *db,
                                   struct journal_entry *e,
                                   struct socc_error *err);

/* store_versions.c: write (or rewrite) the change summary of upload id
 * against prev (0: none), inside the caller's transaction. */
enum socc_err store_versions_summarize(sqlite3 *db, int64_t id, int64_t prev,
                                       struct socc_error *err);

/*
 * Predecessors with more records than this have their shared rows counted
 * by SQL instead of in memory (default 1M; tests lower it to cover both).
 */
void store_versions_set_memory_rows(int64_t rows);

#endif
