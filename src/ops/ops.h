#ifndef SOCC_OPS_H
#define SOCC_OPS_H

/*
 * The operations side of a running server, wired together: metrics and
 * alerts watch the pipeline and the store, the cache is invalidated by
 * the store's writes, health and readiness are answered from here.
 * Process-wide; one server per process.
 */

#include "core/config.h"
#include "core/err.h"
#include "ops/health.h"
#include "store/store.h"

struct cache;

/*
 * Start: observers on the pipeline and st, the cache (REDIS_URL or
 * SOCC_CACHE_BYTES), the alert threads.  Not ready until ops_set_ready(1).
 * BAD_REQUEST naming a bad environment variable.
 */
enum socc_err ops_start(struct store *st, const struct config *cfg,
                        struct socc_error *err);
/* Stop the threads, drop the observers and the cache.  Safe twice. */
void ops_stop(void);

/*
 * Readiness switch for the server's lifecycle: 1 once it serves, 0 while
 * starting and from the moment it begins shutting down.  /readyz answers
 * 503 while 0.
 */
void ops_set_ready(int ready);
int ops_ready(void);

/* The cache, or NULL before ops_start(). */
struct cache *ops_cache(void);
/* The store ops_start() was given (NULL before). */
struct store *ops_store(void);
const struct health_limits *ops_health_limits(void);

#endif
