#ifndef SOCC_WEBHOOK_H
#define SOCC_WEBHOOK_H

/*
 * Posting alert transitions as JSON to one URL (SOCC_ALERT_WEBHOOK), from
 * a thread of its own: webhook_post() only queues, so no request or
 * evaluating thread ever waits for the receiver.
 */

#include <stddef.h>

/* Start the sender for url with a per-post timeout; 0 or -1. */
int webhook_start(const char *url, unsigned timeout_ms);
/* Queue a copy of body; dropped (and logged) when the queue is full or
 * the sender is not running. */
void webhook_post(const char *body, size_t n);
/* Stop after the post in flight; queued ones are dropped.  Safe twice. */
void webhook_stop(void);

#endif
