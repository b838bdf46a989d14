#ifndef SOCC_BREAKER_H
#define SOCC_BREAKER_H

/*
 * A circuit breaker across the files of one `socc upload`: after
 * threshold consecutive files failed for want of a server, it opens for
 * cooldown_ms; then one file may try (half-open).  Success closes it;
 * a failure of that one file opens it for good.
 */

#include <stdint.h>

enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN,
                     BREAKER_TRIPPED };

struct breaker {
    unsigned threshold;        /* consecutive failures that open it */
    unsigned cooldown_ms;
    unsigned fails;            /* consecutive failures so far */
    enum breaker_state state;
    int64_t open_until_ms;     /* while OPEN */
};

void breaker_init(struct breaker *b, unsigned threshold, unsigned cooldown_ms);
/*
 * May a file try at now_ms?  0 yes; else the ms to wait (OPEN), or -1
 * when it tripped for good.  An OPEN breaker whose time is up becomes
 * HALF_OPEN and answers 0.
 */
int64_t breaker_wait(struct breaker *b, int64_t now_ms);
void breaker_success(struct breaker *b);
/* Record a failure; the state after it. */
enum breaker_state breaker_failure(struct breaker *b, int64_t now_ms);

#endif
