#include "xls_biff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "xls_rows.h"
#include "xls_text.h"

/* Record types; BIFF2 cell records carry the low byte only. */
enum {
    R_INTEGER2 = 0x0002, R_NUMBER2 = 0x0003, R_LABEL2 = 0x0004,
    R_BOOLERR2 = 0x0005, R_FORMULA = 0x0006, R_STRING2 = 0x0007,
    R_BOF2 = 0x0009, R_EOF = 0x000A, R_FORMAT2 = 0x001E,
    R_DATEMODE = 0x0022, R_FILEPASS = 0x002F, R_CONTINUE = 0x003C,
    R_CODEPAGE = 0x0042, R_BOUNDSHEET = 0x0085, R_MULRK = 0x00BD,
    R_RSTRING = 0x00D6, R_XF = 0x00E0, R_SST = 0x00FC, R_LABELSST = 0x00FD,
    R_NUMBER = 0x0203, R_LABEL = 0x0204, R_BOOLERR = 0x0205,
    R_FORMULA3 = 0x0206, R_STRING = 0x0207, R_BOF3 = 0x0209, R_XF3 = 0x0243,
    R_RK = 0x027E, R_FORMULA4 = 0x0406, R_BOF4 = 0x0409, R_FORMAT = 0x041E,
    R_XF4 = 0x0443, R_BOF = 0x0809
};

#define BOF_WORKSHEET 0x0010
#define BOF_WORKBOOK4 0x0100
#define FMT_DEFINED 0x80        /* fmt[] entry set by a FORMAT record */
#define NFMT 65536

/* A worksheet named by a BOUNDSHEET record. */
struct sheetref {
    uint32_t pos;               /* stream offset of its BOF */
    size_t name_off, name_len;  /* name in biff.names */
};

struct biff {
    const struct xls_biff_src *src;     /* borrowed */
    const struct row_limits *lim;       /* borrowed */
    const struct row_sink *sink;        /* borrowed */
    struct socc_error *err;             /* borrowed */
    uint64_t size, pos;                 /* stream size, next record */
    uint64_t scanned, prescanned;       /* sheet bytes read, each pass */
    int ver;                            /* 2, 3, 4, 5 or 8 */
    int date1904;                       /* DATEMODE said 1904 */
    int in_sheet;                       /* cells are taken */
    uint16_t type;                      /* current record */
    uint8_t *body;                      /* owned; its bytes, CONTINUEs too */
    size_t len, cap;
    size_t *seg;                        /* owned; where each CONTINUE began */
    size_t nseg, capseg;
    uint8_t *fmt;                       /* owned; kind of each format */
    unsigned nfmt;                      /* FORMAT records seen */
    uint16_t *xf;                       /* owned; format of each XF */
    size_t nxf, capxf;
    struct buf sst;                     /* shared strings, UTF-8 */
    size_t *sstoff;                     /* owned; nsst + 1 offsets */
    uint32_t nsst;
    struct sheetref *sheets;            /* owned */
    size_t nsheets, capsheets;
    struct buf names;                   /* sheet names */
    struct xls_text_cp cp;              /* 8-bit text decoder */
    struct buf tmp;                     /* scratch text */
    struct xls_rows rows;               /* row assembler */
    enum socc_err fail;                 /* why next() returned -1 */
    int pending;                        /* a FORMULA awaits its STRING */
    uint32_t prow, pcol;
};

/* A read position in the current record. */
struct cur {
    size_t pos;
    size_t segi;                        /* first seg not yet passed */
};

