/*
 * Consistent copies of the SQLite database (online backup API) and
 * integrity checks of a database file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store_sqlite_int.h"

/*
 * The whole copy in one backup step: it holds one read transaction, which
 * in WAL mode does not stop writers and gives one consistent moment.  (In
 * smaller steps, a commit from another connection between two steps
 * restarts the copy, which under steady uploads might never finish.)
 */
#define SNAPSHOT_STEP_PAGES -1

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

/* ---- maintenance: journal compaction and blob removal ---- */

/* Sorted set of 64-hex hashes. */
struct hashset {
    char (*h)[65];
    size_t n, cap;
};

static int hs_add(struct hashset *hs, const char *hash)
{
    if (!hash || strlen(hash) != 64)
        return 0;
    if (hs->n == hs->cap) {
        size_t nc = hs->cap ? hs->cap * 2 : 256;
        char (*g)[65] = realloc(hs->h, nc * sizeof(*g));
        if (!g)
            return -1;
        hs->h = g;
        hs->cap = nc;
    }
    snprintf(hs->h[hs->n++], 65, "%s", hash);
    return 0;
}

static int hs_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int hs_has(const struct hashset *hs, const char *hash)
{
    return hs->n && bsearch(hash, hs->h, hs->n, sizeof(*hs->h), hs_cmp);
}

static int add_journal_hash(const struct journal_entry *e, void *ud)
{
    return strcmp(e->op, "ingest") == 0 ? hs_add(ud, e->sha256) : 0;
}

static int add_live(sqlite3 *db, struct hashset *hs)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, "SELECT DISTINCT file_hash FROM uploads", -1,
                           &st, NULL))
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (hs_add(hs, (const char *)sqlite3_column_text(st, 0)) != 0)
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Remove blobs/<hh>/<hash> files not in hs; how many went. */
static int sweep_blobs(struct store *s, const struct hashset *hs)
{
    char dir[1200], sub[1500], path[1800];
    DIR *d, *d2;
    struct dirent *e, *f;
    int n = 0;

    snprintf(dir, sizeof(dir), "%s/blobs", store_data_dir(s));
    d = opendir(dir);
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (strlen(e->d_name) != 2)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
        d2 = opendir(sub);
        while (d2 && (f = readdir(d2)) != NULL) {
            if (strlen(f->d_name) != 64 || hs_has(hs, f->d_name))
                continue;
            snprintf(path, sizeof(path), "%s/%s", sub, f->d_name);
            n += unlink(path) == 0;
        }
        if (d2)
            closedir(d2);
    }
    closedir(d);
    return n;
}

enum socc_err store_maintain(struct store *s, int64_t journal_after,
                             const char *const *keep, size_t nkeep,
                             int *removed, struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    struct hashset hs = { NULL, 0, 0 };
    enum socc_err rc = SOCC_OK;
    size_t i;

    *removed = 0;
    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    /* under the write lock: no change is in flight, none can append */
    if (store_sqlite_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) {
        rc = store_sqlite_fail(err, db, "maintenance lock");
        goto out;
    }
    if (journal_after > 0 &&
        journal_keep(store_journal_path(s), journal_after, INT64_MAX) != 0)
        rc = socc_error_set(err, SOCC_E_INTERNAL, "cannot compact the journal");
    for (i = 0; rc == SOCC_OK && i < nkeep; i++)
        if (hs_add(&hs, keep[i]) != 0)
            rc = socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    if (rc == SOCC_OK && (add_live(db, &hs) != 0 ||
                          journal_read(store_journal_path(s), add_journal_hash,
                                       &hs) != 0))
        rc = socc_error_set(err, SOCC_E_INTERNAL, "cannot list blob users");
    if (rc == SOCC_OK) {
        if (hs.n)
            qsort(hs.h, hs.n, sizeof(*hs.h), hs_cmp);
        *removed = sweep_blobs(s, &hs);
    }
    store_sqlite_exec(db, "COMMIT");
out:
    store_sqlite_put(s, db);
    free(hs.h);
    return rc;
}

