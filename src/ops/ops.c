#include "ops/ops.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "core/log.h"
#include "ingest/pipeline.h"
#include "ops/alerts.h"
#include "ops/cache.h"
#include "ops/metrics.h"

/* Default bound of the in-process cache (SOCC_CACHE_BYTES). */
#define CACHE_BYTES_DEFAULT (16u * 1024 * 1024)
/* Redis entries expire after this many seconds (SOCC_CACHE_TTL). */
#define CACHE_TTL_DEFAULT 300u

static _Atomic int ready;
static struct cache *cache;
static struct store *store;
static struct health_limits limits;

static void on_stage(const char *stage, int64_t us)
{
    int st = metrics_stage_of(stage);

    if (st >= 0)
        metrics_stage((enum metrics_stage)st, us);
}

static void on_finished(const char *company, enum socc_err rc, int64_t us,
                        uint64_t size)
{
    (void)company;
    metrics_upload(rc, us, size);
    alerts_note_upload(alerts_now_ms(),
                       rc != SOCC_OK && rc != SOCC_E_DUPLICATE_FILE,
                       us / 1000);
}

static void on_query(int64_t ns)
{
    metrics_db_query(ns);
    alerts_note_db(alerts_now_ms(), ns);
}

static void on_written(const char *company)
{
    cache_invalidate(cache, company);
}

static const struct pipeline_observer pipe_obs = { on_stage, on_finished };
static const struct store_observer store_obs = { on_query, on_written };

/* An environment number in [lo, hi], def when unset; -1 when bad. */
static int env_size(const char *name, size_t def, size_t lo, size_t hi,
                    size_t *out)
{
    const char *v = getenv(name);
    char *end;
    unsigned long long n;

    *out = def;
    if (!v || !*v)
        return 0;
    n = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || n < lo || n > hi)
        return -1;
    *out = (size_t)n;
    return 0;
}

static enum socc_err open_cache(struct socc_error *err)
{
    size_t bytes, ttl;

    if (env_size("SOCC_CACHE_BYTES", CACHE_BYTES_DEFAULT, 1024, 1ull << 40,
                 &bytes) != 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "SOCC_CACHE_BYTES "
                              "must be 1024-1099511627776");
    if (env_size("SOCC_CACHE_TTL", CACHE_TTL_DEFAULT, 1, 2592000, &ttl) != 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "SOCC_CACHE_TTL must be 1-2592000 seconds");
    return cache_open(getenv("REDIS_URL"), bytes, (unsigned)ttl, &cache,
                      err);
}

enum socc_err ops_start(struct store *st, const struct config *cfg,
                        struct socc_error *err)
{
    struct alerts_config ac;
    enum socc_err rc;

    atomic_store(&ready, 0);
    health_limits_load(&limits, cfg->max_file_size);
    rc = alerts_config_from_env(&ac, err);
    if (rc == SOCC_OK)
        rc = open_cache(err);
    if (rc != SOCC_OK)
        return rc;
    if (alerts_start(&ac) != 0)
        log_event(LOG_WARN, "ops", "alerts_not_started", NULL,
                  "reason=thread");
    store = st;
    store_set_observer(&store_obs);
    pipeline_set_observer(&pipe_obs);
    log_event(LOG_INFO, "ops", "started", NULL, "cache=%s webhook=%s",
              cache_backend_name(cache), ac.webhook[0] ? "yes" : "no");
    return SOCC_OK;
}

void ops_stop(void)
{
    atomic_store(&ready, 0);
    pipeline_set_observer(NULL);
    store_set_observer(NULL);
    alerts_stop();
    cache_free(cache);
    cache = NULL;
    store = NULL;
}

void ops_set_ready(int r) { atomic_store(&ready, r != 0); }
int ops_ready(void) { return atomic_load(&ready); }
struct cache *ops_cache(void) { return cache; }
struct store *ops_store(void) { return store; }
const struct health_limits *ops_health_limits(void) { return &limits; }
