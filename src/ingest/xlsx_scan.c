#include "xlsx_scan.h"

#include "core/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Input bytes the buffer holds before it first grows. */
#define SCAN_BLOCK (64u * 1024u)
/* Attribute count past which duplicates are found by hashing. */
#define SCAN_DUP_LINEAR 16

/* What a byte means to the run loops. */
enum byte_class {
    B_PLAIN = 0,   /* nothing to do: ASCII text, tab, newline */
    B_LT,          /* < */
    B_AMP,         /* & */
    B_RSQB,        /* ] (may end "]]>") */
    B_CR,          /* carriage return: line ends are normalised */
    B_MINUS,       /* - (may end a comment) */
    B_QUEST,       /* ? (may end a processing instruction) */
    B_BAD,         /* a control character XML forbids; also the sentinel */
    B_HIGH         /* first byte of a UTF-8 sequence (or a stray byte) */
};

/* Where the scanner is in the document. */
enum scan_where { W_PROLOG, W_ROOT, W_EPILOG };

/* What the bytes at the front of the buffer continue. */
enum scan_mode { M_MARKUP, M_COMMENT, M_PROCINST, M_CDATA };

/* Result of a step that needs a whole token. */
enum step { S_DONE, S_MORE, S_FAIL };

/* One attribute of the tag being read: offsets into the buffer. */
struct attr {
    size_t name, name_len;   /* name */
    size_t val, val_end;     /* value, between the quotes */
};

struct xlsx_scan {
    void *ud;                       /* handlers' first argument */
    xlsx_scan_start_fn start;       /* may be NULL */
    xlsx_scan_end_fn end;           /* may be NULL */
    xlsx_scan_text_fn text;         /* may be NULL */
    char *buf;                      /* owned; carried tail, then input */
    size_t cap;                     /* bytes of buf, less the sentinel */
    size_t keep;                    /* carried bytes at buf[0..keep) */
    uint64_t base;                  /* document offset of buf[0] */
    enum scan_where where;
    enum scan_mode mode;
    int stopped;                    /* a handler asked to stop */
    unsigned char stop[4][256];     /* per mode: bytes that end a run */
    char *names;                    /* owned; open element names, NULs */
    size_t names_len, names_cap;
    size_t *opens;                  /* owned; offset of each open name */
    size_t depth, opens_cap;
    struct attr *attrs;             /* owned; attributes of one tag */
    size_t attrs_cap;
    const char **atts;              /* owned; name/value list, NULL */
    size_t atts_cap;
    uint32_t *hash;                 /* owned; duplicate check, big tags */
    size_t hash_cap;
    uint64_t decl_at;               /* where an XML declaration may be:
                                       0, or 3 after a byte order mark */
    int bom_checked;                /* the first bytes were looked at */
    enum socc_err err;              /* what the last failure was */
    char detail[160];               /* why the parse failed */
};

/* ---- byte classes ------------------------------------------------------ */

static enum byte_class class_of(unsigned c)
{
    if (c >= 0x80)
        return B_HIGH;
    switch (c) {
    case '<': return B_LT;
    case '&': return B_AMP;
    case ']': return B_RSQB;
    case '\r': return B_CR;
    case '-': return B_MINUS;
    case '?': return B_QUEST;
    case '\t': case '\n': return B_PLAIN;
    default: return c < 0x20 ? B_BAD : B_PLAIN;
    }
}

/* For each mode, the classes its run loop must look at. */
static void build_stops(struct xlsx_scan *s)
{
    static const unsigned char wanted[4][B_HIGH + 1] = {
        /* PLAIN LT AMP RSQB CR MINUS QUEST BAD HIGH */
        { 0, 1, 1, 1, 1, 0, 0, 1, 1 },   /* markup: text */
        { 0, 0, 0, 0, 0, 1, 0, 1, 1 },   /* comment */
        { 0, 0, 0, 0, 0, 0, 1, 1, 1 },   /* processing instruction */
        { 0, 0, 0, 1, 1, 0, 0, 1, 1 },   /* CDATA */
    };
    unsigned m, c;

    for (m = 0; m < 4; m++)
        for (c = 0; c < 256; c++)
            s->stop[m][c] = wanted[m][class_of(c)];
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int name_start(unsigned c)
{
    return (c | 0x20) - 'a' < 26 || c == '_' || c == ':' || c >= 0x80;
}

static int name_char(unsigned c)
{
    return name_start(c) || c - '0' < 10 || c == '.' || c == '-';
}

/*
 * Length of the UTF-8 character at p (end bounds it) when it is one XML
 * allows: 2..4; 0 when cut by end; -1 when invalid (overlong, surrogate,
 * U+FFFE, U+FFFF, past U+10FFFF, stray byte).
 */
static int utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0], n, i;

    if (c < 0xC2 || c > 0xF4)
        return -1;
    n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    for (i = 1; i < n; i++) {
        if (p + i >= end)
            return 0;
        if ((p[i] & 0xC0) != 0x80)
            return -1;
    }
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
        (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
        return -1;
    if (c == 0xEF && p[1] == 0xBF && p[2] >= 0xBE)
        return -1;
    return (int)n;
}

