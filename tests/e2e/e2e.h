#ifndef SOCC_E2E_H
#define SOCC_E2E_H

/*
 * Helpers of the end-to-end tests: start the real `socc serve` (env
 * SOCC_BIN) on a free loopback port with a temp data dir, talk to it with
 * libcurl or a raw socket, pick values out of its JSON.  Header-only.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

/* ---- the server ---------------------------------------------------------- */

struct e2e_server {
    pid_t pid;
    int port;
    char dir[256];        /* temp data dir, removed at stop */
    char base[64];        /* "http://127.0.0.1:port" */
    /*
     * The API token the helpers send (Authorization: Bearer), of the
     * super admin E2E_ADMIN with E2E_PASSWORD, tier unlimited; "" sends
     * none.  A test that wants to be nobody copies the struct and clears
     * it: `struct e2e_server anon = *s; anon.token[0] = '\0';`.  Also in
     * the environment of child processes as SOCC_E2E_TOKEN.
     */
    char token[80];
    char auth[112];       /* "Authorization: Bearer <token>\r\n" or "" */
};

#define E2E_ADMIN "e2e-admin"
#define E2E_PASSWORD "e2e-admin-password"

static inline long e2e_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A port that was free a moment ago: bind port 0 and read it back. */
static inline int e2e_free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static size_t e2e_discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/*
 * Tests serve HTTPS with a self-signed certificate made for the test, on
 * 127.0.0.1 only: the client does not verify it.
 */
static inline void e2e_loopback_tls(CURL *c)
{
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
}

