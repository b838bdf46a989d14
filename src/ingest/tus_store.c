#include "tus_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/log.h"

/*
 * Whole-file hash states kept between requests, at most this many.
 * LIMIT: past that many open uploads, or after a restart, the next chunk
 * re-reads the stored bytes to rebuild the hash (35-60 ms per 50 MB).
 */
#define CACHE_MAX 1024
/* A leftover .info.tmp of a crashed write goes after this (seconds). */
#define TMP_AGE_S 60
/* Bytes read at once when catching the whole-file hash up. */
#define HASH_BLOCK (1u << 20)

/* A whole-file hash state parked between two requests of an upload. */
struct cache_ent {
    struct cache_ent *next;
    char id[TUS_STORE_ID_LEN + 1];
    EVP_MD_CTX *md;              /* owned */
    uint64_t hashed;             /* bytes it has seen */
};

struct tus_store {
    char dir[1024];
    long expire_s;
    uint64_t max_size;
    pthread_mutex_t mu;          /* guards cache, ncache and the sweeper */
    struct cache_ent *cache;
    size_t ncache;
    pthread_cond_t cv;           /* wakes the sweeper to stop */
    pthread_t sweeper;
    int sweeping, stop;
};

struct tus_upload {
    struct tus_store *ts;        /* borrowed */
    struct tus_meta m;
    int fd;                      /* data file, locked; -1 when done */
    EVP_MD_CTX *md;              /* whole-file SHA-256, owned */
    uint64_t hashed;             /* bytes md has seen */
    EVP_MD_CTX *chunk_md;        /* this chunk's checksum, owned, or NULL */
    uint64_t chunk_start;        /* offset where the chunk began */
    int in_chunk;
};

int tus_store_id_ok(const char *s)
{
    size_t n;

    for (n = 0; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == TUS_STORE_ID_LEN;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static void file_path(const struct tus_store *ts, const char *id,
                      const char *ext, char *out, size_t n)
{
    snprintf(out, n, "%s/%s%s", ts->dir, id, ext);
}

static enum socc_err io_error(struct socc_error *err, const char *what)
{
    int e = errno;

    return socc_error_set(err, e == ENOSPC || e == EDQUOT
                                   ? SOCC_E_STORAGE_FULL : SOCC_E_INTERNAL,
                          "%s: %s", what, strerror(e));
}

/* ---- the .info file ----------------------------------------------------- */

static void meta_format(const struct tus_meta *m, char *out, size_t n)
{
    snprintf(out, n,
             "tus 1\nlength %" PRIu64 "\ndeferred %d\noffset %" PRIu64
             "\ncreated %" PRId64 "\ntouched %" PRId64 "\ndone %d\n"
             "result_id %" PRId64 "\nresult %s\nsha256 %s\ncompany %s\n"
             "tool_type %s\nowner %s\nfilename %s\n",
             m->length, m->deferred, m->offset, m->created, m->touched,
             m->done, m->result_id, m->result, m->sha256, m->company,
             m->tool_type, m->owner, m->filename);
}

static void set_str(char *dst, size_t cap, const char *v)
{
    snprintf(dst, cap, "%s", v);
}

/* One "key value" line into m; 0, or -1 when the key is unknown. */
static int meta_line(struct tus_meta *m, const char *key, const char *v)
{
    if (strcmp(key, "length") == 0)
        m->length = strtoull(v, NULL, 10);
    else if (strcmp(key, "deferred") == 0)
        m->deferred = atoi(v);
    else if (strcmp(key, "offset") == 0)
        m->offset = strtoull(v, NULL, 10);
    else if (strcmp(key, "created") == 0)
        m->created = strtoll(v, NULL, 10);
    else if (strcmp(key, "touched") == 0)
        m->touched = strtoll(v, NULL, 10);
    else if (strcmp(key, "done") == 0)
        m->done = atoi(v);
    else if (strcmp(key, "result_id") == 0)
        m->result_id = strtoll(v, NULL, 10);
    else if (strcmp(key, "result") == 0)
        set_str(m->result, sizeof(m->result), v);
    else if (strcmp(key, "sha256") == 0)
        set_str(m->sha256, sizeof(m->sha256), v);
    else if (strcmp(key, "company") == 0)
        set_str(m->company, sizeof(m->company), v);
    else if (strcmp(key, "tool_type") == 0)
        set_str(m->tool_type, sizeof(m->tool_type), v);
    else if (strcmp(key, "owner") == 0)
        set_str(m->owner, sizeof(m->owner), v);
    else if (strcmp(key, "filename") == 0)
        set_str(m->filename, sizeof(m->filename), v);
    else
        return strcmp(key, "tus") == 0 ? 0 : -1;
    return 0;
}

/* Read <id>.info into *m; 0, or -1 (missing or not ours). */
static int meta_read(const struct tus_store *ts, const char *id,
                     struct tus_meta *m)
{
    char path[1100], line[600], *sp, own[TUS_STORE_ID_LEN + 1];
    FILE *fp;
    int ok = 0;

    set_str(own, sizeof(own), id);   /* id may be m->id itself */
    file_path(ts, own, ".info", path, sizeof(path));
    fp = fopen(path, "re");
    if (!fp)
        return -1;
    memset(m, 0, sizeof(*m));
    set_str(m->id, sizeof(m->id), own);
    while (fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = '\0';
        sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp = '\0';
        ok |= strcmp(line, "tus") == 0;
        meta_line(m, line, sp + 1);
    }
    fclose(fp);
    return ok ? 0 : -1;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* Replace <id>.info with m, durably: a temp file, fsync, rename. */
static enum socc_err meta_write(const struct tus_store *ts,
                                const struct tus_meta *m,
                                struct socc_error *err)
{
    char path[1100], tmp[1100], text[1200];
    size_t len;
    int fd;

    meta_format(m, text, sizeof(text));
    len = strlen(text);
    file_path(ts, m->id, ".info", path, sizeof(path));
    file_path(ts, m->id, ".info.tmp", tmp, sizeof(tmp));
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return io_error(err, "cannot write upload state");
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
        io_error(err, "cannot write upload state");
        close(fd);
        unlink(tmp);
        return err ? err->code : SOCC_E_INTERNAL;
    }
    close(fd);
    if (rename(tmp, path) != 0 || fsync_dir(ts->dir) != 0) {
        unlink(tmp);
        return io_error(err, "cannot save upload state");
    }
    return SOCC_OK;
}

/* ---- the hash cache ----------------------------------------------------- */

/* Take id's parked hash state out of the cache, or NULL. */
static struct cache_ent *cache_take(struct tus_store *ts, const char *id)
{
    struct cache_ent **pp, *e = NULL;

    pthread_mutex_lock(&ts->mu);
    for (pp = &ts->cache; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, id) == 0) {
            e = *pp;
            *pp = e->next;
            ts->ncache--;
            break;
        }
    }
    pthread_mutex_unlock(&ts->mu);
    return e;
}

