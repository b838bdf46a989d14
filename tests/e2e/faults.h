#ifndef SOCC_FAULTS_H
#define SOCC_FAULTS_H

/*
 * Helpers of the fault tests (kills, signals, limits, full disks): start
 * `socc serve` on a data dir the test owns, speak raw HTTP, and check the
 * database with SQLite itself.  Header-only; include after e2e.h.
 */

#include <dirent.h>
#include <sqlite3.h>

#include "core/sha256.h"

/*
 * Start SOCC_BIN serve on s->dir (made by the caller) and s->port (0:
 * pick one); env as for e2e_start().  0 when healthy within 15 s.
 */
/*
 * 1 when the server answers /livez.  Not /api/health: a server on a
 * nearly full disk is alive but reports its storage down (503).
 */
static inline int f_live(const struct e2e_server *s)
{
    char url[128];
    long code = 0;
    CURL *c = curl_easy_init();

    snprintf(url, sizeof(url), "%s/livez", s->base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, e2e_discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code == 200;
}

static inline int f_start(struct e2e_server *s, const char *const *env)
{
    const char *bin = getenv("SOCC_BIN");
    long until;
    int status;

    if (s->port <= 0)
        s->port = e2e_free_port();
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
    /* a new data dir gets the test admin and its token, once (in the
     * SOCC_DATA_DIR the environment names, if it names one) */
    if (!s->token[0]) {
        struct e2e_server c = *s;
        const char *const *e;

        for (e = env; e && e[0]; e += 2)
            if (strcmp(e[0], "SOCC_DATA_DIR") == 0)
                snprintf(c.dir, sizeof(c.dir), "%s", e[1]);
        if (e2e_credentials(&c, bin ? bin : "build/san/socc") != 0)
            return -1;
        memcpy(s->token, c.token, sizeof(s->token));
        memcpy(s->auth, c.auth, sizeof(s->auth));
    }
    if (s->token[0])
        setenv("SOCC_E2E_TOKEN", s->token, 1);
    s->pid = fork();
    if (s->pid == 0)
        e2e_exec(s, bin ? bin : "build/san/socc", env);
    until = e2e_now_ms() + 15000;
    while (e2e_now_ms() < until) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        if (f_live(s))
            return 0;
        usleep(20000);
    }
    return -1;
}

/* Send sig and wait up to timeout_ms: exit status, -2 on timeout (then
 * SIGKILLed), -1 when killed by a signal. */
static inline int f_signal_wait(struct e2e_server *s, int sig,
                                long timeout_ms, long *took_ms)
{
    long t0 = e2e_now_ms(), until = t0 + timeout_ms;
    int status, rc = -2;

    kill(s->pid, sig);
    while (e2e_now_ms() < until) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            break;
        }
        usleep(10000);
    }
    if (took_ms)
        *took_ms = e2e_now_ms() - t0;
    if (rc == -2) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
    }
    s->pid = 0;
    return rc;
}

/* Remove a data dir the test made. */
static inline void f_rmdir(const char *dir)
{
    if (!getenv("SOCC_E2E_KEEP"))
        nftw(dir, e2e_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* A multipart body with company, tool_type and file name/bytes; malloc'd. */
static inline char *f_body(const char *company, const char *tool,
                           const char *filename, const void *data,
                           size_t len, size_t *out_len)
{
    size_t cap = len + 1024, n;
    char *b = malloc(cap);

    n = (size_t)snprintf(b, cap,
                         "--fbnd\r\nContent-Disposition: form-data; "
                         "name=\"company\"\r\n\r\n%s\r\n--fbnd\r\n"
                         "Content-Disposition: form-data; name=\"tool_type\""
                         "\r\n\r\n%s\r\n--fbnd\r\nContent-Disposition: "
                         "form-data; name=\"file\"; filename=\"%s\"\r\n"
                         "Content-Type: application/octet-stream\r\n\r\n",
                         company, tool, filename);
    memcpy(b + n, data, len);
    n += len;
    n += (size_t)snprintf(b + n, cap - n, "\r\n--fbnd--\r\n");
    *out_len = n;
    return b;
}

/*
 * The request head of a POST /api/uploads of n body bytes, as the admin of
 * the server whose credentials were made last (SOCC_E2E_TOKEN).
 */
static inline int f_head(char *out, size_t cap, size_t n, const char *extra)
{
    const char *tok = getenv("SOCC_E2E_TOKEN");

    return snprintf(out, cap,
                    "POST /api/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "%s%s%s"
                    "Content-Type: multipart/form-data; boundary=fbnd\r\n"
                    "Content-Length: %zu\r\n%s\r\n",
                    tok ? "Authorization: Bearer " : "", tok ? tok : "",
                    tok ? "\r\n" : "", n, extra ? extra : "");
}

/* Status of a raw HTTP answer, 0 when there is none. */
static inline int f_status(const char *resp)
{
    return strncmp(resp, "HTTP/1.1 ", 9) == 0 ? atoi(resp + 9) : 0;
}

/* Value of header name (with the colon) in a raw answer into out. */
static inline int f_header(const char *resp, const char *name, char *out,
                           size_t cap)
{
    const char *end = strstr(resp, "\r\n\r\n"), *p = resp;
    size_t nl = strlen(name), k;

    out[0] = '\0';
    while (p && (!end || p < end)) {
        p = strstr(p, "\r\n");
        if (!p || (end && p >= end))
            break;
        p += 2;
        if (strncasecmp(p, name, nl) == 0) {
            p += nl;
            while (*p == ' ')
                p++;
            k = strcspn(p, "\r\n");
            k = k < cap - 1 ? k : cap - 1;
            memcpy(out, p, k);
            out[k] = '\0';
            return 0;
        }
    }
    return -1;
}

/* Regular files in dir/sub (e.g. "tmp"). */
static inline int f_count_files(const char *dir, const char *sub)
{
    char path[1400];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    d = opendir(path);
    if (!d)
        return -1;
    /* files only: tmp/ also holds the tus directory */
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.' && e->d_type != DT_DIR;
    closedir(d);
    return n;
}

/* Blob files under dir/blobs/<hh>/. */
static inline int f_count_blobs(const char *dir)
{
    char path[600], sub[300];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "%s/blobs", dir);
    d = opendir(path);
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof(sub), "blobs/%.256s", e->d_name);
        n += f_count_files(dir, sub);
    }
    closedir(d);
    return n;
}

