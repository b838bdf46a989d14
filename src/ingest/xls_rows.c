#include "xls_rows.h"

#include <stdlib.h>
#include <string.h>

/* A cell kept while collecting an unsorted sheet. */
struct xls_rows_cell {
    uint32_t row, col;
    size_t seq;                 /* arrival order: a later cell wins */
    size_t off, len;            /* text in kepttext */
    enum row_cell_kind kind;
};

void xls_rows_init(struct xls_rows *r, const struct row_limits *lim,
                   const struct row_sink *sink, struct socc_error *err)
{
    memset(r, 0, sizeof(*r));
    r->lim = lim;
    r->sink = sink;
    r->err = err;
    buf_init(&r->text);
    buf_init(&r->kepttext);
}

void xls_rows_release(struct xls_rows *r)
{
    free(r->cells);
    free(r->off);
    free(r->kept);
    buf_release(&r->text);
    buf_release(&r->kepttext);
    memset(r, 0, sizeof(*r));
}

static enum socc_err oom(struct xls_rows *r)
{
    return socc_error_set(r->err, SOCC_E_INTERNAL, "out of memory");
}

/* Pass the assembled row to the sink and start an empty one. */
static enum socc_err flush(struct xls_rows *r)
{
    enum socc_err rc;
    size_t i;

    if (r->ncells == 0)
        return SOCC_OK;
    if (!buf_ok(&r->text))
        return oom(r);
    for (i = 0; i < r->ncells; i++)
        r->cells[i].text = r->cells[i].len ? r->text.data + r->off[i] : "";
    rc = r->sink->row(r->sink->ctx, r->row + 1, r->cells, r->ncells);
    if (rc != SOCC_OK && r->err && r->err->code == SOCC_OK)
        socc_error_set(r->err, rc, "row sink stopped at row %u", r->row + 1);
    r->ncells = 0;
    buf_reset(&r->text);
    return rc;
}

static int grow(struct xls_rows *r, size_t n)
{
    size_t cap = r->cap ? r->cap : 16;
    struct row_cell *c;
    size_t *o;

    while (cap < n)
        cap *= 2;
    c = realloc(r->cells, cap * sizeof(*c));
    if (c)
        r->cells = c;
    o = realloc(r->off, cap * sizeof(*o));
    if (o)
        r->off = o;
    if (!c || !o)
        return -1;
    r->cap = cap;
    return 0;
}

/* Put a cell into the current row (the same row number). */
static enum socc_err place(struct xls_rows *r, uint32_t col,
                           enum row_cell_kind kind, const char *text,
                           size_t len)
{
    size_t i;

    if (col >= r->cap && grow(r, (size_t)col + 1) != 0)
        return oom(r);
    for (i = r->ncells; i <= col; i++) {
        r->cells[i].len = 0;
        r->cells[i].kind = ROW_CELL_EMPTY;
    }
    if (col >= r->ncells)
        r->ncells = (size_t)col + 1;
    r->off[col] = r->text.len;
    r->cells[col].len = len;
    r->cells[col].kind = kind;
    buf_add(&r->text, text, len);
    return SOCC_OK;
}

static enum socc_err keep(struct xls_rows *r, uint32_t row, uint32_t col,
                          enum row_cell_kind kind, const char *text,
                          size_t len)
{
    struct xls_rows_cell *k;

    if (r->nkept == r->capkept) {
        size_t cap = r->capkept ? r->capkept * 2 : 256;

        k = realloc(r->kept, cap * sizeof(*k));
        if (!k)
            return oom(r);
        r->kept = k;
        r->capkept = cap;
    }
    k = &r->kept[r->nkept];
    k->row = row;
    k->col = col;
    k->seq = r->nkept++;
    k->off = r->kepttext.len;
    k->len = len;
    k->kind = kind;
    buf_add(&r->kepttext, text, len);
    return buf_ok(&r->kepttext) ? SOCC_OK : oom(r);
}

enum socc_err xls_rows_put(struct xls_rows *r, uint32_t row, uint32_t col,
                           enum row_cell_kind kind, const char *text,
                           size_t len)
{
    enum socc_err rc;

    if (len == 0)
        return SOCC_OK;
    if (col >= r->lim->max_cols)
        return socc_error_set(r->err, SOCC_E_LIMIT_EXCEEDED,
                              "column %u is past the limit of %u columns",
                              col + 1, r->lim->max_cols);
    if (row >= r->lim->max_rows)
        return socc_error_set(r->err, SOCC_E_LIMIT_EXCEEDED,
                              "row %u is past the limit of %u rows",
                              row + 1, r->lim->max_rows);
    if (r->collect)
        return keep(r, row, col, kind, text, len);
    if (row != r->row) {
        rc = flush(r);
        if (rc != SOCC_OK)
            return rc;
        r->row = row;
    }
    return place(r, col, kind, text, len);
}

static int by_position(const void *a, const void *b)
{
    const struct xls_rows_cell *x = a, *y = b;

    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort the kept cells and replay them through the streaming path. */
static enum socc_err replay(struct xls_rows *r)
{
    enum socc_err rc = SOCC_OK;
    size_t i;

    if (r->nkept == 0)
        return SOCC_OK;
    qsort(r->kept, r->nkept, sizeof(*r->kept), by_position);
    r->collect = 0;
    for (i = 0; rc == SOCC_OK && i < r->nkept; i++) {
        const struct xls_rows_cell *k = &r->kept[i];

        if (k->len)   /* kepttext.data is NULL while all kept were empty */
            rc = xls_rows_put(r, k->row, k->col, k->kind,
                              r->kepttext.data + k->off, k->len);
    }
    r->nkept = 0;
    buf_reset(&r->kepttext);
    return rc;
}

enum socc_err xls_rows_finish(struct xls_rows *r)
{
    enum socc_err rc = replay(r);

    if (rc == SOCC_OK)
        rc = flush(r);
    r->ncells = 0;
    r->row = 0;
    r->collect = 0;
    buf_reset(&r->text);
    return rc;
}
