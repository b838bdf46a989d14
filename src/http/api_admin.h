#ifndef SOCC_API_ADMIN_H
#define SOCC_API_ADMIN_H

/*
 * Administration over the API: /api/companies (any signed-in caller: its
 * own), /api/users, /api/users/{id}, /api/users/{id}/companies/{name},
 * /api/tokens, /api/tokens/{id}, /api/audit (admins: within their own
 * companies; super admins: everything).  docs/API.md.
 */

#include <microhttpd.h>

#include "http/server.h"

/* 1 when url is one of these routes. */
int api_admin_route(const char *url);
/* Answer it; the caller is signed in (authz_identify has run). */
enum MHD_Result api_admin(struct server_req *r, const char *method,
                          const char *url);

#endif
