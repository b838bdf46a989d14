#ifndef SOCC_SERVER_H
#define SOCC_SERVER_H

/*
 * The HTTP server: libmicrohttpd with an internal thread pool on epoll.
 * It owns per-request state (struct server_req), which the route handlers of
 * router.c, api_uploads.c and static.c fill and respond.c answers.
 */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "auth/principal.h"
#include "auth/ratelimit.h"
#include "auth/session.h"
#include "core/config.h"
#include "core/err.h"
#include "store/backup.h"
#include "store/store.h"

struct server;

/* What every handler shares; read-only while the server runs. */
struct server_app {
    const struct config *cfg;   /* borrowed */
    struct store *store;        /* borrowed, thread-safe */
    struct backup *backup;      /* borrowed; NULL: destructive ops refused */
    struct ratelimit *limits;   /* owned by the server: API rate limits */
    struct session_limits sessions; /* SOCC_SESSION_IDLE / _MAX */
    int tls;                    /* served over HTTPS: cookies are Secure */
};

/* Streams a request body; as MHD's access handler, *size set to 0. */
struct server_req;
typedef enum MHD_Result (*server_body_fn)(struct server_req *r,
                                          const char *data, size_t *size);

/*
 * One request, from the first access-handler call to the completion
 * callback, which logs it and frees it.
 */
struct server_req {
    const struct server_app *app;   /* borrowed */
    struct MHD_Connection *conn;    /* borrowed from MHD */
    char id[65];                    /* request id, also X-Request-Id */
    char method[16];                /* "GET", cut to fit */
    char path[256];                 /* URL path without query, cut */
    struct timespec start;          /* CLOCK_MONOTONIC at the first call */
    unsigned status;                /* status queued, 0 before */
    uint64_t bytes_out;             /* response body bytes */
    uint64_t bytes_in;              /* request body bytes seen */
    const char *err_name;           /* error code name answered, or NULL */
    int close_conn;                 /* answer with Connection: close */
    const char *allow;              /* Allow header of a 405, or NULL */
    int begun;                      /* the access handler has seen it */
    int uri_too_long;               /* refuse with 414: see server.c */
    server_body_fn on_body;         /* set by a route that reads a body */
    void *state;                    /* owned by the route */
    void (*state_free)(void *state);/* frees state; NULL when none */
    void *state_aux;                /* a route's small value (an id) */
    struct principal who;           /* the caller: see http/authz.h */
    int identified;                 /* authz_identify() has run */
    char address[64];               /* client IP address */
    char retry_after[16];           /* Retry-After of a 429, or "" */
    char set_cookie[192];           /* Set-Cookie to send, or "" */
};

/*
 * Parse cfg->listen ("host:port", "[::1]:port") and start serving, a
 * thread per connection.  Connection limits come from the
 * environment: SOCC_PER_IP_CONNECTIONS (default 256 per client address),
 * SOCC_CONNECTION_TIMEOUT (seconds idle, default 60); the total follows
 * RLIMIT_NOFILE.  SOCC_TLS_CERT and SOCC_TLS_KEY (PEM files) serve HTTPS;
 * SOCC_SESSION_IDLE and SOCC_SESSION_MAX set session lifetimes.
 * *out is owned by the caller: server_stop().
 * BAD_REQUEST on a bad listen address or limit, UNAVAILABLE when it cannot
 * bind, with a detail naming the address and port.
 */
enum socc_err server_start(const struct config *cfg, struct store *store,
                           struct backup *backup, struct server **out,
                           struct socc_error *err);
/* Port the server listens on (useful when the configured port was 0). */
uint16_t server_port(const struct server *s);
/* Stop accepting, finish the threads and free; NULL is fine. */
void server_stop(struct server *s);

/* A query argument of the request, borrowed; NULL when absent. */
const char *server_query(struct server_req *r, const char *key);
/* A request header, borrowed; NULL when absent. */
const char *server_header(struct server_req *r, const char *key);

#endif
