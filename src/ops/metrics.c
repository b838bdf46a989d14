#include "ops/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "ingest/progress.h"
#include "ops/alerts.h"
#include "ops/procstat.h"

/* Error codes counted one by one; a larger value counts as INTERNAL. */
#define CODES_MAX 128
#define BUCKETS_MAX 16

typedef _Atomic unsigned long long counter;

/* Bucket bounds in microseconds, ascending; +Inf is implicit. */
struct hist {
    const unsigned long long *bounds;
    size_t n;
    counter bucket[BUCKETS_MAX + 1];   /* per bucket, not cumulative */
    counter sum_us;
    counter count;
};

static const unsigned long long upload_bounds[] = {
    5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
    5000000, 10000000, 30000000, 60000000, 120000000, 300000000
};
static const unsigned long long db_bounds[] = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000, 100000, 500000,
    1000000, 2000000, 5000000
};

#define NB(a) (sizeof(a) / sizeof((a)[0]))

static const char *const stage_names[METRICS_STAGES] = {
    "validating", "checking_duplicates", "processing", "saving"
};

static struct hist stage_hist[METRICS_STAGES] = {
    { upload_bounds, NB(upload_bounds), {0}, 0, 0 },
    { upload_bounds, NB(upload_bounds), {0}, 0, 0 },
    { upload_bounds, NB(upload_bounds), {0}, 0, 0 },
    { upload_bounds, NB(upload_bounds), {0}, 0, 0 },
};
static struct hist upload_hist = { upload_bounds, NB(upload_bounds), {0}, 0,
                                   0 };
static struct hist db_hist = { db_bounds, NB(db_bounds), {0}, 0, 0 };

static counter uploads_by_code[CODES_MAX];
static counter bytes_received, upload_bytes;
static counter cache_hits, cache_misses, client_errors;