int store_file_hashes(const char *db_path, struct buf *out)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = SQLITE_ERROR;

    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) ==
            SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT DISTINCT file_hash FROM uploads", -1,
                           &st, NULL) == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            buf_adds(out, (const char *)sqlite3_column_text(st, 0));
            buf_addc(out, '\n');
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc == SQLITE_DONE && buf_ok(out) ? 0 : -1;
}

/* ---- restores ---- */

int64_t store_file_seq(const char *db_path)
{
    sqlite3 *db = NULL;
    int64_t v = -1;

    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) ==
        SQLITE_OK)
        v = seq_of(db);
    sqlite3_close(db);
    return v;
}

int store_file_set_seq(const char *db_path, int64_t seq)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = SQLITE_ERROR;

    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) ==
            SQLITE_OK &&
        sqlite3_prepare_v2(db, "UPDATE state SET v = ? WHERE k = "
                           "'journal_seq'", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, seq);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc == SQLITE_DONE ? 0 : -1;
}

static enum socc_err journal_restore(struct store *s, sqlite3 *db,
                                     const char *op, const char *company,
                                     const char *arg, struct socc_error *err)
{
    struct journal_entry e;

    memset(&e, 0, sizeof(e));
    snprintf(e.op, sizeof(e.op), "%s", op);
    snprintf(e.company, sizeof(e.company), "%s", company ? company : "");
    snprintf(e.arg, sizeof(e.arg), "%s", arg ? arg : "");
    return store_sqlite_journal(s, db, &e, err);
}

