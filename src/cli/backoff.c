#include "backoff.h"

#include <time.h>
#include <unistd.h>

void backoff_init(struct backoff *b, unsigned attempts, unsigned base_ms,
                  unsigned max_ms, uint64_t seed)
{
    struct timespec ts;

    if (seed == 0) {
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
               ((uint64_t)getpid() << 40);
    }
    b->attempts = attempts;
    b->base_ms = base_ms;
    b->max_ms = max_ms;
    b->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
}

unsigned backoff_cap(const struct backoff *b, unsigned n)
{
    uint64_t cap = b->base_ms;

    while (n-- > 0 && cap < b->max_ms)
        cap *= 2;
    return cap < b->max_ms ? (unsigned)cap : b->max_ms;
}

static uint64_t next(struct backoff *b)
{
    uint64_t x = b->rng;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b->rng = x;
    return x;
}

unsigned backoff_delay(struct backoff *b, unsigned n)
{
    unsigned cap = backoff_cap(b, n);

    return (unsigned)(next(b) % ((uint64_t)cap + 1));
}
