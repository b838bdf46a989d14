#include "log.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/utf8.h"

#define LINE_MAX_BYTES 2048

static enum log_level min_level = LOG_INFO;
static enum log_format format = LOG_FORMAT_KV;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

static void read_env(void)
{
    const char *v = getenv("SOCC_LOG_LEVEL");
    const char *f = getenv("SOCC_LOG_FORMAT");
    int i;

    if (f && strcmp(f, "json") == 0)
        format = LOG_FORMAT_JSON;
    if (!v)
        return;
    for (i = 0; i < 4; i++)
        if (strcmp(v, level_names[i]) == 0)
            min_level = (enum log_level)i;
}

/* The environment is read once, before the first line or explicit level. */
void log_init_from_env(void) { pthread_once(&env_once, read_env); }

void log_set_level(enum log_level lvl)
{
    log_init_from_env();
    min_level = lvl;
}

void log_set_format(enum log_format f)
{
    log_init_from_env();
    format = f;
}

/* ---- JSON lines --------------------------------------------------------- */

struct jline {
    char *p;
    size_t n, cap;           /* cap keeps room for "}\n" */
};

static void jput(struct jline *j, const char *s, size_t k)
{
    if (j->n + k > j->cap)
        k = j->cap - j->n;
    memcpy(j->p + j->n, s, k);
    j->n += k;
}

/* One byte of a JSON string: escaped when it must be. */
static void jbyte(struct jline *j, unsigned char c)
{
    char esc[8];

    if (c == '"' || c == '\\') {
        esc[0] = '\\';
        esc[1] = (char)c;
        jput(j, esc, 2);
    } else if (c < 0x20 || c == 0x7f) {
        snprintf(esc, sizeof(esc), "\\u%04x", c);
        jput(j, esc, 6);
    } else {
        jput(j, (const char *)&c, 1);
    }
}

