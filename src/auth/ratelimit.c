#include "auth/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/auth_store.h"

/* Buckets kept; past it the one unused longest is reused. */
#define TABLE_SIZE 1024
#define KEY_MAX 48

struct tier {
    const char *name;
    double rate;      /* requests per second, refilled */
    double burst;     /* bucket size */
};

static const struct tier tiers[] = {
    { "low", 1.0, 20.0 },
    { "standard", 10.0, 100.0 },
    { "high", 100.0, 1000.0 },
    { "unlimited", 0.0, 0.0 },
};

int ratelimit_tier(const char *tier, double *rate, double *burst)
{
    size_t i;

    for (i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++) {
        if (strcmp(tiers[i].name, tier) == 0) {
            *rate = tiers[i].rate;
            *burst = tiers[i].burst;
            return 0;
        }
    }
    return -1;
}

int ratelimit_tier_ok(const char *tier)
{
    double r, b;

    return tier && ratelimit_tier(tier, &r, &b) == 0;
}

int ratelimit_bucket_take(struct ratelimit_bucket *b, double rate,
                          double burst, double now, unsigned *retry_after)
{
    double wait;

    if (b->last == 0.0) {
        b->tokens = burst;
        b->last = now;
    }
    if (now > b->last) {
        b->tokens += (now - b->last) * rate;
        if (b->tokens > burst)
            b->tokens = burst;
        b->last = now;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return 1;
    }
    wait = rate > 0.0 ? (1.0 - b->tokens) / rate : 60.0;
    *retry_after = (unsigned)ceil(wait);
    if (*retry_after == 0)
        *retry_after = 1;
    return 0;
}

struct slot {
    char key[KEY_MAX];
    struct ratelimit_bucket b;
};

struct ratelimit {
    pthread_mutex_t mu;
    struct slot slots[TABLE_SIZE];
};

struct ratelimit *ratelimit_new(void)
{
    struct ratelimit *rl = calloc(1, sizeof(*rl));

    if (rl)
        pthread_mutex_init(&rl->mu, NULL);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

/* The slot of key, or a free or the stalest one, reset for key. */
static struct slot *find_slot(struct ratelimit *rl, const char *key)
{
    struct slot *stale = &rl->slots[0];
    size_t i;

    for (i = 0; i < TABLE_SIZE; i++) {
        struct slot *s = &rl->slots[i];
        if (strcmp(s->key, key) == 0)
            return s;
        if (!s->key[0] || s->b.last < stale->b.last)
            stale = s;
        if (!s->key[0])
            break;
    }
    snprintf(stale->key, sizeof(stale->key), "%s", key);
    memset(&stale->b, 0, sizeof(stale->b));
    return stale;
}

int ratelimit_take(struct ratelimit *rl, const char *key, const char *tier,
                   double now, unsigned *retry_after)
{
    double rate = 10.0, burst = 100.0;
    int ok;

    if (ratelimit_tier(tier, &rate, &burst) != 0)
        ratelimit_tier("standard", &rate, &burst);
    if (burst == 0.0)
        return 1;
    pthread_mutex_lock(&rl->mu);
    ok = ratelimit_bucket_take(&find_slot(rl, key)->b, rate, burst, now,
                               retry_after);
    pthread_mutex_unlock(&rl->mu);
    return ok;
}

enum socc_err ratelimit_login_check(struct store *st, const char *account,
                                    const char *address, int64_t now,
                                    unsigned *retry_after,
                                    struct socc_error *err)
{
    struct auth_store_failures f;
    int64_t oldest = 0;
    enum socc_err e;

    e = auth_store_login_failures(st, account, address,
                                  now - RATELIMIT_LOGIN_WINDOW + 1, &f, err);
    if (e != SOCC_OK)
        return e;
    /* Both limits must clear: wait for the later of the two. */
    if (f.account >= RATELIMIT_LOGIN_MAX)
        oldest = f.account_oldest;
    if (f.address >= RATELIMIT_LOGIN_MAX && f.address_oldest > oldest)
        oldest = f.address_oldest;
    if (f.account < RATELIMIT_LOGIN_MAX && f.address < RATELIMIT_LOGIN_MAX)
        return SOCC_OK;
    *retry_after = (unsigned)(oldest + RATELIMIT_LOGIN_WINDOW - now);
    if (*retry_after == 0)
        *retry_after = 1;
    return socc_error_set(err, SOCC_E_RATE_LIMITED,
                          "too many failed sign-ins; try again in %u s",
                          *retry_after);
}
