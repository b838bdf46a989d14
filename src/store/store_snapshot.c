/*
 * Consistent copies of the SQLite database (online backup API) and
 * integrity checks of a database file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store_sqlite_int.h"

/* Pages copied per backup step, between which writers may go on. */
#define SNAPSHOT_STEP_PAGES 256

int store_check_file(const char *db_path, int full, char *detail, size_t n)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    const unsigned char *t;
    int rc = -1;

    snprintf(detail, n, "cannot open %s", db_path);
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_prepare_v2(db, full ? "PRAGMA integrity_check(1)"
                                    : "PRAGMA quick_check(1)",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(detail, n, "%s", sqlite3_errmsg(db));
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
        snprintf(detail, n, "%s", sqlite3_errmsg(db));
        goto out;
    }
    t = sqlite3_column_text(st, 0);
    snprintf(detail, n, "%s", t ? (const char *)t : "no answer");
    rc = t && strcmp((const char *)t, "ok") == 0 ? 0 : -1;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

static int64_t seq_of(sqlite3 *db)
{
    sqlite3_stmt *st;
    int64_t v = -1;

    if (sqlite3_prepare_v2(db, "SELECT v FROM state WHERE k = 'journal_seq'",
                           -1, &st, NULL))
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Run the backup from src into the open dest to its end. */
static int copy_all(sqlite3 *src, sqlite3 *dst)
{
    sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
    int rc;

    if (!bk)
        return sqlite3_errcode(dst);
    do {
        rc = sqlite3_backup_step(bk, SNAPSHOT_STEP_PAGES);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(5);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(bk);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int fsync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

enum socc_err store_snapshot(struct store *s, const char *dest,
                             int64_t *journal_seq, struct socc_error *err)
{
    sqlite3 *src = store_sqlite_get(s), *dst = NULL;
    char detail[256];
    int rc;

    if (!src)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE |
                         SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = copy_all(src, dst);
    store_sqlite_put(s, src);
    /* the copy is a plain rollback-journal file: one file to keep */
    if (rc == SQLITE_OK)
        rc = store_sqlite_exec(dst, "PRAGMA journal_mode=DELETE");
    *journal_seq = rc == SQLITE_OK ? seq_of(dst) : -1;
    sqlite3_close(dst);
    if (rc != SQLITE_OK || *journal_seq < 0 || fsync_file(dest) != 0) {
        int e = errno;
        unlink(dest);
        return socc_error_set(err, e == ENOSPC ? SOCC_E_STORAGE_FULL
                                               : SOCC_E_INTERNAL,
                              "snapshot failed (sqlite %d)", rc);
    }
    if (store_check_file(dest, 1, detail, sizeof(detail)) != 0) {
        unlink(dest);
        return socc_error_set(err, SOCC_E_INTERNAL, "the snapshot failed its "
                              "integrity check: %s", detail);
    }
    return SOCC_OK;
}
