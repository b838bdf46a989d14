#ifndef SOCC_API_LOOKUP_H
#define SOCC_API_LOOKUP_H

/*
 * What the page asks before it uploads: which companies hold uploads, and
 * whether a company already holds a file with a given SHA-256.
 */

#include <microhttpd.h>

#include "http/server.h"

/*
 * GET /api/uploads/lookup?company=&sha256=: 200 with the upload's
 * "existing" object (as in a 409 DUPLICATE_FILE), 404 when the company
 * holds no such file (whoever else does), 400 on a bad query.
 */
enum MHD_Result api_uploads_lookup(struct server_req *r);
/* GET /api/uploads/companies: {"companies":[{"name",..},..]}. */
enum MHD_Result api_uploads_companies(struct server_req *r);

#endif
