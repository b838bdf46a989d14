#include "breaker.h"

void breaker_init(struct breaker *b, unsigned threshold, unsigned cooldown_ms)
{
    b->threshold = threshold ? threshold : 1;
    b->cooldown_ms = cooldown_ms;
    b->fails = 0;
    b->state = BREAKER_CLOSED;
    b->open_until_ms = 0;
}

int64_t breaker_wait(struct breaker *b, int64_t now_ms)
{
    if (b->state == BREAKER_TRIPPED)
        return -1;
    if (b->state != BREAKER_OPEN)
        return 0;
    if (now_ms < b->open_until_ms)
        return b->open_until_ms - now_ms;
    b->state = BREAKER_HALF_OPEN;
    return 0;
}

void breaker_success(struct breaker *b)
{
    b->fails = 0;
    b->state = BREAKER_CLOSED;
}

enum breaker_state breaker_failure(struct breaker *b, int64_t now_ms)
{
    b->fails++;
    if (b->state == BREAKER_HALF_OPEN) {
        b->state = BREAKER_TRIPPED;
    } else if (b->state == BREAKER_CLOSED && b->fails >= b->threshold) {
        b->state = BREAKER_OPEN;
        b->open_until_ms = now_ms + b->cooldown_ms;
    }
    return b->state;
}
