#ifndef SOCC_API_VERSIONS_H
#define SOCC_API_VERSIONS_H

/*
 * Versions of a company's tool data: the chain, one version with its
 * change summary, its diff, and the two destructive operations on an
 * upload (activate = rollback, delete), each after a verified backup.
 */

#include <stdint.h>

#include <microhttpd.h>

#include "http/server.h"

/* Everything under /api/versions (GET only). */
enum MHD_Result api_versions_route(struct server_req *r, const char *method,
                                   const char *url);
/*
 * /api/uploads/{id}/activate (POST) and DELETE /api/uploads/{id}; rest is
 * what follows the id ("" or "/activate").
 */
enum MHD_Result api_versions_upload(struct server_req *r, const char *method,
                                    int64_t id, const char *rest);

#endif
