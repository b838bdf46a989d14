#ifndef SOCC_RATELIMIT_H
#define SOCC_RATELIMIT_H

/*
 * Rate limits.  API requests: a token bucket per caller, its rate and
 * burst from the caller's tier.  Logins: at most RATELIMIT_LOGIN_MAX
 * failed attempts in RATELIMIT_LOGIN_WINDOW seconds per account and per
 * client address, counted in the database so that a restart forgets
 * nothing.
 */

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define RATELIMIT_TIERS "low, standard, high, unlimited"
#define RATELIMIT_LOGIN_MAX 5
#define RATELIMIT_LOGIN_WINDOW 900

/* One bucket: tokens left at time last (seconds). */
struct ratelimit_bucket {
    double tokens;
    double last;
};

/* Requests per second and burst of a tier; -1 for an unknown tier. */
int ratelimit_tier(const char *tier, double *rate, double *burst);
/* 1 when tier names a tier. */
int ratelimit_tier_ok(const char *tier);
/*
 * Take one request from b at now.  1 when allowed; else 0 with
 * *retry_after the whole seconds until one is available.  A new bucket
 * (last == 0) starts full.
 */
int ratelimit_bucket_take(struct ratelimit_bucket *b, double rate,
                          double burst, double now, unsigned *retry_after);

/* Buckets by key, shared by the server's threads. */
struct ratelimit;
struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *rl);
/*
 * Take one request for key (a caller: "token:3", "user:7") of tier at
 * now.  1 when allowed, else 0 with *retry_after.  An unlimited tier is
 * always allowed.
 */
int ratelimit_take(struct ratelimit *rl, const char *key, const char *tier,
                   double now, unsigned *retry_after);

/*
 * May account log in from address at now?  SOCC_OK, or RATE_LIMITED with
 * *retry_after the seconds until the oldest counted failure leaves the
 * window.
 */
enum socc_err ratelimit_login_check(struct store *st, const char *account,
                                    const char *address, int64_t now,
                                    unsigned *retry_after,
                                    struct socc_error *err);

#endif
