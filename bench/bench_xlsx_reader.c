/*
 * Time the XLSX reader alone: read each file given, count rows, cells and
 * text bytes (touching every byte, as a real consumer would), print the
 * wall time.  Build and run:
 *
 *   /usr/bin/python3 bench/gen_xlsx.py bench/data/big.xlsx
 *   make build/rel/libsocc.a
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o build/rel/bench_xlsx_reader \
 *       bench/bench_xlsx_reader.c build/rel/libsocc.a \
 *       $(pkg-config --libs libzip expat) -lm
 *   /usr/bin/time -v build/rel/bench_xlsx_reader bench/data/big.xlsx
 */
#include <stdio.h>
#include <time.h>

#include "ingest/row.h"

/* What the sink saw. */
struct tally {
    unsigned long rows, cells;
    unsigned long bytes;   /* text bytes, each one read */
    unsigned sum;          /* folds the bytes so they are really read */
};

static enum socc_err on_sheet(void *ctx, const char *name, size_t len)
{
    (void)ctx, (void)name, (void)len;
    return SOCC_OK;
}

static enum socc_err on_row(void *ctx, uint32_t row_num,
                            const struct row_cell *cells, size_t n)
{
    struct tally *t = ctx;
    size_t i, k;

    (void)row_num;
    t->rows++;
    for (i = 0; i < n; i++) {
        t->cells += cells[i].kind != ROW_CELL_EMPTY;
        t->bytes += cells[i].len;
        for (k = 0; k < cells[i].len; k++)
            t->sum += (unsigned char)cells[i].text[k];
    }
    return SOCC_OK;
}

static enum socc_err on_end(void *ctx)
{
    (void)ctx;
    return SOCC_OK;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct row_limits lim;
    struct socc_error err;
    struct tally t = { 0, 0, 0, 0 };
    struct row_sink sink = { &t, on_sheet, on_row, on_end, NULL };
    enum socc_err rc;
    double t0;
    int i;

    row_limits_default(&lim);
    for (i = 1; i < argc; i++) {
        t0 = now();
        rc = xlsx_reader_run(argv[i], &lim, &sink, &err);
        printf("%s: %s %s rows=%lu cells=%lu bytes=%lu (%u) %.3f s\n",
               argv[i], socc_err_name(rc), err.detail, t.rows, t.cells,
               t.bytes, t.sum & 0xff, now() - t0);
        if (rc != SOCC_OK)
            return 1;
    }
    return 0;
}
