#include "ops/alerts.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "ops/procstat.h"
#include "ops/webhook.h"

/*
 * LIMIT: each window keeps at most this many events; past it the oldest
 * go first, so a rate is computed over the newest RING_MAX uploads.
 */
#define RING_MAX 4096
#define HISTORY_MAX 50

enum rule { R_FAILURE, R_DURATION, R_MEMORY, R_DB, R_CLIENT, R_COUNT };

static const char *const rule_names[R_COUNT] = {
    "upload_failure_rate", "upload_duration", "memory", "db_query_slow",
    "client_errors"
};

struct event {
    int64_t at_ms;
    int64_t value;            /* ms of an upload or a statement */
    int failed;
};

struct ring {
    struct event ev[RING_MAX];
    size_t head, n;           /* next slot, events held */
};

struct state {
    int firing;
    int64_t since_ms;
    double value;
};

struct transition {
    int rule;
    int firing;
    int64_t at_ms;
    double value, threshold;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct alerts_config cfg;
static struct ring uploads, slow_db, client;
static struct state states[R_COUNT];
static struct transition history[HISTORY_MAX];
static size_t hist_head, hist_n;

static pthread_t thread;
static int running, stopping;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

/* ---- configuration ------------------------------------------------------ */

void alerts_config_defaults(struct alerts_config *c)
{
    memset(c, 0, sizeof(*c));
    c->failure_rate = 0.05;
    c->upload_seconds = 30;
    c->memory_ratio = 0.80;
    c->db_query_seconds = 2;
    c->client_errors = 10;
    c->window_s = 300;
    c->client_window_s = 3600;
    c->min_uploads = 5;
    c->interval_ms = 5000;
    c->webhook_timeout_ms = 3000;
}

static int env_double(const char *name, double lo, double hi, double *out)
{
    const char *v = getenv(name);
    char *end;
    double d;

    if (!v || !*v)
        return 0;
    errno = 0;
    d = strtod(v, &end);
    if (*end || errno || !(d >= lo && d <= hi))
        return -1;
    *out = d;
    return 0;
}

static int env_unsigned(const char *name, unsigned lo, unsigned hi,
                        unsigned *out)
{
    double d = *out;

    if (env_double(name, lo, hi, &d) != 0 || d != (double)(unsigned)d)
        return -1;
    *out = (unsigned)d;
    return 0;
}

enum socc_err alerts_config_from_env(struct alerts_config *c,
                                     struct socc_error *err)
{
    const char *bad = NULL, *hook = getenv("SOCC_ALERT_WEBHOOK");

    alerts_config_defaults(c);
    if (env_double("SOCC_ALERT_FAILURE_RATE", 0, 1, &c->failure_rate))
        bad = "SOCC_ALERT_FAILURE_RATE must be 0-1";
    else if (env_double("SOCC_ALERT_UPLOAD_SECONDS", 0, 86400,
                        &c->upload_seconds))
        bad = "SOCC_ALERT_UPLOAD_SECONDS must be 0-86400";
    else if (env_double("SOCC_ALERT_MEMORY_RATIO", 0, 1, &c->memory_ratio))
        bad = "SOCC_ALERT_MEMORY_RATIO must be 0-1";
    else if (env_double("SOCC_ALERT_DB_QUERY_SECONDS", 0, 3600,
                        &c->db_query_seconds))
        bad = "SOCC_ALERT_DB_QUERY_SECONDS must be 0-3600";
    else if (env_unsigned("SOCC_ALERT_CLIENT_ERRORS", 0, 1000000,
                          &c->client_errors))
        bad = "SOCC_ALERT_CLIENT_ERRORS must be 0-1000000";
    else if (env_unsigned("SOCC_ALERT_WINDOW", 1, 86400, &c->window_s))
        bad = "SOCC_ALERT_WINDOW must be 1-86400 seconds";
    else if (env_unsigned("SOCC_ALERT_CLIENT_ERRORS_WINDOW", 1, 86400,
                          &c->client_window_s))
        bad = "SOCC_ALERT_CLIENT_ERRORS_WINDOW must be 1-86400 seconds";
    else if (env_unsigned("SOCC_ALERT_MIN_UPLOADS", 1, 1000000,
                          &c->min_uploads))
        bad = "SOCC_ALERT_MIN_UPLOADS must be 1-1000000";
    else if (env_unsigned("SOCC_ALERT_INTERVAL_MS", 10, 3600000,
                          &c->interval_ms))
        bad = "SOCC_ALERT_INTERVAL_MS must be 10-3600000";
    else if (env_unsigned("SOCC_ALERT_WEBHOOK_TIMEOUT_MS", 100, 60000,
                          &c->webhook_timeout_ms))
        bad = "SOCC_ALERT_WEBHOOK_TIMEOUT_MS must be 100-60000";
    else if (hook && *hook && strncmp(hook, "http://", 7) != 0 &&
             strncmp(hook, "https://", 8) != 0)
        bad = "SOCC_ALERT_WEBHOOK must be an http:// or https:// URL";
    else if (hook && strlen(hook) >= sizeof(c->webhook))
        bad = "SOCC_ALERT_WEBHOOK is too long";
    if (bad)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "%s", bad);
    snprintf(c->webhook, sizeof(c->webhook), "%s", hook ? hook : "");
    return SOCC_OK;
}

