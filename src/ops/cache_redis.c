/*
 * The Redis cache backend (hiredis, one connection under a mutex).
 * Keys: socc:epoch, socc:gen:<company>, socc:c:<key>.  Values expire after
 * the TTL, so entries of old generations go by themselves.
 *
 * A Redis that stops answering makes every call fail fast (short
 * timeouts); the connection is retried at most once a second.  A bump
 * that could not reach Redis is remembered, and the first thing done on
 * reconnecting is to bump the epoch, which retires every entry.
 * LIMIT: another socc process that kept its connection meanwhile may
 * serve entries that the missed bump should have retired, until that
 * reconnect or the TTL.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "core/log.h"
#include "ops/cache.h"

#define TIMEOUT_MS 250
#define RETRY_MS 1000

struct rcache {
    pthread_mutex_t mu;
    redisContext *ctx;        /* NULL while down */
    char host[256];
    int port, db;
    unsigned ttl_s;
    int missed;               /* a bump failed: bump the epoch on reconnect */
    int64_t last_try_ms;
    char why[128];            /* why it is down */
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drop the connection after a failure; mu held. */
static void down(struct rcache *r, const char *why)
{
    char copy[sizeof(r->why)];

    snprintf(copy, sizeof(copy), "%s", why);   /* why may be in ctx */
    why = copy;
    if (r->ctx) {
        log_event(LOG_WARN, "cache", "redis_down", NULL, "host=%s port=%d "
                  "why=\"%s\"", r->host, r->port, why);
        redisFree(r->ctx);
        r->ctx = NULL;
    }
    snprintf(r->why, sizeof(r->why), "%s", why);
}

/* A reply, or NULL after marking the connection down; mu held. */
__attribute__((format(printf, 2, 3)))
static redisReply *cmd(struct rcache *r, const char *fmt, ...)
{
    redisReply *rep;
    va_list ap;

    va_start(ap, fmt);
    rep = redisvCommand(r->ctx, fmt, ap);
    va_end(ap);
    if (!rep) {
        down(r, r->ctx->errstr[0] ? r->ctx->errstr : "no reply");
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        down(r, "error reply");
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

/* Connected, or 0 after at most one attempt a second; mu held. */
static int up(struct rcache *r)
{
    struct timeval tv = { 0, TIMEOUT_MS * 1000 };
    redisReply *rep;

    if (r->ctx)
        return 1;
    if (r->last_try_ms && mono_ms() - r->last_try_ms < RETRY_MS)
        return 0;
    r->last_try_ms = mono_ms();
    r->ctx = redisConnectWithTimeout(r->host, r->port, tv);
    if (!r->ctx || r->ctx->err) {
        snprintf(r->why, sizeof(r->why), "%s",
                 r->ctx ? r->ctx->errstr : "out of memory");
        redisFree(r->ctx);
        r->ctx = NULL;
        return 0;
    }
    redisSetTimeout(r->ctx, tv);
    if (r->db) {
        if (!(rep = cmd(r, "SELECT %d", r->db)))
            return 0;
        freeReplyObject(rep);
    }
    if (r->missed) {
        if (!(rep = cmd(r, "INCR socc:epoch")))
            return 0;
        freeReplyObject(rep);
        r->missed = 0;
    }
    log_event(LOG_INFO, "cache", "redis_up", NULL, "host=%s port=%d",
              r->host, r->port);
    return 1;
}

void *cache_redis_new(const char *host, int port, int db, unsigned ttl_s)
{
    struct rcache *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    pthread_mutex_init(&r->mu, NULL);
    snprintf(r->host, sizeof(r->host), "%s", host);
    r->port = port;
    r->db = db;
    r->ttl_s = ttl_s ? ttl_s : 300;
    snprintf(r->why, sizeof(r->why), "not connected yet");
    pthread_mutex_lock(&r->mu);
    up(r);
    pthread_mutex_unlock(&r->mu);
    return r;
}

static uint64_t reply_u64(const redisReply *e)
{
    return e->type == REDIS_REPLY_STRING ? strtoull(e->str, NULL, 10) : 0;
}

static int r_generation(void *b, const char *company, uint64_t *epoch,
                        uint64_t *gen)
{
    struct rcache *r = b;
    redisReply *rep = NULL;
    int rc = -1;

    pthread_mutex_lock(&r->mu);
    if (up(r))
        rep = cmd(r, "MGET socc:epoch socc:gen:%s", company);
    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2) {
        *epoch = reply_u64(rep->element[0]);
        *gen = reply_u64(rep->element[1]);
        rc = 0;
    }
    freeReplyObject(rep);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

static int r_get(void *b, const char *key, struct buf *out)
{
    struct rcache *r = b;
    redisReply *rep = NULL;
    int rc = -1;

    pthread_mutex_lock(&r->mu);
    if (up(r))
        rep = cmd(r, "GET socc:c:%s", key);
    if (rep) {
        rc = rep->type == REDIS_REPLY_STRING;
        if (rc)
            buf_add(out, rep->str, rep->len);
    }
    freeReplyObject(rep);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

static void r_put(void *b, const char *key, const char *val, size_t n)
{
    struct rcache *r = b;
    redisReply *rep = NULL;
    char k[700], ttl[16];
    const char *argv[5] = { "SET", k, val, "EX", ttl };
    size_t lens[5] = { 3, 0, n, 2, 0 };

    snprintf(k, sizeof(k), "socc:c:%s", key);
    snprintf(ttl, sizeof(ttl), "%u", r->ttl_s);
    lens[1] = strlen(k);
    lens[4] = strlen(ttl);
    pthread_mutex_lock(&r->mu);
    if (up(r)) {
        rep = redisCommandArgv(r->ctx, 5, argv, lens);
        if (!rep)
            down(r, r->ctx->errstr[0] ? r->ctx->errstr : "no reply");
    }
    freeReplyObject(rep);
    pthread_mutex_unlock(&r->mu);
}

static int r_bump(void *b, const char *company)
{
    struct rcache *r = b;
    redisReply *rep = NULL;

    pthread_mutex_lock(&r->mu);
    if (up(r))
        rep = cmd(r, "INCR socc:gen:%s", company);
    if (!rep)
        r->missed = 1;
    freeReplyObject(rep);
    pthread_mutex_unlock(&r->mu);
    return rep ? 0 : -1;
}

static int r_status(void *b, char *out, size_t n)
{
    struct rcache *r = b;
    redisReply *rep = NULL;
    int rc = 1;

    pthread_mutex_lock(&r->mu);
    if (up(r))
        rep = cmd(r, "PING");
    if (rep) {
        snprintf(out, n, "redis %s:%d answers", r->host, r->port);
        rc = 0;
    } else {
        snprintf(out, n, "redis %s:%d unreachable (%s); reads go to the "
                 "database", r->host, r->port, r->why);
    }
    freeReplyObject(rep);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

static void r_free(void *b)
{
    struct rcache *r = b;

    if (!r)
        return;
    redisFree(r->ctx);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

const struct cache_backend cache_redis_backend = {
    "redis", r_generation, r_get, r_put, r_bump, r_status, r_free
};
