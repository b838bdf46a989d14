/*
 * Time the xls reader on one file with a sink that only counts.
 * Build and run (see bench/README or the xls reader report):
 *   make build/rel/libsocc.a
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/bench_xls.c build/rel/libsocc.a \
 *      $(pkg-config --libs libmicrohttpd libcrypto sqlite3 libzip expat freexl) \
 *      -lm -lpthread -o build/rel/bench_xls
 *   /usr/bin/time -v build/rel/bench_xls FILE.xls
 */
#include <stdio.h>
#include <time.h>

#include "ingest/row.h"

struct count {
    unsigned long sheets, rows, cells, bytes;
};

static enum socc_err on_sheet(void *ctx, const char *name, size_t len)
{
    (void)name, (void)len;
    ((struct count *)ctx)->sheets++;
    return SOCC_OK;
}

static enum socc_err on_row(void *ctx, uint32_t row_num,
                            const struct row_cell *cells, size_t n)
{
    struct count *c = ctx;
    size_t i;

    (void)row_num;
    c->rows++;
    for (i = 0; i < n; i++) {
        c->cells += cells[i].kind != ROW_CELL_EMPTY;
        c->bytes += cells[i].len;
    }
    return SOCC_OK;
}

static enum socc_err on_end(void *ctx)
{
    (void)ctx;
    return SOCC_OK;
}

int main(int argc, char **argv)
{
    struct count c = { 0, 0, 0, 0 };
    struct row_sink sink = { &c, on_sheet, on_row, on_end, NULL };
    struct socc_error err = { SOCC_OK, "" };
    struct timespec t0, t1;
    enum socc_err rc;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_xls FILE.xls\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = xls_reader_run(argv[1], NULL, &sink, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("rc=%s %s sheets=%lu rows=%lu cells=%lu bytes=%lu secs=%.3f\n",
           socc_err_name(rc), err.detail, c.sheets, c.rows, c.cells, c.bytes,
           (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return rc == SOCC_OK ? 0 : 1;
}