/* One integer from the database under dir (read-only), -1 on error. */
static inline long long f_db_int(const char *dir, const char *sql)
{
    char path[600];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;

    snprintf(path, sizeof(path), "%s/socc.db", dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
            SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/*
 * The invariants a crash must keep, checked on the database under dir
 * (no server running): integrity_check ok; every upload stored, with its
 * sheets and records, record_count equal to the records stored; no sheet
 * or record without its upload; every upload's blob present with its
 * SHA-256.  0, or -1 with the first fault printed.
 */
static inline int f_db_consistent(const char *dir)
{
    static const char *const zero[] = {
        "SELECT count(*) FROM uploads WHERE status <> 'stored'",
        "SELECT count(*) FROM sheets WHERE upload_id NOT IN "
        "(SELECT id FROM uploads)",
        "SELECT count(*) FROM records WHERE (id >> 39) NOT IN "
        "(SELECT id FROM uploads)",
        "SELECT count(*) FROM uploads u WHERE record_count <> (SELECT "
        "count(*) FROM records r WHERE r.id BETWEEN u.id << 39 AND "
        "(u.id << 39) + (1 << 39) - 1)",
        "SELECT count(*) FROM uploads u WHERE sheet_count <> (SELECT "
        "count(*) FROM sheets s WHERE s.upload_id = u.id)",
        "SELECT count(*) FROM sheets s WHERE row_count <> (SELECT count(*) "
        "FROM records r WHERE r.id BETWEEN ((s.upload_id << 39) | (s.idx << 28))"
        " AND ((s.upload_id << 39) | (s.idx << 28)) + (1 << 28) - 1)",
    };
    char path[600], blob[800], got[65];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t i, len;
    int rc = 0;

    snprintf(path, sizeof(path), "%s/socc.db", dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        print_message("integrity_check failed\n");
        rc = -1;
    }
    sqlite3_finalize(st);
    for (i = 0; rc == 0 && i < sizeof(zero) / sizeof(zero[0]); i++) {
        st = NULL;
        if (sqlite3_prepare_v2(db, zero[i], -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int64(st, 0)) {
            print_message("fault: %s\n", zero[i]);
            rc = -1;
        }
        sqlite3_finalize(st);
    }
    st = NULL;
    if (rc == 0 &&
        sqlite3_prepare_v2(db, "SELECT file_hash, size FROM uploads", -1, &st,
                           NULL) == SQLITE_OK) {
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
            const char *h = (const char *)sqlite3_column_text(st, 0);
            char *data;
            snprintf(blob, sizeof(blob), "%s/blobs/%.2s/%s", dir, h, h);
            data = e2e_slurp(blob, &len);
            if (!data || (long long)len != sqlite3_column_int64(st, 1)) {
                print_message("blob %s missing or short\n", h);
                rc = -1;
            } else {
                sha256_hex(data, len, got);
                if (strcmp(got, h) != 0) {
                    print_message("blob %s holds other bytes\n", h);
                    rc = -1;
                }
            }
            free(data);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

#endif
