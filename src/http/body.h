#ifndef SOCC_BODY_H
#define SOCC_BODY_H

/*
 * Small JSON request bodies (sign-in, admin APIs): read whole, up to
 * BODY_MAX bytes, then handed to a function; and the few lookups those
 * handlers need on a flat JSON object.
 */

#include <stddef.h>

#include <microhttpd.h>

#include "core/buf.h"

#include "http/server.h"

#define BODY_MAX (64u * 1024u)

/* Called with the whole body (NUL-terminated, borrowed). */
typedef enum MHD_Result (*body_done_fn)(struct server_req *r,
                                        const char *body, size_t len);

/*
 * Read the request body, then call done.  A body over BODY_MAX or one
 * that is not Content-Type application/json is answered 400 (413 for the
 * size) without calling done.
 */
enum MHD_Result body_read_json(struct server_req *r, body_done_fn done);

/*
 * The string member key of a JSON object, decoded into out (cap bytes).
 * 1 when present as a string that fits; 0 when absent; -1 when present
 * but not a string, too long, or holding NUL.
 */
int body_str(const char *json, size_t n, const char *key, char *out,
             size_t cap);
/*
 * Decode the inside of a JSON string (n bytes between the quotes) and
 * append it to b; 0, or -1 for a bad escape or \u0000.
 */
int body_json_unescape(const char *p, size_t n, struct buf *b);
/* The raw JSON text of member key (borrowed) and its length; NULL absent. */
const char *body_raw(const char *json, size_t n, const char *key,
                     size_t *len);

#endif
