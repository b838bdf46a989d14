/*
 * SQLite backend of store.h: WAL, synchronous=FULL, a pool of connections
 * (one per concurrent caller), blobs as files named by their SHA-256.
 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/json.h"
#include "core/log.h"
#include "core/sha256.h"
#include "store/migrations.h"
#include "store/store_sqlite_int.h"

#define POOL_MAX 16
/* Record keys: upload_id << 39 | sheet << 28 | ord (see migrations.c). */
#define KEY_SHEET_BITS 11
#define KEY_ORD_BITS 28
#define KEY_MAX_UPLOAD ((1ll << (63 - KEY_SHEET_BITS - KEY_ORD_BITS)) - 1)
#define KEY_MAX_SHEETS (1 << KEY_SHEET_BITS)
#define KEY_MAX_ORD ((1ll << KEY_ORD_BITS) - 1)
/* A WAL larger than this is checkpointed when the store opens. */
#define WAL_OPEN_LIMIT (64ll * 1024 * 1024)
/*
 * A temp file nobody holds locked is left over from a crash once it is
 * this old (seconds; SOCC_TMP_GRACE overrides).  The grace covers the
 * moment between mkstemp and flock, and writers that take no lock.
 */
#define TMP_GRACE_DEFAULT 60
#define TMP_GRACE_MAX 86400
/* The checkpointer sweeps the temp directory this often (seconds). */
#define TMP_SWEEP_EVERY 300
/* Names store_tmp_create() tries before giving up. */
#define TMP_CREATE_TRIES 4
/* The background checkpointer acts once the WAL passes this. */
#define WAL_BG_LIMIT (4ll * 1024 * 1024)
/* Bytes of SHA-256 kept as a record's identity (records.rid). */
#define STORE_RID_BYTES 16

struct store {
    char dir[1024];           /* data dir */
    char db_path[1100];       /* dir/socc.db */
    char blob_dir[1100];      /* dir/blobs */
    char tmp_dir[1100];       /* dir/tmp */
    pthread_mutex_t mu;       /* guards pool */
    sqlite3 *pool[POOL_MAX];  /* idle connections */
    int npool;
    int schema_version;
    pthread_t ckpt_thread;    /* background checkpointer */
    int ckpt_running;
    int ckpt_stop;            /* guarded by mu */
    pthread_cond_t ckpt_cv;
    unsigned ckpt_interval_ms;
    long tmp_grace;           /* seconds, see TMP_GRACE_DEFAULT */
    char journal_path[1100];  /* dir/journal.log */
    int no_journal;           /* STORE_NO_JOURNAL: replaying one */
    int lock_fd;              /* serve.lock held by store_lock_dir, or -1 */
};

struct store_writer {
    struct store *s;
    sqlite3 *db;              /* borrowed from the pool, in a transaction */
    sqlite3_stmt *ins_rec;    /* INSERT INTO records */
    int64_t id;               /* the upload being written */
    int64_t records;          /* records written so far */
    int64_t sheets;
    int64_t ord;              /* next ord in the current sheet */
    int cur_sheet;
    char blob_made[1300];     /* blob this transaction created, "" if none */
    char company[129];
    char tool_type[33];
    char *sheet_name;         /* owned: current sheet, part of row identity */
    struct sha256 rid_hash;   /* reused for every record's identity */
    struct store_upload meta; /* what begin was given, for the journal */
};

static sqlite3_int64 record_key(int64_t upload, int sheet, int64_t ord)
{
    return (sqlite3_int64)(((uint64_t)upload << (KEY_SHEET_BITS + KEY_ORD_BITS))
                           | ((uint64_t)sheet << KEY_ORD_BITS) | (uint64_t)ord);
}