/* ---- errors ------------------------------------------------------------ */

static enum step fail(struct xlsx_scan *s, const char *at, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

/* Record why the document is refused, with the offset of at. */
static enum step fail(struct xlsx_scan *s, const char *at, const char *fmt,
                      ...)
{
    va_list ap;
    char msg[120];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(s->detail, sizeof(s->detail), "bad xml at byte %llu: %s",
             (unsigned long long)(s->base + (uint64_t)(at - s->buf)), msg);
    s->err = SOCC_E_CORRUPTED_FILE;
    return S_FAIL;
}

/* A token needs bytes past end: wait for them, unless there are none. */
static enum step more(struct xlsx_scan *s, const char *at, int final)
{
    if (final)
        return fail(s, at, "unclosed token at the end of the part");
    return S_MORE;
}

/* ---- references -------------------------------------------------------- */


static int digit_value(unsigned c, int hex)
{
    if (c - '0' < 10)
        return (int)(c - '0');
    if (hex && (c | 0x20) - 'a' < 6)
        return (int)((c | 0x20) - 'a' + 10);
    return -1;
}

/* A code point a character reference may name (XML 1.0 Char). */
static int char_ok(uint32_t cp)
{
    if (cp < 0x20)
        return cp == '\t' || cp == '\n' || cp == '\r';
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    return cp != 0xFFFE && cp != 0xFFFF && cp <= 0x10FFFF;
}

/*
 * The reference &#N; or &#xH; at p ("&#" seen); *used gets its bytes.
 * S_MORE when end cuts it.
 */
static enum step char_ref(struct xlsx_scan *s, const char *p,
                          const char *end, int final, char *out,
                          size_t *olen, size_t *used)
{
    int hex = p + 2 < end && p[2] == 'x', d;
    const char *q = p + 2 + hex, *first = q;
    uint32_t cp = 0;

    for (; q < end && *q != ';'; q++) {
        d = digit_value((unsigned char)*q, hex);
        if (d < 0)
            return fail(s, q, "bad character reference");
        cp = cp * (hex ? 16u : 10u) + (uint32_t)d;
        if (cp > 0x10FFFF)
            return fail(s, p, "character reference out of range");
    }
    if (q >= end)
        return more(s, p, final);
    if (q == first)
        return fail(s, q, "empty character reference");
    if (!char_ok(cp))
        return fail(s, p, "reference to invalid character %#x",
                    (unsigned)cp);
    *olen = utf8_put(out, cp);
    *used = (size_t)(q + 1 - p);
    return S_DONE;
}

/* Value of a predefined entity name[0..n), or 0 when it is not one. */
static char predefined(const char *name, size_t n)
{
    static const struct { const char *name; char c; } ents[] = {
        { "lt", '<' }, { "gt", '>' }, { "amp", '&' },
        { "quot", '"' }, { "apos", '\'' },
    };
    size_t i;

    for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
        if (strlen(ents[i].name) == n && !memcmp(ents[i].name, name, n))
            return ents[i].c;
    return 0;
}

/*
 * Decode the reference at p ('&') into out (4 bytes at most); *used gets
 * the bytes it spans.  Names other than the five predefined ones are
 * refused, as expat refuses them with no DTD.
 */
static enum step ref_decode(struct xlsx_scan *s, const char *p,
                            const char *end, int final, char *out,
                            size_t *olen, size_t *used)
{
    const char *q = p + 1;

    if (q >= end)
        return more(s, p, final);
    if (*q == '#')
        return q + 1 >= end ? more(s, p, final)
                            : char_ref(s, p, end, final, out, olen, used);
    if (!name_start((unsigned char)*q) || (unsigned char)*q >= 0x80)
        return fail(s, q, "bad entity reference");
    while (++q < end && *q != ';')
        if (!name_char((unsigned char)*q) || (unsigned char)*q >= 0x80)
            return fail(s, q, "bad entity reference");
    if (q >= end)
        return more(s, p, final);
    out[0] = predefined(p + 1, (size_t)(q - p - 1));
    if (!out[0])
        return fail(s, p, "undefined entity '%.*s'", (int)(q - p - 1),
                    p + 1);
    *olen = 1;
    *used = (size_t)(q + 1 - p);
    return S_DONE;
}

/* ---- text -------------------------------------------------------------- */

static void deliver(struct xlsx_scan *s, const char *p, size_t n)
{
    if (n && s->text && !s->stopped)
        s->text(s->ud, p, (int)n);
}

/*
 * One byte a run loop stopped at that every run treats alike: a UTF-8
 * sequence is stepped over, a forbidden control character refused.
 * S_DONE with *pp moved on, S_MORE when end cuts the sequence.
 */
static enum step common_byte(struct xlsx_scan *s, const char **pp,
                             const char *end, int final)
{
    const char *p = *pp;
    int n;

    if (class_of((unsigned char)*p) == B_BAD)
        return fail(s, p, "control character %#x", (unsigned char)*p);
    n = utf8_len((const unsigned char *)p, (const unsigned char *)end);
    if (n < 0)
        return fail(s, p, "invalid UTF-8 byte %#x", (unsigned char)*p);
    if (n == 0)
        return more(s, p, final);
    *pp = p + n;
    return S_DONE;
}

/*
 * A carriage return at p ends a line: "\r\n" and a lone "\r" both reach
 * the handler as "\n", as XML says.  *pp is moved past it.
 */
static enum step line_end(struct xlsx_scan *s, const char **pp,
                          const char *end, int final)
{
    const char *p = *pp;

    if (p + 1 >= end && !final)
        return S_MORE;
    deliver(s, "\n", 1);
    *pp = p + 1 + (p + 1 < end && p[1] == '\n');
    return S_DONE;
}

/* "]]>" at p: 1; 0 when it is not; -1 when end leaves it open. */
static int cdata_end_at(const char *p, const char *end)
{
    if (p + 1 >= end)
        return -1;
    if (p[1] != ']')
        return 0;
    if (p + 2 >= end)
        return -1;
    return p[2] == '>';
}

/* A reference in text: its characters go to the handler. */
static enum step text_ref(struct xlsx_scan *s, const char **pp,
                          const char *end, int final)
{
    char out[4];
    size_t olen, used;
    enum step st = ref_decode(s, *pp, end, final, out, &olen, &used);

    if (st != S_DONE)
        return st;
    deliver(s, out, olen);
    *pp += used;
    return S_DONE;
}

/* "]" in text: plain, unless it starts "]]>", which XML forbids there. */
static enum step text_rsqb(struct xlsx_scan *s, const char **pp,
                           const char *end, int final)
{
    int e = cdata_end_at(*pp, end);

    if (e > 0)
        return fail(s, *pp, "']]>' in text");
    if (e < 0)
        return more(s, *pp, final);
    (*pp)++;
    return S_DONE;
}

/*
 * Character data inside the root element, up to the next '<' (S_DONE,
 * *pp there) or as far as the input allows (S_MORE).  Plain stretches,
 * multi-byte characters included, go to the handler whole.
 */
static enum step run_text(struct xlsx_scan *s, const char **pp,
                          const char *end, int final)
{
    const unsigned char *stop = s->stop[M_MARKUP];
    const char *p = *pp, *t = p;
    enum step st;
    enum byte_class c;

    for (;;) {
        while (!stop[(unsigned char)*p])
            p++;
        c = p < end ? class_of((unsigned char)*p) : B_BAD;
        if (p < end && (c == B_HIGH || c == B_RSQB)) {
            st = c == B_HIGH ? common_byte(s, &p, end, final)
                             : text_rsqb(s, &p, end, final);
            if (st == S_DONE)
                continue;
        } else {
            st = p >= end ? S_MORE : c == B_LT ? S_DONE : S_FAIL;
        }
        deliver(s, t, (size_t)(p - t));
        if (st != S_FAIL || c == B_HIGH || c == B_RSQB) {
            *pp = p;
            return s->stopped ? S_FAIL : st;
        }
        st = c == B_AMP ? text_ref(s, &p, end, final)
           : c == B_CR ? line_end(s, &p, end, final)
                       : common_byte(s, &p, end, final);
        if (st != S_DONE || s->stopped) {
            *pp = p;
            return s->stopped ? S_FAIL : st;
        }
        t = p;
    }
}

/* Outside the root element only white space may stand between markup. */
static enum step run_misc(struct xlsx_scan *s, const char **pp,
                          const char *end)
{
    const char *p = *pp;

    while (p < end && is_space((unsigned char)*p))
        p++;
    *pp = p;
    if (p >= end)
        return S_MORE;
    if (*p != '<')
        return fail(s, p, s->where == W_PROLOG
                              ? "text before the root element"
                              : "junk after the root element");
    return S_DONE;
}

/*
 * Inside a comment or processing instruction, up to its end mark ("-->",
 * "?>"): nothing is delivered, the characters are only checked.  XML
 * forbids "--" inside a comment.
 */
static enum step run_skip(struct xlsx_scan *s, const char **pp,
                          const char *end, int final)
{
    const unsigned char *stop = s->stop[s->mode];
    const char *p = *pp;
    enum step st = S_DONE;

    for (;;) {
        while (!stop[(unsigned char)*p])
            p++;
        *pp = p;
        if (p >= end)
            return S_MORE;
        if (*p != '-' && *p != '?')
            st = common_byte(s, &p, end, final);
        else if (p + 1 >= end || (*p == '-' && p[1] == '-' && p + 2 >= end))
            return more(s, p, final);
        else if (*p == '?' ? p[1] == '>' : p[1] == '-')
            break;
        else
            p++;
        if (st != S_DONE)
            return st;
    }
    if (*p == '-' && p[2] != '>')
        return fail(s, p, "'--' inside a comment");
    *pp = p + (*p == '-' ? 3 : 2);
    s->mode = M_MARKUP;
    return S_DONE;
}

/* Inside <![CDATA[ ... ]]>: the characters are text, markup is not. */
static enum step run_cdata(struct xlsx_scan *s, const char **pp,
                           const char *end, int final)
{
    const unsigned char *stop = s->stop[M_CDATA];
    const char *p = *pp, *t = p;
    enum step st = S_DONE;
    int e = 0;

    for (;;) {
        while (!stop[(unsigned char)*p])
            p++;
        if (p < end && *p == ']' && (e = cdata_end_at(p, end)) == 0) {
            p++;
            continue;
        }
        if (p < end && class_of((unsigned char)*p) == B_HIGH) {
            st = common_byte(s, &p, end, final);
            if (st == S_DONE)
                continue;
        }
        deliver(s, t, (size_t)(p - t));
        *pp = p;
        if (st != S_DONE || s->stopped)
            return s->stopped ? S_FAIL : st;
        if (p >= end)
            return S_MORE;
        if (*p == ']') {
            if (e < 0)
                return more(s, p, final);
            *pp = p + 3;
            s->mode = M_MARKUP;
            return S_DONE;
        }
        st = *p == '\r' ? line_end(s, &p, end, final)
                        : common_byte(s, &p, end, final);
        *pp = p;
        if (st != S_DONE || s->stopped)
            return s->stopped ? S_FAIL : st;
        t = p;
    }
}

/* ---- memory ------------------------------------------------------------ */

static enum step oom(struct xlsx_scan *s)
{
    snprintf(s->detail, sizeof(s->detail), "out of memory");
    s->err = SOCC_E_INTERNAL;
    return S_FAIL;
}

/* Make *p hold at least n items of size sz (capacity in *cap). */
static int grow(void *p, size_t *cap, size_t n, size_t sz)
{
    size_t ncap = *cap ? *cap : 16;
    void *q;

    if (n <= *cap)
        return 0;
    while (ncap < n)
        ncap *= 2;
    q = realloc(*(void **)p, ncap * sz);
    if (!q)
        return -1;
    *(void **)p = q;
    *cap = ncap;
    return 0;
}

/* ---- names ------------------------------------------------------------- */

/*
 * The XML name at p: *q gets its end.  Non-ASCII characters are taken
 * when 2- or 3-byte UTF-8 (see LIMIT in the header); expat refuses every
 * 4-byte character in a name, and so does this.
 */
static enum step scan_name(struct xlsx_scan *s, const char *p,
                           const char *end, int final, const char **q)
{
    const unsigned char *u = (const unsigned char *)p;
    const unsigned char *e = (const unsigned char *)end;
    int n;

    if (u >= e)
        return more(s, p, final);
    if (!name_start(*u))
        return fail(s, p, "bad name");
    while (u < e) {
        if (*u < 0x80) {
            if (!name_char(*u))
                break;
            u++;
            continue;
        }
        n = utf8_len(u, e);
        if (n == 0)
            return more(s, p, final);
        if (n < 0 || n == 4)
            return fail(s, (const char *)u, "bad character in a name");
        u += n;
    }
    if (u >= e)
        return more(s, p, final);
    *q = (const char *)u;
    return S_DONE;
}

/* ---- open elements ----------------------------------------------------- */

static enum step push(struct xlsx_scan *s, const char *name, size_t n)
{
    if (s->names_len + n + 1 > XLSX_SCAN_MAX_TOKEN) {
        snprintf(s->detail, sizeof(s->detail),
                 "elements nest past %u bytes of names",
                 XLSX_SCAN_MAX_TOKEN);
        s->err = SOCC_E_LIMIT_EXCEEDED;
        return S_FAIL;
    }
    if (grow(&s->names, &s->names_cap, s->names_len + n + 1, 1) != 0 ||
        grow(&s->opens, &s->opens_cap, s->depth + 1, sizeof(size_t)) != 0)
        return oom(s);
    s->opens[s->depth++] = s->names_len;
    memcpy(s->names + s->names_len, name, n);
    s->names_len += n;
    s->names[s->names_len++] = '\0';
    return S_DONE;
}

/* ---- start tags -------------------------------------------------------- */

/*
 * One attribute at *qq (its name start): recorded in attrs[i], *qq moved
 * past its closing quote.  p is the tag start, for offsets.
 */
static enum step attr_scan(struct xlsx_scan *s, const char **qq,
                           const char *end, int final, size_t i)
{
    const char *q = *qq, *ne, *v, *close;
    enum step st = scan_name(s, q, end, final, &ne);

    if (st != S_DONE)
        return st;
    for (v = ne; v < end && is_space((unsigned char)*v); v++)
        ;
    if (v < end && *v != '=')
        return fail(s, v, "'=' missing after an attribute name");
    for (v++; v < end && is_space((unsigned char)*v); v++)
        ;
    if (v >= end)
        return more(s, q, final);
    if (*v != '"' && *v != '\'')
        return fail(s, v, "attribute value without quotes");
    close = memchr(v + 1, *v, (size_t)(end - v - 1));
    if (!close)
        return more(s, q, final);
    if (grow(&s->attrs, &s->attrs_cap, i + 1, sizeof(*s->attrs)) != 0)
        return oom(s);
    s->attrs[i] = (struct attr){ (size_t)(q - s->buf), (size_t)(ne - q),
                                 (size_t)(v + 1 - s->buf),
                                 (size_t)(close - s->buf) };
    *qq = close + 1;
    return S_DONE;
}

/*
 * An attribute value decoded in place: references replaced, tab, newline
 * and carriage return (a "\r\n" pair too) made one space each, as XML
 * normalises a CDATA attribute.  The value never grows.  *n gets its new
 * length.
 */
static enum step value_decode(struct xlsx_scan *s, char *v, const char *e,
                              size_t *n)
{
    char *w = v, out[4];
    const char *r = v;
    size_t olen, used;
    unsigned c;
    int len;

    while (r < e) {
        c = (unsigned char)*r;
        if (c >= 0x20 && c < 0x80 && c != '<' && c != '&') {
            *w++ = *r++;
        } else if (c == '\t' || c == '\n' || c == '\r') {
            *w++ = ' ';
            r += 1 + (c == '\r' && r + 1 < e && r[1] == '\n');
        } else if (c == '<') {
            return fail(s, r, "'<' in an attribute value");
        } else if (c == '&') {
            if (ref_decode(s, r, e, 1, out, &olen, &used) != S_DONE)
                return S_FAIL;
            memcpy(w, out, olen);
            w += olen;
            r += used;
        } else {
            len = utf8_len((const unsigned char *)r,
                           (const unsigned char *)e);
            if (len <= 0 || c < 0x80) {
                common_byte(s, &r, e, 1);   /* says why */
                return S_FAIL;
            }
            memmove(w, r, (size_t)len);
            w += len;
            r += len;
        }
    }
    *n = (size_t)(w - v);
    return S_DONE;
}

static uint32_t name_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;

    while (n--)
        h = (h ^ (unsigned char)*p++) * 16777619u;
    return h;
}

