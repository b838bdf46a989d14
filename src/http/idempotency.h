#ifndef SOCC_IDEMPOTENCY_H
#define SOCC_IDEMPOTENCY_H

/*
 * Idempotency-Key on POST /api/uploads: a client that retries a request
 * (after a timeout, a cut connection) with the same key gets the first
 * answer again instead of a second upload or a 409 duplicate.
 *
 * - The answer (status below 500, and its JSON body) is kept in the store
 *   per (company, key) for SOCC_IDEMPOTENCY_TTL seconds (default 86400).
 * - A retry with the same key, company, tool type, file name and file
 *   bytes gets it back with Idempotent-Replayed: true; the same key with
 *   any of those different is 422 IDEMPOTENCY_MISMATCH.
 * - While a request with a key runs, another with the same key is 409
 *   IDEMPOTENCY_IN_PROGRESS at once (before its body is read).
 */

#include <microhttpd.h>

#include "http/server.h"

#define IDEM_KEY_MAX 255
#define IDEM_TTL_DEFAULT_S 86400u

/* 1 when key is 1-255 bytes of visible ASCII (0x21-0x7e). */
int idem_key_ok(const char *key);
/*
 * Mark key as running in this process: 0, or -1 when it runs already.
 * LIMIT: keys are compared alone, since the company is in the body: the
 * same key from two companies at the same moment is 409 for the second.
 */
int idem_claim(const char *key);
/* The request with key ended (claimed by idem_claim()). */
void idem_release(const char *key);
/* Answer status and body (copied) with Idempotent-Replayed: true. */
enum MHD_Result idem_replay(struct server_req *r, unsigned status,
                            const char *body, size_t len);

#endif