static const char *const error_names[][2] = {
    { "\x00", "#NULL!" }, { "\x07", "#DIV/0!" }, { "\x0F", "#VALUE!" },
    { "\x17", "#REF!" }, { "\x1D", "#NAME?" }, { "\x24", "#NUM!" },
    { "\x2A", "#N/A" }, { "\x2B", "#GETTING_DATA" }
};

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static double le_double(const uint8_t *p)
{
    uint64_t bits = (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
    double d;

    memcpy(&d, &bits, sizeof(d));
    return d;
}

int xls_biff_is_raw(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint16_t t;

    if (len < 8)
        return 0;
    t = le16(p);
    return (t == R_BOF2 || t == R_BOF3 || t == R_BOF4) && le16(p + 2) >= 4 &&
           le16(p + 2) <= 16;
}

static int is_bof(uint16_t t)
{
    return t == R_BOF || t == R_BOF2 || t == R_BOF3 || t == R_BOF4;
}

static enum socc_err corrupt(struct biff *b, const char *what)
{
    b->fail = SOCC_E_CORRUPTED_FILE;
    return socc_error_set(b->err, SOCC_E_CORRUPTED_FILE,
                          "%s (record 0x%04x before offset %llu)", what,
                          b->type, (unsigned long long)b->pos);
}

static enum socc_err oom(struct biff *b)
{
    b->fail = SOCC_E_INTERNAL;
    return socc_error_set(b->err, SOCC_E_INTERNAL, "out of memory");
}

static int read_at(const struct biff *b, uint64_t pos, void *dst, size_t n)
{
    const struct xls_biff_src *s = b->src;

    if (s->cfb)
        return xls_cfb_read(s->cfb, s->st, pos, dst, n);
    if (pos > s->rawlen || n > s->rawlen - pos)
        return -1;
    memcpy(dst, s->raw + pos, n);
    return 0;
}

/* ---- records ---------------------------------------------------------- */

/* Append the body of the record at b->pos to b->body; 1, 0 at end, -1. */
static int load(struct biff *b, uint16_t *type)
{
    uint8_t h[4];
    size_t n;

    if (b->pos >= b->size || read_at(b, b->pos, h, 4) != 0)
        return 0;
    *type = le16(h);
    n = le16(h + 2);
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 8192;
        uint8_t *p;

        while (cap < b->len + n)
            cap *= 2;
        p = realloc(b->body, cap);
        if (!p)
            return oom(b), -1;
        b->body = p;
        b->cap = cap;
    }
    if (n > 0 && read_at(b, b->pos + 4, b->body + b->len, n) != 0)
        return corrupt(b, "record runs past the end of the stream"), -1;
    b->len += n;
    b->pos += 4 + n;
    return 1;
}

static int peek_type(const struct biff *b, uint16_t *type)
{
    uint8_t h[2];

    if (read_at(b, b->pos, h, 2) != 0)
        return -1;
    *type = le16(h);
    return 0;
}

static int add_seg(struct biff *b)
{
    if (b->nseg == b->capseg) {
        size_t cap = b->capseg ? b->capseg * 2 : 16;
        size_t *p = realloc(b->seg, cap * sizeof(*p));

        if (!p)
            return -1;
        b->seg = p;
        b->capseg = cap;
    }
    b->seg[b->nseg++] = b->len;
    return 0;
}

/* Read the next record; BIFF8 string records take their CONTINUEs. */
static int next(struct biff *b)
{
    uint16_t t;
    int r;

    b->len = 0;
    b->nseg = 0;
    r = load(b, &b->type);
    if (r <= 0 || b->ver != 8)
        return r;
    if (b->type != R_SST && b->type != R_STRING && b->type != R_LABEL)
        return r;
    while (peek_type(b, &t) == 0 && t == R_CONTINUE) {
        if (add_seg(b) != 0)
            return oom(b), -1;
        r = load(b, &t);
        if (r < 0)
            return r;
    }
    return 1;
}

static int need(const struct biff *b, size_t off, size_t n)
{
    return off <= b->len && n <= b->len - off;
}

/* ---- strings ---------------------------------------------------------- */

