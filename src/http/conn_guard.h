#ifndef SOCC_CONN_GUARD_H
#define SOCC_CONN_GUARD_H

/*
 * Deadlines and a head count for the server's connections, which
 * libmicrohttpd 0.9.75 does not give: its only timeout is an idle one,
 * which a client sending a byte now and then never trips.
 *
 * - Headers: a request's header block must be complete within
 *   header_ms of the connection opening (or of the previous answer on a
 *   kept-alive connection).
 * - Body: while a request body arrives, each window of body_window_ms
 *   must bring at least body_min_rate bytes per second.
 *
 * A watchdog thread shuts down (shutdown(2)) the socket of a connection
 * past a deadline; libmicrohttpd then sees the close and ends the
 * request, so its temp files go as after any cut connection.  Every
 * connection is registered from libmicrohttpd's connection-notify
 * callback and removed there when it closes, before libmicrohttpd closes
 * the descriptor, so the watchdog never touches a reused descriptor.
 */

#include <stddef.h>
#include <stdint.h>

struct conn_guard;
struct guard_conn;

struct guard_limits {
    unsigned max_conns;       /* connections served; past it: over */
    unsigned header_ms;       /* header block deadline */
    unsigned body_window_ms;  /* body rate window */
    unsigned body_min_rate;   /* bytes per second, 0: no body check */
};

/* Start the watchdog.  0, or -1 when no thread could be made. */
int guard_start(const struct guard_limits *l, struct conn_guard **out);
/* Stop the watchdog and free; every connection must be closed. */
void guard_stop(struct conn_guard *g);

/*
 * A connection opened on descriptor fd: its header deadline starts.
 * NULL when out of memory (the connection then goes unguarded).
 */
struct guard_conn *guard_open(struct conn_guard *g, int fd);
/* The connection closes; c is freed.  NULL is fine. */
void guard_close(struct conn_guard *g, struct guard_conn *c);
/* 1 when more than max_conns connections were open as c opened. */
int guard_over(const struct guard_conn *c);
/* Connections open now. */
unsigned guard_count(struct conn_guard *g);

/* The header block arrived; has_body: body rate checks start. */
void guard_headers_done(struct conn_guard *g, struct guard_conn *c,
                        int has_body);
/* n more body bytes arrived (called from the connection's thread). */
void guard_body_bytes(struct guard_conn *c, size_t n);
/* The body is complete: no deadline while the request is processed. */
void guard_body_done(struct conn_guard *g, struct guard_conn *c);
/* The answer is out: the next request's header deadline starts. */
void guard_request_done(struct conn_guard *g, struct guard_conn *c);

#endif
