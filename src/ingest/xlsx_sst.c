#include "xlsx_sst.h"

#include "core/utf8.h"

#include <stdlib.h>
#include <string.h>

/* Parse state of the shared strings part. */
struct sst_ctx {
    struct xlsx_part_xml x;   /* first: expat user data */
    struct xlsx_sst *sst;     /* borrowed; the table being filled */
    unsigned depth;           /* element depth, root = 1 */
    int in_si;                /* inside sst/si */
    int in_run;               /* inside sst/si/r */
    size_t start;             /* offset where the current si began */
    size_t max_bytes;         /* UTF-8 bytes a string may reach */
    size_t spill_at;          /* memory bytes past which to spill; 0 never */
};

/* Threshold xlsx_sst_force_spill() set for tests; 0 when unset. */
static size_t forced_spill_at;

void xlsx_sst_init(struct xlsx_sst *sst)
{
    memset(sst, 0, sizeof(*sst));
    buf_init(&sst->bytes);
}

void xlsx_sst_release(struct xlsx_sst *sst)
{
    buf_release(&sst->bytes);
    free(sst->off);
    free(sst->spill_dir);
    xlsx_sst_spill_free(sst->spill);
    xlsx_sst_init(sst);
}

enum socc_err xlsx_sst_allow_spill(struct xlsx_sst *sst, const char *dir,
                                   size_t at)
{
    free(sst->spill_dir);
    sst->spill_dir = NULL;
    sst->spill_at = at;
    if (dir && !(sst->spill_dir = strdup(dir)))
        return SOCC_E_INTERNAL;
    return SOCC_OK;
}

void xlsx_sst_force_spill(size_t at)
{
    forced_spill_at = at;
}

enum socc_err xlsx_sst_error(const struct xlsx_sst *sst,
                             struct socc_error *err)
{
    return xlsx_sst_spill_error(sst->spill, err);
}

