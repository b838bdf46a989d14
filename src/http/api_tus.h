#ifndef SOCC_API_TUS_H
#define SOCC_API_TUS_H

/*
 * Resumable uploads by the tus 1.0.0 protocol under /api/tus/: core
 * (HEAD, PATCH), creation (with Upload-Metadata filename, company,
 * tool_type), creation-with-upload, creation-defer-length, termination,
 * checksum (sha1, sha256) and expiration.  A finished upload runs the
 * same pipeline as POST /api/uploads and answers like it.  Upload state
 * lives in the store's temp area (tmp/tus), see ingest/tus_store.h.
 */

#include <microhttpd.h>

#include "core/config.h"
#include "core/err.h"
#include "http/server.h"
#include "store/store.h"

/*
 * Open the tus state under the store's temp directory, sweep expired
 * uploads and start the periodic sweep.  Expiry from SOCC_TUS_EXPIRE
 * (seconds, default 86400).  cfg and store are borrowed until
 * api_tus_stop().  BAD_REQUEST for a bad setting, INTERNAL on disk faults.
 */
enum socc_err api_tus_start(const struct config *cfg, struct store *store,
                            struct socc_error *err);
/* Stop the sweep and free the state; uploads stay on disk. */
void api_tus_stop(void);

/* Route a request for /api/tus or below (url is the decoded path). */
enum MHD_Result api_tus(struct server_req *r, const char *method,
                        const char *url);

#endif
