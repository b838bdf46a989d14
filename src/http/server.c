#include "server.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/lifecycle.h"
#include "core/log.h"
#include "http/conn_guard.h"
#include "http/idempotency.h"
#include "http/respond.h"
#include "http/router.h"
#include "ingest/progress.h"
#include "ops/metrics.h"

#define CONNECTION_MEMORY (256u * 1024u)
#define TIMEOUT_DEFAULT_S 60u        /* SOCC_CONNECTION_TIMEOUT */
#define PER_IP_DEFAULT 256u          /* SOCC_PER_IP_CONNECTIONS */
#define FD_RESERVE 64u               /* descriptors kept for the store */
#define CONNECTIONS_MAX 4096u        /* a thread each; RLIMIT_NOFILE too */
#define THREAD_STACK (1024u * 1024u) /* per connection thread */
/*
 * Connections past SOCC_MAX_CONNECTIONS that libmicrohttpd still accepts,
 * so that they can be answered 503 instead of waiting in the backlog.
 */
#define OVERFLOW_CONNS 64u
#define MAX_UPLOADS_DEFAULT 64u      /* SOCC_MAX_UPLOADS */
#define HEADER_TIMEOUT_DEFAULT_S 30u /* SOCC_HEADER_TIMEOUT */
#define BODY_TIMEOUT_DEFAULT_S 30u   /* SOCC_BODY_TIMEOUT: rate window */
#define BODY_MIN_RATE_DEFAULT 1024u  /* SOCC_BODY_MIN_RATE, bytes/s */
#define HEADER_SIZE_DEFAULT 16384u   /* SOCC_MAX_HEADER_SIZE, bytes */
#define SHUTDOWN_DEFAULT_S 30u       /* SOCC_SHUTDOWN_TIMEOUT */
/*
 * A request line within these passes; a longer one, or more query
 * arguments, is answered 414.  libmicrohttpd 0.9.75 stores each query
 * argument in the connection's memory pool and, when the pool runs out,
 * leaves the client waiting without an answer.
 */
#define URI_MAX 8192u
#define QUERY_ARGS_MAX 256u
/*
 * LIMIT: a request line or header block larger than the connection's
 * memory, or one with thousands of header lines, is answered by
 * libmicrohttpd itself: a 414 or 431 HTML page with Connection: close,
 * without the JSON error body, request id or security headers.
 */

struct server {
    struct MHD_Daemon *daemon;       /* owned */
    struct server_app app;
    struct sockaddr_storage addr;    /* where it listens */
    int listen_fd;                   /* ours until MHD takes it, or -1 */
    unsigned per_ip;                 /* connections per client address */
    unsigned timeout_s;              /* idle seconds before a close */
    unsigned conn_limit;             /* connections MHD accepts */
    unsigned max_conns;              /* connections served, rest 503 */
    unsigned header_s;               /* header block deadline */
    unsigned body_s;                 /* body rate window */
    unsigned body_rate;              /* body bytes/s at least, 0: off */
    unsigned header_size;            /* header bytes at most */
    unsigned shutdown_s;             /* drain deadline */
    struct conn_guard *guard;        /* owned; deadlines and head count */
    uint16_t port;
    char *tls_cert;                  /* PEM, owned; NULL without TLS */
    char *tls_key;                   /* PEM, owned */
};

/* ---- request state ------------------------------------------------------ */

/* 1 when a client X-Request-Id is 1-64 of [A-Za-z0-9._-]. */
static int request_id_ok(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return n >= 1 && n <= 64;
}

/*
 * A request as its URI arrives, before its headers: the id may still be
 * replaced by the client's X-Request-Id in req_begin().
 */
static struct server_req *req_new(struct server *s, struct MHD_Connection *c,
                                  const char *uri)
{
    struct server_req *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->app = &s->app;
    r->conn = c;
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    snprintf(r->method, sizeof(r->method), "-");
    snprintf(r->path, sizeof(r->path), "%.*s", (int)strcspn(uri, "?"), uri);
    log_new_request_id(r->id);
    return r;
}

/* The peer's IP address as text into r->address ("-" when unknown). */
static void client_address(struct server_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(r->address, sizeof(r->address), "-");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                  r->address, sizeof(r->address));
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  r->address, sizeof(r->address));
}

