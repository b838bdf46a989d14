#ifndef SOCC_METRICS_H
#define SOCC_METRICS_H

/*
 * Process-wide counters and histograms, rendered in the Prometheus text
 * exposition format 0.0.4 by metrics_render().  Every recorder is a few
 * relaxed atomic additions: safe and cheap from any thread, no lock.
 */

#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* The pipeline stages that have a duration histogram. */
enum metrics_stage {
    METRICS_VALIDATING,
    METRICS_CHECKING_DUPLICATES,
    METRICS_PROCESSING,
    METRICS_SAVING,
    METRICS_STAGES
};

/* Stage by its pipeline name ("validating", ...); -1 when unknown. */
int metrics_stage_of(const char *name);
/* One stage took us microseconds. */
void metrics_stage(enum metrics_stage st, int64_t us);
/* An upload ended with code after us microseconds (whole pipeline); size
 * its bytes. */
void metrics_upload(enum socc_err code, int64_t us, uint64_t size);
/* Request body bytes received over HTTP. */
void metrics_bytes_received(uint64_t n);
/* One database statement ran for ns nanoseconds. */
void metrics_db_query(int64_t ns);
/* A cache lookup hit (1) or missed (0). */
void metrics_cache(int hit);
/*
 * A client error report (the page's error boundary, POST
 * /api/client-errors) was received.  Also feeds the alert on their rate.
 */
void metrics_client_error(void);

/* Totals, for tests and the status view. */
struct metrics_totals {
    uint64_t uploads_ok, uploads_failed, duplicates;
    uint64_t bytes_received, db_queries, cache_hits, cache_misses;
    uint64_t client_errors;
};
void metrics_totals(struct metrics_totals *t);

/* Append the whole exposition (text/plain; version=0.0.4) to out. */
void metrics_render(struct buf *out);

#endif
