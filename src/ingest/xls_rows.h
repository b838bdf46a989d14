#ifndef SOCC_XLS_ROWS_H
#define SOCC_XLS_ROWS_H

/*
 * Assembles the cells of one worksheet, in any column order, into the rows
 * a row_sink wants.  Rows are passed as soon as a later row starts, so a
 * sheet is never held whole, unless the sheet's cells are not in row order:
 * then the caller sets collect and the cells are kept, sorted and replayed
 * at the end.
 */

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "row.h"

struct xls_rows_cell;   /* a kept cell when collecting */

struct xls_rows {
    const struct row_limits *lim;   /* borrowed */
    const struct row_sink *sink;    /* borrowed */
    struct socc_error *err;         /* borrowed */
    uint32_t row;                   /* 0-based row being assembled */
    int collect;                    /* 1: keep all cells, sort at the end */
    struct row_cell *cells;         /* owned; ncells used, cap allocated */
    size_t *off;                    /* owned; text offset of each cell */
    size_t ncells, cap;
    struct buf text;                /* the current row's cell text */
    struct xls_rows_cell *kept;     /* owned; collected cells */
    size_t nkept, capkept;
    struct buf kepttext;            /* their text */
};

void xls_rows_init(struct xls_rows *r, const struct row_limits *lim,
                   const struct row_sink *sink, struct socc_error *err);
void xls_rows_release(struct xls_rows *r);

/*
 * Add a cell (0-based row and col; text borrowed, UTF-8).  Empty text is
 * no value and ignored.  Returns LIMIT_EXCEEDED past a limit, or what the
 * sink returned for a finished row.
 */
enum socc_err xls_rows_put(struct xls_rows *r, uint32_t row, uint32_t col,
                           enum row_cell_kind kind, const char *text,
                           size_t len);

/* Pass what is left of the sheet; the assembler is then ready for the next. */
enum socc_err xls_rows_finish(struct xls_rows *r);

#endif