static enum socc_err db_fail(struct socc_error *err, sqlite3 *db,
                             const char *what)
{
    int ext = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
    int prim = ext & 0xff;

    log_event(LOG_ERROR, "store", "db_error", NULL, "op=%s code=%d msg=\"%s\"",
              what, ext, db ? sqlite3_errmsg(db) : "-");
    if (prim == SQLITE_FULL || ext == SQLITE_IOERR_WRITE ||
        ext == SQLITE_IOERR_FSYNC)
        return socc_error_set(err, SOCC_E_STORAGE_FULL,
                              "database write failed during %s", what);
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return socc_error_set(err, SOCC_E_UNAVAILABLE,
                              "database busy during %s", what);
    return socc_error_set(err, SOCC_E_INTERNAL, "database error during %s",
                          what);
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static const struct store_observer *_Atomic observer;

void store_set_observer(const struct store_observer *obs) { observer = obs; }

/* SQLite's profile callback: each statement's run time, to the observer. */
static int on_trace(unsigned type, void *ctx, void *p, void *x)
{
    const struct store_observer *o = observer;

    (void)ctx;
    (void)p;
    if (type == SQLITE_TRACE_PROFILE && o && o->query)
        o->query((int64_t)*(const sqlite3_int64 *)x);
    return 0;
}

/* A write that changes what company's readers see has committed. */
static void notify_written(const char *company)
{
    const struct store_observer *o = observer;

    if (o && o->written)
        o->written(company);
}

static sqlite3 *conn_open(struct store *s)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                SQLITE_OPEN_NOMUTEX;

    if (sqlite3_open_v2(s->db_path, &db, flags, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 60000);
    sqlite3_trace_v2(db, SQLITE_TRACE_PROFILE, on_trace, NULL);
    /*
     * Commits are durable in the WAL (synchronous=FULL).  Copying the WAL
     * back into the database is kept off the upload's path: no automatic
     * checkpoint at commit or close; store_checkpoint() does it, from the
     * background thread of a server or when a store opens.
     */
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    if (exec(db, "PRAGMA page_size=16384; PRAGMA journal_mode=WAL;"
                 "PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0;"
                 "PRAGMA foreign_keys=ON; PRAGMA cache_size=-8192;"
                 "PRAGMA temp_store=FILE;") != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static sqlite3 *conn_get(struct store *s)
{
    sqlite3 *db = NULL;

    pthread_mutex_lock(&s->mu);
    if (s->npool > 0)
        db = s->pool[--s->npool];
    pthread_mutex_unlock(&s->mu);
    return db ? db : conn_open(s);
}

static void conn_put(struct store *s, sqlite3 *db)
{
    if (!db)
        return;
    pthread_mutex_lock(&s->mu);
    if (s->npool < POOL_MAX) {
        s->pool[s->npool++] = db;
        db = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    sqlite3_close(db);
}

static int mkdir_p(const char *path)
{
    char tmp[1100];
    size_t i;

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (i = 1; tmp[i]; i++) {
        if (tmp[i] != '/')
            continue;
        tmp[i] = '\0';
        if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
            return -1;
        tmp[i] = '/';
    }
    if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL))
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Apply every migration past the database's version, each atomically. */
static enum socc_err migrate(struct store *s, sqlite3 *db,
                             struct socc_error *err)
{
    int v;
    size_t i;
    char pragma[64];

    if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return db_fail(err, db, "migration lock");
    v = user_version(db);
    if (v < 0 || (size_t)v > migrations_count()) {
        exec(db, "ROLLBACK");
        return socc_error_set(err, SOCC_E_INTERNAL,
                              "database schema version %d is newer than this "
                              "socc (%zu)", v, migrations_count());
    }
    for (i = (size_t)v; i < migrations_count(); i++) {
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%zu", i + 1);
        if (exec(db, migrations_sql(i)) != SQLITE_OK ||
            exec(db, pragma) != SQLITE_OK) {
            enum socc_err rc = db_fail(err, db, "migration");
            exec(db, "ROLLBACK");
            return rc;
        }
        log_event(LOG_INFO, "store", "migrated", NULL, "version=%zu", i + 1);
    }
    if (exec(db, "COMMIT") != SQLITE_OK)
        return db_fail(err, db, "migration commit");
    s->schema_version = (int)migrations_count();
    return SOCC_OK;
}

/*
 * A record's identity: SHA-256 over its sheet's name, a NUL and its
 * normalized cells (the JSON table.c wrote); the first STORE_RID_BYTES
 * bytes are kept.  Two records are "the same row" across versions when
 * these match.
 */
static void row_identity(struct sha256 *h, const char *sheet,
                         const char *cells, size_t len, unsigned char md[32])
{
    if (sha256_restart(h) != 0) {
        memset(md, 0, 32);
        return;
    }
    sha256_update(h, sheet ? sheet : "", sheet ? strlen(sheet) + 1 : 1);
    sha256_update(h, cells, len);
    sha256_final_keep(h, md);
}

/* Identities of records stored before they existed. */
static enum socc_err backfill_rids(sqlite3 *db, struct socc_error *err)
{
    sqlite3_stmt *sel = NULL, *upd = NULL;
    unsigned char md[32];
    struct sha256 h;
    int rc;

    if (sqlite3_prepare_v2(db, "SELECT r.id, r.cells, s.name FROM records r "
                           "JOIN sheets s ON s.upload_id = (r.id >> 39) AND "
                           "s.idx = ((r.id >> 28) & 2047) WHERE r.rid IS NULL",
                           -1, &sel, NULL) ||
        sqlite3_prepare_v2(db, "UPDATE records SET rid = ? WHERE id = ?", -1,
                           &upd, NULL)) {
        sqlite3_finalize(sel);
        return db_fail(err, db, "prepare");
    }
    if (sha256_init(&h) != 0) {
        sqlite3_finalize(sel);
        sqlite3_finalize(upd);
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    }
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        row_identity(&h, (const char *)sqlite3_column_text(sel, 2),
                     (const char *)sqlite3_column_text(sel, 1),
                     (size_t)sqlite3_column_bytes(sel, 1), md);
        sqlite3_bind_blob(upd, 1, md, STORE_RID_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
        if (sqlite3_step(upd) != SQLITE_DONE)
            break;
        sqlite3_reset(upd);
    }
    sha256_release(&h);
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    return rc == SQLITE_DONE ? SOCC_OK : db_fail(err, db, "rid backfill");
}

/*
 * After migration 2: row identities and summaries of the old uploads, in
 * one transaction that also sets state.rids_filled (a crash in between
 * leaves it 0, and the next open does it again).
 */
static enum socc_err backfill(sqlite3 *db, struct socc_error *err)
{
    sqlite3_stmt *st;
    enum socc_err rc;

    if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return db_fail(err, db, "backfill begin");
    rc = backfill_rids(db, err);
    if (rc == SOCC_OK && sqlite3_prepare_v2(db, "SELECT id, coalesce("
                                            "previous_id, 0) FROM uploads "
                                            "ORDER BY id", -1, &st, NULL))
        rc = db_fail(err, db, "prepare");
    else if (rc == SOCC_OK) {
        while (rc == SOCC_OK && sqlite3_step(st) == SQLITE_ROW)
            rc = store_versions_summarize(db, sqlite3_column_int64(st, 0),
                                          sqlite3_column_int64(st, 1), err);
        sqlite3_finalize(st);
    }
    if (rc == SOCC_OK && exec(db, "UPDATE state SET v = 1 WHERE k = "
                              "'rids_filled'") != SQLITE_OK)
        rc = db_fail(err, db, "backfill mark");
    if (rc == SOCC_OK && exec(db, "COMMIT") != SQLITE_OK)
        rc = db_fail(err, db, "backfill commit");
    if (rc != SOCC_OK)
        exec(db, "ROLLBACK");
    else
        log_event(LOG_INFO, "store", "backfilled", NULL, "what=row_identity");
    return rc;
}

static int64_t state_get(sqlite3 *db, const char *k)
{
    sqlite3_stmt *st;
    int64_t v = -1;

    if (sqlite3_prepare_v2(db, "SELECT v FROM state WHERE k = ?", -1, &st,
                           NULL))
        return -1;
    sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/*
 * A change appends its journal entry just before its COMMIT; one cut off
 * by a crash between the two left an entry the database does not hold.
 * Under the write lock (no change is in flight), drop entries past the
 * database's journal_seq.
 */
static enum socc_err reconcile_journal(struct store *s, sqlite3 *db,
                                       struct socc_error *err)
{
    int64_t seq;
    int rc;

    if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return db_fail(err, db, "journal lock");
    seq = state_get(db, "journal_seq");
    rc = seq >= 0 ? journal_keep(s->journal_path, 0, seq) : -1;
    exec(db, "COMMIT");
    if (rc != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot read the journal"
                              " %s", s->journal_path);
    return SOCC_OK;
}

/* SOCC_TMP_GRACE in seconds (0-86400), else TMP_GRACE_DEFAULT. */
static long tmp_grace_from_env(void)
{
    const char *v = getenv("SOCC_TMP_GRACE");
    char *end;
    long n;

    if (!v || !*v)
        return TMP_GRACE_DEFAULT;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || *end || n < 0 || n > TMP_GRACE_MAX) {
        log_event(LOG_WARN, "store", "bad_tmp_grace", NULL,
                  "value=\"%.32s\" used=%d", v, TMP_GRACE_DEFAULT);
        return TMP_GRACE_DEFAULT;
    }
    return n;
}

enum socc_err store_open(const char *data_dir, struct store **out,
                         struct socc_error *err)
{
    return store_open_flags(data_dir, 0, out, err);
}

enum socc_err store_open_flags(const char *data_dir, unsigned flags,
                               struct store **out, struct socc_error *err)
{
    struct store *s;
    sqlite3 *db;
    enum socc_err rc;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    s->lock_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->ckpt_cv, NULL);
    snprintf(s->dir, sizeof(s->dir), "%s", data_dir);
    snprintf(s->db_path, sizeof(s->db_path), "%s/socc.db", data_dir);
    snprintf(s->blob_dir, sizeof(s->blob_dir), "%s/blobs", data_dir);
    snprintf(s->tmp_dir, sizeof(s->tmp_dir), "%s/tmp", data_dir);
    snprintf(s->journal_path, sizeof(s->journal_path), "%s/journal.log",
             data_dir);
    s->no_journal = (flags & STORE_NO_JOURNAL) != 0;
    s->tmp_grace = tmp_grace_from_env();
    if (mkdir_p(s->dir) || mkdir_p(s->blob_dir) || mkdir_p(s->tmp_dir)) {
        store_close(s);
        return socc_error_set(err, SOCC_E_INTERNAL,
                              "cannot create data directory %s", data_dir);
    }
    db = conn_open(s);
    if (!db) {
        store_close(s);
        return socc_error_set(err, SOCC_E_INTERNAL,
                              "cannot open database %s/socc.db", data_dir);
    }
    rc = migrate(s, db, err);
    /* records stored before migration 2 get their identities, once */
    if (rc == SOCC_OK && state_get(db, "rids_filled") == 0)
        rc = backfill(db, err);
    if (rc == SOCC_OK && !s->no_journal)
        rc = reconcile_journal(s, db, err);
    conn_put(s, db);
    if (rc == SOCC_OK) {
        store_checkpoint(s, WAL_OPEN_LIMIT);
        store_sweep_tmp(s, s->tmp_grace);
    }
    if (rc != SOCC_OK) {
        store_close(s);
        return rc;
    }
    *out = s;
    return SOCC_OK;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->ckpt_running) {
        pthread_mutex_lock(&s->mu);
        s->ckpt_stop = 1;
        pthread_cond_signal(&s->ckpt_cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->ckpt_thread, NULL);
    }
    while (s->npool > 0)
        sqlite3_close(s->pool[--s->npool]);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    pthread_cond_destroy(&s->ckpt_cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- temp files ---- */

int store_tmp_create(struct store *s, const char *prefix, char *path,
                     size_t n)
{
    int fd, tries, e;

    for (tries = 0; tries < TMP_CREATE_TRIES; tries++) {
        int len = snprintf(path, n, "%s/%s-XXXXXX", s->tmp_dir, prefix);

        if (len < 0 || (size_t)len >= n) {
            errno = ENAMETOOLONG;
            return -1;
        }
        fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0)
            return -1;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        e = errno;
        unlink(path);
        close(fd);
        errno = e;
        if (e != EWOULDBLOCK)
            return -1;
        /* a sweep holds a file of this name for a moment: take another */
    }
    return -1;
}

/*
 * Remove path when it is still the file lstat saw (same inode), nobody
 * holds it locked and it was not modified for max_age_s.  1 when removed.
 */
static int sweep_one(const char *path, const struct stat *seen, time_t now,
                     long max_age_s)
{
    struct stat sb;
    int fd, gone = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &sb) == 0 &&
        sb.st_ino == seen->st_ino && sb.st_dev == seen->st_dev &&
        S_ISREG(sb.st_mode) && now - sb.st_mtime >= max_age_s)
        gone = unlink(path) == 0;
    close(fd);
    return gone;
}