/* s[0..k) as a JSON string; invalid UTF-8 becomes U+FFFD. */
static void jstr(struct jline *j, const char *s, size_t k)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, len;

    jput(j, "\"", 1);
    while (i < k) {
        if (u[i] < 0x80) {
            jbyte(j, u[i++]);
        } else if ((len = utf8_valid(u + i, k - i)) != 0) {
            jput(j, s + i, len);
            i += len;
        } else {
            jput(j, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
    jput(j, "\"", 1);
}

/* A plain decimal number that JSON reads the same way. */
static int is_number(const char *s, size_t k)
{
    size_t i = s[0] == '-', digits = 0, dot = 0;

    if (k == 0 || k > 18 || i >= k ||
        (s[i] == '0' && k > i + 1 && s[i + 1] != '.'))
        return 0;
    for (; i < k; i++) {
        if (s[i] == '.' && !dot && digits)
            dot = 1;
        else if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else
            return 0;
    }
    return s[k - 1] != '.';
}

/*
 * A value log_quote() made: "..." with \" \\ and \xNN undone into v (size
 * vn, *vk bytes).  *end after the closing quote; -1 when it is not one.
 */
static int unquote(const char *s, const char **end, char *v, size_t vn,
                   size_t *vk)
{
    const char *p = s + 1;
    size_t o = 0;
    unsigned x;

    for (; *p; p++) {
        if (*p == '"' && (p[1] == ' ' || p[1] == '\0'))
            break;
        if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
            p++;
        } else if (*p == '\\' && p[1] == 'x' &&
                   sscanf(p + 2, "%2x", &x) == 1) {
            p += 3;
            if (o + 1 < vn)
                v[o++] = (char)x;
            continue;
        }
        if (o + 1 < vn)
            v[o++] = *p;
    }
    if (*p != '"')
        return -1;
    *end = p + 1;
    *vk = o;
    return 0;
}

/* Fields "k=v k2=\"v 2\"" as JSON members, each after a comma. */
static void json_fields(struct jline *j, const char *f)
{
    char v[LINE_MAX_BYTES];
    const char *key, *val, *end;
    size_t kk, vk;

    while (*f) {
        while (*f == ' ')
            f++;
        if (!*f)
            break;
        key = f;
        kk = strcspn(f, "= ");
        f += kk;
        jput(j, ",", 1);
        jstr(j, key, kk);
        jput(j, ":", 1);
        if (*f != '=') {
            jput(j, "true", 4);   /* a bare word: a flag */
            continue;
        }
        val = ++f;
        if (*val == '"' && unquote(val, &end, v, sizeof(v), &vk) == 0) {
            jstr(j, v, vk);
            f = end;
            continue;
        }
        vk = strcspn(val, " ");
        f = val + vk;
        if (is_number(val, vk))
            jput(j, val, vk);
        else
            jstr(j, val, vk);
    }
}

static void jkey(struct jline *j, const char *key, const char *val)
{
    jput(j, key, strlen(key));
    jstr(j, val, strlen(val));
}

/*
 * Turn the key=value line kv (n bytes, fixed keys first) into one JSON
 * object and write it: the timestamp is taken back from the line, the
 * fields after req= become members.
 * LIMIT: a line longer than out after escaping is cut, and the cut line
 * is not valid JSON (key=value lines are cut at LINE_MAX_BYTES as well).
 */
static void write_json(char *kv, size_t n, enum log_level lvl,
                       const char *mod, const char *ev, const char *req)
{
    char out[LINE_MAX_BYTES * 3], ts[40];
    struct jline j = { out, 0, sizeof(out) - 2 };
    const char *fields;

    kv[n] = '\0';
    snprintf(ts, sizeof(ts), "%.*s", (int)strcspn(kv + 3, " "), kv + 3);
    fields = strstr(kv, " req=");
    fields = fields ? fields + 5 + strcspn(fields + 5, " ") : "";
    jkey(&j, "{\"ts\":", ts);
    jkey(&j, ",\"level\":", level_names[lvl]);
    jkey(&j, ",\"mod\":", mod);
    jkey(&j, ",\"ev\":", ev);
    jkey(&j, ",\"req\":", req && *req ? req : "-");
    json_fields(&j, fields);
    out[j.n++] = '}';
    out[j.n++] = '\n';
    if (write(STDERR_FILENO, out, j.n) < 0)
        return;
}

/* ---- lines -------------------------------------------------------------- */

void log_event(enum log_level lvl, const char *mod, const char *ev,
               const char *req, const char *fmt, ...)
{
    char line[LINE_MAX_BYTES];
    struct timespec ts;
    struct tm tm;
    size_t n;
    int k;
    va_list ap;

    log_init_from_env();
    if (lvl < min_level)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
    k = snprintf(line + n, sizeof(line) - n,
                 ".%03ldZ level=%s mod=%s ev=%s req=%s", ts.tv_nsec / 1000000,
                 level_names[lvl], mod, ev, req && *req ? req : "-");
    if (k > 0)
        n += (size_t)k;
    if (fmt && *fmt && n < sizeof(line) - 2) {
        line[n++] = ' ';
        va_start(ap, fmt);
        k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        va_end(ap);
        if (k > 0)
            n += (size_t)k;
    }
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    if (format == LOG_FORMAT_JSON) {
        write_json(line, n, lvl, mod, ev, req);
        return;
    }
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, n) < 0)
        return;
}

const char *log_quote(char *out, size_t n, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t o = 0;
    int plain = *p != '\0';
    const unsigned char *q;

    for (q = p; *q; q++)
        if (*q <= ' ' || *q == '"' || *q == '=' || *q == '\\' || *q >= 0x7f)
            plain = 0;
    if (plain) {
        snprintf(out, n, "%s", (const char *)p);
        return out;
    }
    if (n < 3) {
        if (n)
            out[0] = '\0';
        return out;
    }
    out[o++] = '"';
    for (; *p && o + 6 < n; p++) {
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else if (*p < ' ' || *p == 0x7f) {
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

void log_new_request_id(char out[17])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[8];
    int i;

    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)out;
        memcpy(r, &t, sizeof(r));
    }
    for (i = 0; i < 8; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[16] = '\0';
}
