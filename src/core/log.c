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

static enum log_level min_level = LOG_INFO;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

static void read_env(void)
{
    const char *v = getenv("SOCC_LOG_LEVEL");
    int i;

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

void log_event(enum log_level lvl, const char *mod, const char *ev,
               const char *req, const char *fmt, ...)
{
    char line[2048];
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