static int same_name(const struct xlsx_scan *s, size_t i, size_t j)
{
    const struct attr *a = &s->attrs[i], *b = &s->attrs[j];

    return a->name_len == b->name_len &&
           !memcmp(s->buf + a->name, s->buf + b->name, a->name_len);
}

/* 1 when two of the na attributes share a name; -1 when out of memory. */
static int has_duplicate(struct xlsx_scan *s, size_t na)
{
    size_t i, j, mask;
    uint32_t *h;

    if (na <= SCAN_DUP_LINEAR) {
        for (i = 1; i < na; i++)
            for (j = 0; j < i; j++)
                if (same_name(s, i, j))
                    return 1;
        return 0;
    }
    /* Many attributes: an open-addressed table of index + 1, so a tag of
     * thousands of them stays linear. */
    if (grow(&s->hash, &s->hash_cap, na * 2, sizeof(*s->hash)) != 0)
        return -1;
    for (mask = 1; mask < na * 2; mask <<= 1)
        ;
    mask--;
    h = s->hash;
    memset(h, 0, (mask + 1) * sizeof(*h));
    for (i = 0; i < na; i++) {
        j = name_hash(s->buf + s->attrs[i].name, s->attrs[i].name_len) & mask;
        for (; h[j]; j = (j + 1) & mask)
            if (same_name(s, i, h[j] - 1))
                return 1;
        h[j] = (uint32_t)(i + 1);
    }
    return 0;
}

