#include "xlsx_styles.h"

#include "ingest/serial_date.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A custom number format: numFmts/numFmt. */
struct numfmt {
    uint32_t id;     /* numFmtId */
    uint8_t fmt;     /* enum xlsx_styles_fmt of its formatCode */
};

/* Parse state of xl/styles.xml. */
struct styles_ctx {
    struct xlsx_part_xml x;   /* first: expat user data */
    unsigned depth;           /* element depth, root = 1 */
    int in_numfmts;           /* inside styleSheet/numFmts */
    int in_cellxfs;           /* inside styleSheet/cellXfs */
    struct numfmt *nf;        /* owned; custom formats */
    size_t nnf, cnf;
    uint32_t *xfid;           /* owned; numFmtId per cellXfs/xf */
    size_t nxf, cxf;
};

void xlsx_styles_init(struct xlsx_styles *st)
{
    memset(st, 0, sizeof(*st));
}

void xlsx_styles_release(struct xlsx_styles *st)
{
    free(st->xf);
    xlsx_styles_init(st);
}

/* LIMIT: ids 27-36 and 50-58 are East Asian locale formats whose meaning
 * depends on the workbook's language, which the file does not state; 32
 * and 33 are read as times, the rest as dates (a zh-CN 55/56 time shows
 * as a date). */
enum xlsx_styles_fmt xlsx_styles_builtin(uint32_t id)
{
    if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) ||
        (id >= 34 && id <= 36) || (id >= 50 && id <= 58))
        return XLSX_STYLES_DATE;
    if ((id >= 18 && id <= 21) || id == 32 || id == 33 || id == 45 ||
        id == 47)
        return XLSX_STYLES_TIME;
    if (id == 22)
        return XLSX_STYLES_DATETIME;
    if (id == 46)
        return XLSX_STYLES_ELAPSED;
    return XLSX_STYLES_NUMBER;
}

/* What the scan of a format code found. */
struct fmt_scan {
    int date;       /* y, d or a month m */
    int time;       /* h, s, a minute m, AM/PM */
    int elapsed;    /* [h], [m] or [s] */
    int m_pending;  /* an m not yet known as month or minute */
    int after_h;    /* the last date/time letter was an h */
};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int starts_nocase(const char *s, size_t n, const char *w)
{
    size_t i;

    for (i = 0; w[i]; i++)
        if (i >= n || lower((unsigned char)s[i]) != w[i])
            return 0;
    return 1;
}

/* An m seen earlier is a month unless a seconds field follows it. */
static void settle_m(struct fmt_scan *sc, int is_minute)
{
    if (!sc->m_pending)
        return;
    if (is_minute)
        sc->time = 1;
    else
        sc->date = 1;
    sc->m_pending = 0;
}

/* A bracket [..] at s (n bytes); returns bytes consumed. */
static size_t scan_bracket(struct fmt_scan *sc, const char *s, size_t n)
{
    size_t i = 1;
    int c0 = n > 1 ? lower((unsigned char)s[1]) : 0;

    while (i < n && s[i] != ']')
        i++;
    if (c0 == 'h' || c0 == 'm' || c0 == 's') {
        size_t k = 1;
        while (k < i && lower((unsigned char)s[k]) == c0)
            k++;
        if (k == i) {
            sc->elapsed = 1;
            sc->time = 1;
            sc->after_h = c0 == 'h';
        }
    }
    return i < n ? i + 1 : n;
}

static void scan_letter(struct fmt_scan *sc, int c)
{
    switch (c) {
    case 'y': case 'd':
        settle_m(sc, 0);
        sc->date = 1;
        sc->after_h = 0;
        break;
    case 'h':
        settle_m(sc, 0);
        sc->time = 1;
        sc->after_h = 1;
        break;
    case 's':
        settle_m(sc, 1);
        sc->time = 1;
        sc->after_h = 0;
        break;
    case 'm':
        if (sc->after_h)
            sc->time = 1;
        else
            sc->m_pending = 1;
        break;
    default:
        break;
    }
}

/* Bytes the token at s takes: quoted text, escapes and fillers are
 * skipped whole; letters are scanned. */
static size_t scan_token(struct fmt_scan *sc, const char *s, size_t n)
{
    const char *q;
    int c = lower((unsigned char)s[0]);

    if (c == '"') {
        q = memchr(s + 1, '"', n - 1);
        return q ? (size_t)(q - s) + 1 : n;
    }
    if (c == '\\' || c == '_' || c == '*')
        return n > 1 ? 2 : 1;
    if (c == '[')
        return scan_bracket(sc, s, n);
    if (starts_nocase(s, n, "general"))
        return 7;
    if (starts_nocase(s, n, "am/pm") || starts_nocase(s, n, "a/p")) {
        sc->time = 1;
        return s[1] == '/' ? 3 : 5;
    }
    if (c == 'm' || c == 'y' || c == 'd' || c == 'h' || c == 's') {
        size_t k = 1;
        while (k < n && lower((unsigned char)s[k]) == c)
            k++;
        scan_letter(sc, c);
        return k;
    }
    return 1;
}

enum xlsx_styles_fmt xlsx_styles_classify(const char *code, size_t n)
{
    struct fmt_scan sc;
    size_t i = 0;

    memset(&sc, 0, sizeof(sc));
    while (i < n && code[i] != ';')
        i += scan_token(&sc, code + i, n - i);
    settle_m(&sc, 0);
    if (sc.date && sc.time)
        return XLSX_STYLES_DATETIME;
    if (sc.date)
        return XLSX_STYLES_DATE;
    if (sc.elapsed)
        return XLSX_STYLES_ELAPSED;
    return sc.time ? XLSX_STYLES_TIME : XLSX_STYLES_NUMBER;
}

