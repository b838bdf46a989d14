#include "ingest/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lifecycle.h"
#include "ingest/progress.h"

/* One row's JSON may not exceed this (the file size bounds it anyway). */
#define ROW_JSON_MAX (64u * 1024 * 1024)
/* A row this wide that is mostly empty is stored sparse (see write_row). */
#define SPARSE_MIN_CELLS 32
/*
 * Cell positions (each row's width, empty cells included) one upload may
 * make the table walk: 50 MB of real data holds far fewer, while a small
 * workbook of rows reaching column XFD would cost minutes of CPU.
 */
#define MAX_POSITIONS (256ull * 1024 * 1024)

/* Open-addressing set of column names, to keep them unique. */
struct nameset {
    uint32_t *slots;   /* index + 1 into names, 0 = empty */
    uint32_t cap;      /* power of two */
};

struct table {
    struct spool *sp;             /* borrowed: where records go */
    struct progress *prog;        /* borrowed, may be NULL */
    struct socc_error err;        /* what stopped the sink */
    int sheet;                    /* current sheet index, -1 before */
    int infer_numbers;            /* text that reads as a number is one */
    uint64_t stored;              /* bytes of records and columns so far */
    uint64_t positions;           /* cell positions walked so far */
    uint64_t max_stored;          /* their limit, 0 for none */
    int decided;                  /* header found for this sheet */
    int64_t header_row;           /* its row number, 0 when none */
    int64_t preamble;             /* rows skipped above the header */
    int64_t sheet_rows;           /* records in this sheet */
    int64_t records;              /* records in all sheets */
    char sheet_name[256];

    struct buf pending;           /* probe rows, serialised */
    size_t npending;
    uint32_t widths[TABLE_PROBE_ROWS];

    struct buf names;             /* column names, NUL-separated */
    uint32_t *name_off;           /* offsets into names */
    uint32_t ncols, cap_cols;
    struct nameset set;

    struct buf rowjson;           /* reused per record */
    struct buf colsjson;
    struct row_cell *cells;       /* replay array */
    size_t cap_cells;
    struct buf warnings;          /* JSON array */
};

struct table *table_new(struct spool *sp)
{
    struct table *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->sp = sp;
    t->sheet = -1;
    buf_init(&t->pending);
    buf_init(&t->names);
    buf_init(&t->rowjson);
    buf_init(&t->colsjson);
    buf_init(&t->warnings);
    buf_adds(&t->warnings, "[");
    return t;
}

void table_free(struct table *t)
{
    if (!t)
        return;
    buf_release(&t->pending);
    buf_release(&t->names);
    buf_release(&t->rowjson);
    buf_release(&t->colsjson);
    buf_release(&t->warnings);
    free(t->name_off);
    free(t->set.slots);
    free(t->cells);
    free(t);
}

int64_t table_records(const struct table *t) { return t->records; }

void table_set_spool(struct table *t, struct spool *sp) { t->sp = sp; }
void table_set_progress(struct table *t, struct progress *p) { t->prog = p; }

void table_set_infer_numbers(struct table *t, int on) { t->infer_numbers = on; }

void table_set_max_stored(struct table *t, uint64_t bytes)
{
    t->max_stored = bytes;
}

/* Count bytes about to be stored against the limit. */
static enum socc_err charge(struct table *t, size_t n)
{
    t->stored += n;
    if (t->max_stored && t->stored > t->max_stored)
        return socc_error_set(&t->err, SOCC_E_LIMIT_EXCEEDED,
                              "the records would take more than %llu bytes "
                              "to store", (unsigned long long)t->max_stored);
    return SOCC_OK;
}

const struct socc_error *table_error(const struct table *t)
{
    return &t->err;
}

void table_warn(struct table *t, const char *msg)
{
    struct buf one;

    buf_init(&one);
    buf_add_json_strz(&one, msg);
    if (buf_ok(&one) && !strstr(t->warnings.data, one.data)) {
        if (t->warnings.len > 1)
            buf_addc(&t->warnings, ',');
        buf_add(&t->warnings, one.data, one.len);
    }
    buf_release(&one);
}