/* cch BIFF8 characters at c; a CONTINUE boundary brings a new flag byte. */
static enum socc_err chars(struct biff *b, struct cur *c, size_t cch,
                           uint8_t flags, struct buf *out)
{
    while (cch > 0) {
        size_t w = (flags & 1) ? 2 : 1, end, k;

        while (c->segi < b->nseg && b->seg[c->segi] < c->pos)
            c->segi++;
        end = c->segi < b->nseg ? b->seg[c->segi] : b->len;
        if (c->pos > end)
            return corrupt(b, "string runs past its record");
        k = (end - c->pos) / w;
        k = k < cch ? k : cch;
        if (w == 2)
            xls_text_utf16_add(out, b->body + c->pos, k);
        else
            xls_text_latin1_add(out, b->body + c->pos, k);
        c->pos += k * w;
        cch -= k;
        if (cch == 0)
            break;
        if (c->pos != end || end == b->len)
            return corrupt(b, "string runs past its record");
        flags = b->body[c->pos++];
    }
    return SOCC_OK;
}

static enum socc_err too_long(struct biff *b, size_t cch)
{
    return socc_error_set(b->err, SOCC_E_LIMIT_EXCEEDED,
                          "cell text of %zu characters exceeds the limit "
                          "of %u", cch, b->lim->max_cell);
}

/* A BIFF8 XLUnicodeString (cch16) or ShortXLUnicodeString at c. */
static enum socc_err ustr(struct biff *b, struct cur *c, int cch16,
                          struct buf *out)
{
    size_t cch, runs = 0, ext = 0, hdr = cch16 ? 3 : 2;
    uint8_t flags;
    enum socc_err rc;

    if (!need(b, c->pos, hdr))
        return corrupt(b, "string header cut short");
    cch = cch16 ? le16(b->body + c->pos) : b->body[c->pos];
    flags = b->body[c->pos + hdr - 1];
    c->pos += hdr;
    if (cch > b->lim->max_cell)
        return too_long(b, cch);
    if ((flags & 8) && need(b, c->pos, 2)) {
        runs = le16(b->body + c->pos);
        c->pos += 2;
    }
    if ((flags & 4) && need(b, c->pos, 4)) {
        ext = le32(b->body + c->pos);
        c->pos += 4;
    }
    rc = chars(b, c, cch, flags, out);
    if (rc != SOCC_OK)
        return rc;
    if (4 * runs + ext > b->len - c->pos)
        return corrupt(b, "string formatting runs past its record");
    c->pos += 4 * runs + ext;
    return SOCC_OK;
}

/* An 8-bit string of BIFF2-5: a 1- or 2-byte count, then code page text. */
static enum socc_err bstr(struct biff *b, size_t off, int cch16,
                          struct buf *out)
{
    size_t hdr = cch16 ? 2 : 1, cch;

    if (!need(b, off, hdr))
        return corrupt(b, "string header cut short");
    cch = cch16 ? le16(b->body + off) : b->body[off];
    if (cch > b->lim->max_cell)
        return too_long(b, cch);
    if (!need(b, off + hdr, cch))
        return corrupt(b, "string runs past its record");
    xls_text_cp_add(&b->cp, out, b->body + off + hdr, cch);
    return SOCC_OK;
}

/* The string of a LABEL, RSTRING or STRING record at off, into b->tmp. */
static enum socc_err cell_str(struct biff *b, size_t off, int cch16)
{
    struct cur c = { off, 0 };

    buf_reset(&b->tmp);
    if (b->ver == 8)
        return ustr(b, &c, cch16, &b->tmp);
    return bstr(b, off, cch16, &b->tmp);
}

/* ---- workbook globals ------------------------------------------------- */

static enum socc_err on_filepass(struct biff *b)
{
    const char *how = "xor obfuscation";

    if (b->ver == 8 && need(b, 0, 4) && le16(b->body) == 1)
        how = le16(b->body + 2) == 1 ? "rc4 encryption" : "cryptoapi rc4";
    return socc_error_set(b->err, SOCC_E_ENCRYPTED_FILE,
                          "workbook is password-protected (%s)", how);
}

static void warn(struct biff *b, const char *msg)
{
    if (b->sink->warn)
        b->sink->warn(b->sink->ctx, msg);
}

static enum socc_err on_codepage(struct biff *b)
{
    char msg[96];
    unsigned cp;