/* Decode the na attributes of a whole tag and list them for expat-style
 * handlers: NUL-terminated in place. */
static enum step attrs_finish(struct xlsx_scan *s, size_t na)
{
    struct attr *a;
    size_t i, n = 0;
    int dup;

    for (i = 0; i < na; i++) {
        a = &s->attrs[i];
        if (value_decode(s, s->buf + a->val, s->buf + a->val_end, &n) !=
            S_DONE)
            return S_FAIL;
        s->buf[a->val + n] = '\0';
    }
    dup = has_duplicate(s, na);
    if (dup < 0)
        return oom(s);
    if (dup)
        return fail(s, s->buf + s->attrs[0].name, "duplicate attribute");
    if (grow(&s->atts, &s->atts_cap, 2 * na + 1, sizeof(*s->atts)) != 0)
        return oom(s);
    for (i = 0; i < na; i++) {
        a = &s->attrs[i];
        s->buf[a->name + a->name_len] = '\0';
        s->atts[2 * i] = s->buf + a->name;
        s->atts[2 * i + 1] = s->buf + a->val;
    }
    s->atts[2 * na] = NULL;
    return S_DONE;
}

/* Call the handlers for a whole start tag whose name is name[0..n). */
static enum step element_open(struct xlsx_scan *s, char *name, size_t n,
                              int empty)
{
    name[n] = '\0';
    if (!empty && push(s, name, n) != S_DONE)
        return S_FAIL;
    s->where = W_ROOT;
    if (s->start && !s->stopped)
        s->start(s->ud, name, s->atts);
    if (empty) {
        if (s->end && !s->stopped)
            s->end(s->ud, name);
        if (s->depth == 0)
            s->where = W_EPILOG;
    }
    return s->stopped ? S_FAIL : S_DONE;
}