int store_sweep_tmp(struct store *s, long max_age_s)
{
    DIR *d = opendir(s->tmp_dir);
    struct dirent *e;
    struct stat sb;
    char path[1400];
    time_t now = time(NULL);
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", s->tmp_dir, e->d_name);
        if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
            now - sb.st_mtime < max_age_s)
            continue;
        n += sweep_one(path, &sb, now, max_age_s);
    }
    closedir(d);
    if (n)
        log_event(LOG_INFO, "store", "tmp_swept", NULL, "files=%d", n);
    return n;
}

/* ---- checkpoints ---- */

static long long wal_size(const struct store *s)
{
    char path[1200];
    struct stat sb;

    snprintf(path, sizeof(path), "%s-wal", s->db_path);
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

int store_checkpoint(struct store *s, long long min_wal_bytes)
{
    sqlite3 *db;
    int rc;

    if (wal_size(s) <= min_wal_bytes)
        return 0;
    db = conn_get(s);
    if (!db)
        return -1;
    /* TRUNCATE waits for writers (busy timeout) and resets the WAL file */
    rc = exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    if (rc != SQLITE_OK)
        rc = exec(db, "PRAGMA wal_checkpoint(PASSIVE)");
    log_event(rc == SQLITE_OK ? LOG_DEBUG : LOG_WARN, "store", "checkpoint",
              NULL, "ok=%d wal_bytes=%lld", rc == SQLITE_OK, wal_size(s));
    conn_put(s, db);
    return rc == SQLITE_OK ? 0 : -1;
}

static void *ckpt_main(void *arg)
{
    struct store *s = arg;
    struct timespec ts;
    time_t swept = time(NULL);

    pthread_mutex_lock(&s->mu);
    while (!s->ckpt_stop) {
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += s->ckpt_interval_ms / 1000;
        ts.tv_nsec += (long)(s->ckpt_interval_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->ckpt_cv, &s->mu, &ts);
        if (s->ckpt_stop)
            break;
        pthread_mutex_unlock(&s->mu);
        store_checkpoint(s, WAL_BG_LIMIT);
        if (time(NULL) - swept >= TMP_SWEEP_EVERY) {
            store_sweep_tmp(s, s->tmp_grace);
            swept = time(NULL);
        }
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    store_checkpoint(s, 0);
    return NULL;
}

int store_start_checkpointer(struct store *s, unsigned interval_ms)
{
    if (s->ckpt_running)
        return 0;
    s->ckpt_interval_ms = interval_ms ? interval_ms : 1000;
    if (pthread_create(&s->ckpt_thread, NULL, ckpt_main, s) != 0)
        return -1;
    s->ckpt_running = 1;
    return 0;
}

int store_schema_version(struct store *s) { return s->schema_version; }

const char *store_tmp_dir(struct store *s) { return s->tmp_dir; }

/* ---- blobs ---- */

void store_blob_path(struct store *s, const char *hash, char *out, size_t n)
{
    snprintf(out, n, "%s/%.2s/%s", s->blob_dir, hash, hash);
}

static int fsync_path(const char *path, int dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

enum socc_err store_blob_put(struct store *s, const char *tmp_path,
                             const char *hash, int *created,
                             struct socc_error *err)
{
    char dir[1200], path[1300];
    struct stat sb;

    if (created)
        *created = 0;
    snprintf(dir, sizeof(dir), "%s/%.2s", s->blob_dir, hash);
    store_blob_path(s, hash, path, sizeof(path));
    if (stat(path, &sb) == 0) {
        unlink(tmp_path);
        return SOCC_OK;
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot create blob dir");
    if (fsync_path(tmp_path, 0) != 0)
        goto fail;
    if (rename(tmp_path, path) != 0)
        goto fail;
    if (created)
        *created = 1;
    if (fsync_path(dir, 1) != 0 || fsync_path(s->blob_dir, 1) != 0)
        goto fail;
    return SOCC_OK;
fail:
    if (errno == ENOSPC || errno == EDQUOT)
        return socc_error_set(err, SOCC_E_STORAGE_FULL,
                              "no space left for the blob");
    return socc_error_set(err, SOCC_E_INTERNAL, "cannot store the blob: %s",
                          strerror(errno));
}

/* ---- reads ---- */

#define UPLOAD_COLS                                                          \
    "id, company, tool_type, filename, size, file_type, file_hash,"          \
    " record_count, sheet_count, status, is_active, uploaded_by, created_at," \
    " processing_ms, version, coalesce(previous_id, 0), warnings"

static void col_text(sqlite3_stmt *st, int i, char *out, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    snprintf(out, n, "%s", t ? (const char *)t : "");
}

static void row_to_upload(sqlite3_stmt *st, struct store_upload *u)
{
    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(st, 0);
    col_text(st, 1, u->company, sizeof(u->company));
    col_text(st, 2, u->tool_type, sizeof(u->tool_type));
    col_text(st, 3, u->filename, sizeof(u->filename));
    u->size = (uint64_t)sqlite3_column_int64(st, 4);
    col_text(st, 5, u->file_type, sizeof(u->file_type));
    col_text(st, 6, u->file_hash, sizeof(u->file_hash));
    u->record_count = sqlite3_column_int64(st, 7);
    u->sheet_count = sqlite3_column_int64(st, 8);
    col_text(st, 9, u->status, sizeof(u->status));
    u->is_active = sqlite3_column_int(st, 10);
    col_text(st, 11, u->uploaded_by, sizeof(u->uploaded_by));
    col_text(st, 12, u->created_at, sizeof(u->created_at));
    u->processing_ms = sqlite3_column_int64(st, 13);
    u->version = sqlite3_column_int64(st, 14);
    u->previous_id = sqlite3_column_int64(st, 15);
    col_text(st, 16, u->warnings, sizeof(u->warnings));
}

/* Run a one-row upload query whose parameters are bound by the caller. */
static enum socc_err fetch_upload(sqlite3 *db, sqlite3_stmt *st,
                                  struct store_upload *u,
                                  struct socc_error *err)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        row_to_upload(st, u);
        return SOCC_OK;
    }
    if (rc == SQLITE_DONE)
        return socc_error_set(err, SOCC_E_NOT_FOUND, "no such upload");
    return db_fail(err, db, "upload lookup");
}

static enum socc_err get_upload_db(sqlite3 *db, int64_t id,
                                   struct store_upload *u,
                                   struct socc_error *err)
{
    sqlite3_stmt *st;
    enum socc_err rc;

    if (sqlite3_prepare_v2(db, "SELECT " UPLOAD_COLS " FROM uploads "
                           "WHERE id = ? AND status = 'stored'", -1, &st, NULL))
        return db_fail(err, db, "prepare");
    sqlite3_bind_int64(st, 1, id);
    rc = fetch_upload(db, st, u, err);
    sqlite3_finalize(st);
    return rc;
}

enum socc_err store_get_upload(struct store *s, int64_t id,
                               struct store_upload *u, struct socc_error *err)
{
    sqlite3 *db = conn_get(s);
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = get_upload_db(db, id, u, err);
    conn_put(s, db);
    return rc;
}

static enum socc_err find_hash_db(sqlite3 *db, const char *company,
                                  const char *hash, struct store_upload *u,
                                  struct socc_error *err)
{
    sqlite3_stmt *st;
    enum socc_err rc;

    if (sqlite3_prepare_v2(db, "SELECT " UPLOAD_COLS " FROM uploads WHERE "
                           "company = ? AND file_hash = ?", -1, &st, NULL))
        return db_fail(err, db, "prepare");
    sqlite3_bind_text(st, 1, company, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    rc = fetch_upload(db, st, u, err);
    sqlite3_finalize(st);
    return rc;
}

enum socc_err store_find_hash(struct store *s, const char *company,
                              const char *hash, struct store_upload *u,
                              struct socc_error *err)
{
    sqlite3 *db = conn_get(s);
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = find_hash_db(db, company, hash, u, err);
    conn_put(s, db);
    return rc;
}

static void upload_json(const struct store_upload *u, struct buf *b)
{
    buf_printf(b, "{\"id\":%lld,\"company\":", (long long)u->id);
    buf_add_json_strz(b, u->company);
    buf_adds(b, ",\"tool_type\":");
    buf_add_json_strz(b, u->tool_type);
    buf_adds(b, ",\"filename\":");
    buf_add_json_strz(b, u->filename);
    buf_printf(b, ",\"size\":%llu,\"file_type\":", (unsigned long long)u->size);
    buf_add_json_strz(b, u->file_type);
    buf_printf(b, ",\"file_hash\":\"%s\",\"record_count\":%lld,"
               "\"sheet_count\":%lld,\"status\":", u->file_hash,
               (long long)u->record_count, (long long)u->sheet_count);
    buf_add_json_strz(b, u->status);
    buf_printf(b, ",\"is_active\":%s,\"uploaded_by\":",
               u->is_active ? "true" : "false");
    buf_add_json_strz(b, u->uploaded_by[0] ? u->uploaded_by : NULL);
    buf_adds(b, ",\"created_at\":");
    buf_add_json_strz(b, u->created_at);
    buf_printf(b, ",\"processing_ms\":%lld,\"version\":%lld,"
               "\"previous_id\":", (long long)u->processing_ms,
               (long long)u->version);
    if (u->previous_id)
        buf_add_i64(b, u->previous_id);
    else
        buf_adds(b, "null");
    buf_adds(b, ",\"warnings\":");
    buf_adds(b, u->warnings[0] ? u->warnings : "[]");
}

static enum socc_err sheets_json(sqlite3 *db, int64_t id, struct buf *b,
                                 struct socc_error *err)
{
    sqlite3_stmt *st;
    int rc, first = 1;

    if (sqlite3_prepare_v2(db, "SELECT name, row_count, column_count, "
                           "header_row, columns FROM sheets WHERE "
                           "upload_id = ? ORDER BY idx", -1, &st, NULL))
        return db_fail(err, db, "prepare");
    sqlite3_bind_int64(st, 1, id);
    buf_adds(b, ",\"sheets\":[");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        buf_adds(b, first ? "{\"name\":" : ",{\"name\":");
        first = 0;
        buf_add_json_strz(b, (const char *)sqlite3_column_text(st, 0));
        buf_printf(b, ",\"rows\":%lld,\"columns\":%lld,\"header_row\":%lld,"
                   "\"column_names\":%s}",
                   (long long)sqlite3_column_int64(st, 1),
                   (long long)sqlite3_column_int64(st, 2),
                   (long long)sqlite3_column_int64(st, 3),
                   (const char *)sqlite3_column_text(st, 4));
    }
    sqlite3_finalize(st);
    buf_addc(b, ']');
    if (rc != SQLITE_DONE)
        return db_fail(err, db, "sheet list");
    return SOCC_OK;
}

enum socc_err store_upload_json(struct store *s, int64_t id, struct buf *out,
                                struct socc_error *err)
{
    sqlite3 *db = conn_get(s);
    struct store_upload u;
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = get_upload_db(db, id, &u, err);
    if (rc == SOCC_OK) {
        upload_json(&u, out);
        rc = sheets_json(db, id, out, err);
        buf_addc(out, '}');
    }
    conn_put(s, db);
    return rc;
}

static void bind_filter(sqlite3_stmt *st, const struct store_filter *f)
{
    if (f->company)
        sqlite3_bind_text(st, 1, f->company, -1, SQLITE_STATIC);
    if (f->tool_type)
        sqlite3_bind_text(st, 2, f->tool_type, -1, SQLITE_STATIC);
    if (f->active >= 0)
        sqlite3_bind_int(st, 3, f->active);
    if (f->companies_json)
        sqlite3_bind_text(st, 6, f->companies_json, -1, SQLITE_STATIC);
}

#define FILTER_SQL                                                           \
    " WHERE status = 'stored' AND (?1 IS NULL OR company = ?1)"              \
    " AND (?2 IS NULL OR tool_type = ?2) AND (?3 IS NULL OR is_active = ?3)" \
    " AND (?6 IS NULL OR company IN (SELECT value FROM json_each(?6)))"

static enum socc_err list_db(sqlite3 *db, const struct store_filter *f,
                             struct buf *b, struct socc_error *err)
{
    sqlite3_stmt *st;
    int rc, first = 1;
    int64_t total = 0;
    struct store_upload u;

    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM uploads" FILTER_SQL, -1,
                           &st, NULL))
        return db_fail(err, db, "prepare");
    bind_filter(st, f);
    if (sqlite3_step(st) == SQLITE_ROW)
        total = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT " UPLOAD_COLS " FROM uploads"
                           FILTER_SQL " ORDER BY id DESC LIMIT ?4 OFFSET ?5",
                           -1, &st, NULL))
        return db_fail(err, db, "prepare");
    bind_filter(st, f);
    sqlite3_bind_int64(st, 4, f->limit);
    sqlite3_bind_int64(st, 5, f->offset);
    buf_adds(b, "{\"uploads\":[");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!first)
            buf_addc(b, ',');
        first = 0;
        row_to_upload(st, &u);
        upload_json(&u, b);
        buf_addc(b, '}');
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(err, db, "upload list");
    buf_printf(b, "],\"total\":%lld,\"limit\":%lld,\"offset\":%lld}",
               (long long)total, (long long)f->limit, (long long)f->offset);
    return SOCC_OK;
}

