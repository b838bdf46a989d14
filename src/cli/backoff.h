#ifndef SOCC_BACKOFF_H
#define SOCC_BACKOFF_H

/*
 * Retry delays: exponential backoff with full jitter.  Retry n (0 for the
 * first) waits a uniform random time in [0, min(max_ms, base_ms * 2^n)],
 * so many clients that failed together do not come back together.
 */

#include <stdint.h>

struct backoff {
    unsigned attempts;   /* retries allowed after the first try */
    unsigned base_ms;    /* RETRY_BASE_DELAY */
    unsigned max_ms;     /* RETRY_MAX_DELAY */
    uint64_t rng;        /* xorshift state, never 0 */
};

/* seed 0 picks one from the clock and the process id. */
void backoff_init(struct backoff *b, unsigned attempts, unsigned base_ms,
                  unsigned max_ms, uint64_t seed);
/* The ceiling of retry n: min(max_ms, base_ms * 2^n). */
unsigned backoff_cap(const struct backoff *b, unsigned n);
/* A delay for retry n in [0, backoff_cap(b, n)]. */
unsigned backoff_delay(struct backoff *b, unsigned n);

#endif