/*
 * The start tag at *pp ('<' and a name start), read in two passes: the
 * first finds its end without touching the bytes, so a tag cut by the
 * end of the block is simply read again with more; the second decodes.
 */
static enum step start_tag(struct xlsx_scan *s, const char **pp,
                           const char *end, int final)
{
    const char *p = *pp, *ne, *q, *sp;
    size_t na = 0;
    int empty = 0;
    enum step st;

    if (s->where == W_EPILOG)
        return fail(s, p, "junk after the root element");
    st = scan_name(s, p + 1, end, final, &ne);
    for (q = ne; st == S_DONE; na++) {
        for (sp = q; q < end && is_space((unsigned char)*q); q++)
            ;
        if (q >= end || (*q == '/' && q + 1 >= end))
            return more(s, p, final);
        if (*q == '>' || *q == '/')
            break;
        if (q == sp)
            return fail(s, q, "no space before an attribute");
        st = attr_scan(s, &q, end, final, na);
    }
    if (st != S_DONE)
        return st;
    if (*q == '/' && q[1] != '>')
        return fail(s, q, "'/' not followed by '>'");
    empty = *q == '/';
    if (attrs_finish(s, na) != S_DONE)
        return S_FAIL;
    *pp = q + 1 + empty;
    return element_open(s, s->buf + (p + 1 - s->buf), (size_t)(ne - p - 1),
                        empty);
}

