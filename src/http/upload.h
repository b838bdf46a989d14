#ifndef SOCC_UPLOAD_H
#define SOCC_UPLOAD_H

/*
 * Receiving one multipart upload (POST /api/uploads): fields company and
 * tool_type, and the file part, streamed to a temp file in the store's
 * temp directory and hashed as it arrives.  At the end of the body the
 * pipeline takes the file.  Fields may come in any order.  No libmicrohttpd
 * here: the caller feeds the body in chunks.
 */

#include <stddef.h>
#include <stdint.h>

#include "auth/principal.h"
#include "core/config.h"
#include "core/err.h"
#include "ingest/pipeline.h"
#include "store/store.h"

#define UPLOAD_FIELD_MAX 1024   /* bytes of a text field */
#define UPLOAD_COMPANY_MAX 128  /* bytes of the trimmed company */

struct upload;

/*
 * Start receiving a body with this Content-Type (borrowed).  cfg, store
 * and req_id are borrowed for the upload's life.  BAD_REQUEST when the
 * body is not multipart/form-data.  *out is owned: upload_free().
 */
enum socc_err upload_new(const struct config *cfg, struct store *store,
                         const char *req_id, const char *content_type,
                         struct upload **out, struct socc_error *err);
/*
 * The next n body bytes.  FILE_TOO_LARGE once the file passes
 * cfg->max_file_size, BAD_REQUEST on a malformed body, STORAGE_FULL or
 * INTERNAL when the temp file cannot be written.  After an error the
 * upload is dead: free it.
 */
enum socc_err upload_feed(struct upload *u, const char *data, size_t n,
                          struct socc_error *err);
/*
 * The body ended: check the fields and run the pipeline, which takes the
 * temp file.  UPLOAD_INCOMPLETE when the body stopped early, BAD_REQUEST
 * for a missing or invalid field, else pipeline_run()'s result with *out.
 */
enum socc_err upload_finish(struct upload *u, struct pipeline_output *out,
                            struct socc_error *err);
/*
 * The body ended: check the fields without running the pipeline (so a
 * caller can look at them first); upload_finish() does it too.  Same
 * errors as upload_finish() before the pipeline.  Repeatable.
 */
enum socc_err upload_prepare(struct upload *u, struct socc_error *err);
/*
 * After upload_prepare(): into out the SHA-256 hex of what makes the
 * request this request: company, tool type, file name and the file's
 * SHA-256 (upload_company() gives the trimmed company).
 */
void upload_fingerprint(const struct upload *u, char out[65]);
/* Report stages and rows of this upload to p (borrowed, may be NULL). */
struct progress;
void upload_set_progress(struct upload *u, struct progress *p);
/*
 * The caller (borrowed for the upload's life): its name is kept as
 * uploaded_by, and a company it may not touch is ACCESS_DENIED as soon as
 * the company field ends, before the pipeline sees the file.  Without a
 * caller (the CLI) every company is accepted.
 */
void upload_set_caller(struct upload *u, const struct principal *who);
/* The company field as received (trimmed once checked), or "". */
const char *upload_company(const struct upload *u);
/* Bytes of the file part received so far. */
uint64_t upload_file_size(const struct upload *u);
/* Close and remove the temp file if still held, and free; NULL is fine. */
void upload_free(struct upload *u);

/*
 * Check a company name: trimmed of blanks in place, 1-128 bytes of valid
 * UTF-8 with no control characters.  0 or -1.
 */
int upload_company_ok(char *company);

#endif