/* The first access-handler call: method, decoded path, client's id. */
static void req_begin(struct server_req *r, const char *method,
                      const char *url)
{
    const char *rid;

    r->begun = 1;
    snprintf(r->method, sizeof(r->method), "%s", method);
    snprintf(r->path, sizeof(r->path), "%s", url);
    rid = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                      "X-Request-Id");
    if (rid && request_id_ok(rid))
        snprintf(r->id, sizeof(r->id), "%s", rid);
    client_address(r);
}

/* 1 when the URI is longer, or has more query arguments, than we take. */
static int uri_too_long(const char *uri, size_t len)
{
    const char *q = memchr(uri, '?', len);
    size_t args = 1;

    if (len > URI_MAX)
        return 1;
    for (; q && *q; q++)
        args += *q == '&';
    return q && args > QUERY_ARGS_MAX;
}

/*
 * MHD's URI callback, before it parses the query: start the request, and
 * for a URI we refuse, empty the query in place so MHD parses none of it.
 * The URI lives in MHD's writable read buffer; cutting it is the only way
 * to keep the query from exhausting the connection's memory (URI_MAX).
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct server_req *r = req_new(cls, c, uri);
    char *q;

    if (!r || !uri_too_long(uri, strlen(uri)))
        return r;
    r->uri_too_long = 1;
    q = strchr(uri, '?');
    if (q)
        q[1] = '\0';
    return r;
}

const char *server_query(struct server_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *server_header(struct server_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key);
}

/* What the framing headers of a request say. */
struct framing {
    unsigned n_length;               /* Content-Length headers */
    unsigned n_coding;               /* Transfer-Encoding headers */
    int lengths_differ;              /* two Content-Length values differ */
    int coding_other;                /* a coding other than "chunked" */
    const char *length;              /* the first Content-Length, borrowed */
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
    struct framing *f = cls;

    (void)kind;
    if (!value)
        value = "";
    if (strcasecmp(key, "Content-Length") == 0) {
        if (f->n_length++ && strcmp(f->length, value) != 0)
            f->lengths_differ = 1;
        else
            f->length = value;
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        f->n_coding++;
        f->coding_other |= strcasecmp(value, "chunked") != 0;
    }
    return MHD_YES;
}

/*
 * Refuse a body whose length two parsers could read two ways (request
 * smuggling): Content-Length values that differ, Content-Length with
 * Transfer-Encoding, or a coding other than one "chunked".  NULL when the
 * framing is sound, else the detail to answer.
 */
static const char *framing_fault(struct server_req *r)
{
    struct framing f;

    memset(&f, 0, sizeof(f));
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_framing, &f);
    if (f.lengths_differ)
        return "Content-Length is given twice with different values";
    if (f.n_length && f.n_coding)
        return "Content-Length and Transfer-Encoding are both given";
    if (f.n_coding > 1 || f.coding_other)
        return "Transfer-Encoding must be a single \"chunked\"";
    return NULL;
}

/* The guard entry of connection c (its socket context), or NULL. */
static struct guard_conn *conn_guard_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

static int may_have_body(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind,
                                       const char *key, const char *value)
{
    size_t *n = cls;

    (void)kind;
    *n += strlen(key) + (value ? strlen(value) : 0) + 4;   /* ": " CRLF */
    return MHD_YES;
}

static size_t header_bytes(struct MHD_Connection *c)
{
    size_t n = 0;

    MHD_get_connection_values(c, MHD_HEADER_KIND, add_header_size, &n);
    return n;
}

static enum MHD_Result unavailable(struct server_req *r, const char *detail,
                                   const char *hint)
{
    r->close_conn = 1;
    r->retry_after = SERVER_RETRY_AFTER_S;
    return respond_error(r, SOCC_E_UNAVAILABLE, 0, detail, hint, NULL);
}

/*
 * Refusals before routing: a connection past SOCC_MAX_CONNECTIONS, a
 * request with a body while draining, headers past SOCC_MAX_HEADER_SIZE.
 * 1 when r was answered (or could not be: r->status stays 0).
 */
static int refused(struct server *s, struct server_req *r,
                   const char *method)
{
    size_t hb;

    if (guard_over(conn_guard_of(r->conn))) {
        unavailable(r, "the server holds its maximum of connections",
                    "try again after the Retry-After seconds");
        return 1;
    }
    if (lifecycle_draining() && may_have_body(method)) {
        unavailable(r, "the server is shutting down",
                    "try again after the Retry-After seconds");
        return 1;
    }
    hb = header_bytes(r->conn);
    if (hb > s->header_size) {
        char detail[96];
        r->close_conn = 1;
        snprintf(detail, sizeof(detail), "%zu bytes of headers, at most %u",
                 hb, s->header_size);
        respond_error(r, SOCC_E_HEADERS_TOO_LARGE, 0, detail, NULL, NULL);
        return 1;
    }
    return 0;
}