/* 1 when GET /api/health answers 200. */
static inline int e2e_healthy(const struct e2e_server *s)
{
    char url[128];
    long code = 0;
    CURL *c = curl_easy_init();

    snprintf(url, sizeof(url), "%s/api/health", s->base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    e2e_loopback_tls(c);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, e2e_discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code == 200;
}

static inline void e2e_exec(const struct e2e_server *s, const char *bin,
                            const char *const *env)
{
    char listen[64], log[300];
    int fd;

    snprintf(listen, sizeof(listen), "127.0.0.1:%d", s->port);
    snprintf(log, sizeof(log), "%s/serve.log", s->dir);
    setenv("SOCC_LISTEN", listen, 1);
    setenv("SOCC_DATA_DIR", s->dir, 1);
    for (; env && env[0]; env += 2)
        setenv(env[0], env[1], 1);
    fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
    execl(bin, bin, "serve", (char *)NULL);
    _exit(127);
}

/* 1 when the name, value list env sets name. */
static inline int e2e_env_has(const char *const *env, const char *name)
{
    for (; env && env[0]; env += 2)
        if (strcmp(env[0], name) == 0)
            return 1;
    return 0;
}

/*
 * Create the super admin E2E_ADMIN and an unlimited API token for it in
 * the data dir with the CLI, before the server starts; 0 or -1.
 */
static inline int e2e_credentials(struct e2e_server *s, const char *bin)
{
    char cmd[1200];
    FILE *p;
    size_t n;

    snprintf(cmd, sizeof(cmd),
             "SOCC_DATA_DIR='%s' SOCC_PASSWORD='%s' SOCC_LOG_LEVEL=error "
             "'%s' user add %s --role super_admin 2>/dev/null && "
             "SOCC_DATA_DIR='%s' SOCC_LOG_LEVEL=error '%s' token create "
             "--user %s --all-companies --tier unlimited --name e2e "
             "2>/dev/null", s->dir, E2E_PASSWORD, bin, E2E_ADMIN, s->dir, bin,
             E2E_ADMIN);
    p = popen(cmd, "r");
    if (!p)
        return -1;
    if (!fgets(s->token, sizeof(s->token), p))
        s->token[0] = '\0';
    if (pclose(p) != 0)
        return -1;
    n = strcspn(s->token, "\r\n");
    s->token[n] = '\0';
    if (n == 0)
        return -1;
    snprintf(s->auth, sizeof(s->auth), "Authorization: Bearer %s\r\n",
             s->token);
    setenv("SOCC_E2E_TOKEN", s->token, 1);
    setenv("SOCC_E2E_USER", E2E_ADMIN, 1);
    setenv("SOCC_E2E_PASSWORD", E2E_PASSWORD, 1);
    return 0;
}

/*
 * Start SOCC_BIN serve; env is NULL or name, value, ..., NULL pairs.
 * Unless bare, the data dir first gets the super admin and the API token
 * of s->token (e2e_credentials).  0 when /api/health answered within
 * 10 s, else -1.
 */
static inline int e2e_start_opt(struct e2e_server *s, const char *const *env,
                                int bare)
{
    const char *bin = getenv("SOCC_BIN");
    int attempt, status;
    long until;

    memset(s, 0, sizeof(*s));
    if (!bin)
        bin = "build/san/socc";
    snprintf(s->dir, sizeof(s->dir), "/tmp/socc-e2e-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    if (!bare && e2e_credentials(s, bin) != 0)
        return -1;
    for (attempt = 0; attempt < 5; attempt++) {
        s->port = e2e_free_port();
        snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%d",
                 e2e_env_has(env, "SOCC_TLS_CERT") ? "https" : "http",
                 s->port);
        s->pid = fork();
        if (s->pid == 0)
            e2e_exec(s, bin, env);
        until = e2e_now_ms() + 10000;
        while (e2e_now_ms() < until) {
            if (waitpid(s->pid, &status, WNOHANG) == s->pid)
                break;
            if (e2e_healthy(s))
                return 0;
            usleep(50000);
        }
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
    }
    s->pid = 0;
    return -1;
}

static int e2e_rm(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* e2e_start_opt() with credentials: what almost every test wants. */
static inline int e2e_start(struct e2e_server *s, const char *const *env)
{
    return e2e_start_opt(s, env, 0);
}

/* SIGTERM, wait up to 10 s (then SIGKILL); the exit status, or -1. */
static inline int e2e_stop(struct e2e_server *s)
{
    int status = -1, rc = -1;
    long until = e2e_now_ms() + 10000;

    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    while (e2e_now_ms() < until) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            break;
        }
        usleep(20000);
    }
    if (e2e_now_ms() >= until) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
    }
    s->pid = 0;
    if (!getenv("SOCC_E2E_KEEP"))
        nftw(s->dir, e2e_rm, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

/* ---- HTTP with libcurl -------------------------------------------------- */

struct e2e_resp {
    long status;
    char *body;            /* malloc'd, NUL-terminated */
    size_t len;
    char req_id[80];       /* X-Request-Id, "" when absent */
    char disposition[600]; /* Content-Disposition, "" when absent */
    char ctype[128];       /* Content-Type */
    char headers[4096];    /* every header line, as received (cut) */
    char replayed[16];     /* Idempotent-Replayed, "" when absent */
    char retry_after[16];  /* Retry-After, "" when absent */
};

static size_t e2e_on_body(char *p, size_t size, size_t n, void *ud)
{
    struct e2e_resp *r = ud;
    size_t k = size * n;
    char *nb = realloc(r->body, r->len + k + 1);

    if (!nb)
        return 0;
    memcpy(nb + r->len, p, k);
    r->body = nb;
    r->len += k;
    r->body[r->len] = '\0';
    return k;
}

static void e2e_keep_header(const char *line, size_t n, const char *name,
                            char *out, size_t cap)
{
    size_t nl = strlen(name), k;

    if (n <= nl || strncasecmp(line, name, nl) != 0)
        return;
    line += nl;
    n -= nl;
    while (n && (*line == ' ' || *line == '\t')) {
        line++;
        n--;
    }
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        n--;
    k = n < cap - 1 ? n : cap - 1;
    memcpy(out, line, k);
    out[k] = '\0';
}

static size_t e2e_on_header(char *p, size_t size, size_t n, void *ud)
{
    struct e2e_resp *r = ud;
    size_t k;

    e2e_keep_header(p, size * n, "x-request-id:", r->req_id,
                    sizeof(r->req_id));
    e2e_keep_header(p, size * n, "content-disposition:", r->disposition,
                    sizeof(r->disposition));
    e2e_keep_header(p, size * n, "content-type:", r->ctype, sizeof(r->ctype));
    k = strlen(r->headers);
    if (k + size * n < sizeof(r->headers)) {
        memcpy(r->headers + k, p, size * n);
        r->headers[k + size * n] = '\0';
    }
    e2e_keep_header(p, size * n, "idempotent-replayed:", r->replayed,
                    sizeof(r->replayed));
    e2e_keep_header(p, size * n, "retry-after:", r->retry_after,
                    sizeof(r->retry_after));
    return size * n;
}

static inline void e2e_resp_free(struct e2e_resp *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* Perform c into *r (freed first); the curl code. */
static inline CURLcode e2e_perform(CURL *c, struct e2e_resp *r)
{
    CURLcode rc;

    memset(r, 0, sizeof(*r));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, e2e_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, e2e_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    e2e_loopback_tls(c);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (!r->body)
        r->body = calloc(1, 1);
    return rc;
}

/* The server's Authorization header line (no CRLF) onto h, if any. */
static inline struct curl_slist *e2e_auth_header(const struct e2e_server *s,
                                                 struct curl_slist *h)
{
    char line[112];

    if (!s->token[0])
        return h;
    snprintf(line, sizeof(line), "Authorization: Bearer %s", s->token);
    return curl_slist_append(h, line);
}

/* GET base+path; extra is one more request header or NULL. */
static inline CURLcode e2e_get(const struct e2e_server *s, const char *path,
                               const char *extra, struct e2e_resp *r)
{
    char url[4400];
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();
    CURLcode rc;

    snprintf(url, sizeof(url), "%s%.4200s", s->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (extra)
        h = curl_slist_append(h, extra);
    h = e2e_auth_header(s, h);
    if (h)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    rc = e2e_perform(c, r);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

/* What to upload; file bytes come from path or from data/len. */
struct e2e_upload {
    const char *company;    /* NULL: field left out */
    const char *tool_type;  /* NULL: field left out */
    const char *path;       /* file on disk, or NULL */
    const void *data;       /* or bytes */
    size_t len;
    const char *filename;   /* name sent; NULL: base name of path */
    int file_first;         /* send the file part before the fields */
    int no_expect;          /* suppress Expect: 100-continue */
};

static inline void e2e_add_file(curl_mime *m, const struct e2e_upload *u)
{
    curl_mimepart *p = curl_mime_addpart(m);

    curl_mime_name(p, "file");
    if (u->path)
        curl_mime_filedata(p, u->path);
    else
        curl_mime_data(p, u->data, u->len);
    if (u->filename)
        curl_mime_filename(p, u->filename);
}

static inline void e2e_add_field(curl_mime *m, const char *name,
                                 const char *value)
{
    curl_mimepart *p;

    if (!value)
        return;
    p = curl_mime_addpart(m);
    curl_mime_name(p, name);
    curl_mime_data(p, value, CURL_ZERO_TERMINATED);
}

/* POST /api/uploads as multipart/form-data, with one extra "Name: value"
 * header (or NULL). */
static inline CURLcode e2e_post_h(const struct e2e_server *s,
                                  const struct e2e_upload *u,
                                  const char *header, struct e2e_resp *r)
{
    char url[256];
    CURL *c = curl_easy_init();
    curl_mime *m = curl_mime_init(c);
    struct curl_slist *h = NULL;
    CURLcode rc;

    if (u->file_first)
        e2e_add_file(m, u);
    e2e_add_field(m, "company", u->company);
    e2e_add_field(m, "tool_type", u->tool_type);
    if (!u->file_first && (u->path || u->data))
        e2e_add_file(m, u);
    snprintf(url, sizeof(url), "%s/api/uploads", s->base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, m);
    if (u->no_expect)
        h = curl_slist_append(h, "Expect:");
    h = e2e_auth_header(s, h);
    if (header)
        h = curl_slist_append(h, header);
    if (h)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    rc = e2e_perform(c, r);
    curl_slist_free_all(h);
    curl_mime_free(m);
    curl_easy_cleanup(c);
    return rc;
}

/* POST /api/uploads as multipart/form-data. */
static inline CURLcode e2e_post(const struct e2e_server *s,
                                const struct e2e_upload *u,
                                struct e2e_resp *r)
{
    return e2e_post_h(s, u, NULL, r);
}

/* ---- raw sockets -------------------------------------------------------- */

static inline int e2e_connect(const struct e2e_server *s)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)s->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static inline int e2e_send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    ssize_t w;

    while (n > 0) {
        w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/*
 * Send a raw request as e2e_send_all() does, with the server's
 * Authorization header (when it has a token) after the request line.
 */
static inline int e2e_send_req(const struct e2e_server *s, int fd,
                               const void *p, size_t n)
{
    const char *c = p, *eol = memchr(c, '\n', n);
    size_t first = eol ? (size_t)(eol - c) + 1 : n;

    if (e2e_send_all(fd, c, first) != 0 ||
        (s->auth[0] && e2e_send_all(fd, s->auth, strlen(s->auth)) != 0))
        return -1;
    return first < n ? e2e_send_all(fd, c + first, n - first) : 0;
}

/*
 * Read into out (cap bytes, NUL added) until want appears, the peer
 * closes, or timeout_ms passes.  Bytes read, or -1 on timeout with nothing.
 */
static inline long e2e_read_until(int fd, char *out, size_t cap,
                                  const char *want, long timeout_ms)
{
    long until = e2e_now_ms() + timeout_ms;
    size_t n = 0;
    struct pollfd p = { fd, POLLIN, 0 };
    ssize_t r;

    out[0] = '\0';
    while (n + 1 < cap) {
        long left = until - e2e_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return n ? (long)n : -1;
        r = recv(fd, out + n, cap - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        out[n] = '\0';
        if (want && strstr(out, want))
            break;
    }
    return (long)n;
}

/* 1 when the peer closed the connection within timeout_ms. */
static inline int e2e_closed(int fd, long timeout_ms)
{
    char tmp[4096];
    long until = e2e_now_ms() + timeout_ms;
    struct pollfd p = { fd, POLLIN, 0 };
    ssize_t r;

    while (e2e_now_ms() < until) {
        if (poll(&p, 1, (int)(until - e2e_now_ms())) <= 0)
            return 0;
        r = recv(fd, tmp, sizeof(tmp), 0);
        if (r <= 0)
            return 1;
    }
    return 0;
}

/* ---- JSON picking -------------------------------------------------------- */

/* Start of the value of the first "key": after from, or NULL. */
static inline const char *e2e_json_at(const char *from, const char *key)
{
    char pat[128];
    const char *p;

    if (!from)
        return NULL;
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    p = strstr(from, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    return p;
}

/* Integer value of "key" (first occurrence after from); def when absent. */
static inline long long e2e_json_int(const char *from, const char *key,
                                     long long def)
{
    const char *p = e2e_json_at(from, key);

    return p && (*p == '-' || (*p >= '0' && *p <= '9')) ? strtoll(p, NULL, 10)
                                                        : def;
}

/* String value of "key" into out with \" \\ \/ \n \t decoded; 0 or -1. */
static inline int e2e_json_str(const char *from, const char *key, char *out,
                               size_t cap)
{
    const char *p = e2e_json_at(from, key);
    size_t n = 0;

    if (!p || *p != '"')
        return -1;
    for (p++; *p && *p != '"' && n + 1 < cap; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            out[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return *p == '"' ? 0 : -1;
}

/* Read a whole file; malloc'd, *len set; NULL on failure. */
static inline char *e2e_slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *data = NULL;
    long n;

    if (!fp)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
        fseek(fp, 0, SEEK_SET) == 0 && (data = malloc((size_t)n + 1)) &&
        fread(data, 1, (size_t)n, fp) == (size_t)n) {
        data[n] = '\0';
        *len = (size_t)n;
    } else {
        free(data);
        data = NULL;
    }
    fclose(fp);
    return data;
}

#endif
