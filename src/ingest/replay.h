#ifndef SOCC_REPLAY_H
#define SOCC_REPLAY_H

/*
 * Point-in-time rebuild: the database as it was at a moment, from the
 * newest backup taken at or before it plus the journal entries committed
 * after that backup up to the moment.  Blobs are content-addressed and
 * parsing is deterministic, so an ingest entry is replayed by running the
 * pipeline again on its blob, with the original id and time.
 */

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "store/backup.h"
#include "store/store.h"

/*
 * Build the database of live (its journal, blobs and backups in bk) as of
 * at_ms into a new directory under live's temp dir; its socc.db path is
 * written into db_path (size n) and the directory into dir (size n): the
 * caller removes dir.  BAD_REQUEST when at_ms is outside retention (before
 * the oldest backup whose journal is still kept) or crosses a restore.
 */
enum socc_err replay_build(struct store *live, struct backup *bk,
                           const struct config *cfg, int64_t at_ms,
                           char *dir, char *db_path, size_t n,
                           struct socc_error *err);

/*
 * Fetch backup name (as the manifest lists it) into the new file path,
 * checking its SHA-256 and integrity.  NOT_FOUND when the manifest does
 * not list it.
 */
enum socc_err replay_fetch(struct backup *bk, const char *name,
                           const char *path, struct socc_error *err);
/* The highest journal position the journal or any backup knows, or 0. */
int64_t replay_last_seq(struct store *live, struct backup *bk);

#endif