    if (!need(b, 0, 2))
        return corrupt(b, "CODEPAGE record cut short");
    cp = le16(b->body);
    if (xls_text_cp_set(&b->cp, cp) != 0) {
        snprintf(msg, sizeof(msg), "code page %u unknown, text read as "
                 "windows-1252", cp);
        warn(b, msg);
    }
    return SOCC_OK;
}

/* FORMAT: BIFF2-4 number formats by order, BIFF5+ by their own index. */
static enum socc_err on_format(struct biff *b)
{
    unsigned idx = b->nfmt++;
    struct cur c = { 2, 0 };
    enum socc_err rc = SOCC_OK;

    buf_reset(&b->tmp);
    if (b->ver >= 5 && need(b, 0, 2))
        idx = le16(b->body);
    if (b->ver == 8)
        rc = ustr(b, &c, 1, &b->tmp);
    else if (b->ver >= 4)
        rc = bstr(b, 2, 0, &b->tmp);
    else
        rc = bstr(b, 0, 0, &b->tmp);
    if (rc == SOCC_E_LIMIT_EXCEEDED)
        return SOCC_OK;         /* a huge format string shows no date */
    if (rc != SOCC_OK)
        return rc;
    if (idx < NFMT)
        b->fmt[idx] = (uint8_t)(FMT_DEFINED |
                                xls_text_fmt_kind(b->tmp.data, b->tmp.len));
    return SOCC_OK;
}

/* XF: remember the number format of each cell format. */
static enum socc_err on_xf(struct biff *b)
{
    uint16_t ifmt;

    if (b->ver >= 5)
        ifmt = need(b, 0, 4) ? le16(b->body + 2) : 0;
    else
        ifmt = need(b, 0, 2) ? b->body[1] : 0;
    if (b->nxf == b->capxf) {
        size_t cap = b->capxf ? b->capxf * 2 : 64;
        uint16_t *p = realloc(b->xf, cap * sizeof(*p));

        if (!p)
            return oom(b);
        b->xf = p;
        b->capxf = cap;
    }
    b->xf[b->nxf++] = ifmt;
    return SOCC_OK;
}

/*
 * SST: the shared strings, decoded once into b->sst.
 * LIMIT: a shared string longer than max_cell fails the whole file, even
 * when no cell uses it.
 */
static enum socc_err on_sst(struct biff *b)
{
    struct cur c = { 8, 0 };
    uint32_t total, i;
    enum socc_err rc = SOCC_OK;

    if (b->sstoff || !need(b, 0, 8))
        return corrupt(b, "SST record repeated or cut short");
    total = le32(b->body + 4);
    if (total > b->len / 3 + 1)
        total = (uint32_t)(b->len / 3 + 1);   /* 3 bytes at least each */
    b->sstoff = malloc(((size_t)total + 1) * sizeof(*b->sstoff));
    if (!b->sstoff)
        return oom(b);
    b->sstoff[0] = 0;
    for (i = 0; i < total && c.pos < b->len && rc == SOCC_OK; i++) {
        rc = ustr(b, &c, 1, &b->sst);
        b->sstoff[i + 1] = b->sst.len;
    }
    b->nsst = rc == SOCC_OK ? i : 0;
    if (!buf_ok(&b->sst))
        return oom(b);
    return rc;
}

static enum socc_err on_boundsheet(struct biff *b)
{
    struct sheetref *s;
    size_t start = b->names.len;
    enum socc_err rc;
    struct cur c = { 6, 0 };

    if (!need(b, 0, 7))
        return corrupt(b, "BOUNDSHEET record cut short");
    if (b->body[5] != 0)
        return SOCC_OK;         /* a chart, macro or module sheet */
    rc = b->ver == 8 ? ustr(b, &c, 0, &b->names) : bstr(b, 6, 0, &b->names);
    if (rc != SOCC_OK)
        return rc;
    if (b->nsheets == b->capsheets) {
        size_t cap = b->capsheets ? b->capsheets * 2 : 8;

        s = realloc(b->sheets, cap * sizeof(*s));
        if (!s)
            return oom(b);
        b->sheets = s;
        b->capsheets = cap;
    }
    s = &b->sheets[b->nsheets++];
    s->pos = le32(b->body);
    s->name_off = start;
    s->name_len = b->names.len - start;
    return SOCC_OK;
}

