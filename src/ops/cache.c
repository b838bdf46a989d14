#include "ops/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/metrics.h"

struct cache {
    const struct cache_backend *be;   /* static */
    void *b;                          /* owned: be->free */
};

/* Parse "redis://host:port[/db]"; 0 or -1. */
static int parse_url(const char *url, char *host, size_t hn, int *port,
                     int *db)
{
    const char *p = url + 8, *colon, *slash;
    char *end;
    long v;

    if (strncmp(url, "redis://", 8) != 0)
        return -1;
    slash = strchr(p, '/');
    colon = strchr(p, ':');
    if (!colon || (slash && colon > slash) || colon == p ||
        (size_t)(colon - p) >= hn)
        return -1;
    memcpy(host, p, (size_t)(colon - p));
    host[colon - p] = '\0';
    v = strtol(colon + 1, &end, 10);
    if (v < 1 || v > 65535 || (*end && *end != '/'))
        return -1;
    *port = (int)v;
    *db = 0;
    if (*end == '/' && end[1]) {
        v = strtol(end + 1, &end, 10);
        if (v < 0 || v > 1000 || *end)
            return -1;
        *db = (int)v;
    }
    return 0;
}

enum socc_err cache_open(const char *redis_url, size_t max_bytes,
                         unsigned ttl_s, struct cache **out,
                         struct socc_error *err)
{
    struct cache *c = calloc(1, sizeof(*c));
    char host[256];
    int port, db;

    *out = NULL;
    if (!c)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    if (redis_url && *redis_url) {
        if (parse_url(redis_url, host, sizeof(host), &port, &db) != 0) {
            free(c);
            return socc_error_set(err, SOCC_E_BAD_REQUEST, "REDIS_URL must "
                                  "be redis://host:port[/db]");
        }
        c->be = &cache_redis_backend;
        c->b = cache_redis_new(host, port, db, ttl_s);
    } else {
        c->be = &cache_lru_backend;
        c->b = cache_lru_new(max_bytes);
    }
    if (!c->b) {
        free(c);
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    }
    *out = c;
    return SOCC_OK;
}

void cache_free(struct cache *c)
{
    if (!c)
        return;
    c->be->free(c->b);
    free(c);
}

/*
 * The generation name of company's views, "=<company>", or "*" across
 * companies (no company name can make "*").  -1 when it does not fit.
 */
static int scope_of(const char *company, char *out, size_t n)
{
    if (!company) {
        snprintf(out, n, "*");
        return 0;
    }
    return (size_t)snprintf(out, n, "=%s", company) < n ? 0 : -1;
}

int cache_lookup(struct cache *c, const char *company, const char *what,
                 struct cache_key *k, struct buf *out)
{
    uint64_t epoch = 0, gen = 0;
    char scope[300];
    int hit;

    k->usable = 0;
    k->text[0] = '\0';
    if (scope_of(company, scope, sizeof(scope)) != 0 || !c ||
        c->be->generation(c->b, scope, &epoch, &gen) != 0) {
        metrics_cache(0);
        return 0;
    }
    /* company names are free text: its length keeps keys unambiguous */
    if ((size_t)snprintf(k->text, sizeof(k->text), "%llu:%llu:%zu:%s:%s",
                         (unsigned long long)epoch, (unsigned long long)gen,
                         strlen(scope), scope, what) >= sizeof(k->text)) {
        metrics_cache(0);
        return 0;   /* too long to cache: computed every time */
    }
    hit = c->be->get(c->b, k->text, out);
    metrics_cache(hit == 1);
    k->usable = hit == 0;
    return hit == 1;
}

void cache_store(struct cache *c, const struct cache_key *k, const char *val,
                 size_t n)
{
    if (c && k->usable)
        c->be->put(c->b, k->text, val, n);
}

void cache_invalidate(struct cache *c, const char *company)
{
    char scope[300];

    if (!c)
        return;
    if (company && scope_of(company, scope, sizeof(scope)) == 0)
        c->be->bump(c->b, scope);
    c->be->bump(c->b, "*");
}

int cache_status(struct cache *c, char *out, size_t n)
{
    if (!c) {
        snprintf(out, n, "no cache");
        return 1;
    }
    return c->be->status(c->b, out, n);
}

const char *cache_backend_name(const struct cache *c)
{
    return c ? c->be->name : "none";
}
