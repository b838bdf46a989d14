#ifndef SOCC_API_AUTH_H
#define SOCC_API_AUTH_H

/*
 * Signing in and out: POST /api/auth/login, POST /api/auth/logout,
 * GET /api/auth/me.
 */

#include <microhttpd.h>

#include "http/server.h"

enum MHD_Result api_auth_login(struct server_req *r);
enum MHD_Result api_auth_logout(struct server_req *r);
enum MHD_Result api_auth_me(struct server_req *r);
/* Append the caller's companies as a JSON array (all for a super admin). */
void api_auth_companies(struct server_req *r, struct buf *b);

#endif
