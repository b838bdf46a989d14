#ifndef SOCC_AUTHZ_H
#define SOCC_AUTHZ_H

/*
 * Who may do what, for route handlers.  The router runs authz_identify()
 * before any route but the public ones (health, config, login, the page);
 * a handler then asks one question with one line:
 *
 *     if (!authz_company(r, company, PRINCIPAL_ANALYST))
 *         return MHD_YES;            (the refusal is already queued)
 *
 * Answers: 401 UNAUTHENTICATED without valid credentials, 403
 * ACCESS_DENIED for another company or too low a role.  For a resource
 * named by id (an upload, a version, a backup of an upload) use
 * authz_upload(): another company's id answers exactly like an id that
 * does not exist (404 NOT_FOUND), so ids reveal nothing.  docs/AUTH.md.
 */

#include <stdint.h>

#include "auth/principal.h"
#include "http/server.h"
#include "store/store.h"

/*
 * Find the caller from "Authorization: Bearer <token>" or the session
 * cookie, into r->who; check the CSRF token of a state-changing request
 * made with a session and the caller's rate limit.  1 when the request
 * may go on (r->who may still be nobody); 0 when a 401, 403 or 429 was
 * queued.  Runs once per request; later calls return the first answer.
 */
int authz_identify(struct server_req *r);
/* 1 when the caller is signed in with at least min; else 0, answered. */
int authz_role(struct server_req *r, enum principal_role min);
/*
 * 1 when the caller is signed in with at least role min and may touch
 * company; else 0 with 401 or 403 ACCESS_DENIED queued.
 */
int authz_company(struct server_req *r, const char *company,
                  enum principal_role min);
/*
 * Load upload id into *u (may be NULL) when the caller (role min) may
 * see it: 1.  Else 0 with the answer queued: 401, 404 NOT_FOUND for an
 * id that does not exist or belongs to another company, 403 when the role
 * is too low.
 */
int authz_upload(struct server_req *r, int64_t id, enum principal_role min,
                 struct store_upload *u);
/* 1 for methods that change state (not GET, HEAD or OPTIONS). */
int authz_changes_state(const char *method);

#endif
