#ifndef SOCC_SERVER_H
#define SOCC_SERVER_H

/*
 * The HTTP server: libmicrohttpd, a thread per connection, on poll.
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
    unsigned max_uploads;       /* uploads in flight at most */
    unsigned idem_ttl_s;        /* Idempotency-Key answers kept (s) */
};

/* Seconds a 503 UNAVAILABLE (limit or shutdown) asks the client to wait. */
#define SERVER_RETRY_AFTER_S 5u

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
    unsigned retry_after;           /* Retry-After seconds, 0: none */
    server_body_fn on_body;         /* set by a route that reads a body */
    void *state;                    /* owned by the route */
    void (*state_free)(void *state);/* frees state; NULL when none */
    void *state_aux;                /* a route's small value (an id) */
    struct principal who;           /* the caller: see http/authz.h */
    int identified;                 /* authz_identify() has run */
    char address[64];               /* client IP address */
    char set_cookie[192];           /* Set-Cookie to send, or "" */
};

/*
 * Parse cfg->listen ("host:port", "[::1]:port") and start serving, a
 * thread per connection.  Limits come from the environment (README,
 * "Configuration"): SOCC_PER_IP_CONNECTIONS (default 256 per client
 * address), SOCC_CONNECTION_TIMEOUT (seconds idle, default 60),
 * SOCC_MAX_CONNECTIONS (default: what RLIMIT_NOFILE allows, less 64),
 * SOCC_MAX_UPLOADS (default 64 in flight), SOCC_HEADER_TIMEOUT (s, 30),
 * SOCC_BODY_TIMEOUT (s, 30) with SOCC_BODY_MIN_RATE (bytes/s, 1024),
 * SOCC_MAX_HEADER_SIZE (bytes, 16384), SOCC_SHUTDOWN_TIMEOUT (s, 30),
 * SOCC_IDEMPOTENCY_TTL (s, 86400).  SOCC_TLS_CERT and SOCC_TLS_KEY (PEM
 * files) serve HTTPS; SOCC_SESSION_IDLE and SOCC_SESSION_MAX set session
 * lifetimes.  *out is owned by the caller: server_stop().
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

/*
 * Begin a graceful stop: close the listening socket (new connections are
 * refused) and enter draining (core/lifecycle.h), in which requests that
 * carry a body are answered 503 UNAVAILABLE with Retry-After and every
 * answer closes its connection.  Uploads already running go on.  Then
 * wait while server_busy(), at most SOCC_SHUTDOWN_TIMEOUT, and call
 * server_stop(), which aborts what still runs (rolled back, temp files
 * removed).
 */
void server_quiesce(struct server *s);
/* 1 while uploads are in flight (being received or processed). */
int server_busy(const struct server *s);
/* SOCC_SHUTDOWN_TIMEOUT in ms (default 30 s), read at server_start(). */
unsigned server_shutdown_ms(const struct server *s);
/*
 * 1 once a stop was asked (SIGTERM/SIGINT): readiness probes answer 503
 * from then on.  Lock-free; any thread.
 */
int server_draining(void);

/* A query argument of the request, borrowed; NULL when absent. */
const char *server_query(struct server_req *r, const char *key);
/* A request header, borrowed; NULL when absent. */
const char *server_header(struct server_req *r, const char *key);

#endif