enum socc_err store_list_json(struct store *s, const struct store_filter *f,
                              struct buf *out, struct socc_error *err)
{
    sqlite3 *db = conn_get(s);
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = list_db(db, f, out, err);
    conn_put(s, db);
    return rc;
}

/* A page of records stops growing past this many bytes of JSON. */
#define RECORDS_JSON_MAX (8u * 1024 * 1024)

/* Sheet names and column lists of an upload, for records_json. */
struct sheet_meta {
    char *name;          /* owned */
    char *columns;       /* owned JSON array of names */
    const char **names;  /* owned array; each points into columns */
    size_t *nlen;        /* owned; raw bytes of each quoted name */
    size_t ncols;
    int64_t rows;
};

static void metas_free(struct sheet_meta *m, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        free(m[i].name);
        free(m[i].columns);
        free(m[i].names);
        free(m[i].nlen);
    }
    free(m);
}

/* Index the names of m->columns; 0 or -1 (out of memory). */
static int index_columns(struct sheet_meta *m)
{
    struct json_iter it;
    const char *e;
    size_t len, cap = 0;

    m->ncols = 0;
    if (!m->columns || json_iter_init(&it, m->columns, strlen(m->columns)))
        return 0;
    while (json_iter_next(&it, &e, &len)) {
        if (m->ncols == cap) {
            size_t nc = cap ? cap * 2 : 16;
            const char **a = realloc(m->names, nc * sizeof(*a));
            size_t *l = a ? realloc(m->nlen, nc * sizeof(*l)) : NULL;
            if (a)
                m->names = a;
            if (!a || !l)
                return -1;
            m->nlen = l;
            cap = nc;
        }
        m->names[m->ncols] = e;
        m->nlen[m->ncols++] = len;
    }
    return 0;
}

static enum socc_err load_metas(sqlite3 *db, int64_t id,
                                struct sheet_meta **out, int *n,
                                struct socc_error *err)
{
    sqlite3_stmt *st;
    struct sheet_meta *m = NULL, *g;
    int k = 0, rc, oom = 0;

