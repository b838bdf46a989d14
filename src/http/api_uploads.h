#ifndef SOCC_API_UPLOADS_H
#define SOCC_API_UPLOADS_H

/*
 * /api/uploads: receive an upload (POST), list, get one, its records and
 * its original file.  Each answers the request; api_uploads_post() may
 * instead set r->on_body and read the body first.
 */

#include <stdint.h>

#include <microhttpd.h>

#include "http/server.h"

enum MHD_Result api_uploads_post(struct server_req *r);
enum MHD_Result api_uploads_list(struct server_req *r);
enum MHD_Result api_uploads_get(struct server_req *r, int64_t id);
/* csv: answer GET /api/uploads/{id}/records.csv (also ?format=csv). */
enum MHD_Result api_uploads_records(struct server_req *r, int64_t id,
                                    int csv);
enum MHD_Result api_uploads_file(struct server_req *r, int64_t id);
/* GET /api/uploads/progress/{token}: an upload's stage, bytes and rows. */
enum MHD_Result api_uploads_progress(struct server_req *r, const char *token);

/*
 * Multipart framing allowed on top of MAX_FILE_SIZE before a declared
 * Content-Length is refused unread.
 */
#define API_UPLOADS_OVERHEAD 65536u

#endif
