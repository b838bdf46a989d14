#ifndef SOCC_CACHE_H
#define SOCC_CACHE_H

/*
 * A cache for frequent reads (upload lists, summaries), with two
 * backends behind one interface: an in-process LRU bounded in bytes
 * (default) and Redis (REDIS_URL).
 *
 * Invalidation by generations: each company has a generation number, and
 * "*" one for views across companies.  A lookup reads the generation
 * first and puts it into the key; a write that changes a company's data
 * bumps its generation and "*" (cache_invalidate) before the write is
 * answered.  An entry computed from data read before a bump is stored
 * under the old generation, which no later lookup asks for: a read after
 * a write never sees stale data.  With Redis the generations live in
 * Redis, so several socc processes agree.
 *
 * The cache never fails a request: when its backend is down every lookup
 * misses and cache_status() says degraded.
 */

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct cache;

/* A backend: the operations cache.c calls, on its own state b. */
struct cache_backend {
    const char *name;                       /* "memory" or "redis" */
    /* Current generation of company ("*" for all), and a global epoch;
     * 0 or -1 when the backend is down. */
    int (*generation)(void *b, const char *company, uint64_t *epoch,
                      uint64_t *gen);
    /* 1 hit (value appended to out), 0 miss, -1 down. */
    int (*get)(void *b, const char *key, struct buf *out);
    void (*put)(void *b, const char *key, const char *val, size_t n);
    /* Bump the generation of company; 0 or -1. */
    int (*bump)(void *b, const char *company);
    /* 0 ok, 1 degraded; a short detail into out (size n). */
    int (*status)(void *b, char *out, size_t n);
    void (*free)(void *b);
};

/* A key captured by cache_lookup(), with the generation it read. */
struct cache_key {
    char text[600];
    int usable;          /* 0 when the backend was down: do not store */
};

/*
 * Open the cache: Redis when redis_url ("redis://host:port[/db]") is not
 * NULL or "", else the in-process LRU holding at most max_bytes.
 * BAD_REQUEST for a URL that is not redis://.  An unreachable Redis is
 * not an error: the cache starts degraded and retries.  *out is owned by
 * the caller: cache_free().
 */
enum socc_err cache_open(const char *redis_url, size_t max_bytes,
                         unsigned ttl_s, struct cache **out,
                         struct socc_error *err);
void cache_free(struct cache *c);

/*
 * Look up what ("list?company=..", any text) among the views of company
 * (NULL: across companies).  1 and the value appended to out on a hit;
 * 0 on a miss, with *k set for cache_store() of the value computed now.
 */
int cache_lookup(struct cache *c, const char *company, const char *what,
                 struct cache_key *k, struct buf *out);
/* Keep val under k (from the cache_lookup() that missed). */
void cache_store(struct cache *c, const struct cache_key *k, const char *val,
                 size_t n);
/* Company's data changed: its views and those across companies go. */
void cache_invalidate(struct cache *c, const char *company);
/* 0 ok, 1 degraded; detail into out. */
int cache_status(struct cache *c, char *out, size_t n);
const char *cache_backend_name(const struct cache *c);

/* The backends (cache_lru.c, cache_redis.c). */
void *cache_lru_new(size_t max_bytes);
extern const struct cache_backend cache_lru_backend;
void *cache_redis_new(const char *host, int port, int db, unsigned ttl_s);
extern const struct cache_backend cache_redis_backend;

#endif
