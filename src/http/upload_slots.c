#include "http/upload_slots.h"

#include <pthread.h>

/* Makes count-then-register one step, so max is never passed. */
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;

int upload_slot_take(unsigned max, const char *token, const char *req_id,
                     struct progress **out)
{
    int rc = 0;

    *out = NULL;
    pthread_mutex_lock(&slots_mu);
    if (progress_active(NULL) >= max)
        rc = -1;
    else
        *out = progress_begin(token, req_id);
    pthread_mutex_unlock(&slots_mu);
    return rc;
}