/* The end tag at *pp ("</"): it must close the innermost open element. */
static enum step end_tag(struct xlsx_scan *s, const char **pp,
                         const char *end, int final)
{
    const char *p = *pp, *ne, *q, *top;
    size_t n;
    enum step st = scan_name(s, p + 2, end, final, &ne);

    if (st != S_DONE)
        return st;
    for (q = ne; q < end && is_space((unsigned char)*q); q++)
        ;
    if (q >= end)
        return more(s, p, final);
    if (*q != '>')
        return fail(s, q, "bad end tag");
    if (s->depth == 0)
        return fail(s, p, "end tag outside the root element");
    top = s->names + s->opens[s->depth - 1];
    n = s->names_len - s->opens[s->depth - 1] - 1;
    if (n != (size_t)(ne - p - 2) || memcmp(top, p + 2, n) != 0)
        return fail(s, p, "end tag '%.*s' does not match '%.40s'",
                    (int)(ne - p - 2 < 40 ? ne - p - 2 : 40), p + 2, top);
    *pp = q + 1;
    if (s->end && !s->stopped)
        s->end(s->ud, top);
    s->names_len = s->opens[--s->depth];
    if (s->depth == 0)
        s->where = W_EPILOG;
    return s->stopped ? S_FAIL : S_DONE;
}

/* ---- declarations, comments, CDATA, processing instructions ------------ */

/* p starts with lit (n bytes): 1; 0 when end leaves it open; -1 when not. */
static int starts(const char *p, const char *end, const char *lit, size_t n)
{
    size_t have = (size_t)(end - p);

    if (memcmp(p, lit, have < n ? have : n) != 0)
        return -1;
    return have >= n;
}

/* "<!" at *pp: a comment, a CDATA section, or a refused DOCTYPE. */
static enum step bang(struct xlsx_scan *s, const char **pp, const char *end,
                      int final)
{
    const char *p = *pp;
    int c = starts(p, end, "<!--", 4);
    int d = starts(p, end, "<![CDATA[", 9);
    int t = starts(p, end, "<!DOCTYPE", 9);

    if (c > 0) {
        s->mode = M_COMMENT;
        *pp = p + 4;
        return S_DONE;
    }
    if (d > 0 && s->where == W_ROOT) {
        s->mode = M_CDATA;
        *pp = p + 9;
        return S_DONE;
    }
    if (t > 0 && s->where == W_PROLOG)
        return fail(s, p, "DOCTYPE declarations are refused "
                          "(entity expansion)");
    if (c == 0 || d == 0 || t == 0)
        return more(s, p, final);
    return fail(s, p, "bad markup declaration");
}

/* A pseudo-attribute of the XML declaration, as expat reads one. */
struct pseudo {
    const char *name, *name_end, *val, *val_end;
};

static int decl_char(int c)
{
    return (unsigned)((c | 0x20) - 'a') < 26u ||
           (unsigned)(c - '0') < 10u || c == '.' ||
           c == '-' || c == '_';
}