/* Park u's hash state; it is freed instead when the cache is full. */
static void cache_put(struct tus_store *ts, struct tus_upload *u)
{
    struct cache_ent *e = NULL;

    pthread_mutex_lock(&ts->mu);
    if (ts->ncache < CACHE_MAX)
        e = calloc(1, sizeof(*e));
    if (e) {
        set_str(e->id, sizeof(e->id), u->m.id);
        e->md = u->md;
        e->hashed = u->hashed;
        e->next = ts->cache;
        ts->cache = e;
        ts->ncache++;
        u->md = NULL;
    }
    pthread_mutex_unlock(&ts->mu);
}

static void cache_drop(struct tus_store *ts, const char *id)
{
    struct cache_ent *e = cache_take(ts, id);

    if (e)
        EVP_MD_CTX_free(e->md);
    free(e);
}

/* ---- open, close, sweep ------------------------------------------------- */

static int mkdir_p(const char *path)
{
    char tmp[1024];
    size_t i;

    set_str(tmp, sizeof(tmp), path);
    for (i = 1; tmp[i]; i++) {
        if (tmp[i] != '/')
            continue;
        tmp[i] = '\0';
        if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
            return -1;
        tmp[i] = '/';
    }
    return mkdir(tmp, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

enum socc_err tus_store_open(const char *dir, long expire_s,
                             uint64_t max_size, struct tus_store **out,
                             struct socc_error *err)
{
    struct tus_store *ts;

    *out = NULL;
    if (strlen(dir) >= sizeof(ts->dir) - 64)
        return socc_error_set(err, SOCC_E_INTERNAL, "tus directory name "
                              "too long");
    if (mkdir_p(dir) != 0)
        return io_error(err, "cannot create the tus directory");
    ts = calloc(1, sizeof(*ts));
    if (!ts)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    set_str(ts->dir, sizeof(ts->dir), dir);
    ts->expire_s = expire_s > 0 ? expire_s : 1;
    ts->max_size = max_size;
    pthread_mutex_init(&ts->mu, NULL);
    pthread_cond_init(&ts->cv, NULL);
    tus_store_sweep(ts, now_s());
    *out = ts;
    return SOCC_OK;
}

void tus_store_close(struct tus_store *ts)
{
    struct cache_ent *e;

    if (!ts)
        return;
    pthread_mutex_lock(&ts->mu);
    ts->stop = 1;
    pthread_cond_signal(&ts->cv);
    pthread_mutex_unlock(&ts->mu);
    if (ts->sweeping)
        pthread_join(ts->sweeper, NULL);
    while ((e = ts->cache) != NULL) {
        ts->cache = e->next;
        EVP_MD_CTX_free(e->md);
        free(e);
    }
    pthread_cond_destroy(&ts->cv);
    pthread_mutex_destroy(&ts->mu);
    free(ts);
}

long tus_store_expire_s(const struct tus_store *ts)
{
    return ts->expire_s;
}

/*
 * Remove <id>.bin and <id>.info unless a holder has the data file locked.
 * 1 when removed.
 */
static int remove_unheld(struct tus_store *ts, const char *id)
{
    char bin[1100], info[1100];
    int fd, gone = 1;

    file_path(ts, id, ".bin", bin, sizeof(bin));
    file_path(ts, id, ".info", info, sizeof(info));
    fd = open(bin, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0)
        gone = 0;
    if (gone) {
        unlink(bin);
        unlink(info);
        cache_drop(ts, id);
    }
    if (fd >= 0)
        close(fd);
    return gone;
}

/* Sweep one directory entry; 1 when an upload went. */
static int sweep_entry(struct tus_store *ts, const char *name, int64_t now)
{
    char id[TUS_STORE_ID_LEN + 1], path[1100];
    struct tus_meta m;
    struct stat sb;
    size_t n = strlen(name);

    if (n < TUS_STORE_ID_LEN)
        return 0;
    memcpy(id, name, TUS_STORE_ID_LEN);
    id[TUS_STORE_ID_LEN] = '\0';
    if (!tus_store_id_ok(id))
        return 0;
    snprintf(path, sizeof(path), "%s/%s", ts->dir, name);
    if (strcmp(name + TUS_STORE_ID_LEN, ".info.tmp") == 0) {
        if (stat(path, &sb) == 0 && now - sb.st_mtime > TMP_AGE_S)
            unlink(path);
        return 0;
    }
    if (strcmp(name + TUS_STORE_ID_LEN, ".info") == 0)
        return meta_read(ts, id, &m) == 0 &&
               m.touched + ts->expire_s <= now && remove_unheld(ts, id);
    /* a data file whose .info was never written: a crash at creation */
    if (strcmp(name + TUS_STORE_ID_LEN, ".bin") == 0 &&
        meta_read(ts, id, &m) != 0 && stat(path, &sb) == 0 &&
        now - sb.st_mtime > TMP_AGE_S)
        return remove_unheld(ts, id);
    return 0;
}

int tus_store_sweep(struct tus_store *ts, int64_t now)
{
    DIR *d = opendir(ts->dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n += sweep_entry(ts, e->d_name, now);
    closedir(d);
    if (n)
        log_event(LOG_INFO, "tus", "expired_swept", NULL, "uploads=%d", n);
    return n;
}

static void *sweeper_main(void *arg)
{
    struct tus_store *ts = arg;
    long every = ts->expire_s / 2;
    struct timespec at;

    every = every < 1 ? 1 : every > 60 ? 60 : every;
    pthread_mutex_lock(&ts->mu);
    while (!ts->stop) {
        clock_gettime(CLOCK_REALTIME, &at);
        at.tv_sec += every;
        pthread_cond_timedwait(&ts->cv, &ts->mu, &at);
        if (ts->stop)
            break;
        pthread_mutex_unlock(&ts->mu);
        tus_store_sweep(ts, now_s());
        pthread_mutex_lock(&ts->mu);
    }
    pthread_mutex_unlock(&ts->mu);
    return NULL;
}

int tus_store_start_sweeper(struct tus_store *ts)
{
    if (ts->sweeping)
        return 0;
    if (pthread_create(&ts->sweeper, NULL, sweeper_main, ts) != 0)
        return -1;
    ts->sweeping = 1;
    return 0;
}

/* ---- create and acquire ------------------------------------------------- */

enum socc_err tus_store_peek(struct tus_store *ts, const char *id,
                             struct tus_meta *m, struct socc_error *err)
{
    if (!tus_store_id_ok(id) || meta_read(ts, id, m) != 0)
        return socc_error_set(err, SOCC_E_NOT_FOUND, "no upload '%.40s'", id);
    if (m->touched + ts->expire_s <= now_s())
        return socc_error_set(err, SOCC_E_NOT_FOUND, "upload '%s' expired",
                              id);
    return SOCC_OK;
}

static int new_id(char id[TUS_STORE_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[TUS_STORE_ID_LEN / 2];
    size_t i;

    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return -1;
    for (i = 0; i < sizeof(raw); i++) {
        id[2 * i] = hex[raw[i] >> 4];
        id[2 * i + 1] = hex[raw[i] & 15];
    }
    id[TUS_STORE_ID_LEN] = '\0';
    return 0;
}

enum socc_err tus_store_create(struct tus_store *ts, struct tus_meta *m,
                               struct socc_error *err)
{
    char bin[1100];
    enum socc_err e;
    int fd;

    if (!m->deferred && m->length > ts->max_size)
        return socc_error_set(err, SOCC_E_FILE_TOO_LARGE, "Upload-Length "
                              "%" PRIu64 " is over %" PRIu64 " bytes",
                              m->length, ts->max_size);
    if (new_id(m->id) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "no random bytes");
    m->offset = 0;
    m->created = m->touched = now_s();
    m->done = 0;
    file_path(ts, m->id, ".bin", bin, sizeof(bin));
    fd = open(bin, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return io_error(err, "cannot create the upload file");
    close(fd);
    e = meta_write(ts, m, err);
    if (e != SOCC_OK)
        unlink(bin);
    return e;
}

/* The upload's files are gone or finished: answer from the .info alone. */
static enum socc_err acquire_done(struct tus_store *ts, const char *id,
                                  struct tus_upload *u,
                                  struct socc_error *err)
{
    if (meta_read(ts, id, &u->m) != 0)
        return socc_error_set(err, SOCC_E_NOT_FOUND, "no upload '%s'", id);
    /*
     * LIMIT: a crash after the pipeline stored a finished upload but
     * before its .info said so leaves the upload answering UPLOAD_LOCKED
     * until it expires; the stored upload itself is complete.
     */
    if (!u->m.done)
        return socc_error_set(err, SOCC_E_UPLOAD_LOCKED, "the upload is "
                              "being finished");
    return SOCC_OK;
}

/* 1 when fd is still the file at path (not moved or removed). */
static int same_file(int fd, const char *path)
{
    struct stat a, b;

    return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
           a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* Make the data file agree with the offset the .info vouches for. */
static void reconcile(struct tus_upload *u)
{
    struct stat sb;

    if (fstat(u->fd, &sb) != 0)
        return;
    if ((uint64_t)sb.st_size > u->m.offset) {
        if (ftruncate(u->fd, (off_t)u->m.offset) != 0)
            log_event(LOG_WARN, "tus", "truncate_failed", NULL, "id=%s",
                      u->m.id);
    } else if ((uint64_t)sb.st_size < u->m.offset) {
        u->m.offset = (uint64_t)sb.st_size;   /* bytes lost in a crash */
    }
}

static enum socc_err acquire_live(struct tus_store *ts, struct tus_upload *u,
                                  const char *bin, struct socc_error *err)
{
    struct cache_ent *c;
    char info[1100];

    if (flock(u->fd, LOCK_EX | LOCK_NB) != 0)
        return socc_error_set(err, SOCC_E_UPLOAD_LOCKED, "another request "
                              "is writing to upload '%s'", u->m.id);
    if (!same_file(u->fd, bin) || meta_read(ts, u->m.id, &u->m) != 0) {
        close(u->fd);
        u->fd = -1;
        return acquire_done(ts, u->m.id, u, err);
    }
    if (u->m.touched + ts->expire_s <= now_s()) {
        unlink(bin);
        file_path(ts, u->m.id, ".info", info, sizeof(info));
        unlink(info);
        cache_drop(ts, u->m.id);
        return socc_error_set(err, SOCC_E_NOT_FOUND, "upload '%s' expired",
                              u->m.id);
    }
    reconcile(u);
    c = cache_take(ts, u->m.id);
    if (c && c->hashed <= u->m.offset) {
        u->md = c->md;
        u->hashed = c->hashed;
    } else if (c) {
        EVP_MD_CTX_free(c->md);
    }
    free(c);
    return SOCC_OK;
}

enum socc_err tus_store_acquire(struct tus_store *ts, const char *id,
                                struct tus_upload **out,
                                struct socc_error *err)
{
    struct tus_upload *u;
    char bin[1100];
    enum socc_err e;

    *out = NULL;
    if (!tus_store_id_ok(id))
        return socc_error_set(err, SOCC_E_NOT_FOUND, "no upload '%.40s'", id);
    u = calloc(1, sizeof(*u));
    if (!u)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    u->ts = ts;
    set_str(u->m.id, sizeof(u->m.id), id);
    file_path(ts, id, ".bin", bin, sizeof(bin));
    u->fd = open(bin, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (u->fd < 0 && errno != ENOENT)
        e = io_error(err, "cannot open the upload");
    else if (u->fd < 0)
        e = acquire_done(ts, id, u, err);
    else
        e = acquire_live(ts, u, bin, err);
    if (e != SOCC_OK) {
        tus_upload_release(u);
        return e;
    }
    *out = u;
    return SOCC_OK;
}

const struct tus_meta *tus_upload_meta(const struct tus_upload *u)
{
    return &u->m;
}

enum socc_err tus_upload_set_length(struct tus_upload *u, uint64_t len,
                                    struct socc_error *err)
{
    if (!u->m.deferred)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "Upload-Length is "
                              "set already");
    if (len < u->m.offset)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "Upload-Length is "
                              "less than the bytes received");
    if (len > u->ts->max_size)
        return socc_error_set(err, SOCC_E_FILE_TOO_LARGE, "Upload-Length "
                              "%" PRIu64 " is over %" PRIu64 " bytes", len,
                              u->ts->max_size);
    u->m.deferred = 0;
    u->m.length = len;
    u->m.touched = now_s();
    return meta_write(u->ts, &u->m, err);
}

/* ---- chunks ------------------------------------------------------------- */

enum socc_err tus_upload_chunk_begin(struct tus_upload *u, enum tus_sum sum,
                                     struct socc_error *err)
{
    const EVP_MD *md = sum == TUS_SUM_SHA1 ? EVP_sha1() : EVP_sha256();

    if (u->fd < 0 || u->m.done)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "the upload is "
                              "finished");
    u->chunk_start = u->m.offset;
    u->in_chunk = 1;
    if (sum == TUS_SUM_NONE)
        return SOCC_OK;
    u->chunk_md = EVP_MD_CTX_new();
    if (!u->chunk_md || EVP_DigestInit_ex(u->chunk_md, md, NULL) != 1)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    return SOCC_OK;
}

/* Drop the chunk's bytes: the file and offset go back to its start. */
static void discard_chunk(struct tus_upload *u)
{
    if (ftruncate(u->fd, (off_t)u->chunk_start) != 0)
        log_event(LOG_WARN, "tus", "truncate_failed", NULL, "id=%s",
                  u->m.id);
    u->m.offset = u->chunk_start;
    if (u->hashed > u->chunk_start) {   /* never: hashed lags; be safe */
        EVP_MD_CTX_free(u->md);
        u->md = NULL;
        u->hashed = 0;
    }
    EVP_MD_CTX_free(u->chunk_md);
    u->chunk_md = NULL;
    u->in_chunk = 0;
}

enum socc_err tus_upload_write(struct tus_upload *u, const void *p, size_t n,
                               struct socc_error *err)
{
    const char *c = p;
    ssize_t w;

    if (!u->m.deferred && n > u->m.length - u->m.offset) {
        discard_chunk(u);
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "the chunk goes past "
                              "Upload-Length %" PRIu64, u->m.length);
    }
    if (n > u->ts->max_size - u->m.offset) {
        discard_chunk(u);
        return socc_error_set(err, SOCC_E_FILE_TOO_LARGE, "the upload "
                              "passed %" PRIu64 " bytes", u->ts->max_size);
    }
    if (u->chunk_md)
        EVP_DigestUpdate(u->chunk_md, p, n);
    while (n > 0) {
        w = pwrite(u->fd, c, n, (off_t)u->m.offset);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            io_error(err, "cannot write the upload");
            discard_chunk(u);
            return err ? err->code : SOCC_E_INTERNAL;
        }
        c += w;
        n -= (size_t)w;
        u->m.offset += (uint64_t)w;
    }
    return SOCC_OK;
}

/* Feed the whole-file hash the stored bytes it has not seen yet. */
static enum socc_err catch_up(struct tus_upload *u, struct socc_error *err)
{
    unsigned char *blk = NULL;
    ssize_t r;
    size_t want;

    if (!u->md) {
        u->md = EVP_MD_CTX_new();
        u->hashed = 0;
        if (!u->md || EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1)
            return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    }
    if (u->hashed < u->m.offset && !(blk = malloc(HASH_BLOCK)))
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    while (u->hashed < u->m.offset) {
        want = u->m.offset - u->hashed < HASH_BLOCK
                   ? (size_t)(u->m.offset - u->hashed) : HASH_BLOCK;
        r = pread(u->fd, blk, want, (off_t)u->hashed);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(blk);
            return socc_error_set(err, SOCC_E_INTERNAL, "cannot read the "
                                  "upload back");
        }
        EVP_DigestUpdate(u->md, blk, (size_t)r);
        u->hashed += (uint64_t)r;
    }
    free(blk);
    return SOCC_OK;
}

/* Make the bytes up to the offset durable and say so in the .info. */
static enum socc_err commit(struct tus_upload *u, struct socc_error *err)
{
    u->in_chunk = 0;
    if (fdatasync(u->fd) != 0)
        return io_error(err, "cannot sync the upload");
    u->m.touched = now_s();
    return meta_write(u->ts, &u->m, err);
}

enum socc_err tus_upload_chunk_end(struct tus_upload *u,
                                   const unsigned char *digest, size_t dlen,
                                   struct socc_error *err)
{
    unsigned char got[EVP_MAX_MD_SIZE];
    unsigned int glen = 0;
    enum socc_err e;

    if (u->chunk_md) {
        EVP_DigestFinal_ex(u->chunk_md, got, &glen);
        if (!digest || dlen != glen || memcmp(got, digest, glen) != 0) {
            discard_chunk(u);
            return socc_error_set(err, SOCC_E_CHECKSUM_MISMATCH, "the chunk "
                                  "was discarded; the offset stays %" PRIu64,
                                  u->m.offset);
        }
        EVP_MD_CTX_free(u->chunk_md);
        u->chunk_md = NULL;
    }
    e = commit(u, err);
    return e == SOCC_OK ? catch_up(u, err) : e;
}

void tus_upload_chunk_abort(struct tus_upload *u)
{
    if (!u || !u->in_chunk)
        return;
    if (u->chunk_md) {
        discard_chunk(u);
        return;
    }
    if (commit(u, NULL) != SOCC_OK)
        log_event(LOG_WARN, "tus", "partial_not_saved", NULL, "id=%s",
                  u->m.id);
}

int tus_upload_complete(const struct tus_upload *u)
{
    return !u->m.deferred && u->m.offset == u->m.length;
}

enum socc_err tus_upload_hash(struct tus_upload *u, char hex[65],
                              struct socc_error *err)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    enum socc_err e = catch_up(u, err);

    if (e != SOCC_OK)
        return e;
    EVP_DigestFinal_ex(u->md, d, &n);
    EVP_MD_CTX_free(u->md);
    u->md = NULL;
    u->hashed = 0;
    for (i = 0; i < n && i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
    return SOCC_OK;
}

void tus_upload_data_path(const struct tus_upload *u, char *out, size_t n)
{
    file_path(u->ts, u->m.id, ".bin", out, n);
}

enum socc_err tus_upload_finish(struct tus_upload *u, const char *result,
                                int64_t result_id, const char *sha,
                                struct socc_error *err)
{
    u->m.done = 1;
    set_str(u->m.result, sizeof(u->m.result), result);
    u->m.result_id = result_id;
    set_str(u->m.sha256, sizeof(u->m.sha256), sha);
    u->m.touched = now_s();
    return meta_write(u->ts, &u->m, err);
}

void tus_upload_remove(struct tus_upload *u)
{
    char path[1100];

    if (!u)
        return;
    file_path(u->ts, u->m.id, ".bin", path, sizeof(path));
    unlink(path);
    file_path(u->ts, u->m.id, ".info", path, sizeof(path));
    unlink(path);
    cache_drop(u->ts, u->m.id);
    EVP_MD_CTX_free(u->md);
    u->md = NULL;
    u->m.done = 1;   /* nothing to park */
    tus_upload_release(u);
}

void tus_upload_release(struct tus_upload *u)
{
    if (!u)
        return;
    tus_upload_chunk_abort(u);
    if (u->md && u->fd >= 0 && !u->m.done)
        cache_put(u->ts, u);
    EVP_MD_CTX_free(u->md);
    EVP_MD_CTX_free(u->chunk_md);
    if (u->fd >= 0)
        close(u->fd);   /* drops the lock */
    free(u);
}
