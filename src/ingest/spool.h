#ifndef SOCC_SPOOL_H
#define SOCC_SPOOL_H

/*
 * The records of one upload, parsed before the database is touched.
 * Parsing a large or hostile file may take seconds; SQLite has one writer
 * at a time, so the table layer writes sheets and records here, into an
 * unlinked temp file, and the pipeline replays them into a store writer in
 * one short transaction.  Memory: one record at a time.
 */

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

struct spool;

/*
 * Open a spool in directory dir (its file is unlinked at once, so nothing
 * is left behind, even after a crash).  *out is owned: spool_free().
 */
enum socc_err spool_new(const char *dir, struct spool **out,
                        struct socc_error *err);
void spool_free(struct spool *sp);

/* The same steps as store_writer_sheet/record/sheet_done, kept for later. */
enum socc_err spool_sheet(struct spool *sp, int idx, const char *name,
                          struct socc_error *err);
enum socc_err spool_record(struct spool *sp, int sheet_idx, int64_t row_num,
                           const char *cells, size_t len,
                           struct socc_error *err);
enum socc_err spool_sheet_done(struct spool *sp, int idx, int64_t rows,
                               const char *columns_json, int64_t ncols,
                               int64_t header_row, struct socc_error *err);

/* Bytes spooled so far. */
uint64_t spool_bytes(const struct spool *sp);

/* Replay every step, in order, into w. */
enum socc_err spool_replay(struct spool *sp, struct store_writer *w,
                           struct socc_error *err);

#endif