const char *table_warnings_json(struct table *t)
{
    buf_addc(&t->warnings, ']');
    t->warnings.len--;   /* keep it open for more warnings */
    return t->warnings.data;
}

/* ---- JSON values ---- */

int table_is_json_number(const char *s, size_t n)
{
    size_t i = 0;

    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return 0;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        if (++i >= n || s[i] < '0' || s[i] > '9')
            return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return i == n;
}

int table_text_is_number(const char *s, size_t n)
{
    size_t i, digits = 0;
    long exp = 0;

    if (n > 0 && s[0] == '+') {
        s++;
        n--;
    }
    if (!table_is_json_number(s, n))
        return 0;
    for (i = 0; i < n && s[i] != 'e' && s[i] != 'E'; i++)
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
    /* an exponent a double cannot hold (1e400, 1e-400) stays text */
    for (i++; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9' && exp < 1000)
            exp = exp * 10 + (s[i] - '0');
    return digits <= 15 && exp <= 300;
}

/* A cell's JSON value, reading numbers out of text when the table infers. */
static void cell_value(const struct table *t, const struct row_cell *c,
                       struct buf *b)
{
    if (t->infer_numbers && c->kind == ROW_CELL_STRING &&
        table_text_is_number(c->text, c->len)) {
        if (c->text[0] == '+')
            buf_add(b, c->text + 1, c->len - 1);
        else
            buf_add(b, c->text, c->len);
        return;
    }
    table_cell_json(c, b);
}

void table_cell_json(const struct row_cell *c, struct buf *b)
{
    switch (c->kind) {
    case ROW_CELL_EMPTY:
        buf_add(b, "null", 4);
        return;
    case ROW_CELL_NUMBER:
        if (table_is_json_number(c->text, c->len)) {
            buf_add(b, c->text, c->len);
            return;
        }
        break;
    case ROW_CELL_BOOL:
        if (c->len == 4 && memcmp(c->text, "true", 4) == 0) {
            buf_add(b, "true", 4);
            return;
        }
        if (c->len == 5 && memcmp(c->text, "false", 5) == 0) {
            buf_add(b, "false", 5);
            return;
        }
        break;
    case ROW_CELL_STRING:
    case ROW_CELL_DATE:
    case ROW_CELL_ERROR:
        break;
    }
    buf_add_json_str(b, c->text, c->len);
}

/* ---- column names ---- */

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static const char *name_at(const struct table *t, uint32_t i)
{
    return t->names.data + t->name_off[i];
}

static int set_has(const struct table *t, const char *s)
{
    uint32_t i, m;

    if (!t->set.cap)
        return 0;
    m = t->set.cap - 1;
    for (i = hash_name(s) & m; t->set.slots[i]; i = (i + 1) & m)
        if (strcmp(name_at(t, t->set.slots[i] - 1), s) == 0)
            return 1;
    return 0;
}

static int set_grow(struct table *t)
{
    uint32_t ncap = t->set.cap ? t->set.cap * 2 : 64, i, j, m = ncap - 1;
    uint32_t *slots = calloc(ncap, sizeof(*slots));

    if (!slots)
        return -1;
    for (i = 0; i < t->ncols; i++) {
        for (j = hash_name(name_at(t, i)) & m; slots[j]; j = (j + 1) & m)
            ;
        slots[j] = i + 1;
    }
    free(t->set.slots);
    t->set.slots = slots;
    t->set.cap = ncap;
    return 0;
}

/* Append column name s (made unique) as column t->ncols. */
static int add_name(struct table *t, const char *s, size_t n)
{
    char cand[512];
    uint32_t k = 2, j, m;
    int w;

    w = snprintf(cand, sizeof(cand), "%.*s", (int)(n > 400 ? 400 : n), s);
    while (set_has(t, cand) && w > 0)
        w = snprintf(cand, sizeof(cand), "%.*s_%u", (int)(n > 400 ? 400 : n),
                     s, k++);
    if (t->ncols == t->cap_cols) {
        uint32_t nc = t->cap_cols ? t->cap_cols * 2 : 64;
        uint32_t *o = realloc(t->name_off, nc * sizeof(*o));
        if (!o)
            return -1;
        t->name_off = o;
        t->cap_cols = nc;
    }
    if ((t->ncols + 1) * 2 > t->set.cap && set_grow(t) != 0)
        return -1;
    t->name_off[t->ncols] = (uint32_t)t->names.len;
    buf_adds(&t->names, cand);
    buf_addc(&t->names, '\0');
    if (!buf_ok(&t->names))
        return -1;
    m = t->set.cap - 1;
    for (j = hash_name(cand) & m; t->set.slots[j]; j = (j + 1) & m)
        ;
    t->set.slots[j] = t->ncols + 1;
    t->ncols++;
    return 0;
}

static int add_generated(struct table *t)
{
    char g[32];
    int n = snprintf(g, sizeof(g), "column_%u", t->ncols + 1);

    return add_name(t, g, (size_t)n);
}

static void reset_columns(struct table *t)
{
    buf_reset(&t->names);
    t->ncols = 0;
    if (t->set.slots)
        memset(t->set.slots, 0, t->set.cap * sizeof(*t->set.slots));
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum socc_err set_header(struct table *t, uint32_t row_num,
                                const struct row_cell *c, size_t n)
{
    size_t i, a, z;

    reset_columns(t);
    t->header_row = row_num;
    for (i = 0; i < n; i++) {
        a = 0;
        z = c[i].len;
        while (a < z && is_space(c[i].text[a]))
            a++;
        while (z > a && is_space(c[i].text[z - 1]))
            z--;
        if (memchr(c[i].text + a, '\0', z - a))
            z = a;   /* a NUL in a name: use the generated one */
        if ((z > a ? add_name(t, c[i].text + a, z - a) : add_generated(t)))
            return socc_error_set(&t->err, SOCC_E_INTERNAL, "out of memory");
    }
    return SOCC_OK;
}

/* ---- records ---- */

static uint32_t filled(const struct row_cell *c, size_t n);

/*
 * The row as JSON.  Dense: an array with one value per column up to the
 * last non-empty cell.  Sparse, for a wide row that is mostly empty (one
 * cell at column XFD would otherwise store 16383 nulls): an object from
 * column index to value, {"0":"a","16383":1}.  The store reads both.
 */
static void row_json(struct table *t, const struct row_cell *c, size_t n)
{
    size_t i;
    int first = 1;

    buf_reset(&t->rowjson);
    if (n >= SPARSE_MIN_CELLS && (size_t)filled(c, n) * 4 < n) {
        buf_addc(&t->rowjson, '{');
        for (i = 0; i < n; i++) {
            if (c[i].kind == ROW_CELL_EMPTY)
                continue;
            buf_printf(&t->rowjson, first ? "\"%zu\":" : ",\"%zu\":", i);
            first = 0;
            cell_value(t, &c[i], &t->rowjson);
        }
        buf_addc(&t->rowjson, '}');
        return;
    }
    buf_addc(&t->rowjson, '[');
    for (i = 0; i < n; i++) {
        if (i)
            buf_addc(&t->rowjson, ',');
        cell_value(t, &c[i], &t->rowjson);
    }
    buf_addc(&t->rowjson, ']');
}

static enum socc_err write_record(struct table *t, uint32_t row_num,
                                  const struct row_cell *c, size_t n)
{
    enum socc_err rc;

    while (t->ncols < n)
        if (add_generated(t) != 0)
            return socc_error_set(&t->err, SOCC_E_INTERNAL, "out of memory");
    row_json(t, c, n);
    if (!buf_ok(&t->rowjson))
        return socc_error_set(&t->err, SOCC_E_INTERNAL, "out of memory");
    if (t->rowjson.len > ROW_JSON_MAX)
        return socc_error_set(&t->err, SOCC_E_LIMIT_EXCEEDED,
                              "row %u holds more than %u bytes of data",
                              row_num, ROW_JSON_MAX);
    rc = charge(t, t->rowjson.len);
    if (rc != SOCC_OK)
        return rc;
    t->sheet_rows++;
    t->records++;
    if (t->records % TABLE_PROGRESS_EVERY == 0) {
        progress_rows(t->prog, t->records);
        if (lifecycle_aborted())
            return socc_error_set(&t->err, SOCC_E_UNAVAILABLE,
                                  "the server is shutting down");
    }
    return spool_record(t->sp, t->sheet, row_num, t->rowjson.data,
                        t->rowjson.len, &t->err);
}

static uint32_t filled(const struct row_cell *c, size_t n)
{
    uint32_t k = 0;
    size_t i;

    for (i = 0; i < n; i++)
        if (c[i].kind != ROW_CELL_EMPTY && c[i].len > 0)
            k++;
    return k;
}

/* ---- the probe: buffer the first rows, then decide the header ---- */

struct rec_head {
    uint32_t row_num;
    uint32_t ncells;
};

struct cell_head {
    uint32_t kind;
    uint32_t len;
};

static void pend(struct table *t, uint32_t row_num, const struct row_cell *c,
                 size_t n)
{
    struct rec_head h = { row_num, (uint32_t)n };
    struct cell_head ch;
    size_t i;

    t->widths[t->npending++] = filled(c, n);
    buf_add(&t->pending, &h, sizeof(h));
    for (i = 0; i < n; i++) {
        ch.kind = (uint32_t)c[i].kind;
        ch.len = (uint32_t)c[i].len;
        buf_add(&t->pending, &ch, sizeof(ch));
        buf_add(&t->pending, c[i].text, c[i].len);
    }
}

/* Decode one pending row at *pos into t->cells; returns its cell count. */
static size_t unpend(struct table *t, size_t *pos, uint32_t *row_num)
{
    struct rec_head h;
    struct cell_head ch;
    size_t i;

    memcpy(&h, t->pending.data + *pos, sizeof(h));
    *pos += sizeof(h);
    *row_num = h.row_num;
    for (i = 0; i < h.ncells; i++) {
        memcpy(&ch, t->pending.data + *pos, sizeof(ch));
        *pos += sizeof(ch);
        t->cells[i].kind = (enum row_cell_kind)ch.kind;
        t->cells[i].len = ch.len;
        t->cells[i].text = t->pending.data + *pos;
        *pos += ch.len;
    }
    return h.ncells;
}

static size_t pick_header(const struct table *t)
{
    uint32_t most = 0;
    size_t i;

    for (i = 0; i < t->npending; i++)
        if (t->widths[i] > most)
            most = t->widths[i];
    if (most < 3)
        return 0;
    for (i = 0; i < t->npending; i++)
        if (t->widths[i] * 2 > most)
            return i;
    return 0;
}

static int ensure_cells(struct table *t, size_t n)
{
    struct row_cell *c;

    if (n <= t->cap_cells)
        return 0;
    c = realloc(t->cells, n * sizeof(*c));
    if (!c)
        return -1;
    t->cells = c;
    t->cap_cells = n;
    return 0;
}

static enum socc_err flush_probe(struct table *t)
{
    size_t head, i, pos = 0, n, most = 0;
    uint32_t row_num;
    enum socc_err rc = SOCC_OK;

    if (!buf_ok(&t->pending))
        return socc_error_set(&t->err, SOCC_E_INTERNAL, "out of memory");
    t->decided = 1;
    if (t->npending == 0)
        return SOCC_OK;
    for (i = 0, pos = 0; i < t->npending; i++) {
        struct rec_head h;
        memcpy(&h, t->pending.data + pos, sizeof(h));
        most = h.ncells > most ? h.ncells : most;
        pos += sizeof(h);
        for (uint32_t k = 0; k < h.ncells; k++) {
            struct cell_head ch;
            memcpy(&ch, t->pending.data + pos, sizeof(ch));
            pos += sizeof(ch) + ch.len;
        }
    }
    if (ensure_cells(t, most ? most : 1) != 0)
        return socc_error_set(&t->err, SOCC_E_INTERNAL, "out of memory");
    head = pick_header(t);
    t->preamble = (int64_t)head;
    for (i = 0, pos = 0; i < t->npending && rc == SOCC_OK; i++) {
        n = unpend(t, &pos, &row_num);
        if (i == head)
            rc = set_header(t, row_num, t->cells, n);
        else if (i > head)
            rc = write_record(t, row_num, t->cells, n);
    }
    buf_reset(&t->pending);
    t->npending = 0;
    return rc;
}

/* ---- the sink ---- */

static enum socc_err sk_sheet_begin(void *ctx, const char *name, size_t len)
{
    struct table *t = ctx;
    int n = snprintf(t->sheet_name, sizeof(t->sheet_name), "%.*s",
                     (int)(len > 255 ? 255 : len), name);

    (void)n;   /* a name cut at 255 bytes or at a NUL is still a name */
    t->sheet++;
    t->decided = 0;
    t->header_row = 0;
    t->preamble = 0;
    t->sheet_rows = 0;
    t->npending = 0;
    buf_reset(&t->pending);
    reset_columns(t);
    return spool_sheet(t->sp, t->sheet, t->sheet_name, &t->err);
}

static enum socc_err sk_row(void *ctx, uint32_t row_num,
                            const struct row_cell *cells, size_t n)
{
    struct table *t = ctx;
    enum socc_err rc;

    if (t->sheet < 0)
        return socc_error_set(&t->err, SOCC_E_INTERNAL, "row before sheet");
    t->positions += n;
    if (t->positions > MAX_POSITIONS)
        return socc_error_set(&t->err, SOCC_E_LIMIT_EXCEEDED,
                              "the rows span more than %llu cell positions "
                              "(rows times columns)",
                              (unsigned long long)MAX_POSITIONS);
    if (t->decided)
        return write_record(t, row_num, cells, n);
    pend(t, row_num, cells, n);
    if (t->npending < TABLE_PROBE_ROWS)
        return SOCC_OK;
    rc = flush_probe(t);
    return rc;
}

static enum socc_err columns_json(struct table *t)
{
    uint32_t i;

    buf_reset(&t->colsjson);
    buf_addc(&t->colsjson, '[');
    for (i = 0; i < t->ncols; i++) {
        if (i)
            buf_addc(&t->colsjson, ',');
        buf_add_json_strz(&t->colsjson, name_at(t, i));
    }
    buf_addc(&t->colsjson, ']');
    if (!buf_ok(&t->colsjson))
        return socc_error_set(&t->err, SOCC_E_INTERNAL, "out of memory");
    return SOCC_OK;
}

static enum socc_err sk_sheet_end(void *ctx)
{
    struct table *t = ctx;
    enum socc_err rc = SOCC_OK;
    char msg[400];

    if (!t->decided)
        rc = flush_probe(t);
    if (rc == SOCC_OK)
        rc = columns_json(t);
    if (rc == SOCC_OK)
        rc = charge(t, t->colsjson.len);
    if (rc != SOCC_OK)
        return rc;
    if (t->preamble > 0) {
        snprintf(msg, sizeof(msg), "%lld title row(s) above the header of "
                 "sheet '%s' were skipped", (long long)t->preamble,
                 t->sheet_name[0] ? t->sheet_name : "1");
        table_warn(t, msg);
    }
    return spool_sheet_done(t->sp, t->sheet, t->sheet_rows,
                                   t->colsjson.data, t->ncols, t->header_row,
                                   &t->err);
}

static void sk_warn(void *ctx, const char *msg) { table_warn(ctx, msg); }

struct row_sink table_sink(struct table *t)
{
    struct row_sink s = { t, sk_sheet_begin, sk_row, sk_sheet_end, sk_warn };

    return s;
}
