#ifndef SOCC_ROUTER_H
#define SOCC_ROUTER_H

/*
 * Routes of the HTTP server.  router_begin() runs on the first access-
 * handler call of a request: it answers at once, or sets r->on_body for a
 * route that reads the body (POST /api/uploads).
 */

#include <microhttpd.h>

#include "http/server.h"

enum MHD_Result router_begin(struct server_req *r, const char *method,
                             const char *url);

#endif
