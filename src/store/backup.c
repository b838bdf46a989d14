/*
 * Backups: verified snapshots into a target, a manifest, retention, the
 * schedule and the removal of blobs nothing refers to.
 */
#include "store/backup.h"

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

#include "core/buf.h"
#include "core/log.h"
#include "core/sha256.h"
#include "store/journal.h"

#define MANIFEST "manifest.tsv"
#define DEF_INTERVAL 3600
#define DEF_KEEP 24
#define DEF_MAX_AGE (7 * 86400)

struct backup {
    struct store *s;              /* borrowed */
    struct backup_target *t;      /* owned */
    struct backup_config c;
    char lock_path[1200];         /* <data>/backup.lock: one taker at a time */
    pthread_mutex_t mu;           /* one taker per process */
    pthread_t thread;
    int running;
    int stop;                     /* guarded by mu */
    pthread_cond_t cv;
};

/* ---- settings ---- */

static int parse_duration(const char *v, int64_t *out)
{
    char *end;
    long long n;
    int64_t mul = 1;

    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno || end == v || n < 0)
        return -1;
    if (*end == 'm')
        mul = 60;
    else if (*end == 'h')
        mul = 3600;
    else if (*end == 'd')
        mul = 86400;
    else if (*end != 's' && *end != '\0')
        return -1;
    if (*end && end[1])
        return -1;
    if (n > INT64_MAX / mul / 1000)
        return -1;
    *out = n * mul;
    return 0;
}

static enum socc_err env_num(const char *name, int dur, int64_t def,
                             int64_t min, int64_t *out, struct socc_error *err)
{
    const char *v = getenv(name);
    char *end;

    *out = def;
    if (!v || !*v)
        return SOCC_OK;
    if (dur ? parse_duration(v, out) != 0
            : (errno = 0, *out = strtoll(v, &end, 10), errno || *end))
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "%s: \"%.40s\" is not "
                              "%s", name, v, dur ? "a duration (90, 15m, 2h,"
                              " 7d)" : "a whole number");
    if (*out < min)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "%s must be at least "
                              "%lld", name, (long long)min);
    return SOCC_OK;
}

enum socc_err backup_config_load(const char *data_dir, struct backup_config *c,
                                 struct socc_error *err)
{
    const char *dir = getenv("SOCC_BACKUP_DIR");
    enum socc_err rc;

    memset(c, 0, sizeof(*c));
    if (dir && *dir)
        snprintf(c->dir, sizeof(c->dir), "%s", dir);
    else
        snprintf(c->dir, sizeof(c->dir), "%s/backups", data_dir);
    rc = env_num("BACKUP_INTERVAL", 1, DEF_INTERVAL, 0, &c->interval_s, err);
    if (rc == SOCC_OK)
        rc = env_num("BACKUP_KEEP", 0, DEF_KEEP, 1, &c->keep, err);
    if (rc == SOCC_OK)
        rc = env_num("BACKUP_MAX_AGE", 1, DEF_MAX_AGE, 0, &c->max_age_s, err);
    return rc;
}

/* ---- the manifest ---- */

static void info_line(const struct backup_info *i, struct buf *b)
{
    buf_printf(b, "%s\t%lld\t%s\t%llu\t%s\t%lld\n", i->name,
               (long long)i->ts_ms, i->reason, (unsigned long long)i->size,
               i->sha256, (long long)i->journal_seq);
}

static int parse_info(char *line, struct backup_info *i)
{
    char *f[6], *save = NULL, *p;
    int k = 0;

    memset(i, 0, sizeof(*i));
    for (p = strtok_r(line, "\t", &save); p && k < 6;
         p = strtok_r(NULL, "\t", &save))
        f[k++] = p;
    if (k != 6)
        return -1;
    snprintf(i->name, sizeof(i->name), "%s", f[0]);
    i->ts_ms = strtoll(f[1], NULL, 10);
    snprintf(i->reason, sizeof(i->reason), "%s", f[2]);
    i->size = strtoull(f[3], NULL, 10);
    snprintf(i->sha256, sizeof(i->sha256), "%s", f[4]);
    i->journal_seq = strtoll(f[5], NULL, 10);
    return 0;
}

