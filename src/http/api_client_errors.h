#ifndef SOCC_API_CLIENT_ERRORS_H
#define SOCC_API_CLIENT_ERRORS_H

/*
 * /api/client-errors: the page's error boundary reports here (POST); the
 * reports can be read back (GET, GET /{id}).
 */

#include <microhttpd.h>

#include "http/server.h"

/* Bytes of a report's JSON body; a larger one is refused with 413. */
#define CLIENT_ERROR_BODY_MAX 16384u

/*
 * Route everything under /api/client-errors; tail is what follows that
 * prefix ("", "/", "/{id}").
 */
enum MHD_Result api_client_errors(struct server_req *r, const char *method,
                                  const char *tail);

#endif