enum socc_err store_mark_restore(struct store *s, const char *arg,
                                 struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    if (store_sqlite_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        rc = store_sqlite_fail(err, db, "begin");
    else
        rc = journal_restore(s, db, "restore", NULL, arg, err);
    if (rc == SOCC_OK && store_sqlite_exec(db, "COMMIT") != SQLITE_OK)
        rc = store_sqlite_fail(err, db, "commit");
    if (rc != SOCC_OK && !sqlite3_get_autocommit(db))
        store_sqlite_exec(db, "ROLLBACK");
    store_sqlite_put(s, db);
    return rc;
}

/* Run sql binding ?1 = company. */
static int run_company(sqlite3 *db, const char *sql, const char *company)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    sqlite3_bind_text(st, 1, company, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Records go by key range: upload_id << 39 is the high part of the key,
 * so (id >> 39) names the upload.
 */
static const char *const replace_sql[] = {
    "DELETE FROM main.records WHERE (id >> 39) IN (SELECT id FROM "
    "main.uploads WHERE company = ?1)",
    "DELETE FROM main.uploads WHERE company = ?1",
    "INSERT INTO main.uploads SELECT * FROM r.uploads WHERE company = ?1",
    "INSERT INTO main.sheets SELECT s.* FROM r.sheets s JOIN r.uploads u ON "
    "u.id = s.upload_id WHERE u.company = ?1",
    "INSERT INTO main.records SELECT x.* FROM r.records x WHERE (x.id >> 39)"
    " IN (SELECT id FROM r.uploads WHERE company = ?1)",
    "INSERT INTO main.changes SELECT c.* FROM r.changes c JOIN r.uploads u "
    "ON u.id = c.upload_id WHERE u.company = ?1",
};

static enum socc_err replace_in(struct store *s, sqlite3 *db,
                                const char *company, const char *arg,
                                struct socc_error *err)
{
    size_t i;
    enum socc_err rc = SOCC_OK;

    if (store_sqlite_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return store_sqlite_fail(err, db, "begin");
    for (i = 0; rc == SOCC_OK && i < sizeof(replace_sql) / sizeof(*replace_sql);
         i++)
        if (run_company(db, replace_sql[i], company) != SQLITE_OK)
            rc = store_sqlite_fail(err, db, "company restore");
    if (rc == SOCC_OK)
        rc = journal_restore(s, db, "restore_company", company, arg, err);
    if (rc == SOCC_OK && store_sqlite_exec(db, "COMMIT") != SQLITE_OK)
        rc = store_sqlite_fail(err, db, "commit");
    if (rc != SOCC_OK && !sqlite3_get_autocommit(db))
        store_sqlite_exec(db, "ROLLBACK");
    return rc;
}

enum socc_err store_replace_company(struct store *s, const char *src,
                                    const char *company, const char *arg,
                                    struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    sqlite3_stmt *st = NULL;
    enum socc_err rc = SOCC_OK;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    if (sqlite3_prepare_v2(db, "ATTACH ? AS r", -1, &st, NULL) != SQLITE_OK)
        rc = store_sqlite_fail(err, db, "prepare");
    if (rc == SOCC_OK) {
        sqlite3_bind_text(st, 1, src, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = store_sqlite_fail(err, db, "attach");
    }
    sqlite3_finalize(st);
    if (rc == SOCC_OK) {
        rc = replace_in(s, db, company, arg, err);
        store_sqlite_exec(db, "DETACH r");
    }
    store_sqlite_put(s, db);
    return rc;
}

/*
 * Who may sign in is not data a restore rolls back: a token revoked or a
 * password changed after the chosen moment must stay so, and the audit
 * log only grows.  These tables come from the live database.
 */
static const char *const access_tables[] = {
    "users", "companies", "memberships", "sessions", "api_tokens",
    "token_companies", "audit_log", "login_attempts",
};

static int has_table(sqlite3 *db, const char *schema, const char *name)
{
    char sql[160];
    sqlite3_stmt *st;
    int found = 0;

    snprintf(sql, sizeof(sql), "SELECT 1 FROM %s.sqlite_master WHERE "
             "type = 'table' AND name = ?", schema);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

int store_file_keep_access(const char *db_path, const char *live_path,
                           char *detail, size_t n)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char sql[256];
    size_t i;
    int rc = SQLITE_ERROR;

    detail[0] = '\0';
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) !=
        SQLITE_OK)
        goto out;
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, "ATTACH DATABASE ? AS live", -1, &st,
                           NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(st, 1, live_path, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE || store_sqlite_exec(db, "BEGIN IMMEDIATE") !=
                                 SQLITE_OK) {
        rc = SQLITE_ERROR;
        goto out;
    }
    rc = SQLITE_OK;
    for (i = 0; rc == SQLITE_OK &&
                i < sizeof(access_tables) / sizeof(access_tables[0]); i++) {
        const char *t = access_tables[i];

        if (!has_table(db, "main", t) || !has_table(db, "live", t))
            continue;
        snprintf(sql, sizeof(sql), "DELETE FROM main.%s; INSERT INTO "
                 "main.%s SELECT * FROM live.%s;", t, t, t);
        rc = store_sqlite_exec(db, sql);
    }
    /* a company the restored uploads name stays known */
    if (rc == SQLITE_OK && has_table(db, "main", "companies"))
        rc = store_sqlite_exec(db, "INSERT OR IGNORE INTO main.companies "
                               "(name, created_at) SELECT DISTINCT company, "
                               "min(created_at) FROM main.uploads GROUP BY "
                               "company;");
    if (rc == SQLITE_OK)
        rc = store_sqlite_exec(db, "COMMIT");
    else
        store_sqlite_exec(db, "ROLLBACK");
out:
    if (rc != SQLITE_OK && rc != SQLITE_DONE)
        snprintf(detail, n, "%s", db ? sqlite3_errmsg(db) : "cannot open");
    if (db) {
        store_sqlite_exec(db, "DETACH DATABASE live");
        sqlite3_close(db);
    }
    return rc == SQLITE_OK || rc == SQLITE_DONE ? 0 : -1;
}