/*
 * The first call of a request: refuse what we will not read, route a
 * request that may carry a body now (so a refusal goes out before the
 * body and without 100 Continue), else wait for the end of the request,
 * which keeps the connection alive for the next.
 */
static enum MHD_Result first_call(struct server *s, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  void **con_cls)
{
    struct server_req *r = *con_cls;
    const char *fault;

    if (!r)
        r = req_new(s, c, url);
    if (!r)
        return MHD_NO;
    *con_cls = r;
    req_begin(r, method, url);
    guard_headers_done(s->guard, conn_guard_of(c), may_have_body(method));
    if (r->uri_too_long) {
        r->close_conn = 1;
        return respond_error(r, SOCC_E_URI_TOO_LONG, 0,
                             "the address is too long or has too many "
                             "query parameters",
                             "shorten the address", NULL);
    }
    if (refused(s, r, method))
        return r->status ? MHD_YES : MHD_NO;
    fault = framing_fault(r);
    if (fault) {
        r->close_conn = 1;
        return respond_error(r, SOCC_E_BAD_REQUEST, 0, fault,
                             "send one Content-Length or chunked encoding",
                             NULL);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return router_begin(r, method, url);
    return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 const char *version, const char *data,
                                 size_t *size, void **con_cls)
{
    struct server_req *r = *con_cls;

    (void)version;
    if (!r || !r->begun)
        return first_call(cls, c, url, method, con_cls);
    if (*size)
        guard_body_bytes(conn_guard_of(c), *size);
    else
        guard_body_done(((struct server *)cls)->guard, conn_guard_of(c));
    if (r->on_body)
        return r->on_body(r, data, size);
    r->bytes_in += *size;
    if (*size == 0 && r->status == 0)
        return router_begin(r, method, url);
    *size = 0;
    return MHD_YES;
}

static const char *end_reason(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK: return "ok";
    case MHD_REQUEST_TERMINATED_WITH_ERROR: return "error";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: return "timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: return "shutdown";
    case MHD_REQUEST_TERMINATED_READ_ERROR: return "read_error";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT: return "client_abort";
    }
    return "unknown";
}

static void log_request(const struct server_req *r,
                        enum MHD_RequestTerminationCode toe)
{
    struct timespec now;
    char path[300], user[160];
    long long ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long long)(now.tv_sec - r->start.tv_sec) * 1000 +
         (now.tv_nsec - r->start.tv_nsec) / 1000000;
    log_event(r->status >= 500 ? LOG_ERROR : LOG_INFO, "http", "request",
              r->id,
              "method=%s path=%s status=%u ms=%lld bytes=%llu in=%llu"
              " end=%s user=%s%s%s",
              r->method, log_quote(path, sizeof(path), r->path), r->status,
              ms, (unsigned long long)r->bytes_out,
              (unsigned long long)r->bytes_in, end_reason(toe),
              log_quote(user, sizeof(user), r->who.user[0] ? r->who.user
                                                            : "-"),
              r->err_name ? " err=" : "", r->err_name ? r->err_name : "");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct server_req *r = *con_cls;

    guard_request_done(s->guard, conn_guard_of(c));
    if (!r)
        return;
    log_request(r, toe);
    principal_release(&r->who);
    metrics_bytes_received(r->bytes_in);
    if (r->state_free)
        r->state_free(r->state);
    free(r);
    *con_cls = NULL;
}

/* Register a connection with the guard as it opens, drop it as it closes
 * (before libmicrohttpd closes its descriptor). */
static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct server *s = cls;
    const union MHD_ConnectionInfo *ci;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? guard_open(s->guard, ci->connect_fd) : NULL;
    } else {
        guard_close(s->guard, *socket_context);
        *socket_context = NULL;
    }
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512], q[600];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
        msg[--n] = '\0';
    log_event(LOG_WARN, "http", "mhd", NULL, "msg=%s",
              log_quote(q, sizeof(q), msg));
}

/* ---- start and stop ----------------------------------------------------- */