/* ---- cells ------------------------------------------------------------ */

/* Offset of the value in a cell record: BIFF2 has 3 attribute bytes. */
static size_t val_off(const struct biff *b)
{
    return b->ver == 2 ? 7 : 6;
}

/* Date/time kind of the cell format whose XF (or BIFF2 attributes) is at 4. */
static unsigned fmt_kind(const struct biff *b, uint16_t ixfe)
{
    unsigned ifmt = 0;

    if (b->ver == 2)
        ifmt = ixfe & 0x3F;
    else if (ixfe < b->nxf)
        ifmt = b->xf[ixfe];
    if (b->fmt[ifmt] & FMT_DEFINED)
        return b->fmt[ifmt] & (XLS_TEXT_DATE | XLS_TEXT_TIME);
    if (b->ver >= 5)
        return xls_text_builtin_kind(ifmt);
    /* BIFF2-4 built-ins lack the fraction formats, so dates start at 12. */
    if (ifmt >= 12 && ifmt <= 15)
        return XLS_TEXT_DATE;
    if (ifmt >= 16 && ifmt <= 19)
        return XLS_TEXT_TIME;
    return ifmt == 20 ? XLS_TEXT_DATE | XLS_TEXT_TIME : 0u;
}

/* The format reference of the current cell record. */
static uint16_t cell_xf(const struct biff *b)
{
    return b->ver == 2 ? b->body[5] : le16(b->body + 4);
}

static enum socc_err put(struct biff *b, uint32_t row, uint32_t col,
                         enum row_cell_kind kind, const char *s, size_t n)
{
    return xls_rows_put(&b->rows, row, col, kind, s, n);
}

static enum socc_err put_number(struct biff *b, uint32_t row, uint32_t col,
                                uint16_t xf, double v)
{
    unsigned kind = fmt_kind(b, xf);
    char text[40];
    int n = -1;

    if (kind)
        n = xls_text_date(text, sizeof(text), v, b->date1904, kind);
    if (n > 0)
        return put(b, row, col, ROW_CELL_DATE, text, (size_t)n);
    n = xls_text_number(text, sizeof(text), v);
    if (n < 0)
        return put(b, row, col, ROW_CELL_ERROR, "#NUM!", 5);
    return put(b, row, col, ROW_CELL_NUMBER, text, (size_t)n);
}

static double rk_value(uint32_t rk)
{
    double d;

    if (rk & 2) {
        d = (double)((int32_t)(rk & ~3u) / 4);
    } else {
        uint64_t bits = (uint64_t)(rk & ~3u) << 32;

        memcpy(&d, &bits, sizeof(d));
    }
    return (rk & 1) ? d / 100 : d;
}

static enum socc_err put_boolerr(struct biff *b, uint32_t row, uint32_t col,
                                 uint8_t val, int is_err)
{
    size_t i;

    if (!is_err)
        return put(b, row, col, ROW_CELL_BOOL, val ? "true" : "false",
                   val ? 4 : 5);
    for (i = 0; i < sizeof(error_names) / sizeof(error_names[0]); i++)
        if ((uint8_t)error_names[i][0][0] == val)
            return put(b, row, col, ROW_CELL_ERROR, error_names[i][1],
                       strlen(error_names[i][1]));
    return put(b, row, col, ROW_CELL_ERROR, "#ERROR!", 7);
}

static enum socc_err on_mulrk(struct biff *b, uint32_t row)
{
    uint32_t col = le16(b->body + 2);
    size_t i, n = (b->len - 6) / 6;
    enum socc_err rc = SOCC_OK;

