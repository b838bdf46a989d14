/*
 * The in-process cache backend: a hash table over a recency list,
 * bounded in bytes (keys, values and bookkeeping), one mutex.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/cache.h"

#define LRU_BUCKETS 4096u
/*
 * LIMIT: at most this many companies keep their own generation; past it
 * the table is cleared and the epoch bumped, which empties the cache once.
 */
#define GENS_MAX 10000u

struct entry {
    struct entry *hnext;          /* hash chain */
    struct entry *prev, *next;    /* recency: head is the newest */
    size_t klen, vlen;
    char *key;                    /* points into the same allocation */
    char *val;
};

struct gen {
    struct gen *next;
    uint64_t value;
    char company[];               /* NUL-terminated */
};

struct lru {
    pthread_mutex_t mu;
    struct entry *table[LRU_BUCKETS];
    struct entry *head, *tail;
    size_t bytes, max_bytes;
    struct gen *gens[LRU_BUCKETS];
    size_t ngens;
    uint64_t epoch;
};

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ull;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void *cache_lru_new(size_t max_bytes)
{
    struct lru *l = calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    pthread_mutex_init(&l->mu, NULL);
    l->max_bytes = max_bytes;
    return l;
}

static size_t entry_bytes(const struct entry *e)
{
    return sizeof(*e) + e->klen + e->vlen + 2;
}

static void list_unlink(struct lru *l, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        l->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        l->tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_push(struct lru *l, struct entry *e)
{
    e->next = l->head;
    e->prev = NULL;
    if (l->head)
        l->head->prev = e;
    l->head = e;
    if (!l->tail)
        l->tail = e;
}

/* Remove e from the table and list and free it; mu held. */
static void drop(struct lru *l, struct entry *e)
{
    struct entry **pp = &l->table[hash(e->key) % LRU_BUCKETS];

    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    list_unlink(l, e);
    l->bytes -= entry_bytes(e);
    free(e);
}

static struct entry *find(struct lru *l, const char *key)
{
    struct entry *e = l->table[hash(key) % LRU_BUCKETS];

    while (e && strcmp(e->key, key) != 0)
        e = e->hnext;
    return e;
}

static struct gen *gen_find(struct lru *l, const char *company)
{
    struct gen *g = l->gens[hash(company) % LRU_BUCKETS];

    while (g && strcmp(g->company, company) != 0)
        g = g->next;
    return g;
}

static void gens_clear(struct lru *l)
{
    struct gen *g, *next;
    size_t i;

    for (i = 0; i < LRU_BUCKETS; i++) {
        for (g = l->gens[i]; g; g = next) {
            next = g->next;
            free(g);
        }
        l->gens[i] = NULL;
    }
    l->ngens = 0;
    l->epoch++;
}

static int lru_generation(void *b, const char *company, uint64_t *epoch,
                          uint64_t *gen)
{
    struct lru *l = b;
    struct gen *g;

    pthread_mutex_lock(&l->mu);
    g = gen_find(l, company);
    *gen = g ? g->value : 0;
    *epoch = l->epoch;
    pthread_mutex_unlock(&l->mu);
    return 0;
}

static int lru_bump(void *b, const char *company)
{
    struct lru *l = b;
    struct gen *g;
    size_t n = strlen(company) + 1;

    pthread_mutex_lock(&l->mu);
    g = gen_find(l, company);
    if (g) {
        g->value++;
    } else if (l->ngens >= GENS_MAX || !(g = malloc(sizeof(*g) + n))) {
        gens_clear(l);   /* every generation restarts in a new epoch */
    } else {
        memcpy(g->company, company, n);
        g->value = 1;
        g->next = l->gens[hash(company) % LRU_BUCKETS];
        l->gens[hash(company) % LRU_BUCKETS] = g;
        l->ngens++;
    }
    pthread_mutex_unlock(&l->mu);
    return 0;
}

static int lru_get(void *b, const char *key, struct buf *out)
{
    struct lru *l = b;
    struct entry *e;
    int hit = 0;

    pthread_mutex_lock(&l->mu);
    e = find(l, key);
    if (e) {
        list_unlink(l, e);
        list_push(l, e);
        buf_add(out, e->val, e->vlen);
        hit = 1;
    }
    pthread_mutex_unlock(&l->mu);
    return hit;
}

static void lru_put(void *b, const char *key, const char *val, size_t n)
{
    struct lru *l = b;
    size_t klen = strlen(key);
    struct entry *e = malloc(sizeof(*e) + klen + n + 2), *old;

    if (!e)
        return;
    e->klen = klen;
    e->vlen = n;
    e->key = (char *)(e + 1);
    e->val = e->key + klen + 1;
    memcpy(e->key, key, klen + 1);
    memcpy(e->val, val, n);
    e->val[n] = '\0';
    e->prev = e->next = NULL;
    if (entry_bytes(e) > l->max_bytes / 4) {
        free(e);   /* one value may not push out most of the cache */
        return;
    }
    pthread_mutex_lock(&l->mu);
    old = find(l, key);
    if (old)
        drop(l, old);
    while (l->tail && l->bytes + entry_bytes(e) > l->max_bytes)
        drop(l, l->tail);
    e->hnext = l->table[hash(key) % LRU_BUCKETS];
    l->table[hash(key) % LRU_BUCKETS] = e;
    list_push(l, e);
    l->bytes += entry_bytes(e);
    pthread_mutex_unlock(&l->mu);
}

static int lru_status(void *b, char *out, size_t n)
{
    struct lru *l = b;

    pthread_mutex_lock(&l->mu);
    snprintf(out, n, "memory: %zu of %zu bytes used", l->bytes, l->max_bytes);
    pthread_mutex_unlock(&l->mu);
    return 0;
}

static void lru_free(void *b)
{
    struct lru *l = b;

    if (!l)
        return;
    while (l->head)
        drop(l, l->head);
    gens_clear(l);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

const struct cache_backend cache_lru_backend = {
    "memory", lru_generation, lru_get, lru_put, lru_bump, lru_status,
    lru_free
};
