#include "ops/health.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "ingest/progress.h"
#include "ops/cache.h"
#include "ops/procstat.h"

static uint64_t env_u64(const char *name, uint64_t def)
{
    const char *v = getenv(name);
    char *end;
    unsigned long long n;

    if (!v || !*v)
        return def;
    errno = 0;
    n = strtoull(v, &end, 10);
    return *end || errno ? def : (uint64_t)n;
}

void health_limits_load(struct health_limits *l, uint64_t max_file_size)
{
    const char *ratio = getenv("SOCC_ALERT_MEMORY_RATIO");
    char *end;
    double d;

    l->db_slow_ms = (int64_t)env_u64("SOCC_HEALTH_DB_SLOW_MS", 1000);
    l->min_free_bytes = env_u64("SOCC_STORAGE_MIN_FREE", 1ull << 30);
    l->down_free_bytes = max_file_size;
    l->mem_degraded = 0.80;
    if (ratio && *ratio && (d = strtod(ratio, &end)) > 0 && d <= 1 && !*end)
        l->mem_degraded = d;
    l->mem_down = l->mem_degraded > 0.95 ? l->mem_degraded : 0.95;
    l->upload_stuck_ms = (int64_t)env_u64("SOCC_HEALTH_UPLOAD_STUCK_S",
                                          600) * 1000;
}

const char *health_status_name(enum health_status s)
{
    static const char *const names[] = { "ok", "degraded", "down" };

    return names[s];
}

static void part_head(struct buf *b, const char *name, enum health_status s,
                      int first)
{
    buf_printf(b, "%s\"%s\":{\"status\":\"%s\"", first ? "" : ",", name,
               health_status_name(s));
}

static enum health_status check_db(struct store *st,
                                   const struct health_limits *l,
                                   struct buf *b)
{
    struct socc_error err;
    int64_t ns = 0;
    enum health_status s;
    enum socc_err rc = store_ping(st, &ns, &err);

    s = rc != SOCC_OK ? HEALTH_DOWN
        : ns / 1000000 > l->db_slow_ms ? HEALTH_DEGRADED : HEALTH_OK;
    part_head(b, "database", s, 1);
    buf_printf(b, ",\"latency_ms\":%.3f,\"schema_version\":%d",
               (double)ns / 1e6, store_schema_version(st));
    if (rc != SOCC_OK) {
        buf_adds(b, ",\"detail\":");
        buf_add_json_strz(b, err.detail);
    }
    buf_addc(b, '}');
    return s;
}

/* Create, write, fsync and remove a file in dir; 0 or an errno. */
static int probe_write(const char *dir)
{
    char path[1200];
    int fd, e = 0;

    snprintf(path, sizeof(path), "%s/.health-XXXXXX", dir);
    fd = mkstemp(path);
    if (fd < 0)
        return errno;
    if (write(fd, "ok\n", 3) != 3 || fsync(fd) != 0)
        e = errno ? errno : EIO;
    close(fd);
    if (unlink(path) != 0 && !e)
        e = errno;
    return e;
}

static enum health_status check_storage(struct store *st,
                                        const struct health_limits *l,
                                        struct buf *b)
{
    const char *dir = store_data_dir(st);
    struct statvfs vfs;
    uint64_t avail = 0, total = 0;
    int e = probe_write(dir), have = statvfs(dir, &vfs) == 0;
    enum health_status s = HEALTH_OK;

    if (have) {
        avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
    }
    if (e || !have || avail < l->down_free_bytes)
        s = HEALTH_DOWN;
    else if (avail < l->min_free_bytes)
        s = HEALTH_DEGRADED;
    part_head(b, "storage", s, 0);
    buf_printf(b, ",\"writable\":%s,\"free_bytes\":%llu,\"total_bytes\":%llu"
               ",\"min_free_bytes\":%llu", e ? "false" : "true",
               (unsigned long long)avail, (unsigned long long)total,
               (unsigned long long)l->min_free_bytes);
    if (e) {
        buf_adds(b, ",\"detail\":");
        buf_add_json_strz(b, strerror(e));
    }
    buf_addc(b, '}');
    return s;
}

static enum health_status check_memory(const struct health_limits *l,
                                       struct buf *b)
{
    const char *src = "none";
    uint64_t rss = procstat_rss(), limit = procstat_memory_limit(&src);
    double ratio = limit ? (double)rss / (double)limit : 0;
    enum health_status s = ratio > l->mem_down       ? HEALTH_DOWN
                           : ratio > l->mem_degraded ? HEALTH_DEGRADED
                                                     : HEALTH_OK;

    part_head(b, "memory", s, 0);
    buf_printf(b, ",\"rss_bytes\":%llu,\"limit_bytes\":%llu,\"limit_source\":"
               "\"%s\",\"ratio\":%.4f}", (unsigned long long)rss,
               (unsigned long long)limit, src, ratio);
    return s;
}

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum health_status check_uploads(const struct health_limits *l,
                                        struct buf *b)
{
    int64_t oldest = 0, age;
    size_t n = progress_active(&oldest);
    enum health_status s;

    age = n ? wall_ms() - oldest : 0;
    s = n && age > l->upload_stuck_ms ? HEALTH_DEGRADED : HEALTH_OK;
    part_head(b, "uploads", s, 0);
    buf_printf(b, ",\"active\":%zu,\"oldest_started_ms\":", n);
    if (n)
        buf_printf(b, "%lld,\"oldest_age_ms\":%lld}", (long long)oldest,
                   (long long)age);
    else
        buf_adds(b, "null,\"oldest_age_ms\":null}");
    return s;
}

static enum health_status check_cache(struct cache *c, struct buf *b)
{
    char detail[300];
    enum health_status s = cache_status(c, detail, sizeof(detail))
                               ? HEALTH_DEGRADED : HEALTH_OK;

    part_head(b, "cache", s, 0);
    buf_adds(b, ",\"backend\":");
    buf_add_json_strz(b, cache_backend_name(c));
    buf_adds(b, ",\"detail\":");
    buf_add_json_strz(b, detail);
    buf_addc(b, '}');
    return s;
}

static enum health_status worst(enum health_status a, enum health_status b)
{
    return a > b ? a : b;
}

enum health_status health_check(struct store *st, struct cache *cache,
                                const struct health_limits *l,
                                struct buf *out)
{
    struct buf parts;
    enum health_status all;

    buf_init(&parts);
    all = check_db(st, l, &parts);
    all = worst(all, check_storage(st, l, &parts));
    all = worst(all, check_memory(l, &parts));
    all = worst(all, check_uploads(l, &parts));
    all = worst(all, check_cache(cache, &parts));
    buf_printf(out, "{\"status\":\"%s\",\"components\":{",
               health_status_name(all));
    buf_add(out, parts.data ? parts.data : "", parts.len);
    buf_adds(out, "}}");
    if (!buf_ok(&parts))
        out->oom = 1;
    buf_release(&parts);
    return all;
}

int health_ready(struct store *st, char *why, size_t n)
{
    struct socc_error err;
    int64_t ns;
    int e;

    if (store_ping(st, &ns, &err) != SOCC_OK) {
        snprintf(why, n, "database: %s", err.detail);
        return -1;
    }
    e = probe_write(store_data_dir(st));
    if (e) {
        snprintf(why, n, "storage: %s", strerror(e));
        return -1;
    }
    return 0;
}
