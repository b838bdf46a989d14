#ifndef SOCC_RESPOND_H
#define SOCC_RESPOND_H

/*
 * Answering a request: every response gets the security headers and
 * X-Request-Id, and the request records its status and size for the log.
 * Each function returns what the access handler should return.
 */

#include <stdint.h>

#include <microhttpd.h>

#include "core/buf.h"
#include "core/err.h"
#include "http/server.h"
#include "store/store.h"

/*
 * Queue resp (taken: destroyed here) with status; len is its body size for
 * the log.  MHD_NO when it could not be queued.
 */
enum MHD_Result respond_queue(struct server_req *r, unsigned status,
                              struct MHD_Response *resp, uint64_t len);
/* Answer body (its bytes taken; the buf is emptied) as JSON. */
enum MHD_Result respond_json(struct server_req *r, unsigned status,
                             struct buf *body);
/*
 * Answer the error body of SPEC 2 for code, with the HTTP status of the
 * code (or status when not 0).  detail (may be NULL or "") is added to the
 * message; hint (NULL or "" for the code's own) replaces the hint;
 * existing (may be NULL) adds the "existing" object of a duplicate.
 */
enum MHD_Result respond_error(struct server_req *r, enum socc_err code,
                              unsigned status, const char *detail,
                              const char *hint,
                              const struct store_upload *existing);
/*
 * Append the "existing" object of a duplicate (id, filename, tool_type,
 * uploaded_at, uploaded_by, record_count, version) for upload u.
 */
void respond_existing_json(struct buf *out, const struct store_upload *u);
/* Add ,"warnings":[...] before the closing brace of the upload object in
 * b when warnings (a JSON array) holds some and b has none yet. */
void respond_add_warnings(struct buf *b, const char *warnings);
/* Append the JSON error object (no trailing newline) to out. */
void respond_error_json(struct buf *out, const char *req_id,
                        enum socc_err code, const char *detail,
                        const char *hint,
                        const struct store_upload *existing);
#endif