/* Decimal attribute value as uint32 (saturating); 0 when absent/bad. */
static uint32_t attr_u32(const char **atts, const char *name)
{
    const char *v = xlsx_part_attr(atts, name);
    uint64_t n = 0;

    if (!v)
        return 0;
    for (; *v >= '0' && *v <= '9'; v++)
        if ((n = n * 10 + (uint64_t)(*v - '0')) > UINT32_MAX)
            return UINT32_MAX;
    return (uint32_t)n;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    size_t ncap;
    void *q;

    if (n < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    q = realloc(*p, ncap * size);
    if (!q)
        return -1;
    *p = q;
    *cap = ncap;
    return 0;
}

static void add_numfmt(struct styles_ctx *c, const char **atts)
{
    const char *code = xlsx_part_attr(atts, "formatCode");

    if (grow((void **)&c->nf, &c->cnf, c->nnf, sizeof(*c->nf)) != 0) {
        xlsx_part_fail(&c->x, SOCC_E_INTERNAL, "out of memory");
        return;
    }
    c->nf[c->nnf].id = attr_u32(atts, "numFmtId");
    c->nf[c->nnf].fmt = (uint8_t)(code ? xlsx_styles_classify(code,
                                                             strlen(code))
                                       : XLSX_STYLES_NUMBER);
    c->nnf++;
}

static void add_xf(struct styles_ctx *c, const char **atts)
{
    if (grow((void **)&c->xfid, &c->cxf, c->nxf, sizeof(*c->xfid)) != 0) {
        xlsx_part_fail(&c->x, SOCC_E_INTERNAL, "out of memory");
        return;
    }
    c->xfid[c->nxf++] = attr_u32(atts, "numFmtId");
}

static void XMLCALL styles_start(void *ud, const XML_Char *name,
                                 const XML_Char **atts)
{
    struct styles_ctx *c = ud;
    const char *l = xlsx_part_local(name);
    unsigned d = ++c->depth;

    if (d == 2) {
        c->in_numfmts = strcmp(l, "numFmts") == 0;
        c->in_cellxfs = strcmp(l, "cellXfs") == 0;
    } else if (d == 3 && c->in_numfmts && strcmp(l, "numFmt") == 0) {
        add_numfmt(c, atts);
    } else if (d == 3 && c->in_cellxfs && strcmp(l, "xf") == 0) {
        add_xf(c, atts);
    }
}

static void XMLCALL styles_end(void *ud, const XML_Char *name)
{
    struct styles_ctx *c = ud;

    (void)name;
    if (c->depth-- == 2)
        c->in_numfmts = c->in_cellxfs = 0;
}

static int cmp_numfmt(const void *a, const void *b)
{
    uint32_t x = ((const struct numfmt *)a)->id;
    uint32_t y = ((const struct numfmt *)b)->id;

    return x < y ? -1 : x > y;
}

/* Fill st->xf from the numFmtIds: custom formats win over built-ins. */
static enum socc_err resolve(struct styles_ctx *c, struct xlsx_styles *st)
{
    struct numfmt key = { 0 }, *hit;
    size_t i;

    if (c->nnf)
        qsort(c->nf, c->nnf, sizeof(*c->nf), cmp_numfmt);
    st->xf = malloc(c->nxf ? c->nxf : 1);
    if (!st->xf)
        return socc_error_set(c->x.pkg->err, SOCC_E_INTERNAL,
                              "out of memory");
    for (i = 0; i < c->nxf; i++) {
        key.id = c->xfid[i];
        hit = c->nnf ? bsearch(&key, c->nf, c->nnf, sizeof(*c->nf),
                               cmp_numfmt) : NULL;
        st->xf[i] = hit ? hit->fmt : (uint8_t)xlsx_styles_builtin(key.id);
    }
    st->nxf = c->nxf;
    return SOCC_OK;
}

enum socc_err xlsx_styles_load(struct xlsx_styles *st,
                               struct xlsx_part_pkg *pkg, const char *part)
{
    struct styles_ctx c;
    enum socc_err rc;

    memset(&c, 0, sizeof(c));
    rc = xlsx_part_xml_init(&c.x, pkg);
    if (rc != SOCC_OK)
        return rc;
    XML_SetElementHandler(c.x.p, styles_start, styles_end);
    rc = xlsx_part_parse(&c.x, part, 1);
    if (rc == SOCC_OK && !c.x.missing)
        rc = resolve(&c, st);
    xlsx_part_xml_release(&c.x);
    free(c.nf);
    free(c.xfid);
    return rc;
}

/* ---- serial day numbers ------------------------------------------------ */

int xlsx_styles_serial(double v, enum xlsx_styles_fmt f, int date1904,
                       char *out, size_t *len, enum row_cell_kind *kind)
{
    static const enum serial_date_show show[] = {
        [XLSX_STYLES_DATE] = SERIAL_DATE,
        [XLSX_STYLES_DATETIME] = SERIAL_DATETIME,
        [XLSX_STYLES_TIME] = SERIAL_TIME,
        [XLSX_STYLES_ELAPSED] = SERIAL_ELAPSED,
    };
    int n;

    if (f == XLSX_STYLES_NUMBER || (unsigned)f > XLSX_STYLES_ELAPSED)
        return -1;
    n = serial_date_format(v, date1904, show[f], out, 40, kind);
    if (n < 0)
        return -1;
    *len = (size_t)n;
    return 0;
}