/* Split "host:port" or "[v6]:port" into host and port strings. */
static int split_listen(const char *listen, char *host, size_t hn,
                        char *port, size_t pn)
{
    const char *colon, *close;

    if (listen[0] == '[') {
        close = strchr(listen, ']');
        if (!close || close[1] != ':')
            return -1;
        colon = close + 1;
        if ((size_t)(close - listen - 1) >= hn)
            return -1;
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
    } else {
        colon = strrchr(listen, ':');
        if (!colon || memchr(listen, ':', (size_t)(colon - listen)) ||
            (size_t)(colon - listen) >= hn)
            return -1;
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
    }
    if (!colon[1] || strlen(colon + 1) >= pn ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return -1;
    snprintf(port, pn, "%s", colon + 1);
    return 0;
}

static enum socc_err resolve(const char *listen, struct sockaddr_storage *ss,
                             struct socc_error *err)
{
    char host[256], port[8];
    struct addrinfo hints, *res = NULL;
    int rc;

    if (split_listen(listen, host, sizeof(host), port, sizeof(port)) != 0 ||
        atoi(port) > 65535)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "SOCC_LISTEN '%s' is not host:port", listen);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0 || !res)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "SOCC_LISTEN host '%s': %s", host,
                              gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return SOCC_OK;
}

/* An environment number in [lo, hi], def when unset; -1 when bad. */
static int env_uint(const char *name, unsigned def, unsigned lo, unsigned hi,
                    unsigned *out)
{
    const char *v = getenv(name);
    unsigned long n;
    char *end;

    *out = def;
    if (!v || !*v)
        return 0;
    errno = 0;
    n = strtoul(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno || n < lo || n > hi)
        return -1;
    *out = (unsigned)n;
    return 0;
}

/*
 * LIMIT: past SOCC_MAX_CONNECTIONS, OVERFLOW_CONNS more connections are
 * accepted and answered 503; when those are taken too (a flood from many
 * addresses), new connections wait in the listen backlog until one
 * closes, at most SOCC_HEADER_TIMEOUT seconds.
 *
 * Connections in all: two descriptors each (the socket, and an upload's
 * temp file or a download's blob), FD_RESERVE kept back for the store.
 */
static unsigned connection_limit(void)
{
    struct rlimit rl;
    rlim_t n = 1024;
    unsigned limit;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        n = rl.rlim_cur;
    if (n > 2u * CONNECTIONS_MAX + FD_RESERVE)
        n = 2u * CONNECTIONS_MAX + FD_RESERVE;
    limit = n > 2u * FD_RESERVE ? (unsigned)((n - FD_RESERVE) / 2) : 32u;
    return limit < 32u ? 32u : limit;
}

/* One limit from the environment, or BAD_REQUEST naming its range. */
static enum socc_err limit_env(const char *name, unsigned def, unsigned lo,
                               unsigned hi, unsigned *out,
                               struct socc_error *err)
{
    if (env_uint(name, def, lo, hi, out) != 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "%s must be %u-%u",
                              name, lo, hi);
    return SOCC_OK;
}

/*
 * What the guard enforces.  libmicrohttpd accepts OVERFLOW_CONNS more
 * connections than SOCC_MAX_CONNECTIONS (within what descriptors allow),
 * and those are answered 503.
 */
static enum socc_err load_guards(struct server *s, struct socc_error *err)
{
    unsigned def = s->conn_limit > OVERFLOW_CONNS ? s->conn_limit -
                   OVERFLOW_CONNS : s->conn_limit;
    enum socc_err e;

    e = limit_env("SOCC_MAX_CONNECTIONS", def, 1, s->conn_limit,
                  &s->max_conns, err);
    if (e == SOCC_OK)
        e = limit_env("SOCC_MAX_UPLOADS", MAX_UPLOADS_DEFAULT, 1, 100000,
                      &s->app.max_uploads, err);
    if (e == SOCC_OK)
        e = limit_env("SOCC_HEADER_TIMEOUT", HEADER_TIMEOUT_DEFAULT_S, 1,
                      3600, &s->header_s, err);
    if (e == SOCC_OK)
        e = limit_env("SOCC_BODY_TIMEOUT", BODY_TIMEOUT_DEFAULT_S, 1, 3600,
                      &s->body_s, err);
    if (e == SOCC_OK)
        e = limit_env("SOCC_BODY_MIN_RATE", BODY_MIN_RATE_DEFAULT, 0,
                      1u << 30, &s->body_rate, err);
    if (e == SOCC_OK)
        e = limit_env("SOCC_MAX_HEADER_SIZE", HEADER_SIZE_DEFAULT, 1024,
                      (unsigned)CONNECTION_MEMORY / 2, &s->header_size, err);
    if (e == SOCC_OK)
        e = limit_env("SOCC_SHUTDOWN_TIMEOUT", SHUTDOWN_DEFAULT_S, 0, 3600,
                      &s->shutdown_s, err);
    if (e == SOCC_OK)
        e = limit_env("SOCC_IDEMPOTENCY_TTL", IDEM_TTL_DEFAULT_S, 1,
                      30u * 86400u, &s->app.idem_ttl_s, err);
    if (e == SOCC_OK && s->max_conns + OVERFLOW_CONNS < s->conn_limit)
        s->conn_limit = s->max_conns + OVERFLOW_CONNS;
    return e;
}

