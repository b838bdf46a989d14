#ifndef SOCC_ALERTS_H
#define SOCC_ALERTS_H

/*
 * Alerts evaluated in the server over a sliding window (SPEC 5):
 *   upload_failure_rate  failed / all uploads in the window > 5%
 *   upload_duration      average upload time in the window > 30 s
 *   memory               resident memory / the limit it may use > 80%
 *   db_query_slow        a database statement in the window took > 2 s
 *   client_errors        error-boundary reports in the last hour > 10
 * A transition (firing, resolved) is logged in one line, kept in a short
 * history for GET /api/alerts, and posted to the webhook when one is set.
 * Process-wide state, safe from any thread; recorders take one short lock.
 * Times are wall-clock milliseconds passed in, so tests drive the clock.
 */

#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct alerts_config {
    double failure_rate;        /* SOCC_ALERT_FAILURE_RATE, 0.05 */
    double upload_seconds;      /* SOCC_ALERT_UPLOAD_SECONDS, 30 */
    double memory_ratio;        /* SOCC_ALERT_MEMORY_RATIO, 0.80 */
    double db_query_seconds;    /* SOCC_ALERT_DB_QUERY_SECONDS, 2 */
    unsigned client_errors;     /* SOCC_ALERT_CLIENT_ERRORS, 10 */
    unsigned window_s;          /* SOCC_ALERT_WINDOW, 300 */
    unsigned client_window_s;   /* SOCC_ALERT_CLIENT_ERRORS_WINDOW, 3600 */
    unsigned min_uploads;       /* SOCC_ALERT_MIN_UPLOADS, 5 */
    unsigned interval_ms;       /* SOCC_ALERT_INTERVAL_MS, 5000 */
    char webhook[512];          /* SOCC_ALERT_WEBHOOK, "" for none */
    unsigned webhook_timeout_ms;/* SOCC_ALERT_WEBHOOK_TIMEOUT_MS, 3000 */
};

void alerts_config_defaults(struct alerts_config *c);
/* Defaults, then the environment; BAD_REQUEST naming a bad variable. */
enum socc_err alerts_config_from_env(struct alerts_config *c,
                                     struct socc_error *err);

/* Reset every window, state and history to c (copied); no threads. */
void alerts_init(const struct alerts_config *c);
/*
 * alerts_init(), then a thread that evaluates every interval_ms with the
 * process's memory, and, with a webhook, a thread that posts.  0 or -1.
 */
int alerts_start(const struct alerts_config *c);
/* Stop the threads (a post in flight ends by its timeout). */
void alerts_stop(void);

/* Wall clock in ms since the epoch. */
int64_t alerts_now_ms(void);

/* An upload ended at now_ms after ms; failed when it was not stored and
 * not a duplicate. */
void alerts_note_upload(int64_t now_ms, int failed, int64_t ms);
/* A database statement ended at now_ms after ns nanoseconds. */
void alerts_note_db(int64_t now_ms, int64_t ns);
/* A client error report arrived at now_ms. */
void alerts_note_client_error(int64_t now_ms);

/* Evaluate every rule at now_ms; memory_ratio is RSS / limit (0-1+). */
void alerts_evaluate(int64_t now_ms, double memory_ratio);
/* 1 when the rule called name fires now, 0 when not, -1 no such rule. */
int alerts_firing(const char *name);
/* How many rules fire now. */
int alerts_firing_count(void);
/*
 * Append {"window_s":..,"alerts":[{"name","state","value","threshold",
 * "since","summary"}..],"history":[{"name","state","value","threshold",
 * "at"}..]} (history newest first).
 */
void alerts_json(struct buf *out);

#endif
