#include "server.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "http/router.h"

#define CONNECTION_TIMEOUT_S 120u
#define CONNECTION_MEMORY (256u * 1024u)

struct server {
    struct MHD_Daemon *daemon;       /* owned */
    struct server_app app;
    struct sockaddr_storage addr;    /* where it listens */
    uint16_t port;
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

static struct server_req *req_new(struct server *s, struct MHD_Connection *c,
                                  const char *method, const char *url)
{
    struct server_req *r = calloc(1, sizeof(*r));
    const char *rid;

    if (!r)
        return NULL;
    r->app = &s->app;
    r->conn = c;
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    snprintf(r->method, sizeof(r->method), "%s", method);
    snprintf(r->path, sizeof(r->path), "%s", url);
    rid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
    if (rid && request_id_ok(rid))
        snprintf(r->id, sizeof(r->id), "%s", rid);
    else
        log_new_request_id(r->id);
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

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 const char *version, const char *data,
                                 size_t *size, void **con_cls)
{
    struct server_req *r = *con_cls;

    (void)version;
    if (!r) {
        r = req_new(cls, c, method, url);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        /*
         * A body may follow: route now, so a refusal goes out before it
         * is read and without 100 Continue.  Else wait for the end of
         * the request, which keeps the connection alive for the next.
         */
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return router_begin(r, method, url);
        return MHD_YES;
    }
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
    char path[300];
    long long ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long long)(now.tv_sec - r->start.tv_sec) * 1000 +
         (now.tv_nsec - r->start.tv_nsec) / 1000000;
    log_event(r->status >= 500 ? LOG_ERROR : LOG_INFO, "http", "request",
              r->id,
              "method=%s path=%s status=%u ms=%lld bytes=%llu in=%llu"
              " end=%s%s%s",
              r->method, log_quote(path, sizeof(path), r->path), r->status,
              ms, (unsigned long long)r->bytes_out,
              (unsigned long long)r->bytes_in, end_reason(toe),
              r->err_name ? " err=" : "", r->err_name ? r->err_name : "");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server_req *r = *con_cls;

    (void)cls;
    (void)c;
    if (!r)
        return;
    log_request(r, toe);
    if (r->state_free)
        r->state_free(r->state);
    free(r);
    *con_cls = NULL;
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

static struct MHD_Daemon *start_daemon(struct server *s)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     MHD_USE_ERROR_LOG;
    unsigned threads = s->app.cfg->threads ? s->app.cfg->threads : 1;

    if (s->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&s->addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
        MHD_OPTION_END);
}

enum socc_err server_start(const struct config *cfg, struct store *store,
                           struct server **out, struct socc_error *err)
{
    struct server *s;
    const union MHD_DaemonInfo *info;
    enum socc_err e;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    s->app.cfg = cfg;
    s->app.store = store;
    e = resolve(cfg->listen, &s->addr, err);
    if (e != SOCC_OK)
        goto out_free;
    s->daemon = start_daemon(s);
    if (!s->daemon) {
        e = socc_error_set(err, SOCC_E_UNAVAILABLE,
                           "cannot listen on %s", cfg->listen);
        goto out_free;
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    *out = s;
    return SOCC_OK;

out_free:
    free(s);
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
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    free(s);
}