/* ---- windows ------------------------------------------------------------ */

static void ring_add(struct ring *r, int64_t at, int64_t value, int failed)
{
    r->ev[r->head].at_ms = at;
    r->ev[r->head].value = value;
    r->ev[r->head].failed = failed;
    r->head = (r->head + 1) % RING_MAX;
    if (r->n < RING_MAX)
        r->n++;
}

/* Events after since: count, failed ones, sum and max of value. */
struct tally {
    size_t n, failed;
    int64_t sum, max;
};

static struct tally ring_tally(const struct ring *r, int64_t since)
{
    struct tally t = { 0, 0, 0, 0 };
    size_t i, at;

    for (i = 0; i < r->n; i++) {
        at = (r->head + RING_MAX - 1 - i) % RING_MAX;
        if (r->ev[at].at_ms <= since)
            break;   /* newest first: the rest is older */
        t.n++;
        t.failed += (size_t)r->ev[at].failed;
        t.sum += r->ev[at].value;
        if (r->ev[at].value > t.max)
            t.max = r->ev[at].value;
    }
    return t;
}

void alerts_init(const struct alerts_config *c)
{
    pthread_mutex_lock(&mu);
    cfg = *c;
    memset(&uploads, 0, sizeof(uploads));
    memset(&slow_db, 0, sizeof(slow_db));
    memset(&client, 0, sizeof(client));
    memset(states, 0, sizeof(states));
    hist_head = hist_n = 0;
    pthread_mutex_unlock(&mu);
}

int64_t alerts_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void alerts_note_upload(int64_t now_ms, int failed, int64_t ms)
{
    pthread_mutex_lock(&mu);
    ring_add(&uploads, now_ms, ms, failed != 0);
    pthread_mutex_unlock(&mu);
}

void alerts_note_db(int64_t now_ms, int64_t ns)
{
    double s = (double)ns / 1e9;

    /* only the statements that could fire the rule are kept */
    if (s <= cfg.db_query_seconds)
        return;
    pthread_mutex_lock(&mu);
    ring_add(&slow_db, now_ms, ns / 1000000, 0);
    pthread_mutex_unlock(&mu);
}

void alerts_note_client_error(int64_t now_ms)
{
    pthread_mutex_lock(&mu);
    ring_add(&client, now_ms, 0, 0);
    pthread_mutex_unlock(&mu);
}

/* ---- evaluation --------------------------------------------------------- */

static double threshold(int rule)
{
    switch (rule) {
    case R_FAILURE: return cfg.failure_rate;
    case R_DURATION: return cfg.upload_seconds;
    case R_MEMORY: return cfg.memory_ratio;
    case R_DB: return cfg.db_query_seconds;
    default: return (double)cfg.client_errors;
    }
}

/* Each rule's value now and whether it fires; mu held. */
static void measure(int64_t now, double memory_ratio, double value[R_COUNT],
                    int fire[R_COUNT])
{
    int64_t since = now - (int64_t)cfg.window_s * 1000;
    struct tally up = ring_tally(&uploads, since);
    struct tally db = ring_tally(&slow_db, since);
    struct tally cl = ring_tally(&client,
                                 now - (int64_t)cfg.client_window_s * 1000);

    value[R_FAILURE] = up.n ? (double)up.failed / (double)up.n : 0;
    fire[R_FAILURE] = up.n >= cfg.min_uploads &&
                      value[R_FAILURE] > cfg.failure_rate;
    value[R_DURATION] = up.n ? (double)up.sum / (double)up.n / 1000.0 : 0;
    fire[R_DURATION] = up.n > 0 && value[R_DURATION] > cfg.upload_seconds;
    value[R_MEMORY] = memory_ratio;
    fire[R_MEMORY] = memory_ratio > cfg.memory_ratio;
    value[R_DB] = (double)db.max / 1000.0;
    fire[R_DB] = db.n > 0;
    value[R_CLIENT] = (double)cl.n;
    fire[R_CLIENT] = (double)cl.n > (double)cfg.client_errors;
}

static void iso_time(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    size_t k;

    gmtime_r(&t, &tm);
    k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%03dZ", (int)(ms % 1000));
}

/* Log the transition, and post it when a webhook is set. */
static void announce(const struct transition *t, const char *webhook)
{
    char at[32];
    struct buf b;

    log_event(t->firing ? LOG_WARN : LOG_INFO, "ops",
              t->firing ? "alert_firing" : "alert_resolved", NULL,
              "alert=%s value=%.4g threshold=%.4g", rule_names[t->rule],
              t->value, t->threshold);
    if (!webhook[0])
        return;
    iso_time(t->at_ms, at, sizeof(at));
    buf_init(&b);
    buf_printf(&b, "{\"service\":\"socc\",\"alert\":\"%s\",\"state\":\"%s\","
               "\"value\":%.6g,\"threshold\":%.6g,\"at\":\"%s\"}",
               rule_names[t->rule], t->firing ? "firing" : "resolved",
               t->value, t->threshold, at);
    if (buf_ok(&b))
        webhook_post(b.data, b.len);
    buf_release(&b);
}