static enum socc_err load_limits(struct server *s, struct socc_error *err)
{
    if (env_uint("SOCC_PER_IP_CONNECTIONS", PER_IP_DEFAULT, 1, 1000000,
                 &s->per_ip) != 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "SOCC_PER_IP_CONNECTIONS must be 1-1000000");
    if (env_uint("SOCC_CONNECTION_TIMEOUT", TIMEOUT_DEFAULT_S, 1, 86400,
                 &s->timeout_s) != 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "SOCC_CONNECTION_TIMEOUT must be 1-86400 "
                              "seconds");
    s->conn_limit = connection_limit();
    return load_guards(s, err);
}

/* UNAVAILABLE naming the address, the port and the system's reason. */
static enum socc_err listen_failed(const char *where, int errnum,
                                   struct socc_error *err)
{
    char why[128];

    snprintf(why, sizeof(why), "%s", strerror(errnum));
    why[0] = (char)tolower((unsigned char)why[0]);
    return socc_error_set(err, SOCC_E_UNAVAILABLE,
                          "cannot listen on %s: %s", where, why);
}

/*
 * Bind and listen ourselves, so a taken port is reported once, by us, with
 * the address; MHD is handed the socket.
 */
static enum socc_err open_listener(struct server *s, const char *where,
                                   struct socc_error *err)
{
    struct sockaddr *sa = (struct sockaddr *)&s->addr;
    socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in);
    int fd, on = 1, errnum;

    fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                0);
    if (fd < 0)
        return listen_failed(where, errno, err);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (sa->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    if (bind(fd, sa, len) != 0 || listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, sa, &len) != 0) {
        errnum = errno;
        close(fd);
        return listen_failed(where, errnum, err);
    }
    s->port = ntohs(sa->sa_family == AF_INET6
                        ? ((struct sockaddr_in6 *)sa)->sin6_port
                        : ((struct sockaddr_in *)sa)->sin_port);
    s->listen_fd = fd;
    return SOCC_OK;
}

/*
 * A thread per connection: an upload runs the whole pipeline (seconds for
 * a large workbook) in its connection's thread, and with a shared pool
 * every other connection given to that worker would wait for it.  poll(),
 * not select(): select() cannot watch a descriptor past FD_SETSIZE, which
 * idle connections reach quickly.
 */
static struct MHD_Daemon *start_daemon(struct server *s)
{
    /* MHD_USE_ITC: MHD_quiesce_daemon() needs it in this mode */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC;
    struct MHD_OptionItem tls[] = {
        { MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key },
        { MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert },
        { MHD_OPTION_END, 0, NULL },
    };

    if (s->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (s->tls_cert)
        flags |= MHD_USE_TLS;
    else
        tls[0].option = MHD_OPTION_END;
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, s,
        MHD_OPTION_ARRAY, tls,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_TIMEOUT, s->timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, s->conn_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->per_ip,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
        MHD_OPTION_END);
}

/* A whole small file (a PEM) as a string; NULL on failure. */
static char *read_pem(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *data = NULL;
    long n;

    if (!fp)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 && n < 1 << 20 &&
        fseek(fp, 0, SEEK_SET) == 0 && (data = malloc((size_t)n + 1)) &&
        fread(data, 1, (size_t)n, fp) == (size_t)n) {
        data[n] = '\0';
    } else {
        free(data);
        data = NULL;
    }
    fclose(fp);
    return data;
}

/*
 * SOCC_TLS_CERT and SOCC_TLS_KEY: both or neither; BAD_REQUEST naming
 * the one that is missing or unreadable.
 */
static enum socc_err load_tls(struct server *s, struct socc_error *err)
{
    const char *cert = getenv("SOCC_TLS_CERT"), *key = getenv("SOCC_TLS_KEY");

