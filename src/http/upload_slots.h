#ifndef SOCC_UPLOAD_SLOTS_H
#define SOCC_UPLOAD_SLOTS_H

/*
 * Admission of uploads: at most max in flight (SOCC_MAX_UPLOADS), counted
 * by the in-flight registry (ingest/progress.h), so every kind of upload
 * (POST /api/uploads, tus) shares one limit.
 */

#include "ingest/progress.h"

/*
 * Register an upload (progress_begin(token, req_id)) when fewer than max
 * are in flight: 0 and *out (NULL only when out of memory).  -1 when max
 * are in flight already: answer 503 UNAVAILABLE with Retry-After.
 */
int upload_slot_take(unsigned max, const char *token, const char *req_id,
                     struct progress **out);

#endif
