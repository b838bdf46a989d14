#ifndef SOCC_LOG_H
#define SOCC_LOG_H

/*
 * Structured one-line logs on stderr:
 *   ts=2026-01-01T12:00:00.123Z level=info mod=http ev=request req=ab12.. k=v
 * req is the request id ("-" outside a request).  Values that need it are
 * quoted by log_kv_str().  Never log file contents, rows or credentials.
 */

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
/*
 * key=value lines (default), or one JSON object a line with the same keys
 * (SOCC_LOG_FORMAT=json): numbers stay numbers, quoted values are
 * unquoted, a bare word becomes true.
 */
enum log_format { LOG_FORMAT_KV, LOG_FORMAT_JSON };

/* Lowest level written (default info; SOCC_LOG_LEVEL=debug|info|warn|error). */
void log_set_level(enum log_level lvl);
void log_init_from_env(void);
void log_set_format(enum log_format f);

/*
 * Write one line: fixed keys, then fmt (already "k=v k2=v2").  Thread-safe:
 * the line is built first and written with one write(2).
 */
void log_event(enum log_level lvl, const char *mod, const char *ev,
               const char *req, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Copy s into out (size n) as a log value: unquoted when it is plain,
 * otherwise in double quotes with " \ and control bytes escaped; cut to fit.
 */
const char *log_quote(char *out, size_t n, const char *s);

/* A fresh random request id: 16 lowercase hex digits + NUL. */
void log_new_request_id(char out[17]);

#endif
