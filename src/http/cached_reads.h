#ifndef SOCC_CACHED_READS_H
#define SOCC_CACHED_READS_H

/*
 * The frequent reads of the API through the cache (ops/cache.h): the
 * same answers as the store's functions, from the cache when it holds
 * them for the current generation.  Without a cache they read the store.
 */

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

/* store_list_json() through the cache. */
enum socc_err cached_list_json(struct store *st, const struct store_filter *f,
                               struct buf *out, struct socc_error *err);
/*
 * store_summary_json() of the last 24 hours (to the minute) through the
 * cache; company NULL for all.
 */
enum socc_err cached_summary_json(struct store *st, const char *company,
                                  struct buf *out, struct socc_error *err);

#endif