    if ((!cert || !*cert) && (!key || !*key))
        return SOCC_OK;
    if (!cert || !*cert || !key || !*key)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "SOCC_TLS_CERT and "
                              "SOCC_TLS_KEY must be set together");
    s->tls_cert = read_pem(cert);
    if (!s->tls_cert)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "SOCC_TLS_CERT: "
                              "cannot read '%s'", cert);
    s->tls_key = read_pem(key);
    if (!s->tls_key)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "SOCC_TLS_KEY: "
                              "cannot read '%s'", key);
    s->app.tls = 1;
    return SOCC_OK;
}

static void free_server(struct server *s)
{
    ratelimit_free(s->app.limits);
    free(s->tls_cert);
    if (s->tls_key) {
        memset(s->tls_key, 0, strlen(s->tls_key));
        free(s->tls_key);
    }
    free(s);
}

/* Close our listening socket unless MHD already closed it. */
static void close_listener(struct server *s)
{
    if (s->listen_fd >= 0 && fcntl(s->listen_fd, F_GETFD) != -1)
        close(s->listen_fd);
    s->listen_fd = -1;
}

static int start_guard(struct server *s)
{
    struct guard_limits l;

    l.max_conns = s->max_conns;
    l.header_ms = s->header_s * 1000u;
    l.body_window_ms = s->body_s * 1000u;
    l.body_min_rate = s->body_rate;
    return guard_start(&l, &s->guard);
}

enum socc_err server_start(const struct config *cfg, struct store *store,
                           struct backup *backup, struct server **out,
                           struct socc_error *err)
{
    struct server *s;
    enum socc_err e;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    s->app.cfg = cfg;
    s->app.store = store;
    s->app.backup = backup;
    s->listen_fd = -1;
    s->app.limits = ratelimit_new();
    e = s->app.limits ? resolve(cfg->listen, &s->addr, err)
                      : socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    if (e == SOCC_OK)
        e = load_limits(s, err);
    if (e == SOCC_OK && session_limits_from_env(&s->app.sessions) != 0)
        e = socc_error_set(err, SOCC_E_BAD_REQUEST, "SOCC_SESSION_IDLE and "
                           "SOCC_SESSION_MAX must be 1-31536000 seconds");
    if (e == SOCC_OK)
        e = load_tls(s, err);
    if (e == SOCC_OK)
        e = open_listener(s, cfg->listen, err);
    if (e != SOCC_OK)
        goto out_free;
    if (start_guard(s) != 0) {
        e = socc_error_set(err, SOCC_E_INTERNAL, "cannot start a thread");
        goto out_close;
    }
    s->daemon = start_daemon(s);
    if (!s->daemon) {
        e = socc_error_set(err, SOCC_E_UNAVAILABLE,
                           "cannot serve on %s", cfg->listen);
        goto out_close;
    }
    log_event(LOG_INFO, "http", "limits", NULL,
              "connections=%u accepted=%u per_ip=%u timeout_s=%u uploads=%u"
              " header_s=%u body_s=%u body_rate=%u header_size=%u"
              " shutdown_s=%u tls=%d", s->max_conns, s->conn_limit,
              s->per_ip, s->timeout_s, s->app.max_uploads, s->header_s,
              s->body_s, s->body_rate, s->header_size, s->shutdown_s,
              s->app.tls);
    *out = s;
    return SOCC_OK;

out_close:
    close_listener(s);
    guard_stop(s->guard);
out_free:
    free_server(s);
    return e;
}

uint16_t server_port(const struct server *s)
{
    return s->port;
}

void server_stop(struct server *s)
{
    if (!s)
        return;
    lifecycle_abort();
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    guard_stop(s->guard);
    free_server(s);
}

void server_quiesce(struct server *s)
{
    MHD_socket fd;

    lifecycle_drain();
    if (!s || !s->daemon || s->listen_fd < 0)
        return;
    fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    s->listen_fd = -1;
    log_event(LOG_INFO, "http", "draining", NULL,
              "uploads=%zu connections=%u deadline_s=%u",
              progress_active(NULL), guard_count(s->guard), s->shutdown_s);
}

int server_busy(const struct server *s)
{
    (void)s;
    return progress_active(NULL) > 0;
}

unsigned server_shutdown_ms(const struct server *s)
{
    return s->shutdown_s * 1000u;
}

int server_draining(void)
{
    return lifecycle_draining();
}