    if (sqlite3_prepare_v2(db, "SELECT idx, name, columns, row_count FROM "
                           "sheets WHERE upload_id = ? ORDER BY idx", -1, &st,
                           NULL))
        return db_fail(err, db, "prepare");
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 0) != k)
            break;
        g = realloc(m, (size_t)(k + 1) * sizeof(*m));
        if (!g) {
            oom = 1;
            break;
        }
        m = g;
        memset(&m[k], 0, sizeof(m[k]));
        m[k].name = strdup((const char *)sqlite3_column_text(st, 1));
        m[k].columns = strdup((const char *)sqlite3_column_text(st, 2));
        m[k].rows = sqlite3_column_int64(st, 3);
        k++;
        if (!m[k - 1].name || index_columns(&m[k - 1]) != 0) {
            oom = 1;
            break;
        }
    }
    sqlite3_finalize(st);
    *out = m;
    *n = k;
    if (rc != SQLITE_DONE || oom) {
        metas_free(m, k);
        *out = NULL;
        return oom ? socc_error_set(err, SOCC_E_INTERNAL, "out of memory")
                   : db_fail(err, db, "sheet metadata");
    }
    return SOCC_OK;
}

/* Append "name": for column i of m, generated past the stored names. */
static void member_name(const struct sheet_meta *m, size_t i, struct buf *b)
{
    if (i < m->ncols)
        buf_add(b, m->names[i], m->nlen[i]);
    else
        buf_printf(b, "\"column_%zu\"", i + 1);
    buf_addc(b, ':');
}

/* Column index from a sparse key's digits; -1 when it is not one. */
static long long key_index(const char *k, size_t n)
{
    long long v = 0;
    size_t i;

    if (n == 0 || n > 6)
        return -1;
    for (i = 0; i < n; i++) {
        if (k[i] < '0' || k[i] > '9')
            return -1;
        v = v * 10 + (k[i] - '0');
    }
    return v;
}

/*
 * {"col":value,...}: a stored record (a dense array or a sparse object of
 * column index to value, see table.c) keyed by the sheet's column names.
 * Empty cells are left out.
 */
static void cells_object(const struct sheet_meta *m, const char *cells,
                         size_t clen, struct buf *b)
{
    struct json_iter it;
    const char *val, *key;
    size_t vlen, klen, i = 0;
    long long idx;
    int first = 1;

    buf_addc(b, '{');
    if (json_iter_init(&it, cells, clen) == 0) {
        for (; json_iter_next(&it, &val, &vlen); i++) {
            if (vlen == 4 && memcmp(val, "null", 4) == 0)
                continue;
            if (!first)
                buf_addc(b, ',');
            first = 0;
            member_name(m, i, b);
            buf_add(b, val, vlen);
        }
    } else if (json_iter_init_object(&it, cells, clen) == 0) {
        while (json_iter_next_member(&it, &key, &klen, &val, &vlen)) {
            idx = key_index(key, klen);
            if (idx < 0)
                continue;
            if (!first)
                buf_addc(b, ',');
            first = 0;
            member_name(m, (size_t)idx, b);
            buf_add(b, val, vlen);
        }
    }
    buf_addc(b, '}');
}

/* Page state of records_db. */
struct page {
    int64_t limit;       /* records still wanted */
    int64_t skip;        /* records still to pass over */
    int64_t returned;
    size_t start;        /* where the records array began in b */
    int full;            /* the byte cap was reached */
};

static enum socc_err page_sheet(sqlite3_stmt *st, sqlite3 *db, int64_t id,
                                int i, const struct sheet_meta *m,
                                struct page *pg, struct buf *b,
                                struct socc_error *err)
{
    int rc = SQLITE_DONE;

    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, record_key(id, i, pg->skip));
    sqlite3_bind_int64(st, 2, record_key(id, i, KEY_MAX_ORD));
    sqlite3_bind_int64(st, 3, pg->limit);
    pg->skip = 0;
    while (!pg->full && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        buf_adds(b, pg->returned ? ",{\"sheet\":" : "{\"sheet\":");
        buf_add_json_strz(b, m->name);
        buf_printf(b, ",\"row\":%lld,\"cells\":",
                   (long long)sqlite3_column_int64(st, 1));
        cells_object(m, (const char *)sqlite3_column_text(st, 2),
                     (size_t)sqlite3_column_bytes(st, 2), b);
        buf_addc(b, '}');
        pg->limit--;
        pg->returned++;
        pg->full = b->len - pg->start > RECORDS_JSON_MAX;
    }
    if (pg->full)
        return SOCC_OK;
    if (rc != SQLITE_DONE)
        return db_fail(err, db, "records");
    return SOCC_OK;
}

static enum socc_err records_db(sqlite3 *db, int64_t id, int sheet,
                                int64_t limit, int64_t offset, struct buf *b,
                                struct socc_error *err)
{
    struct sheet_meta *m = NULL;
    sqlite3_stmt *st = NULL;
    struct page pg = { limit, offset, 0, 0, 0 };
    int n = 0, i;
    int64_t total = 0;
    enum socc_err e;

    e = load_metas(db, id, &m, &n, err);
    if (e != SOCC_OK)
        return e;
    if (sheet >= n) {
        metas_free(m, n);
        return socc_error_set(err, SOCC_E_NOT_FOUND, "no such sheet");
    }
    for (i = 0; i < n; i++)
        if (sheet < 0 || i == sheet)
            total += m[i].rows;
    buf_printf(b, "{\"upload_id\":%lld,\"total\":%lld,\"limit\":%lld,"
               "\"offset\":%lld,\"records\":[", (long long)id,
               (long long)total, (long long)limit, (long long)offset);
    pg.start = b->len;
    if (sqlite3_prepare_v2(db, "SELECT id, row_num, cells FROM records WHERE "
                           "id >= ? AND id <= ? ORDER BY id LIMIT ?", -1, &st,
                           NULL)) {
        metas_free(m, n);
        return db_fail(err, db, "prepare");
    }
    for (i = 0; i < n && pg.limit > 0 && !pg.full && e == SOCC_OK; i++) {
        if (sheet >= 0 && i != sheet)
            continue;
        if (pg.skip >= m[i].rows) {
            pg.skip -= m[i].rows;
            continue;
        }
        e = page_sheet(st, db, id, i, &m[i], &pg, b, err);
    }
    sqlite3_finalize(st);
    metas_free(m, n);
    if (e != SOCC_OK)
        return e;
    /* next_offset: where the following page starts, null after the last */
    buf_printf(b, "],\"returned\":%lld,\"next_offset\":", (long long)pg.returned);
    if (offset + pg.returned < total)
        buf_printf(b, "%lld}", (long long)(offset + pg.returned));
    else
        buf_adds(b, "null}");
    return SOCC_OK;
}

enum socc_err store_records_json(struct store *s, int64_t upload_id,
                                 int sheet, int64_t limit, int64_t offset,
                                 struct buf *out, struct socc_error *err)
{
    sqlite3 *db = conn_get(s);
    struct store_upload u;
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = get_upload_db(db, upload_id, &u, err);
    if (rc == SOCC_OK)
        rc = records_db(db, upload_id, sheet, limit, offset, out, err);
    conn_put(s, db);
    return rc;
}

enum socc_err store_records_each(struct store *s, int64_t upload_id,
                                 int sheet, int64_t from, int64_t max,
                                 store_record_fn fn, void *ctx,
                                 int64_t *next, struct socc_error *err)
{
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    enum socc_err rc = SOCC_OK;
    int step;

    *next = from;
    if (sheet < 0 || sheet >= KEY_MAX_SHEETS || from < 0 || from > KEY_MAX_ORD)
        return socc_error_set(err, SOCC_E_NOT_FOUND, "no such sheet");
    db = conn_get(s);
    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    if (sqlite3_prepare_v2(db, "SELECT id, row_num, cells FROM records WHERE "
                           "id >= ? AND id <= ? ORDER BY id LIMIT ?", -1, &st,
                           NULL)) {
        rc = db_fail(err, db, "prepare");
        goto out;
    }
    sqlite3_bind_int64(st, 1, record_key(upload_id, sheet, from));
    sqlite3_bind_int64(st, 2, record_key(upload_id, sheet, KEY_MAX_ORD));
    sqlite3_bind_int64(st, 3, max);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        *next = (sqlite3_column_int64(st, 0) & KEY_MAX_ORD) + 1;
        if (fn(ctx, sqlite3_column_int64(st, 1),
               (const char *)sqlite3_column_text(st, 2),
               (size_t)sqlite3_column_bytes(st, 2)) != 0)
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = db_fail(err, db, "records");
out:
    sqlite3_finalize(st);
    conn_put(s, db);
    return rc;
}

