#ifndef SOCC_FUZZ_SINK_H
#define SOCC_FUZZ_SINK_H

/* A row sink for fuzzing: touches every byte it is given, keeps nothing. */

#include <stddef.h>
#include <stdint.h>

#include "ingest/row.h"

static volatile uint64_t fuzz_acc;

static enum socc_err fz_begin(void *ctx, const char *name, size_t len)
{
    size_t i;

    (void)ctx;
    for (i = 0; i < len; i++)
        fuzz_acc += (unsigned char)name[i];
    return SOCC_OK;
}

static enum socc_err fz_row(void *ctx, uint32_t row, const struct row_cell *c,
                            size_t n)
{
    size_t i, j;

    (void)ctx;
    fuzz_acc += row;
    for (i = 0; i < n; i++)
        for (j = 0; j < c[i].len; j++)
            fuzz_acc += (unsigned char)c[i].text[j] + (unsigned)c[i].kind;
    return SOCC_OK;
}

static enum socc_err fz_end(void *ctx)
{
    (void)ctx;
    return SOCC_OK;
}

static void fz_warn(void *ctx, const char *msg)
{
    (void)ctx;
    fuzz_acc += (unsigned char)msg[0];
}

static inline struct row_sink fuzz_sink(void)
{
    struct row_sink s = { NULL, fz_begin, fz_row, fz_end, fz_warn };

    return s;
}

/* Small limits so that the fuzzer reaches them. */
static inline void fuzz_limits(struct row_limits *lim)
{
    row_limits_default(lim);
    lim->max_cols = 1024;
    lim->max_rows = 100000;
    lim->csv_max_field = 65536;
    lim->max_inflated = 64u * 1024 * 1024;
}

#endif
