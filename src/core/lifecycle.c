#include "core/lifecycle.h"

#include <stdatomic.h>

enum { SERVING, DRAINING, ABORTING };

static atomic_int phase = SERVING;

void lifecycle_drain(void)
{
    int want = SERVING;

    atomic_compare_exchange_strong(&phase, &want, DRAINING);
}

int lifecycle_draining(void)
{
    return atomic_load(&phase) != SERVING;
}

void lifecycle_abort(void)
{
    atomic_store(&phase, ABORTING);
}

int lifecycle_aborted(void)
{
    return atomic_load(&phase) == ABORTING;
}