    for (i = 0; i < n && rc == SOCC_OK; i++) {
        const uint8_t *p = b->body + 4 + 6 * i;

        rc = put_number(b, row, col + (uint32_t)i, le16(p),
                        rk_value(le32(p + 2)));
    }
    return rc;
}

static enum socc_err on_labelsst(struct biff *b, uint32_t row, uint32_t col)
{
    uint32_t i = le32(b->body + 6);

    if (i >= b->nsst)
        return socc_error_set(b->err, SOCC_E_CORRUPTED_FILE,
                              "shared string %u of %u missing", i, b->nsst);
    if (b->sstoff[i + 1] == b->sstoff[i])
        return SOCC_OK;   /* an empty string: sst.data may still be NULL */
    return put(b, row, col, ROW_CELL_STRING, b->sst.data + b->sstoff[i],
               b->sstoff[i + 1] - b->sstoff[i]);
}

/* FORMULA: the cached result; a string result follows in a STRING. */
static enum socc_err on_formula(struct biff *b, uint32_t row, uint32_t col)
{
    const uint8_t *r = b->body + val_off(b);

    if (r[6] != 0xFF || r[7] != 0xFF)
        return put_number(b, row, col, cell_xf(b), le_double(r));
    if (r[0] == 0) {
        b->pending = 1;
        b->prow = row;
        b->pcol = col;
        return SOCC_OK;
    }
    if (r[0] == 1 || r[0] == 2)
        return put_boolerr(b, row, col, r[2], r[0] == 2);
    return SOCC_OK;             /* 3: an empty string */
}

static enum socc_err on_string(struct biff *b)
{
    enum socc_err rc;

    if (!b->pending)
        return SOCC_OK;
    b->pending = 0;
    rc = cell_str(b, 0, b->type != R_STRING2);
    if (rc != SOCC_OK)
        return rc;
    return put(b, b->prow, b->pcol, ROW_CELL_STRING, b->tmp.data,
               b->tmp.len);
}

static enum socc_err on_label(struct biff *b, uint32_t row, uint32_t col)
{
    enum socc_err rc = cell_str(b, val_off(b), b->type != R_LABEL2);

    if (rc != SOCC_OK)
        return rc;
    return put(b, row, col, ROW_CELL_STRING, b->tmp.data, b->tmp.len);
}

/* Bytes a cell record needs past its row/column/format header. */
static size_t cell_need(uint16_t t)
{
    switch (t) {
    case R_INTEGER2: return 2;
    case R_NUMBER2: case R_NUMBER: return 8;
    case R_BOOLERR2: case R_BOOLERR: return 2;
    case R_FORMULA: case R_FORMULA3: case R_FORMULA4: return 8;
    case R_RK: case R_LABELSST: return 4;
    case R_LABEL2: case R_LABEL: case R_RSTRING: return 1;
    case R_MULRK: return 0;
    default: return SIZE_MAX;
    }
}

static enum socc_err on_cell(struct biff *b)
{
    size_t v = val_off(b), want = cell_need(b->type);
    uint32_t row, col;

    if (b->type == R_MULRK)
        v = 6;
    if (want == SIZE_MAX)
        return SOCC_OK;
    if (!need(b, v, want))
        return corrupt(b, "cell record cut short");
    row = le16(b->body);
    col = le16(b->body + 2);
    b->pending = 0;
    switch (b->type) {
    case R_INTEGER2:
        return put_number(b, row, col, cell_xf(b), le16(b->body + v));
    case R_NUMBER2: case R_NUMBER:
        return put_number(b, row, col, cell_xf(b), le_double(b->body + v));
    case R_RK:
        return put_number(b, row, col, cell_xf(b),
                          rk_value(le32(b->body + v)));
    case R_MULRK: return on_mulrk(b, row);
    case R_LABELSST: return on_labelsst(b, row, col);
    case R_BOOLERR2: case R_BOOLERR:
        return put_boolerr(b, row, col, b->body[v], b->body[v + 1] != 0);
    case R_FORMULA: case R_FORMULA3: case R_FORMULA4:
        return on_formula(b, row, col);
    default: return on_label(b, row, col);
    }
}