/* The next name="value" in [*pp, end): 1, 0 when none is left, -1 bad. */
static int pseudo_next(const char **pp, const char *end, struct pseudo *a)
{
    const char *p = *pp;
    char open;

    if (p == end)
        return 0;
    if (!is_space((unsigned char)*p))
        return -1;
    while (p < end && is_space((unsigned char)*p))
        p++;
    if (p == end)
        return 0;
    for (a->name = p; p < end && *p != '=' && !is_space((unsigned char)*p);
         p++)
        if ((unsigned char)*p >= 0x80)
            return -1;
    a->name_end = p;
    while (p < end && is_space((unsigned char)*p))
        p++;
    if (p == end || *p != '=' || a->name == a->name_end)
        return -1;
    for (p++; p < end && is_space((unsigned char)*p); p++)
        ;
    if (p == end || (*p != '"' && *p != '\''))
        return -1;
    open = *p++;
    for (a->val = p; p < end && *p != open; p++)
        if (!decl_char((unsigned char)*p))
            return -1;
    if (p == end)
        return -1;
    a->val_end = p;
    *pp = p + 1;
    return 1;
}

static int is_word(const char *p, const char *e, const char *w)
{
    return (size_t)(e - p) == strlen(w) && !memcmp(p, w, (size_t)(e - p));
}

/* Body of <?xml ...?> in [p, end): version, then encoding, standalone. */
static int decl_ok(const char *p, const char *end)
{
    struct pseudo a;
    int r = pseudo_next(&p, end, &a);

    if (r <= 0 || !is_word(a.name, a.name_end, "version"))
        return 0;
    if ((r = pseudo_next(&p, end, &a)) <= 0)
        return r == 0;
    if (is_word(a.name, a.name_end, "encoding")) {
        if (a.val == a.val_end || (*a.val | 0x20) - 'a' >= 26)
            return 0;
        if ((r = pseudo_next(&p, end, &a)) <= 0)
            return r == 0;
    }
    if (!is_word(a.name, a.name_end, "standalone") ||
        (!is_word(a.val, a.val_end, "yes") &&
         !is_word(a.val, a.val_end, "no")))
        return 0;
    return pseudo_next(&p, end, &a) == 0;
}

/* <?xml ...?> at *pp (q: after "xml"): only first in the document. */
static enum step xml_decl(struct xlsx_scan *s, const char **pp,
                          const char *q, const char *end, int final)
{
    const char *p = *pp, *e;

    if (s->base + (uint64_t)(p - s->buf) != s->decl_at)
        return fail(s, p, "XML declaration not at the start");
    for (e = q; e + 1 < end && !(e[0] == '?' && e[1] == '>'); e++)
        ;
    if (e + 1 >= end)
        return more(s, p, final);
    if (!decl_ok(q, e))
        return fail(s, p, "bad XML declaration");
    *pp = e + 2;
    return S_DONE;
}

/* "<?" at *pp: the XML declaration or a processing instruction. */
static enum step pi_start(struct xlsx_scan *s, const char **pp,
                          const char *end, int final)
{
    const char *p = *pp, *q;
    enum step st = scan_name(s, p + 2, end, final, &q);

    if (st != S_DONE)
        return st;
    if (q - p == 5 && (p[2] | 0x20) == 'x' && (p[3] | 0x20) == 'm' &&
        (p[4] | 0x20) == 'l') {
        if (memcmp(p + 2, "xml", 3) != 0)
            return fail(s, p, "reserved processing instruction target");
        return xml_decl(s, pp, q, end, final);
    }
    if (*q == '?') {
        if (q + 1 >= end)
            return more(s, p, final);
        if (q[1] != '>')
            return fail(s, q, "bad processing instruction");
        *pp = q + 2;
        return S_DONE;
    }
    if (!is_space((unsigned char)*q))
        return fail(s, q, "bad processing instruction");
    s->mode = M_PROCINST;
    *pp = q + 1;
    return S_DONE;
}

/* ---- the loop ---------------------------------------------------------- */

/* '<' at *pp: whichever markup it opens. */
static enum step markup(struct xlsx_scan *s, const char **pp,
                        const char *end, int final)
{
    const char *p = *pp;

    if (p + 1 >= end)
        return more(s, p, final);
    switch (p[1]) {
    case '/':
        return end_tag(s, pp, end, final);
    case '!':
        return bang(s, pp, end, final);
    case '?':
        return pi_start(s, pp, end, final);
    default:
        return start_tag(s, pp, end, final);
    }
}

/* Tokens from *pp on, as far as end allows; *pp gets the first byte not
 * consumed (the start of a cut token). */
static enum step scan(struct xlsx_scan *s, const char **pp, const char *end,
                      int final)
{
    enum step st = S_DONE;

    while (st == S_DONE) {
        if (s->mode == M_COMMENT || s->mode == M_PROCINST)
            st = run_skip(s, pp, end, final);
        else if (s->mode == M_CDATA)
            st = run_cdata(s, pp, end, final);
        else if ((st = s->where == W_ROOT ? run_text(s, pp, end, final)
                                          : run_misc(s, pp, end)) == S_DONE)
            st = markup(s, pp, end, final);
    }
    return st;
}

/* ---- interface --------------------------------------------------------- */