static void add(counter *c, unsigned long long v)
{
    atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static unsigned long long get(counter *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static void hist_observe(struct hist *h, unsigned long long us)
{
    size_t i = 0;

    while (i < h->n && us > h->bounds[i])
        i++;
    add(&h->bucket[i], 1);
    add(&h->sum_us, us);
    add(&h->count, 1);
}

int metrics_stage_of(const char *name)
{
    int i;

    for (i = 0; i < METRICS_STAGES; i++)
        if (name && strcmp(name, stage_names[i]) == 0)
            return i;
    return -1;
}

void metrics_stage(enum metrics_stage st, int64_t us)
{
    if ((int)st < 0 || st >= METRICS_STAGES)
        return;
    hist_observe(&stage_hist[st], us > 0 ? (unsigned long long)us : 0);
}

void metrics_upload(enum socc_err code, int64_t us, uint64_t size)
{
    unsigned idx = (unsigned)code < CODES_MAX ? (unsigned)code
                                              : (unsigned)SOCC_E_INTERNAL;

    add(&uploads_by_code[idx], 1);
    add(&upload_bytes, size);
    hist_observe(&upload_hist, us > 0 ? (unsigned long long)us : 0);
}

void metrics_bytes_received(uint64_t n) { add(&bytes_received, n); }

void metrics_db_query(int64_t ns)
{
    hist_observe(&db_hist, ns > 0 ? (unsigned long long)ns / 1000 : 0);
}

void metrics_cache(int hit) { add(hit ? &cache_hits : &cache_misses, 1); }

void metrics_client_error(void)
{
    add(&client_errors, 1);
    alerts_note_client_error(alerts_now_ms());
}

void metrics_totals(struct metrics_totals *t)
{
    unsigned i;

    memset(t, 0, sizeof(*t));
    for (i = 0; i < CODES_MAX; i++) {
        unsigned long long v = get(&uploads_by_code[i]);
        if (i == SOCC_OK)
            t->uploads_ok = v;
        else if (i == SOCC_E_DUPLICATE_FILE)
            t->duplicates = v;
        else
            t->uploads_failed += v;
    }
    t->bytes_received = get(&bytes_received);
    t->db_queries = get(&db_hist.count);
    t->cache_hits = get(&cache_hits);
    t->cache_misses = get(&cache_misses);
    t->client_errors = get(&client_errors);
}

/* ---- exposition --------------------------------------------------------- */

static void head(struct buf *b, const char *name, const char *type,
                 const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Seconds from microseconds, as Prometheus reads them. */
static void seconds(struct buf *b, unsigned long long us)
{
    buf_printf(b, "%llu.%06llu", us / 1000000, us % 1000000);
}

/* Buckets (cumulative), _sum and _count; labels "" or `k="v",`. */
static void hist_render(struct buf *b, const char *name, const char *labels,
                        struct hist *h)
{
    unsigned long long cum = 0, count;
    size_t i;

    for (i = 0; i < h->n; i++) {
        cum += get(&h->bucket[i]);
        buf_printf(b, "%s_bucket{%sle=\"", name, labels);
        seconds(b, h->bounds[i]);
        buf_printf(b, "\"} %llu\n", cum);
    }
    cum += get(&h->bucket[h->n]);
    count = cum;   /* +Inf equals _count by construction */
    buf_printf(b, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, cum);
    buf_printf(b, "%s_sum", name);
    if (*labels)
        buf_printf(b, "{%.*s}", (int)strlen(labels) - 1, labels);
    buf_addc(b, ' ');
    seconds(b, get(&h->sum_us));
    buf_printf(b, "\n%s_count", name);
    if (*labels)
        buf_printf(b, "{%.*s}", (int)strlen(labels) - 1, labels);
    buf_printf(b, " %llu\n", count);
}

static const char *outcome_of(unsigned code)
{
    if (code == SOCC_OK)
        return "stored";
    return code == SOCC_E_DUPLICATE_FILE ? "duplicate" : "rejected";
}

static void render_uploads(struct buf *b)
{
    unsigned i;
    unsigned long long v;

    head(b, "socc_uploads_total", "counter",
         "Uploads that went through the pipeline, by outcome and error code.");
    for (i = 0; i < CODES_MAX; i++) {
        v = get(&uploads_by_code[i]);
        if (v || i == SOCC_OK)
            buf_printf(b, "socc_uploads_total{outcome=\"%s\",code=\"%s\"} "
                       "%llu\n", outcome_of(i),
                       socc_err_name((enum socc_err)i), v);
    }
    head(b, "socc_duplicates_prevented_total", "counter",
         "Uploads refused because the company already holds the file.");
    buf_printf(b, "socc_duplicates_prevented_total %llu\n",
               get(&uploads_by_code[SOCC_E_DUPLICATE_FILE]));
    head(b, "socc_upload_bytes_total", "counter",
         "Bytes of files that reached the pipeline.");
    buf_printf(b, "socc_upload_bytes_total %llu\n", get(&upload_bytes));
    head(b, "socc_http_received_bytes_total", "counter",
         "Request body bytes received over HTTP.");
    buf_printf(b, "socc_http_received_bytes_total %llu\n",
               get(&bytes_received));
}

static void render_durations(struct buf *b)
{
    char labels[64];
    int i;

    head(b, "socc_upload_stage_duration_seconds", "histogram",
         "Time spent in each pipeline stage.");
    for (i = 0; i < METRICS_STAGES; i++) {
        snprintf(labels, sizeof(labels), "stage=\"%s\",", stage_names[i]);
        hist_render(b, "socc_upload_stage_duration_seconds", labels,
                    &stage_hist[i]);
    }
    head(b, "socc_upload_duration_seconds", "histogram",
         "Time of whole uploads through the pipeline.");
    hist_render(b, "socc_upload_duration_seconds", "", &upload_hist);
    head(b, "socc_db_query_duration_seconds", "histogram",
         "Time of each database statement.");
    hist_render(b, "socc_db_query_duration_seconds", "", &db_hist);
}

static void render_process(struct buf *b)
{
    long fds = procstat_open_fds();

    head(b, "socc_uploads_active", "gauge", "Uploads in flight now.");
    buf_printf(b, "socc_uploads_active %zu\n", progress_active(NULL));
    head(b, "socc_cache_hits_total", "counter", "Cache lookups that hit.");
    buf_printf(b, "socc_cache_hits_total %llu\n", get(&cache_hits));
    head(b, "socc_cache_misses_total", "counter", "Cache lookups that missed.");
    buf_printf(b, "socc_cache_misses_total %llu\n", get(&cache_misses));
    head(b, "socc_client_errors_total", "counter",
         "Error reports received from the page.");
    buf_printf(b, "socc_client_errors_total %llu\n", get(&client_errors));
    head(b, "socc_alerts_firing", "gauge", "Alerts firing now.");
    buf_printf(b, "socc_alerts_firing %d\n", alerts_firing_count());
    head(b, "socc_process_resident_memory_bytes", "gauge",
         "Resident memory of the process.");
    buf_printf(b, "socc_process_resident_memory_bytes %llu\n",
               (unsigned long long)procstat_rss());
    head(b, "socc_process_open_fds", "gauge",
         "Open file descriptors of the process.");
    buf_printf(b, "socc_process_open_fds %ld\n", fds < 0 ? 0 : fds);
}

void metrics_render(struct buf *out)
{
    render_uploads(out);
    render_durations(out);
    render_process(out);
}