enum socc_err store_sheet_columns(struct store *s, int64_t upload_id,
                                  int sheet, struct buf *out,
                                  struct socc_error *err)
{
    sqlite3 *db = conn_get(s);
    sqlite3_stmt *st = NULL;
    enum socc_err rc = SOCC_OK;
    int step;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    if (sqlite3_prepare_v2(db, "SELECT columns FROM sheets WHERE upload_id = ?"
                           " AND idx = ?", -1, &st, NULL)) {
        rc = db_fail(err, db, "prepare");
        goto out;
    }
    sqlite3_bind_int64(st, 1, upload_id);
    sqlite3_bind_int(st, 2, sheet);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        buf_adds(out, (const char *)sqlite3_column_text(st, 0));
    else if (step == SQLITE_DONE)
        rc = socc_error_set(err, SOCC_E_NOT_FOUND, "no such sheet");
    else
        rc = db_fail(err, db, "sheet");
out:
    sqlite3_finalize(st);
    conn_put(s, db);
    return rc;
}

/* ---- writes ---- */

/* UTC now as ISO 8601 with milliseconds ("2026-12-04T18:30:00.123Z"). */
void store_sqlite_now_iso(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;
    size_t k;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* state.k = max(state.k, v); 0 or -1. */
static int state_raise(sqlite3 *db, const char *k, int64_t v)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, "UPDATE state SET v = max(v, ?) WHERE k = ?",
                           -1, &st, NULL))
        return -1;
    sqlite3_bind_int64(st, 1, v);
    sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static enum socc_err insert_upload(struct store_writer *w,
                                   const struct store_upload *u,
                                   struct store_upload *existing,
                                   struct socc_error *err)
{
    sqlite3_stmt *st;
    char now[32];
    int rc;

    if (u->created_at[0])
        snprintf(now, sizeof(now), "%s", u->created_at);   /* a replay */
    else
        store_sqlite_now_iso(now, sizeof(now));
    snprintf(w->meta.created_at, sizeof(w->meta.created_at), "%s", now);
    if (sqlite3_prepare_v2(w->db, "INSERT OR IGNORE INTO companies (name, "
                           "created_at) VALUES (?, ?)", -1, &st, NULL))
        return db_fail(err, w->db, "prepare");
    sqlite3_bind_text(st, 1, u->company, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(err, w->db, "company insert");
    if (sqlite3_prepare_v2(w->db, "INSERT INTO uploads (id, company, "
                           "tool_type, filename, size, file_type, file_hash, "
                           "uploaded_by, created_at) VALUES (coalesce(?9, "
                           "max((SELECT coalesce(max(id), 0) FROM uploads), "
                           "(SELECT v FROM state WHERE k = 'upload_id_max'))"
                           " + 1),?1,?2,?3,?4,?5,?6,?7,?8)", -1, &st, NULL))
        return db_fail(err, w->db, "prepare");
    if (u->id > 0)
        sqlite3_bind_int64(st, 9, u->id);
    sqlite3_bind_text(st, 1, u->company, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, u->tool_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, u->filename, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)u->size);
    sqlite3_bind_text(st, 5, u->file_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, u->file_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, u->uploaded_by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        w->id = sqlite3_last_insert_rowid(w->db);
        if (state_raise(w->db, "upload_id_max", w->id) != 0)
            return db_fail(err, w->db, "upload id");
        if (w->id > KEY_MAX_UPLOAD)
            return socc_error_set(err, SOCC_E_LIMIT_EXCEEDED, "this database "
                                  "holds its maximum of %lld uploads",
                                  (long long)KEY_MAX_UPLOAD);
        return SOCC_OK;
    }
    if (sqlite3_extended_errcode(w->db) == SQLITE_CONSTRAINT_UNIQUE &&
        existing &&
        find_hash_db(w->db, u->company, u->file_hash, existing, NULL) == 0)
        return socc_error_set(err, SOCC_E_DUPLICATE_FILE,
                              "company already holds upload %lld",
                              (long long)existing->id);
    return db_fail(err, w->db, "upload insert");
}

enum socc_err store_writer_begin(struct store *s, const struct store_upload *u,
                                 struct store_writer **out,
                                 struct store_upload *existing,
                                 struct socc_error *err)
{
    struct store_writer *w;
    enum socc_err rc;

    *out = NULL;
    w = calloc(1, sizeof(*w));
    if (!w)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    w->s = s;
    w->cur_sheet = -1;
    w->meta = *u;
    if (sha256_init(&w->rid_hash) != 0) {
        free(w);
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    }
    snprintf(w->company, sizeof(w->company), "%s", u->company);
    snprintf(w->tool_type, sizeof(w->tool_type), "%s", u->tool_type);
    w->db = conn_get(s);
    if (!w->db) {
        sha256_release(&w->rid_hash);
        free(w);
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    }
    if (exec(w->db, "BEGIN IMMEDIATE") != SQLITE_OK) {
        rc = db_fail(err, w->db, "begin");
        conn_put(s, w->db);
        sha256_release(&w->rid_hash);
        free(w);
        return rc;
    }
    rc = insert_upload(w, u, existing, err);
    if (rc == SOCC_OK &&
        sqlite3_prepare_v2(w->db, "INSERT INTO records (id, row_num, cells, "
                           "rid) VALUES (?,?,?,?)", -1, &w->ins_rec,
                           NULL) != SQLITE_OK)
        rc = db_fail(err, w->db, "prepare");
    if (rc != SOCC_OK) {
        store_writer_abort(w);
        return rc;
    }
    *out = w;
    return SOCC_OK;
}

enum socc_err store_writer_sheet(struct store_writer *w, int idx,
                                 const char *name, struct socc_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (idx < 0 || idx >= KEY_MAX_SHEETS)
        return socc_error_set(err, SOCC_E_LIMIT_EXCEEDED, "more than %d "
                              "sheets in one workbook", KEY_MAX_SHEETS);
    if (sqlite3_prepare_v2(w->db, "INSERT INTO sheets (upload_id, idx, name)"
                           " VALUES (?,?,?)", -1, &st, NULL))
        return db_fail(err, w->db, "prepare");
    sqlite3_bind_int64(st, 1, w->id);
    sqlite3_bind_int(st, 2, idx);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(err, w->db, "sheet insert");
    free(w->sheet_name);
    w->sheet_name = strdup(name);
    if (!w->sheet_name)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    w->cur_sheet = idx;
    w->ord = 0;
    w->sheets++;
    return SOCC_OK;
}

enum socc_err store_writer_record(struct store_writer *w, int sheet_idx,
                                  int64_t row_num, const char *cells,
                                  size_t len, struct socc_error *err)
{
    sqlite3_stmt *st = w->ins_rec;
    unsigned char rid[32];

    if (sheet_idx != w->cur_sheet)
        return socc_error_set(err, SOCC_E_INTERNAL, "record for sheet %d "
                              "outside that sheet", sheet_idx);
    if (w->ord > KEY_MAX_ORD || len > INT32_MAX)
        return socc_error_set(err, SOCC_E_LIMIT_EXCEEDED, "sheet too large");
    sqlite3_bind_int64(st, 1, record_key(w->id, sheet_idx, w->ord));
    sqlite3_bind_int64(st, 2, row_num);
    sqlite3_bind_text(st, 3, cells, (int)len, SQLITE_STATIC);
    row_identity(&w->rid_hash, w->sheet_name, cells, len, rid);
    sqlite3_bind_blob(st, 4, rid, STORE_RID_BYTES, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        enum socc_err rc = db_fail(err, w->db, "record insert");
        sqlite3_reset(st);
        return rc;
    }
    sqlite3_reset(st);
    w->ord++;
    w->records++;
    return SOCC_OK;
}

