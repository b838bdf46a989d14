#include "xlsx_sheet.h"

#include <stdlib.h>
#include <string.h>

#include "xlsx_number.h"

/* A cell of the current row: its column and where its text is. */
struct cell_ref {
    uint32_t col;               /* 0-based column */
    enum row_cell_kind kind;
    const char *shared;         /* borrowed from the string table, or NULL
                                   when the text is in ctx->text */
    size_t off;                 /* offset of the text in ctx->text */
    size_t len;                 /* bytes */
};

/* Parse state of one worksheet. */
struct sheet_ctx {
    struct xlsx_part_xml x;         /* first: expat user data */
    const struct xlsx_sst *sst;     /* borrowed */
    const struct xlsx_styles *sty;  /* borrowed */
    const struct row_sink *sink;    /* borrowed */
    const struct row_limits *lim;   /* borrowed */
    unsigned depth;                 /* element depth, root = 1 */
    unsigned data_depth;            /* depth of sheetData; 0 outside */
    int in_row, in_cell, in_is, in_run;
    uint64_t row_num;               /* current row, 1-based */
    uint64_t rows_seen;             /* row elements read */
    uint32_t next_col;              /* column of a cell without r */
    uint32_t col;                   /* column of the current cell */
    uint32_t style;                 /* s of the current cell */
    char type;                      /* t: s n b e d i(nlineStr) f(str) */
    int has_is;                     /* the cell holds an <is> */
    const char *shared;             /* its shared string, not copied */
    size_t shared_len;
    size_t cell_off;                /* where its text starts in text */
    size_t max_bytes;               /* UTF-8 bytes a cell may reach */
    struct cell_ref *refs;          /* owned; cells of the row */
    size_t nrefs, crefs;
    struct row_cell *cells;         /* owned; by column, EMPTY between */
    size_t ccells;
    struct buf text;                /* cell text of the current row */
    struct buf scratch;             /* normalised numbers */
};

static const struct row_cell empty_cell = { "", 0, ROW_CELL_EMPTY };

static void XMLCALL cell_text(void *ud, const XML_Char *s, int len)
{
    struct sheet_ctx *c = ud;

    buf_add(&c->text, s, (size_t)len);
    if (c->text.len - c->cell_off > c->max_bytes)
        xlsx_part_fail(&c->x, SOCC_E_LIMIT_EXCEEDED,
                       "row %llu column %u is longer than %u characters",
                       (unsigned long long)c->row_num, c->col + 1,
                       c->lim->max_cell);
}

static void collect(struct sheet_ctx *c, int on)
{
    xlsx_part_set_text(&c->x, on ? cell_text : NULL);
}