/* One record of any substream: state for globals, values for sheets. */
static enum socc_err on_record(struct biff *b)
{
    switch (b->type) {
    case R_FILEPASS: return on_filepass(b);
    case R_CODEPAGE: return on_codepage(b);
    case R_DATEMODE:
        b->date1904 = need(b, 0, 2) && le16(b->body) == 1;
        return SOCC_OK;
    case R_FORMAT: case R_FORMAT2: return on_format(b);
    case R_XF: case R_XF3: case R_XF4: return on_xf(b);
    case R_SST: return b->in_sheet ? SOCC_OK : on_sst(b);
    case R_BOUNDSHEET: return b->in_sheet ? SOCC_OK : on_boundsheet(b);
    case R_STRING2: case R_STRING:
        return b->in_sheet ? on_string(b) : SOCC_OK;
    default: return b->in_sheet ? on_cell(b) : SOCC_OK;
    }
}

/* ---- substreams ------------------------------------------------------- */

static int is_cell(uint16_t t)
{
    return cell_need(t) != SIZE_MAX;
}

/*
 * Whether the cells of the substream at start come in row order, read from
 * the record headers alone.  Unsorted sheets are collected and sorted.
 * Sheets never share bytes, so all passes together read the stream once.
 */
static int rows_sorted(struct biff *b, uint64_t start)
{
    uint64_t pos = start;
    uint32_t last = 0;
    uint8_t h[6];
    int depth = 0;

    while (pos < b->size && read_at(b, pos, h, 4) == 0) {
        uint16_t t = le16(h), n = le16(h + 2);

        b->prescanned += 4u + n;
        if (b->prescanned > b->size)
            break;              /* overlapping sheets: the main pass fails */
        if (is_bof(t))
            depth++;
        else if (t == R_EOF && --depth <= 0)
            break;
        else if (depth == 1 && is_cell(t) && n >= 2 &&
                 read_at(b, pos + 4, h + 4, 2) == 0) {
            if (le16(h + 4) < last)
                return 0;
            last = le16(h + 4);
        }
        pos += 4u + n;
    }
    return 1;
}

/* Records of one sheet from its BOF to the matching EOF. */
static enum socc_err sheet_records(struct biff *b)
{
    enum socc_err rc = SOCC_OK;
    int depth = 0, r = 0;

    while (rc == SOCC_OK && (r = next(b)) > 0) {
        b->scanned += 4 + b->len;
        if (b->scanned > b->size)
            return corrupt(b, "sheets overlap in the workbook stream");
        if (is_bof(b->type)) {
            depth++;
            continue;
        }
        if (b->type == R_EOF) {
            if (--depth <= 0)
                break;
            continue;
        }
        if (depth == 1)
            rc = on_record(b);
    }
    if (rc == SOCC_OK && r < 0)
        rc = b->fail;
    return rc;
}

static enum socc_err run_sheet(struct biff *b, uint64_t start,
                               const char *name, size_t nlen)
{
    enum socc_err rc;

    b->rows.collect = !rows_sorted(b, start);
    b->pos = start;
    b->pending = 0;
    rc = b->sink->sheet_begin(b->sink->ctx, name, nlen);
    if (rc != SOCC_OK)
        return rc;
    b->in_sheet = 1;
    rc = sheet_records(b);
    b->in_sheet = 0;
    if (rc == SOCC_OK)
        rc = xls_rows_finish(&b->rows);
    if (rc == SOCC_OK)
        rc = b->sink->sheet_end(b->sink->ctx);
    return rc;
}

/* The BOF at pos: its substream type (BOF_WORKSHEET...), or -1 if none. */
static int bof_type(struct biff *b, uint64_t pos)
{
    b->pos = pos;
    if (next(b) <= 0 || !is_bof(b->type))
        return -1;
    return need(b, 0, 4) ? le16(b->body + 2) : BOF_WORKSHEET;
}