struct xlsx_scan *xlsx_scan_new(void *ud)
{
    struct xlsx_scan *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->ud = ud;
    s->cap = SCAN_BLOCK;
    s->buf = malloc(s->cap + 1);
    if (!s->buf) {
        free(s);
        return NULL;
    }
    build_stops(s);
    return s;
}

void xlsx_scan_free(struct xlsx_scan *s)
{
    if (!s)
        return;
    free(s->buf);
    free(s->names);
    free(s->opens);
    free(s->attrs);
    free(s->atts);
    free(s->hash);
    free(s);
}

void xlsx_scan_set_elements(struct xlsx_scan *s, xlsx_scan_start_fn start,
                            xlsx_scan_end_fn end)
{
    s->start = start;
    s->end = end;
}

void xlsx_scan_set_text(struct xlsx_scan *s, xlsx_scan_text_fn text)
{
    s->text = text;
}

void xlsx_scan_stop(struct xlsx_scan *s)
{
    s->stopped = 1;
    s->err = SOCC_E_INTERNAL;
    snprintf(s->detail, sizeof(s->detail), "stopped by a handler");
}

const char *xlsx_scan_detail(const struct xlsx_scan *s)
{
    return s->detail;
}

char *xlsx_scan_buffer(struct xlsx_scan *s, size_t want)
{
    char *b;

    if (s->keep + want > s->cap) {
        b = realloc(s->buf, s->keep + want + 1);
        if (!b)
            return NULL;
        s->buf = b;
        s->cap = s->keep + want;
    }
    return s->buf + s->keep;
}

/* A UTF-8 byte order mark opens the document: skipped, once. */
static size_t skip_bom(struct xlsx_scan *s, size_t len)
{
    s->bom_checked = 1;
    if (len >= 3 && !memcmp(s->buf, "\xEF\xBB\xBF", 3)) {
        s->decl_at = 3;
        return 3;
    }
    return 0;
}

/* The input is over: anything still open is an error. */
static enum socc_err check_end(struct xlsx_scan *s, const char *p)
{
    if (s->mode != M_MARKUP)
        fail(s, p, "unclosed comment, CDATA or processing instruction");
    else if (s->where == W_PROLOG)
        fail(s, p, "no element found");
    else if (s->where == W_ROOT)
        fail(s, p, "unclosed element '%.40s'",
             s->names + s->opens[s->depth - 1]);
    else
        return SOCC_OK;
    return SOCC_E_CORRUPTED_FILE;
}

/* Keep the cut token at p for the next block. */
static enum socc_err carry(struct xlsx_scan *s, const char *p, size_t len)
{
    size_t used = (size_t)(p - s->buf), rest = len - used;

    if (rest > XLSX_SCAN_MAX_TOKEN) {
        snprintf(s->detail, sizeof(s->detail),
                 "a tag or reference at byte %llu is longer than %u bytes",
                 (unsigned long long)(s->base + used), XLSX_SCAN_MAX_TOKEN);
        return s->err = SOCC_E_LIMIT_EXCEEDED;
    }
    memmove(s->buf, p, rest);
    s->keep = rest;
    s->base += used;
    return SOCC_OK;
}

enum socc_err xlsx_scan_parse(struct xlsx_scan *s, size_t n, int final)
{
    size_t len = s->keep + n;
    const char *p = s->buf;

    if (s->stopped)
        return s->err;
    s->buf[len] = '\0';   /* the sentinel every run loop stops at */
    if (!s->bom_checked) {
        if (len < 3 && !final) {
            s->keep = len;
            return SOCC_OK;
        }
        p += skip_bom(s, len);
    }
    if (scan(s, &p, s->buf + len, final) == S_FAIL)
        return s->err;
    if (final)
        return p < s->buf + len ? (fail(s, p, "unclosed token"), s->err)
                                : check_end(s, p);
    return carry(s, p, len);
}

/* After "encoding" in a declaration: ="UTF-8", any case, any quotes. */
static int encoding_is_utf8(const char *p, const char *e)
{
    while (p < e && is_space((unsigned char)*p))
        p++;
    if (p >= e || *p++ != '=')
        return 0;
    while (p < e && is_space((unsigned char)*p))
        p++;
    if (e - p < 7 || (*p != '"' && *p != '\''))
        return 0;
    return (p[1] | 0x20) == 'u' && (p[2] | 0x20) == 't' &&
           (p[3] | 0x20) == 'f' && p[4] == '-' && p[5] == '8' &&
           p[6] == p[0];
}

int xlsx_scan_can_read(const char *p, size_t n)
{
    const char *e = p + n, *q;

    if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    if (p < e && ((unsigned char)*p == 0 || (unsigned char)*p >= 0xFE))
        return 0;
    if (p + 1 < e && p[1] == 0)
        return 0;
    if (e - p < 6 || memcmp(p, "<?xml", 5) != 0 || !is_space(p[5]))
        return 1;
    for (q = p; q + 1 < e && !(q[0] == '?' && q[1] == '>'); q++)
        if (q + 8 <= e && !memcmp(q, "encoding", 8))
            return encoding_is_utf8(q + 8, e);
    return q + 1 < e;
}