/* Strict decimal: digits only, no sign, no overflow past UINT32_MAX. */
static int parse_u32(const char *s, uint32_t *out)
{
    uint64_t n = 0;

    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if ((n = n * 10 + (uint64_t)(*s - '0')) > UINT32_MAX)
            return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

static void row_start(struct sheet_ctx *c, const char **atts)
{
    const char *r = NULL;
    uint32_t v = 0;

    for (; *atts; atts += 2) {
        const char *a = xlsx_part_local(atts[0]);
        if (a[0] == 'r' && !a[1])
            r = atts[1];
    }
    if (r && (parse_u32(r, &v) != 0 || v == 0)) {
        xlsx_part_fail(&c->x, SOCC_E_CORRUPTED_FILE,
                       "bad row number '%.20s'", r);
        return;
    }
    c->row_num = r ? v : c->row_num + 1;
    if (c->row_num > c->lim->max_rows || ++c->rows_seen > c->lim->max_rows) {
        xlsx_part_fail(&c->x, SOCC_E_LIMIT_EXCEEDED,
                       "more than %u rows in a sheet", c->lim->max_rows);
        return;
    }
    c->in_row = 1;
    c->next_col = 0;
    c->nrefs = 0;
    buf_reset(&c->text);
}

/* Column of a cell reference ("AB12" gives 27); -1 when malformed. */
static int parse_col(const char *r, uint64_t *col)
{
    uint64_t n = 0;
    const char *p = r;

    for (; (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'); p++)
        if (n < UINT32_MAX)
            n = n * 26 + (uint64_t)((*p | 0x20) - 'a' + 1);
    if (p == r)
        return -1;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p)
        return -1;
    *col = n - 1;
    return 0;
}

static char type_of(const char *t)
{
    switch (t[0]) {
    case 's': return t[1] ? 'f' : 's';
    case 'n': return 'n';
    case 'b': return 'b';
    case 'e': return 'e';
    case 'd': return 'd';
    case 'i': return 'i';
    default: return 'f';
    }
}

static void cell_attrs(struct sheet_ctx *c, const char **atts,
                       const char **ref)
{
    const char *a;
    uint32_t s;

    for (; *atts; atts += 2) {
        a = xlsx_part_local(atts[0]);
        if (a[1])
            continue;
        if (a[0] == 'r')
            *ref = atts[1];
        else if (a[0] == 't')
            c->type = type_of(atts[1]);
        else if (a[0] == 's' && parse_u32(atts[1], &s) == 0)
            c->style = s;
    }
}

static void cell_start(struct sheet_ctx *c, const char **atts)
{
    const char *ref = NULL;
    uint64_t col = c->next_col;

    c->type = 'n';
    c->style = 0;
    cell_attrs(c, atts, &ref);
    if (ref && parse_col(ref, &col) != 0) {
        xlsx_part_fail(&c->x, SOCC_E_CORRUPTED_FILE,
                       "bad cell reference '%.20s'", ref);
        return;
    }
    if (col >= c->lim->max_cols) {
        xlsx_part_fail(&c->x, SOCC_E_LIMIT_EXCEEDED,
                       "cell '%.20s' is past the %u column limit",
                       ref ? ref : "?", c->lim->max_cols);
        return;
    }
    c->col = (uint32_t)col;
    c->next_col = (uint32_t)col + 1;
    c->cell_off = c->text.len;
    c->has_is = 0;
    c->shared = NULL;
    c->in_cell = 1;
}

/* Text of the current cell so far, and its length. */
static char *cell_raw(struct sheet_ctx *c, size_t *n)
{
    *n = c->text.len - c->cell_off;
    return *n ? c->text.data + c->cell_off : NULL;
}

/* Replace the current cell's text with s[0..n). */
static void cell_set(struct sheet_ctx *c, const char *s, size_t n)
{
    c->text.len = c->cell_off;
    buf_add(&c->text, s, n);
}

static enum row_cell_kind finish_string(struct sheet_ctx *c)
{
    size_t n;
    char *s = cell_raw(c, &n);

    if (!n)
        return ROW_CELL_EMPTY;
    n = xlsx_sst_unescape(s, n);
    c->text.len = c->cell_off + n;
    if (n > c->lim->max_cell && xlsx_sst_chars(s, n) > c->lim->max_cell)
        xlsx_part_fail(&c->x, SOCC_E_LIMIT_EXCEEDED,
                       "row %llu column %u is longer than %u characters",
                       (unsigned long long)c->row_num, c->col + 1,
                       c->lim->max_cell);
    return ROW_CELL_STRING;
}

static enum row_cell_kind finish_shared(struct sheet_ctx *c)
{
    size_t n, len;
    char *s = cell_raw(c, &n), num[16];
    const char *str;
    uint32_t i;
    int got;

    if (!n)
        return ROW_CELL_EMPTY;
    if (n >= sizeof(num))
        n = sizeof(num) - 1;
    memcpy(num, s, n);
    num[n] = '\0';
    got = parse_u32(num, &i) == 0 ? xlsx_sst_get(c->sst, i, &str, &len) : -1;
    if (got == -2) {   /* the spilled table could not be read back */
        struct socc_error e;
        xlsx_sst_error(c->sst, &e);
        xlsx_part_fail(&c->x, e.code, "%s", e.detail);
        return ROW_CELL_EMPTY;
    }
    if (got != 0) {
        xlsx_part_fail(&c->x, SOCC_E_CORRUPTED_FILE,
                       "row %llu column %u: no shared string '%s'",
                       (unsigned long long)c->row_num, c->col + 1, num);
        return ROW_CELL_EMPTY;
    }
    /* Pointed at, not copied: it lives until xlsx_sst_row_done(). */
    c->text.len = c->cell_off;
    c->shared = str;
    c->shared_len = len;
    return ROW_CELL_STRING;
}

static enum row_cell_kind finish_bool(struct sheet_ctx *c)
{
    size_t n;
    const char *s = cell_raw(c, &n);

    if (!n)
        return ROW_CELL_EMPTY;
    if ((n == 1 && s[0] == '1') || (n == 4 && !memcmp(s, "true", 4))) {
        cell_set(c, "true", 4);
        return ROW_CELL_BOOL;
    }
    if ((n == 1 && s[0] == '0') || (n == 5 && !memcmp(s, "false", 5))) {
        cell_set(c, "false", 5);
        return ROW_CELL_BOOL;
    }
    return ROW_CELL_STRING;
}

/* A number under a date style becomes ISO text; otherwise it stays. */
static enum row_cell_kind maybe_date(struct sheet_ctx *c, const char *s,
                                     size_t n)
{
    enum xlsx_styles_fmt f = xlsx_styles_of(c->sty, c->style);
    enum row_cell_kind kind;
    char iso[40];
    size_t len;

    if (f == XLSX_STYLES_NUMBER ||
        xlsx_styles_serial(xlsx_number_value(s, n), f, c->sty->date1904,
                           iso, &len, &kind) != 0)
        return ROW_CELL_NUMBER;
    cell_set(c, iso, len);
    return kind;
}

static enum row_cell_kind finish_number(struct sheet_ctx *c)
{
    size_t n;
    const char *s = cell_raw(c, &n);
    int changed;

    if (!n)
        return ROW_CELL_EMPTY;
    if (xlsx_number_norm(s, n, &c->scratch, &changed) != 0)
        return ROW_CELL_STRING;
    if (changed) {
        cell_set(c, c->scratch.data, c->scratch.len);
        s = cell_raw(c, &n);
    }
    return maybe_date(c, s, n);
}

static int iso_char(char ch)
{
    return (ch >= '0' && ch <= '9') || ch == '-' || ch == ':' || ch == 'T' ||
           ch == '.';
}

/* t="d": ISO 8601 text, cut to what the cell's style shows. */
static enum row_cell_kind finish_iso(struct sheet_ctx *c)
{
    enum xlsx_styles_fmt f = xlsx_styles_of(c->sty, c->style);
    size_t n, i;
    char *s = cell_raw(c, &n);

    if (n && s[n - 1] == 'Z')
        c->text.len--, n--;
    if (!n)
        return ROW_CELL_EMPTY;
    for (i = 0; i < n; i++)
        if (!iso_char(s[i]))
            return ROW_CELL_STRING;
    if (n < 19 || s[10] != 'T')
        return ROW_CELL_DATE;
    if (f == XLSX_STYLES_DATE)
        c->text.len = c->cell_off + 10;
    else if (f == XLSX_STYLES_TIME)
        c->text.len = c->cell_off + 8, memmove(s, s + 11, 8);
    else
        c->text.len = c->cell_off + 19;
    return ROW_CELL_DATE;
}

static enum row_cell_kind finish_value(struct sheet_ctx *c)
{
    size_t n;

    if (c->has_is || c->type == 'i' || c->type == 'f')
        return finish_string(c);
    switch (c->type) {
    case 's': return finish_shared(c);
    case 'b': return finish_bool(c);
    case 'e':
        cell_raw(c, &n);
        return n ? ROW_CELL_ERROR : ROW_CELL_EMPTY;
    case 'd': return finish_iso(c);
    default: return finish_number(c);
    }
}

static void cell_end(struct sheet_ctx *c)
{
    enum row_cell_kind kind = finish_value(c);
    struct cell_ref *r;
    size_t n;

    c->in_cell = 0;
    cell_raw(c, &n);
    if (c->shared)
        n = c->shared_len;
    if (kind == ROW_CELL_EMPTY || n == 0 || c->x.rc != SOCC_OK) {
        c->text.len = c->cell_off;
        return;
    }
    if (c->nrefs == c->crefs) {
        size_t ncap = c->crefs ? c->crefs * 2 : 32;
        r = realloc(c->refs, ncap * sizeof(*r));
        if (!r) {
            xlsx_part_fail(&c->x, SOCC_E_INTERNAL, "out of memory");
            return;
        }
        c->refs = r;
        c->crefs = ncap;
    }
    r = &c->refs[c->nrefs++];
    r->col = c->col;
    r->kind = kind;
    r->shared = c->shared;
    r->off = c->cell_off;
    r->len = n;
}

/* Make cells[0..n) exist; new slots are empty. */
static int cells_reserve(struct sheet_ctx *c, size_t n)
{
    size_t ncap = c->ccells ? c->ccells : 64, i;
    struct row_cell *p;

    if (n <= c->ccells)
        return 0;
    while (ncap < n)
        ncap *= 2;
    p = realloc(c->cells, ncap * sizeof(*p));
    if (!p)
        return -1;
    for (i = c->ccells; i < ncap; i++)
        p[i] = empty_cell;
    c->cells = p;
    c->ccells = ncap;
    return 0;
}

static enum socc_err emit_row(struct sheet_ctx *c)
{
    size_t i, ncells = 0;
    struct cell_ref *r;
    enum socc_err rc;

    for (i = 0; i < c->nrefs; i++)
        if (c->refs[i].col >= ncells)
            ncells = (size_t)c->refs[i].col + 1;
    if (cells_reserve(c, ncells) != 0 || !buf_ok(&c->text)) {
        xlsx_part_fail(&c->x, SOCC_E_INTERNAL, "out of memory");
        return SOCC_E_INTERNAL;
    }
    for (i = 0; i < c->nrefs; i++) {
        r = &c->refs[i];
        c->cells[r->col].text = r->shared ? r->shared
                                          : c->text.data + r->off;
        c->cells[r->col].len = r->len;
        c->cells[r->col].kind = r->kind;
    }
    rc = c->sink->row(c->sink->ctx, (uint32_t)c->row_num, c->cells, ncells);
    for (i = 0; i < c->nrefs; i++)
        c->cells[c->refs[i].col] = empty_cell;
    return rc;
}

static void row_end(struct sheet_ctx *c)
{
    enum socc_err rc;

    c->in_row = 0;
    if (!c->nrefs)
        return;
    rc = emit_row(c);
    if (rc != SOCC_OK)
        xlsx_part_fail(&c->x, rc, "row %llu was not taken",
                       (unsigned long long)c->row_num);
    c->nrefs = 0;
    buf_reset(&c->text);
    xlsx_sst_row_done(c->sst);
}

static int is_t(const char *l)
{
    return l[0] == 't' && !l[1];
}

static void value_start(struct sheet_ctx *c, const char *l)
{
    if (l[0] == 'v' && !l[1]) {
        collect(c, 1);
    } else if (l[0] == 'i' && l[1] == 's' && !l[2]) {
        c->in_is = 1;
        c->has_is = 1;
    }
}

static void XMLCALL sheet_start(void *ud, const XML_Char *name,
                                const XML_Char **atts)
{
    struct sheet_ctx *c = ud;
    unsigned d = ++c->depth;
    const char *l = xlsx_part_local(name);

    if (!c->data_depth) {
        if (strcmp(l, "sheetData") == 0)
            c->data_depth = d;
        return;
    }
    switch (d - c->data_depth) {
    case 1:
        if (!strcmp(l, "row"))
            row_start(c, atts);
        break;
    case 2:
        if (c->in_row && l[0] == 'c' && !l[1])
            cell_start(c, atts);
        break;
    case 3:
        if (c->in_cell)
            value_start(c, l);
        break;
    case 4:
        if (c->in_is && is_t(l))
            collect(c, 1);
        c->in_run = c->in_is && l[0] == 'r' && !l[1];
        break;
    case 5:
        if (c->in_run && is_t(l))
            collect(c, 1);
        break;
    default:
        break;
    }
}

static void XMLCALL sheet_end(void *ud, const XML_Char *name)
{
    struct sheet_ctx *c = ud;
    unsigned d = c->depth--;

    (void)name;
    if (!c->data_depth)
        return;
    switch (d - c->data_depth) {
    case 0: c->data_depth = 0; break;
    case 1: if (c->in_row) row_end(c); break;
    case 2: if (c->in_cell) cell_end(c); break;
    case 3: collect(c, 0), c->in_is = 0; break;
    case 4: collect(c, 0), c->in_run = 0; break;
    default: collect(c, 0); break;
    }
}

static void ctx_release(struct sheet_ctx *c)
{
    xlsx_part_xml_release(&c->x);
    free(c->refs);
    free(c->cells);
    buf_release(&c->text);
    buf_release(&c->scratch);
}

enum socc_err xlsx_sheet_read(struct xlsx_part_pkg *pkg, const char *part,
                              const struct xlsx_sst *sst,
                              const struct xlsx_styles *sty,
                              const struct row_sink *sink)
{
    struct sheet_ctx c;
    enum socc_err rc;

    memset(&c, 0, sizeof(c));
    c.sst = sst;
    c.sty = sty;
    c.sink = sink;
    c.lim = pkg->lim;
    c.max_bytes = 4 * (size_t)pkg->lim->max_cell;
    buf_init(&c.text);
    buf_init(&c.scratch);
    rc = xlsx_part_xml_init_fast(&c.x, pkg);
    if (rc == SOCC_OK) {
        xlsx_part_set_elements(&c.x, sheet_start, sheet_end);
        rc = xlsx_part_parse(&c.x, part, 0);
    }
    ctx_release(&c);
    return rc;
}