static enum socc_err run_workbook(struct biff *b)
{
    enum socc_err rc = SOCC_OK;
    size_t i;
    int r = 0;

    b->pos = 0;
    while (rc == SOCC_OK && (r = next(b)) > 0 && b->type != R_EOF)
        rc = on_record(b);
    if (rc == SOCC_OK && r < 0)
        rc = b->fail;
    for (i = 0; rc == SOCC_OK && i < b->nsheets; i++) {
        const struct sheetref *s = &b->sheets[i];
        int t = bof_type(b, s->pos);

        if (t < 0)
            return socc_error_set(b->err, SOCC_E_CORRUPTED_FILE,
                                  "sheet %zu points at offset %u, which "
                                  "holds no BOF record", i + 1, s->pos);
        if (t != BOF_WORKSHEET)
            continue;           /* a chart or macro sheet */
        /* names.data is NULL while every BOUNDSHEET name was empty */
        rc = run_sheet(b, s->pos,
                       b->names.data ? b->names.data + s->name_off : "",
                       s->name_len);
    }
    return rc;
}

/*
 * A raw BIFF2-4 file holds one sheet and no name.
 * LIMIT: BIFF4 workbook files (several sheets bundled in one BIFF4
 * stream, rare) are refused as UNSUPPORTED.
 */
static enum socc_err run_single(struct biff *b)
{
    int t = bof_type(b, 0);

    if (t == BOF_WORKBOOK4)
        return socc_error_set(b->err, SOCC_E_UNSUPPORTED,
                              "biff4 workbook files are not read");
    if (t != BOF_WORKSHEET)
        return socc_error_set(b->err, SOCC_E_UNSUPPORTED,
                              "biff%d file of type 0x%04x holds no "
                              "worksheet", b->ver, (unsigned)t);
    /* Excel 2-4 files carry no sheet name; xlrd's "Sheet 1" is kept. */
    return run_sheet(b, 0, "Sheet 1", 7);
}

/* BIFF version from the first BOF record. */
static int version(struct biff *b)
{
    b->pos = 0;
    b->ver = 8;                 /* no CONTINUE merging yet: BOF only */
    if (next(b) <= 0)
        return -1;
    switch (b->type) {
    case R_BOF2: return 2;
    case R_BOF3: return 3;
    case R_BOF4: return 4;
    case R_BOF: break;
    default: return -1;
    }
    if (need(b, 0, 2) && le16(b->body) == 0x0500)
        return 5;
    if (need(b, 0, 2) && le16(b->body) == 0x0600)
        return 8;
    return b->len >= 16 ? 8 : 5;
}

static void biff_release(struct biff *b)
{
    free(b->body);
    free(b->seg);
    free(b->fmt);
    free(b->xf);
    free(b->sstoff);
    free(b->sheets);
    buf_release(&b->sst);
    buf_release(&b->names);
    buf_release(&b->tmp);
    xls_text_cp_release(&b->cp);
    xls_rows_release(&b->rows);
}

enum socc_err xls_biff_run(const struct xls_biff_src *src,
                           const struct row_limits *lim,
                           const struct row_sink *sink,
                           struct socc_error *err)
{
    struct biff b;
    enum socc_err rc;

    memset(&b, 0, sizeof(b));
    b.src = src;
    b.lim = lim;
    b.sink = sink;
    b.err = err;
    b.size = src->cfb ? src->st->size : src->rawlen;
    xls_text_cp_init(&b.cp);
    xls_rows_init(&b.rows, lim, sink, err);
    b.fmt = calloc(NFMT, 1);
    if (!b.fmt) {
        rc = oom(&b);
        goto out_release;
    }
    b.ver = version(&b);
    if (b.ver < 0) {
        rc = socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                            "workbook stream does not start with a BOF "
                            "record");
        goto out_release;
    }
    rc = b.ver >= 5 ? run_workbook(&b) : run_single(&b);
out_release:
    biff_release(&b);
    return rc;
}