enum socc_err store_writer_sheet_done(struct store_writer *w, int idx,
                                      int64_t rows, const char *columns_json,
                                      int64_t ncols, int64_t header_row,
                                      struct socc_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(w->db, "UPDATE sheets SET row_count = ?, "
                           "column_count = ?, header_row = ?, columns = ? "
                           "WHERE upload_id = ? AND idx = ?", -1, &st, NULL))
        return db_fail(err, w->db, "prepare");
    sqlite3_bind_int64(st, 1, rows);
    sqlite3_bind_int64(st, 2, ncols);
    sqlite3_bind_int64(st, 3, header_row);
    sqlite3_bind_text(st, 4, columns_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, w->id);
    sqlite3_bind_int(st, 6, idx);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(err, w->db, "sheet update");
    return SOCC_OK;
}

/* Version number and predecessor of the new upload. */
/*
 * Version numbers never repeat within a (company, tool type), even after
 * the newest version was deleted: state keeps the highest one given under
 * "version:<company>\x1f<tool>".
 */
#define VERSION_KEY "'version:' || ?1 || char(31) || ?2"

static enum socc_err previous_version(struct store_writer *w, int64_t *ver,
                                      int64_t *prev, struct socc_error *err)
{
    sqlite3_stmt *st;
    int rc;

    *prev = 0;
    *ver = 1;
    /* the predecessor is the version this one replaces: the active one */
    if (sqlite3_prepare_v2(w->db, "SELECT (SELECT id FROM uploads WHERE "
                           "company = ?1 AND tool_type = ?2 AND status = "
                           "'stored' ORDER BY is_active DESC, version DESC "
                           "LIMIT 1), max(coalesce((SELECT max(version) FROM "
                           "uploads WHERE company = ?1 AND tool_type = ?2 AND "
                           "status = 'stored'), 0), coalesce((SELECT v FROM "
                           "state WHERE k = " VERSION_KEY "), 0)) + 1", -1,
                           &st, NULL))
        return db_fail(err, w->db, "prepare");
    sqlite3_bind_text(st, 1, w->company, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, w->tool_type, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *prev = sqlite3_column_int64(st, 0);
        *ver = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return db_fail(err, w->db, "version");
    if (sqlite3_prepare_v2(w->db, "INSERT INTO state (k, v) VALUES ("
                           VERSION_KEY ", ?3) ON CONFLICT (k) DO UPDATE SET "
                           "v = max(v, excluded.v)", -1, &st, NULL))
        return db_fail(err, w->db, "prepare");
    sqlite3_bind_text(st, 1, w->company, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, w->tool_type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, *ver);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SOCC_OK : db_fail(err, w->db, "version");
}

static enum socc_err activate(struct store_writer *w, int64_t processing_ms,
                              const char *warnings, struct socc_error *err)
{
    sqlite3_stmt *st;
    int64_t ver, prev;
    int rc;
    enum socc_err e = previous_version(w, &ver, &prev, err);

    if (e != SOCC_OK)
        return e;
    if (sqlite3_prepare_v2(w->db, "UPDATE uploads SET is_active = 0 WHERE "
                           "company = ? AND tool_type = ? AND is_active = 1",
                           -1, &st, NULL))
        return db_fail(err, w->db, "prepare");
    sqlite3_bind_text(st, 1, w->company, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, w->tool_type, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(err, w->db, "deactivate");
    if (sqlite3_prepare_v2(w->db, "UPDATE uploads SET record_count = ?, "
                           "sheet_count = ?, status = 'stored', is_active = 1,"
                           " processing_ms = ?, version = ?, previous_id = "
                           "nullif(?, 0), warnings = ? WHERE id = ?", -1, &st,
                           NULL))
        return db_fail(err, w->db, "prepare");
    sqlite3_bind_int64(st, 1, w->records);
    sqlite3_bind_int64(st, 2, w->sheets);
    sqlite3_bind_int64(st, 3, processing_ms);
    sqlite3_bind_int64(st, 4, ver);
    sqlite3_bind_int64(st, 5, prev);
    sqlite3_bind_text(st, 6, warnings ? warnings : "[]", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, w->id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(err, w->db, "activate");
    return store_versions_summarize(w->db, w->id, prev, err);
}

/* The journal entry of the upload being committed. */
static enum socc_err journal_ingest(struct store_writer *w,
                                    struct socc_error *err)
{
    struct journal_entry e;
    const struct store_upload *u = &w->meta;

    memset(&e, 0, sizeof(e));
    snprintf(e.op, sizeof(e.op), "ingest");
    e.id = w->id;
    snprintf(e.company, sizeof(e.company), "%s", u->company);
    snprintf(e.tool_type, sizeof(e.tool_type), "%s", u->tool_type);
    snprintf(e.filename, sizeof(e.filename), "%s", u->filename);
    snprintf(e.uploaded_by, sizeof(e.uploaded_by), "%s", u->uploaded_by);
    snprintf(e.sha256, sizeof(e.sha256), "%s", u->file_hash);
    snprintf(e.created_at, sizeof(e.created_at), "%s", u->created_at);
    e.size = u->size;
    return store_sqlite_journal(w->s, w->db, &e, err);
}

enum socc_err store_writer_commit(struct store_writer *w, int64_t processing_ms,
                                  const char *warnings_json,
                                  struct store_upload *u,
                                  struct socc_error *err)
{
    enum socc_err rc = activate(w, processing_ms, warnings_json, err);

    if (rc == SOCC_OK)
        rc = journal_ingest(w, err);
    if (rc == SOCC_OK && exec(w->db, "COMMIT") != SQLITE_OK)
        rc = db_fail(err, w->db, "commit");
    if (rc != SOCC_OK) {
        store_writer_abort(w);
        return rc;
    }
    notify_written(w->company);
    rc = get_upload_db(w->db, w->id, u, err);
    sqlite3_finalize(w->ins_rec);
    free(w->sheet_name);
    sha256_release(&w->rid_hash);
    conn_put(w->s, w->db);
    free(w);
    return rc;
}

enum socc_err store_writer_blob(struct store_writer *w, const char *tmp_path,
                                const char *hash, struct socc_error *err)
{
    int created = 0;
    enum socc_err rc = store_blob_put(w->s, tmp_path, hash, &created, err);

    if (created)
        store_blob_path(w->s, hash, w->blob_made, sizeof(w->blob_made));
    return rc;
}

void store_writer_abort(struct store_writer *w)
{
    if (!w)
        return;
    /*
     * Still under the write lock: no other upload can have committed a
     * reference to a blob this transaction created, so it can go.
     */
    if (w->blob_made[0])
        unlink(w->blob_made);
    sqlite3_finalize(w->ins_rec);
    free(w->sheet_name);
    sha256_release(&w->rid_hash);
    if (!sqlite3_get_autocommit(w->db))
        exec(w->db, "ROLLBACK");
    conn_put(w->s, w->db);
    free(w);
}

/* ---- shared with the backend's other files (store_sqlite_int.h) ---- */

void store_sqlite_written(const char *company) { notify_written(company); }

sqlite3 *store_sqlite_get(struct store *s) { return conn_get(s); }

void store_sqlite_put(struct store *s, sqlite3 *db) { conn_put(s, db); }

enum socc_err store_sqlite_fail(struct socc_error *err, sqlite3 *db,
                                const char *what)
{
    return db_fail(err, db, what);
}

int store_sqlite_exec(sqlite3 *db, const char *sql) { return exec(db, sql); }

enum socc_err store_sqlite_upload(sqlite3 *db, int64_t id,
                                  struct store_upload *u,
                                  struct socc_error *err)
{
    return get_upload_db(db, id, u, err);
}

void store_sqlite_upload_members(const struct store_upload *u, struct buf *b)
{
    upload_json(u, b);
}

sqlite3_int64 store_sqlite_key_lo(int64_t upload)
{
    return record_key(upload, 0, 0);
}

sqlite3_int64 store_sqlite_key_hi(int64_t upload)
{
    return record_key(upload, KEY_MAX_SHEETS - 1, KEY_MAX_ORD);
}

enum socc_err store_sqlite_rows_json(sqlite3 *db, int64_t upload_id,
                                     sqlite3_stmt *st, struct buf *b,
                                     int64_t *n, struct socc_error *err)
{
    struct sheet_meta *m = NULL;
    int nm = 0, rc;
    int64_t sheet;
    enum socc_err e = load_metas(db, upload_id, &m, &nm, err);

    *n = 0;
    if (e != SOCC_OK)
        return e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sheet = (sqlite3_column_int64(st, 0) >> KEY_ORD_BITS) &
                (KEY_MAX_SHEETS - 1);
        if (sheet >= nm)
            continue;
        buf_adds(b, *n ? ",{\"sheet\":" : "{\"sheet\":");
        buf_add_json_strz(b, m[sheet].name);
        buf_printf(b, ",\"row\":%lld,\"cells\":",
                   (long long)sqlite3_column_int64(st, 1));
        cells_object(&m[sheet], (const char *)sqlite3_column_text(st, 2),
                     (size_t)sqlite3_column_bytes(st, 2), b);
        buf_addc(b, '}');
        (*n)++;
    }
    metas_free(m, nm);
    return rc == SQLITE_DONE ? SOCC_OK : db_fail(err, db, "rows");
}

enum socc_err store_sqlite_journal(struct store *s, sqlite3 *db,
                                   struct journal_entry *e,
                                   struct socc_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, "UPDATE state SET v = v + 1 WHERE k = "
                           "'journal_seq' RETURNING v", -1, &st, NULL))
        return db_fail(err, db, "prepare");
    rc = sqlite3_step(st);
    e->seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE || e->seq <= 0)
        return db_fail(err, db, "journal number");
    e->ts_ms = journal_now_ms();
    if (s->no_journal || journal_append(s->journal_path, e) == 0)
        return SOCC_OK;
    log_event(LOG_ERROR, "store", "journal_failed", NULL, "seq=%lld errno=%d",
              (long long)e->seq, errno);
    return socc_error_set(err, errno == ENOSPC ? SOCC_E_STORAGE_FULL
                                               : SOCC_E_INTERNAL,
                          "cannot append to the journal: %s",
                          strerror(errno));
}