size_t xlsx_sst_chars(const char *s, size_t n)
{
    size_t i, cont = 0;

    for (i = 0; i < n; i++)
        cont += ((unsigned char)s[i] & 0xC0) == 0x80;
    return n - cont;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The code unit of an escape _xHHHH_ at s (n bytes left), or -1. */
static long escape_at(const char *s, size_t n)
{
    long v = 0;
    int i, h;

    if (n < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_')
        return -1;
    for (i = 2; i < 6; i++) {
        if ((h = hexval((unsigned char)s[i])) < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}


/* Decode the escape at s[i] into o; *used gets the input bytes taken. */
static size_t decode_one(const char *s, size_t n, long u, char *o,
                         size_t *used)
{
    long lo;

    *used = 7;
    if (u >= 0xD800 && u <= 0xDBFF) {
        lo = escape_at(s + 7, n - 7);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            *used = 14;
            return utf8_put(o, 0x10000 + (((uint32_t)u - 0xD800) << 10) +
                                   ((uint32_t)lo - 0xDC00));
        }
        return utf8_put(o, 0xFFFD);
    }
    if (u >= 0xDC00 && u <= 0xDFFF)
        return utf8_put(o, 0xFFFD);
    return utf8_put(o, (uint32_t)u);
}

size_t xlsx_sst_unescape(char *s, size_t n)
{
    size_t r, w, used;
    char *u = memchr(s, '_', n);
    long cu;

    if (!u)
        return n;
    r = w = (size_t)(u - s);
    while (r < n) {
        cu = s[r] == '_' ? escape_at(s + r, n - r) : -1;
        if (cu < 0) {
            s[w++] = s[r++];
            continue;
        }
        w += decode_one(s + r, n - r, cu, s + w, &used);
        r += used;
    }
    return w;
}

static void XMLCALL sst_text(void *ud, const XML_Char *s, int len)
{
    struct sst_ctx *c = ud;
    struct buf *b = &c->sst->bytes;

    buf_add(b, s, (size_t)len);
    if (b->len - c->start > c->max_bytes)
        xlsx_part_fail(&c->x, SOCC_E_LIMIT_EXCEEDED,
                       "shared string %zu is longer than %u characters",
                       c->sst->n, c->x.pkg->lim->max_cell);
}

static int push_offset(struct xlsx_sst *sst, size_t off)
{
    size_t ncap;
    size_t *p;

    if (sst->n + 1 >= sst->cap) {
        ncap = sst->cap ? sst->cap * 2 : 256;
        p = realloc(sst->off, ncap * sizeof(*p));
        if (!p)
            return -1;
        sst->off = p;
        sst->cap = ncap;
    }
    sst->off[sst->n] = off;
    return 0;
}

/* A spill step failed: stop the parse with its code and detail. */
static void spill_failed(struct sst_ctx *c, const struct socc_error *e)
{
    xlsx_part_fail(&c->x, e->code, "%s", e->detail);
}

/*
 * The table in memory has reached the threshold: the strings so far stay
 * where they are (the ones a sheet repeats most are usually met first),
 * every later one goes to the temp files.
 */
static void spill_now(struct sst_ctx *c)
{
    struct xlsx_sst *sst = c->sst;
    struct socc_error e;

    socc_error_clear(&e);
    if (xlsx_sst_spill_new(&sst->spill, sst->spill_dir, &e) != SOCC_OK)
        spill_failed(c, &e);
    sst->nmem = sst->n;
}

/* Keep string s[0..n), read at bytes[c->start..]: in memory or on disk. */
static void keep_string(struct sst_ctx *c, const char *s, size_t n)
{
    struct xlsx_sst *sst = c->sst;
    struct buf *b = &sst->bytes;
    struct socc_error e;

    if (sst->spill) {
        socc_error_clear(&e);
        if (xlsx_sst_spill_add(sst->spill, s, n, &e) != SOCC_OK) {
            spill_failed(c, &e);
            return;
        }
        sst->n++;
        b->len = c->start;   /* bytes holds the in-memory strings only */
        return;
    }
    sst->n++;
    if (!buf_ok(b) || push_offset(sst, b->len) != 0) {
        xlsx_part_fail(&c->x, SOCC_E_INTERNAL, "out of memory");
        return;
    }
    if (c->spill_at && b->len + (sst->n + 1) * sizeof(size_t) > c->spill_at)
        spill_now(c);
}

/* A string ends: decode it in place and close its span. */
static void si_end(struct sst_ctx *c)
{
    struct xlsx_sst *sst = c->sst;
    struct buf *b = &sst->bytes;
    size_t n = b->len - c->start;

    c->in_si = 0;
    if (n > 0) {
        n = xlsx_sst_unescape(b->data + c->start, n);
        b->len = c->start + n;
        b->data[b->len] = '\0';
    }
    if (n > c->x.pkg->lim->max_cell &&
        xlsx_sst_chars(b->data + c->start, n) > c->x.pkg->lim->max_cell) {
        xlsx_part_fail(&c->x, SOCC_E_LIMIT_EXCEEDED,
                       "shared string %zu is longer than %u characters",
                       sst->n, c->x.pkg->lim->max_cell);
        return;
    }
    keep_string(c, n ? b->data + c->start : "", n);
}

static void XMLCALL sst_start(void *ud, const XML_Char *name,
                              const XML_Char **atts)
{
    struct sst_ctx *c = ud;
    const char *l = xlsx_part_local(name);
    unsigned d = ++c->depth;

    (void)atts;
    if (d == 2 && strcmp(l, "si") == 0) {
        c->in_si = 1;
        c->start = c->sst->bytes.len;
    } else if (d == 3 && c->in_si) {
        if (strcmp(l, "t") == 0)
            xlsx_part_set_text(&c->x, sst_text);
        c->in_run = strcmp(l, "r") == 0;
    } else if (d == 4 && c->in_run && strcmp(l, "t") == 0) {
        xlsx_part_set_text(&c->x, sst_text);
    }
}

static void XMLCALL sst_end(void *ud, const XML_Char *name)
{
    struct sst_ctx *c = ud;
    unsigned d = c->depth--;

    (void)name;
    xlsx_part_set_text(&c->x, NULL);
    if (d == 2 && c->in_si)
        si_end(c);
    else if (d == 3)
        c->in_run = 0;
}

enum socc_err xlsx_sst_load(struct xlsx_sst *sst, struct xlsx_part_pkg *pkg,
                            const char *part)
{
    struct sst_ctx c;
    enum socc_err rc;

    memset(&c, 0, sizeof(c));
    c.sst = sst;
    c.max_bytes = 4 * (size_t)pkg->lim->max_cell;
    c.spill_at = sst->spill_at ? sst->spill_at : forced_spill_at;
    if (push_offset(sst, 0) != 0)
        return socc_error_set(pkg->err, SOCC_E_INTERNAL, "out of memory");
    rc = xlsx_part_xml_init_fast(&c.x, pkg);
    if (rc != SOCC_OK) {
        xlsx_part_xml_release(&c.x);
        return rc;
    }
    xlsx_part_set_elements(&c.x, sst_start, sst_end);
    rc = xlsx_part_parse(&c.x, part, 1);
    xlsx_part_xml_release(&c.x);
    if (rc == SOCC_OK && !buf_ok(&sst->bytes))
        rc = socc_error_set(pkg->err, SOCC_E_INTERNAL, "out of memory");
    if (rc == SOCC_OK && sst->spill)
        rc = xlsx_sst_spill_seal(sst->spill, pkg->err);
    return rc;
}
