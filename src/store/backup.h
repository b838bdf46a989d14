#ifndef SOCC_BACKUP_H
#define SOCC_BACKUP_H

/*
 * Backups of the database: verified snapshots (store_snapshot) kept in a
 * target, listed in a manifest, pruned by retention; blobs no retained
 * backup, journal entry or live upload refers to are removed by the prune.
 *
 * Taken before every destructive operation (backup_take with the
 * operation as reason; when it fails the operation must not run), on a
 * schedule (backup_start), and by `socc backup`.
 */

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/*
 * Where backups go.  Objects are named by the backup module; a target only
 * stores, fetches and removes them.  Each call returns 0, or -1 with a
 * reason in msg (size n).
 */
struct backup_target {
    const char *kind;                      /* "local" */
    void *ctx;                             /* owned by the target */
    /* Store the local file path as object name (a copy, or a hard link:
     * the caller does not change the file afterwards). */
    int (*put_file)(void *ctx, const char *path, const char *name, char *msg,
                    size_t n);
    /* Copy object name into the local file path (created). */
    int (*get_file)(void *ctx, const char *name, const char *path, char *msg,
                    size_t n);
    /* Replace object name with len bytes of data. */
    int (*put_bytes)(void *ctx, const char *name, const void *data,
                     size_t len, char *msg, size_t n);
    /* Object name into out (appended); a missing object is empty. */
    int (*get_bytes)(void *ctx, const char *name, struct buf *out, char *msg,
                     size_t n);
    int (*remove)(void *ctx, const char *name);
    void (*free)(void *ctx);
};

/* A local directory (created when missing); NULL when out of memory. */
struct backup_target *backup_target_local(const char *dir);
void backup_target_free(struct backup_target *t);

/* Retention and schedule, from the environment (backup_config_load). */
struct backup_config {
    char dir[1024];        /* SOCC_BACKUP_DIR, default <data dir>/backups */
    int64_t interval_s;    /* BACKUP_INTERVAL, default 3600; 0 = off */
    int64_t keep;          /* BACKUP_KEEP, default 24, at least 1 */
    int64_t max_age_s;     /* BACKUP_MAX_AGE, default 604800; 0 = none */
};

/*
 * Read the settings; durations take s, m, h or d after the number
 * ("90m").  BAD_REQUEST naming the variable on a bad value.
 */
enum socc_err backup_config_load(const char *data_dir, struct backup_config *c,
                                 struct socc_error *err);

/* One backup as the manifest lists it. */
struct backup_info {
    char name[96];         /* object name in the target */
    int64_t ts_ms;         /* when taken */
    char reason[32];       /* "delete", "activate", "scheduled", ... */
    uint64_t size;         /* bytes */
    char sha256[65];
    int64_t journal_seq;   /* last journal entry it contains */
};

struct backup;

/*
 * A backup service for store s, writing to target t (taken: freed by
 * backup_close).  *out is owned by the caller.
 */
enum socc_err backup_open(struct store *s, struct backup_target *t,
                          const struct backup_config *c, struct backup **out,
                          struct socc_error *err);
/* Stop the schedule, free the target and the service; NULL is fine. */
void backup_close(struct backup *b);

/*
 * Take, verify and record a backup, then apply retention.  *info (may be
 * NULL) describes it.  BACKUP_FAILED with the reason when any step fails:
 * the caller must then not run the operation it was taken for.
 */
enum socc_err backup_take(struct backup *b, const char *reason,
                          struct backup_info *info, struct socc_error *err);
/* The manifest, oldest first; *out is malloc'd (free it). 0 or -1. */
int backup_list(struct backup *b, struct backup_info **out, size_t *n);
/* Fetch backup name into the local file path. 0 or -1 (msg set). */
int backup_fetch(struct backup *b, const char *name, const char *path,
                 char *msg, size_t n);
/*
 * Retention: keep the newest `keep` backups and none older than
 * max_age_s (the newest is always kept); drop journal entries older than
 * the oldest kept backup; remove blobs nothing refers to any more.
 */
enum socc_err backup_prune(struct backup *b, struct socc_error *err);
/* Take a "scheduled" backup every interval_s in a thread. 0 or -1. */
int backup_start(struct backup *b);

#endif