const char *store_data_dir(struct store *s) { return s->dir; }

const char *store_journal_path(struct store *s) { return s->journal_path; }
/* ---- operations ---- */

enum socc_err store_ping(struct store *s, int64_t *ns, struct socc_error *err)
{
    struct timespec t0, t1;
    sqlite3_stmt *st = NULL;
    sqlite3 *db;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    db = conn_get(s);
    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = sqlite3_prepare_v2(db, "SELECT max(id) FROM uploads", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 +
          (t1.tv_nsec - t0.tv_nsec);
    if (rc != SQLITE_ROW) {
        enum socc_err e = db_fail(err, db, "ping");
        conn_put(s, db);
        return e;
    }
    conn_put(s, db);
    return SOCC_OK;
}

static enum socc_err summary_db(sqlite3 *db, const char *company,
                                const char *since, struct buf *b,
                                struct socc_error *err)
{
    sqlite3_stmt *st;
    int rc, first = 1;
    int64_t uploads = 0, records = 0, n, r;

    if (sqlite3_prepare_v2(db, "SELECT tool_type, count(*), "
                           "sum(record_count) FROM uploads WHERE status = "
                           "'stored' AND created_at >= ?1 AND (?2 IS NULL OR "
                           "company = ?2) GROUP BY tool_type ORDER BY "
                           "tool_type", -1, &st, NULL))
        return db_fail(err, db, "prepare");
    sqlite3_bind_text(st, 1, since, -1, SQLITE_STATIC);
    if (company)
        sqlite3_bind_text(st, 2, company, -1, SQLITE_STATIC);
    buf_adds(b, "{\"company\":");
    buf_add_json_strz(b, company);
    buf_adds(b, ",\"since\":");
    buf_add_json_strz(b, since);
    buf_adds(b, ",\"by_tool\":[");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 1);
        r = sqlite3_column_int64(st, 2);
        buf_adds(b, first ? "{\"tool_type\":" : ",{\"tool_type\":");
        buf_add_json_strz(b, (const char *)sqlite3_column_text(st, 0));
        buf_printf(b, ",\"uploads\":%lld,\"records\":%lld}", (long long)n,
                   (long long)r);
        uploads += n;
        records += r;
        first = 0;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(err, db, "summary");
    buf_printf(b, "],\"uploads\":%lld,\"records\":%lld}",
               (long long)uploads, (long long)records);
    return SOCC_OK;
}

enum socc_err store_summary_json(struct store *s, const char *company,
                                 int64_t since_s, struct buf *out,
                                 struct socc_error *err)
{
    char since[32];
    struct tm tm;
    time_t t = (time_t)since_s;
    sqlite3 *db;
    enum socc_err rc;

    gmtime_r(&t, &tm);
    strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    db = conn_get(s);
    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = summary_db(db, company, since, out, err);
    conn_put(s, db);
    return rc;
}

/* ---- one server per data dir, and what a crash leaves ---- */

enum socc_err store_lock_dir(struct store *s, struct socc_error *err)
{
    char path[1100];
    int fd;

    if (s->lock_fd >= 0)
        return SOCC_OK;
    snprintf(path, sizeof(path), "%s/serve.lock", s->dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot open %s: %s",
                              path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return socc_error_set(err, SOCC_E_UNAVAILABLE, "data directory "
                                  "%s is served by another socc process",
                                  s->dir);
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot lock %s: %s",
                              path, strerror(e));
    }
    s->lock_fd = fd;
    return SOCC_OK;
}

/* ---- idempotency ---- */

enum socc_err store_idem_get(struct store *s, const char *company,
                             const char *key, int64_t not_before,
                             char fingerprint[65], unsigned *status,
                             struct buf *body, struct socc_error *err)
{
    sqlite3 *db = conn_get(s);
    sqlite3_stmt *st = NULL;
    enum socc_err rc;
    int step;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    if (sqlite3_prepare_v2(db, "SELECT fingerprint, status, body FROM "
                           "idempotency WHERE company = ? AND key = ? AND "
                           "created_at >= ?", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(err, db, "prepare");
        goto out;
    }
    sqlite3_bind_text(st, 1, company, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, not_before);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        col_text(st, 0, fingerprint, 65);
        *status = (unsigned)sqlite3_column_int(st, 1);
        buf_add(body, (const char *)sqlite3_column_text(st, 2),
                (size_t)sqlite3_column_bytes(st, 2));
        rc = buf_ok(body) ? SOCC_OK
                          : socc_error_set(err, SOCC_E_INTERNAL,
                                           "out of memory");
    } else if (step == SQLITE_DONE) {
        rc = socc_error_set(err, SOCC_E_NOT_FOUND, "no kept answer");
    } else {
        rc = db_fail(err, db, "idempotency read");
    }
out:
    sqlite3_finalize(st);
    conn_put(s, db);
    return rc;
}

enum socc_err store_idem_put(struct store *s, const char *company,
                             const char *key, const char *fingerprint,
                             unsigned status, const char *body, size_t len,
                             int64_t now, int64_t expire_before,
                             struct socc_error *err)
{
    sqlite3 *db = conn_get(s);
    sqlite3_stmt *st = NULL;
    enum socc_err rc = SOCC_OK;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    if (len > INT32_MAX ||
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO idempotency (company,"
                           " key, fingerprint, status, body, created_at) "
                           "VALUES (?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(err, db, "prepare");
        goto out;
    }
    sqlite3_bind_text(st, 1, company, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, (int)status);
    sqlite3_bind_text(st, 5, body, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(err, db, "idempotency write");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM idempotency WHERE created_at < ?",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, expire_before);
        sqlite3_step(st);   /* only housekeeping: a failure is harmless */
    }
out:
    sqlite3_finalize(st);
    conn_put(s, db);
    return rc;
}