void alerts_evaluate(int64_t now_ms, double memory_ratio)
{
    double value[R_COUNT];
    int fire[R_COUNT], i, nt = 0;
    struct transition out[R_COUNT];
    char webhook[sizeof(cfg.webhook)];

    pthread_mutex_lock(&mu);
    measure(now_ms, memory_ratio, value, fire);
    for (i = 0; i < R_COUNT; i++) {
        states[i].value = value[i];
        if (fire[i] == states[i].firing)
            continue;
        states[i].firing = fire[i];
        states[i].since_ms = now_ms;
        out[nt].rule = i;
        out[nt].firing = fire[i];
        out[nt].at_ms = now_ms;
        out[nt].value = value[i];
        out[nt].threshold = threshold(i);
        history[hist_head] = out[nt++];
        hist_head = (hist_head + 1) % HISTORY_MAX;
        if (hist_n < HISTORY_MAX)
            hist_n++;
    }
    memcpy(webhook, cfg.webhook, sizeof(webhook));
    pthread_mutex_unlock(&mu);
    for (i = 0; i < nt; i++)
        announce(&out[i], webhook);
}

int alerts_firing(const char *name)
{
    int i, rc = -1;

    pthread_mutex_lock(&mu);
    for (i = 0; i < R_COUNT; i++)
        if (strcmp(name, rule_names[i]) == 0)
            rc = states[i].firing;
    pthread_mutex_unlock(&mu);
    return rc;
}

int alerts_firing_count(void)
{
    int i, n = 0;

    pthread_mutex_lock(&mu);
    for (i = 0; i < R_COUNT; i++)
        n += states[i].firing;
    pthread_mutex_unlock(&mu);
    return n;
}

static const char *const rule_text[R_COUNT] = {
    "share of uploads that failed in the window",
    "average upload time in the window, seconds",
    "resident memory / memory limit",
    "slowest database statement in the window, seconds",
    "error reports from the page in the client window",
};

void alerts_json(struct buf *out)
{
    char at[32];
    size_t i, k;

    pthread_mutex_lock(&mu);
    buf_printf(out, "{\"window_s\":%u,\"client_window_s\":%u,\"alerts\":[",
               cfg.window_s, cfg.client_window_s);
    for (i = 0; i < R_COUNT; i++) {
        buf_printf(out, "%s{\"name\":\"%s\",\"state\":\"%s\",\"value\":%.6g,"
                   "\"threshold\":%.6g,\"summary\":\"%s\",\"since\":",
                   i ? "," : "", rule_names[i],
                   states[i].firing ? "firing" : "ok", states[i].value,
                   threshold((int)i), rule_text[i]);
        iso_time(states[i].since_ms, at, sizeof(at));
        buf_printf(out, states[i].since_ms ? "\"%s\"}" : "null}", at);
    }
    buf_adds(out, "],\"history\":[");
    for (i = 0; i < hist_n; i++) {
        const struct transition *t;
        k = (hist_head + HISTORY_MAX - 1 - i) % HISTORY_MAX;
        t = &history[k];
        iso_time(t->at_ms, at, sizeof(at));
        buf_printf(out, "%s{\"name\":\"%s\",\"state\":\"%s\",\"value\":%.6g,"
                   "\"threshold\":%.6g,\"at\":\"%s\"}", i ? "," : "",
                   rule_names[t->rule], t->firing ? "firing" : "resolved",
                   t->value, t->threshold, at);
    }
    buf_adds(out, "]}");
    pthread_mutex_unlock(&mu);
}

/* ---- the evaluating thread ---------------------------------------------- */

static double memory_ratio_now(void)
{
    const char *src;
    uint64_t limit = procstat_memory_limit(&src);

    return limit ? (double)procstat_rss() / (double)limit : 0;
}

static void *evaluator(void *arg)
{
    struct timespec until;
    unsigned ms;

    (void)arg;
    pthread_mutex_lock(&mu);
    while (!stopping) {
        ms = cfg.interval_ms;
        pthread_mutex_unlock(&mu);
        alerts_evaluate(alerts_now_ms(), memory_ratio_now());
        pthread_mutex_lock(&mu);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        if (!stopping)
            pthread_cond_timedwait(&cv, &mu, &until);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

int alerts_start(const struct alerts_config *c)
{
    alerts_init(c);
    if (c->webhook[0] && webhook_start(c->webhook, c->webhook_timeout_ms))
        return -1;
    stopping = 0;
    if (pthread_create(&thread, NULL, evaluator, NULL) != 0) {
        webhook_stop();
        return -1;
    }
    running = 1;
    return 0;
}

void alerts_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    running = 0;
    webhook_stop();
}
