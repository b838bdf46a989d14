#ifndef SOCC_HEALTH_H
#define SOCC_HEALTH_H

/*
 * Health of the parts socc depends on: database, storage, memory, uploads
 * in flight, cache.  Each is ok, degraded (works, needs a look) or down
 * (does not work); the overall status is the worst of them.
 */

#include <stdint.h>

#include "core/buf.h"
#include "store/store.h"

struct cache;

enum health_status { HEALTH_OK, HEALTH_DEGRADED, HEALTH_DOWN };

/* Thresholds, from the environment (see docs/OPERATIONS.md). */
struct health_limits {
    int64_t db_slow_ms;         /* SOCC_HEALTH_DB_SLOW_MS, 1000 */
    uint64_t min_free_bytes;    /* SOCC_STORAGE_MIN_FREE, 1 GiB: degraded */
    uint64_t down_free_bytes;   /* below this storage is down */
    double mem_degraded;        /* SOCC_ALERT_MEMORY_RATIO, 0.80 */
    double mem_down;            /* 0.95 */
    int64_t upload_stuck_ms;    /* SOCC_HEALTH_UPLOAD_STUCK_S, 600 s */
};

/* Defaults and the environment; down_free_bytes = max_file_size. */
void health_limits_load(struct health_limits *l, uint64_t max_file_size);

const char *health_status_name(enum health_status s);

/*
 * Check every component and append {"status":..,"components":{..}}
 * (see docs/API.md); the overall status is returned.  cache may be NULL.
 */
enum health_status health_check(struct store *st, struct cache *cache,
                                const struct health_limits *l,
                                struct buf *out);

/*
 * Whether the server can take requests: the database answers a query
 * and the data directory takes a file.  0 ready, else -1 with the reason
 * in why (size n).
 */
int health_ready(struct store *st, char *why, size_t n);

#endif