static int load_manifest(struct backup *b, struct backup_info **out, size_t *n,
                         char *msg, size_t mn)
{
    struct buf raw;
    struct backup_info *a = NULL, *g;
    char *line, *save = NULL;
    size_t k = 0;

    *out = NULL;
    *n = 0;
    buf_init(&raw);
    if (b->t->get_bytes(b->t->ctx, MANIFEST, &raw, msg, mn) != 0) {
        buf_release(&raw);
        return -1;
    }
    buf_addc(&raw, '\0');
    for (line = strtok_r(raw.data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        g = realloc(a, (k + 1) * sizeof(*a));
        if (!g)
            break;
        a = g;
        if (parse_info(line, &a[k]) == 0)
            k++;
    }
    buf_release(&raw);
    *out = a;
    *n = k;
    return 0;
}

static int save_manifest(struct backup *b, const struct backup_info *a,
                         size_t n, char *msg, size_t mn)
{
    struct buf out;
    size_t i;
    int rc;

    buf_init(&out);
    for (i = 0; i < n; i++)
        info_line(&a[i], &out);
    rc = buf_ok(&out) || n == 0
             ? b->t->put_bytes(b->t->ctx, MANIFEST, out.data, out.len, msg, mn)
             : -1;
    buf_release(&out);
    return rc;
}

int backup_list(struct backup *b, struct backup_info **out, size_t *n)
{
    char msg[256];

    return load_manifest(b, out, n, msg, sizeof(msg));
}

int backup_fetch(struct backup *b, const char *name, const char *path,
                 char *msg, size_t n)
{
    return b->t->get_file(b->t->ctx, name, path, msg, n);
}

/* ---- locking: one backup or prune at a time, across processes ---- */

static int lock_take(struct backup *b)
{
    int fd;

    pthread_mutex_lock(&b->mu);
    fd = open(b->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        pthread_mutex_unlock(&b->mu);
    return fd;
}

static void lock_release(struct backup *b, int fd)
{
    close(fd);
    pthread_mutex_unlock(&b->mu);
}

/* ---- taking one ---- */

static void snapshot_name(int64_t ts_ms, int64_t seq, char *out, size_t n)
{
    char t[40], *p, *q;

    journal_format_time(ts_ms, t, sizeof(t));
    for (p = q = t; *p; p++)   /* 2026-12-04T18:30:00.123Z -> compact */
        if (*p != '-' && *p != ':')
            *q++ = *p;
    *q = '\0';
    snprintf(out, n, "socc-%s-%lld.db", t, (long long)seq);
}

/* A name for bi that no listed backup has (two can share a millisecond). */
static void unique_name(const struct backup_info *a, size_t n,
                        struct backup_info *bi)
{
    size_t i;
    int64_t k = 0;
    int clash = 1;

    while (clash) {
        snapshot_name(bi->ts_ms + k, bi->journal_seq, bi->name,
                      sizeof(bi->name));
        for (clash = 0, i = 0; i < n && !clash; i++)
            clash = strcmp(a[i].name, bi->name) == 0;
        k++;
    }
}

/* Beside each backup, "<name>.blobs": the blobs its database refers to. */
static int put_blob_list(struct backup *b, const char *db, const char *name,
                         char *msg, size_t n)
{
    struct buf list;
    char obj[128];
    int rc;

    buf_init(&list);
    snprintf(obj, sizeof(obj), "%s.blobs", name);
    rc = store_file_hashes(db, &list);
    if (rc != 0)
        snprintf(msg, n, "cannot list the snapshot's blobs");
    else
        rc = b->t->put_bytes(b->t->ctx, obj, list.data ? list.data : "",
                             list.len, msg, n);
    buf_release(&list);
    return rc;
}

static enum socc_err take_locked(struct backup *b, const char *reason,
                                 struct backup_info *bi,
                                 struct socc_error *err)
{
    char tmp[1200], msg[512];
    struct backup_info *all = NULL, *g;
    struct stat sb;
    size_t n = 0;
    int fd, rc = -1;
    enum socc_err e;

    fd = store_tmp_create(b->s, "snapshot", tmp, sizeof(tmp));
    if (fd < 0)
        return socc_error_set(err, SOCC_E_BACKUP_FAILED, "no temp file: %s",
                              strerror(errno));
    memset(bi, 0, sizeof(*bi));
    e = store_snapshot(b->s, tmp, &bi->journal_seq, err);
    if (e != SOCC_OK) {
        snprintf(msg, sizeof(msg), "%s", err->detail);
        goto out;
    }
    bi->ts_ms = journal_now_ms();
    snprintf(bi->reason, sizeof(bi->reason), "%s", reason);
    if (stat(tmp, &sb) != 0 || sha256_file_hex(tmp, bi->sha256) != 0) {
        snprintf(msg, sizeof(msg), "cannot read the snapshot back");
        goto out;
    }
    bi->size = (uint64_t)sb.st_size;
    if (load_manifest(b, &all, &n, msg, sizeof(msg)) != 0)
        goto out;
    unique_name(all, n, bi);
    if (put_blob_list(b, tmp, bi->name, msg, sizeof(msg)) != 0 ||
        b->t->put_file(b->t->ctx, tmp, bi->name, msg, sizeof(msg)) != 0)
        goto out;
    g = realloc(all, (n + 1) * sizeof(*all));
    if (!g) {
        snprintf(msg, sizeof(msg), "out of memory");
        goto out;
    }
    all = g;
    all[n++] = *bi;
    rc = save_manifest(b, all, n, msg, sizeof(msg));
    if (rc != 0)
        b->t->remove(b->t->ctx, bi->name);
out:
    free(all);
    unlink(tmp);
    close(fd);
    if (rc != 0)
        return socc_error_set(err, SOCC_E_BACKUP_FAILED, "%s", msg);
    return SOCC_OK;
}

enum socc_err backup_take(struct backup *b, const char *reason,
                          struct backup_info *info, struct socc_error *err)
{
    struct backup_info tmp = { .journal_seq = 0 };
    struct backup_info *bi = info ? info : &tmp;
    struct socc_error perr;
    enum socc_err rc;
    int fd;

    fd = lock_take(b);
    if (fd < 0)
        return socc_error_set(err, SOCC_E_BACKUP_FAILED, "cannot lock %s",
                              b->lock_path);
    rc = take_locked(b, reason, bi, err);
    lock_release(b, fd);
    if (rc != SOCC_OK) {
        log_event(LOG_ERROR, "backup", "backup_failed", NULL,
                  "reason=%s target=%s err=%s detail=\"%s\"", reason,
                  b->t->kind, socc_err_name(rc), err->detail);
        return rc;
    }
    log_event(LOG_INFO, "backup", "backup_taken", NULL,
              "reason=%s name=%s size=%llu sha256=%s journal_seq=%lld",
              reason, bi->name, (unsigned long long)bi->size, bi->sha256,
              (long long)bi->journal_seq);
    socc_error_clear(&perr);
    if (backup_prune(b, &perr) != SOCC_OK)
        log_event(LOG_WARN, "backup", "prune_failed", NULL, "detail=\"%s\"",
                  perr.detail);
    return SOCC_OK;
}

/* ---- retention ---- */

static int kept(const struct backup *b, const struct backup_info *a, size_t n,
                size_t i, int64_t now)
{
    if (i + 1 == n)
        return 1;                                   /* the newest stays */
    if (n - 1 - i >= (size_t)b->c.keep)
        return 0;
    return b->c.max_age_s == 0 || now - a[i].ts_ms <= b->c.max_age_s * 1000;
}

/* Hashes listed beside the kept backups, into lists (one buffer each). */
static int collect_lists(struct backup *b, const struct backup_info *a,
                         size_t n, struct buf *lists, char *msg, size_t mn)
{
    char obj[128];
    size_t i;

    for (i = 0; i < n; i++) {
        snprintf(obj, sizeof(obj), "%s.blobs", a[i].name);
        if (b->t->get_bytes(b->t->ctx, obj, lists, msg, mn) != 0)
            return -1;
    }
    buf_addc(lists, '\0');
    return buf_ok(lists) ? 0 : -1;
}

/* Split the hash lines of lists into a NUL-terminated pointer array. */
static const char **split_lines(char *text, size_t *n)
{
    const char **v = NULL, **g;
    char *line, *save = NULL;
    size_t k = 0;

    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        g = realloc(v, (k + 1) * sizeof(*v));
        if (!g)
            break;
        v = g;
        v[k++] = line;
    }
    *n = k;
    return v;
}

static enum socc_err prune_locked(struct backup *b, struct socc_error *err)
{
    struct backup_info *a = NULL;
    struct buf lists;
    const char **keep = NULL;
    char msg[512], obj[128];
    size_t n = 0, i, k = 0, nkeep = 0;
    int64_t now = journal_now_ms();
    int removed = 0, dropped = 0;
    enum socc_err rc = SOCC_OK;

    if (load_manifest(b, &a, &n, msg, sizeof(msg)) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "%s", msg);
    for (i = 0; i < n; i++) {
        if (kept(b, a, n, i, now)) {
            a[k++] = a[i];
            continue;
        }
        b->t->remove(b->t->ctx, a[i].name);
        snprintf(obj, sizeof(obj), "%s.blobs", a[i].name);
        b->t->remove(b->t->ctx, obj);
        dropped++;
    }
    if (dropped && save_manifest(b, a, k, msg, sizeof(msg)) != 0)
        rc = socc_error_set(err, SOCC_E_INTERNAL, "%s", msg);
    buf_init(&lists);
    if (rc == SOCC_OK && collect_lists(b, a, k, &lists, msg, sizeof(msg)) != 0)
        rc = socc_error_set(err, SOCC_E_INTERNAL, "%s", msg);
    if (rc == SOCC_OK)
        keep = split_lines(lists.data, &nkeep);
    /* journal entries before the oldest kept backup can no longer be used */
    if (rc == SOCC_OK)
        rc = store_maintain(b->s, k ? a[0].journal_seq : 0, keep, nkeep,
                            &removed, err);
    if (rc == SOCC_OK && (dropped || removed))
        log_event(LOG_INFO, "backup", "pruned", NULL,
                  "backups_dropped=%d backups_kept=%zu blobs_removed=%d",
                  dropped, k, removed);
    free(keep);
    buf_release(&lists);
    free(a);
    return rc;
}

enum socc_err backup_prune(struct backup *b, struct socc_error *err)
{
    enum socc_err rc;
    int fd = lock_take(b);

    if (fd < 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot lock %s",
                              b->lock_path);
    rc = prune_locked(b, err);
    lock_release(b, fd);
    return rc;
}

/* ---- the service ---- */

enum socc_err backup_open(struct store *s, struct backup_target *t,
                          const struct backup_config *c, struct backup **out,
                          struct socc_error *err)
{
    struct backup *b = calloc(1, sizeof(*b));

    *out = NULL;
    if (!b) {
        backup_target_free(t);
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    }
    b->s = s;
    b->t = t;
    b->c = *c;
    snprintf(b->lock_path, sizeof(b->lock_path), "%s/backup.lock",
             store_data_dir(s));
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    *out = b;
    return SOCC_OK;
}

static void *schedule_main(void *arg)
{
    struct backup *b = arg;
    struct socc_error err;
    struct timespec ts;

    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)b->c.interval_s;
        pthread_cond_timedwait(&b->cv, &b->mu, &ts);
        if (b->stop)
            break;
        pthread_mutex_unlock(&b->mu);
        socc_error_clear(&err);
        backup_take(b, "scheduled", NULL, &err);
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

int backup_start(struct backup *b)
{
    if (b->running || b->c.interval_s <= 0)
        return 0;
    if (pthread_create(&b->thread, NULL, schedule_main, b) != 0)
        return -1;
    b->running = 1;
    return 0;
}

void backup_close(struct backup *b)
{
    if (!b)
        return;
    if (b->running) {
        pthread_mutex_lock(&b->mu);
        b->stop = 1;
        pthread_cond_signal(&b->cv);
        pthread_mutex_unlock(&b->mu);
        pthread_join(b->thread, NULL);
    }
    backup_target_free(b->t);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    free(b);
}
