#include "multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * The delimiter is "\r\n--" boundary.  The body's first delimiter may come
 * without the leading CRLF, so the parser starts with those two bytes
 * already matched.  Bytes of a partial match are never copied: they are
 * the delimiter's own bytes, so on a mismatch they are replayed from it.
 * A boundary holds no CR, so a mismatch can only restart at a CR.
 */

enum mp_state {
    ST_PREAMBLE,   /* before the first delimiter; bytes discarded */
    ST_TAIL,       /* after a delimiter: "--", padding, CRLF */
    ST_DASH,       /* one '-' of the closing "--" seen */
    ST_LF,         /* CR after a delimiter seen */
    ST_HEADERS,    /* part header lines */
    ST_BODY,       /* part data */
    ST_EPILOGUE,   /* after the closing delimiter; bytes discarded */
    ST_FAILED
};

struct multipart {
    struct multipart_cb cb;                   /* copied */
    char delim[4 + MULTIPART_BOUNDARY_MAX + 1];
    size_t dlen;                              /* bytes in delim */
    size_t match;                             /* delim bytes matched */
    enum mp_state st;
    char line[MULTIPART_HEADER_MAX + 1];      /* header line so far */
    size_t llen;                              /* bytes in line */
    size_t htotal;                            /* header bytes of the part */
    struct multipart_part part;               /* current part */
    struct socc_error fail;                   /* set when st is FAILED */
};

/* ---- header value parameters ------------------------------------------ */

struct cursor {
    const char *p;
    const char *end;
};

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && is_ws(*c->p))
        c->p++;
}

/* Skip to just past the next ';' outside quotes, or to the end. */
static void skip_to_semicolon(struct cursor *c)
{
    int quoted = 0;

    for (; c->p < c->end; c->p++) {
        if (quoted && *c->p == '\\' && c->p + 1 < c->end)
            c->p++;
        else if (*c->p == '"')
            quoted = !quoted;
        else if (!quoted && *c->p == ';')
            break;
    }
    if (c->p < c->end)
        c->p++;
}

/*
 * A quoted string (cursor on the opening quote) into out (cap bytes, at
 * least the input's length + 1).  \" and \\ are escapes; any other
 * backslash is kept, as browsers send Windows paths unescaped.  -1 when
 * the closing quote is missing.
 */
static int read_quoted(struct cursor *c, char *out, size_t *olen)
{
    size_t n = 0;

    c->p++;
    while (c->p < c->end && *c->p != '"') {
        if (*c->p == '\\' && c->p + 1 < c->end &&
            (c->p[1] == '"' || c->p[1] == '\\'))
            c->p++;
        out[n++] = *c->p++;
    }
    out[n] = '\0';
    *olen = n;
    if (c->p >= c->end)
        return -1;
    c->p++;
    return 0;
}

/* An unquoted value: up to ';', trailing blanks cut. */
static void read_token(struct cursor *c, char *out, size_t *olen)
{
    size_t n = 0;

    while (c->p < c->end && *c->p != ';')
        out[n++] = *c->p++;
    while (n && is_ws(out[n - 1]))
        n--;
    out[n] = '\0';
    *olen = n;
}

/*
 * The next "; name=value" parameter.  val must hold the rest of the input
 * plus a NUL.  1 with a parameter, 0 at the end, -1 on an open quote.
 */
static int next_param(struct cursor *c, const char **name, size_t *nlen,
                      char *val, size_t *vlen)
{
    for (;;) {
        skip_ws(c);
        while (c->p < c->end && (*c->p == ';' || is_ws(*c->p)))
            c->p++;
        if (c->p >= c->end)
            return 0;
        *name = c->p;
        while (c->p < c->end && *c->p != '=' && *c->p != ';' &&
               !is_ws(*c->p))
            c->p++;
        *nlen = (size_t)(c->p - *name);
        skip_ws(c);
        if (c->p < c->end && *c->p == '=')
            break;
        skip_to_semicolon(c);
    }
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == '"')
        return read_quoted(c, val, vlen) == 0 ? 1 : -1;
    read_token(c, val, vlen);
    return 1;
}

static int name_is(const char *name, size_t nlen, const char *want)
{
    return nlen == strlen(want) && strncasecmp(name, want, nlen) == 0;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Append byte b to out as UTF-8 from ISO-8859-1 when latin1 is set. */
static int put_byte(char *out, size_t cap, size_t *n, unsigned char b,
                    int latin1)
{
    if (latin1 && b >= 0x80) {
        if (*n + 2 > cap)
            return -1;
        out[(*n)++] = (char)(0xC0 | (b >> 6));
        out[(*n)++] = (char)(0x80 | (b & 0x3F));
        return 0;
    }
    if (*n + 1 > cap)
        return -1;
    out[(*n)++] = (char)b;
    return 0;
}

/*
 * Decode an RFC 5987 ext-value (charset'lang'pct-encoded) into out (cap
 * bytes, NUL added).  -1 on an unknown charset, a bad escape or overflow.
 */
static int decode_ext_value(const char *v, size_t len, char *out, size_t cap,
                            size_t *olen)
{
    const char *q1 = memchr(v, '\'', len), *q2, *end = v + len, *p;
    size_t n = 0;
    int latin1, hi, lo;

    if (!q1)
        return -1;
    q2 = memchr(q1 + 1, '\'', (size_t)(end - q1 - 1));
    if (!q2)
        return -1;
    if (name_is(v, (size_t)(q1 - v), "utf-8"))
        latin1 = 0;
    else if (name_is(v, (size_t)(q1 - v), "iso-8859-1"))
        latin1 = 1;
    else
        return -1;
    for (p = q2 + 1; p < end; p++) {
        unsigned char b = (unsigned char)*p;
        if (b == '%') {
            if (end - p < 3 || (hi = hexval(p[1])) < 0 ||
                (lo = hexval(p[2])) < 0)
                return -1;
            b = (unsigned char)(hi * 16 + lo);
            p += 2;
        }
        if (put_byte(out, cap, &n, b, latin1))
            return -1;
    }
    out[n] = '\0';
    *olen = n;
    return 0;
}

static void set_filename(struct multipart_part *p, const char *s, size_t n)
{
    memcpy(p->filename, s, n);
    p->filename[n] = '\0';
    p->filename_len = n;
    p->has_filename = 1;
}

/* Apply one Content-Disposition parameter; star_ok tells filename* won. */
static enum socc_err apply_param(struct multipart_part *p, const char *name,
                                 size_t nlen, const char *val, size_t vlen,
                                 int *star_ok, struct socc_error *err)
{
    char dec[MULTIPART_FILENAME_MAX + 1];
    size_t dlen;

    if (name_is(name, nlen, "name")) {
        if (vlen > MULTIPART_NAME_MAX)
            return socc_error_set(err, SOCC_E_BAD_REQUEST,
                                  "field name longer than %d bytes",
                                  MULTIPART_NAME_MAX);
        memcpy(p->name, val, vlen);
        p->name[vlen] = '\0';
    } else if (name_is(name, nlen, "filename*")) {
        if (decode_ext_value(val, vlen, dec, MULTIPART_FILENAME_MAX,
                             &dlen) == 0) {
            set_filename(p, dec, dlen);
            *star_ok = 1;
        }
    } else if (name_is(name, nlen, "filename") && !*star_ok) {
        if (vlen > MULTIPART_FILENAME_MAX)
            return socc_error_set(err, SOCC_E_BAD_REQUEST,
                                  "file name longer than %d bytes",
                                  MULTIPART_FILENAME_MAX);
        set_filename(p, val, vlen);
    }
    return SOCC_OK;
}

enum socc_err multipart_disposition(const char *value, size_t len,
                                    struct multipart_part *p,
                                    struct socc_error *err)
{
    struct cursor c = { value, value + len };
    char *val;
    const char *name;
    size_t nlen, vlen;
    int rc, star_ok = 0;
    enum socc_err e = SOCC_OK;

    val = malloc(len + 1);
    if (!val)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    skip_to_semicolon(&c);
    while ((rc = next_param(&c, &name, &nlen, val, &vlen)) == 1) {
        e = apply_param(p, name, nlen, val, vlen, &star_ok, err);
        if (e != SOCC_OK)
            goto out_free;
    }
    if (rc < 0)
        e = socc_error_set(err, SOCC_E_BAD_REQUEST,
                           "unterminated quoted string in part header");

out_free:
    free(val);
    return e;
}

/* 1 when the boundary has 1-70 bytes and none is a control byte. */
static int boundary_ok(const char *b, size_t n)
{
    size_t i;

    if (n == 0 || n > MULTIPART_BOUNDARY_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)b[i] < 0x20 || b[i] == 0x7f)
            return 0;
    return 1;
}

int multipart_boundary(const char *content_type,
                       char out[MULTIPART_BOUNDARY_MAX + 1])
{
    static const char media[] = "multipart/form-data";
    size_t len = strlen(content_type), nlen, vlen;
    struct cursor c = { content_type, content_type + len };
    const char *name;
    char *val;
    int rc, found = -1;

    skip_ws(&c);
    if ((size_t)(c.end - c.p) < sizeof(media) - 1 ||
        strncasecmp(c.p, media, sizeof(media) - 1) != 0)
        return -1;
    val = malloc(len + 1);
    if (!val)
        return -1;
    skip_to_semicolon(&c);
    while ((rc = next_param(&c, &name, &nlen, val, &vlen)) == 1) {
        if (name_is(name, nlen, "boundary") && found < 0) {
            found = boundary_ok(val, vlen) ? 0 : -2;
            if (found == 0)
                memcpy(out, val, vlen + 1);
        }
    }
    free(val);
    return rc < 0 || found != 0 ? -1 : 0;
}

/* ---- the stream --------------------------------------------------------- */

enum socc_err multipart_new(const char *content_type,
                            const struct multipart_cb *cb,
                            struct multipart **out, struct socc_error *err)
{
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    struct multipart *m;

    *out = NULL;
    if (!content_type || multipart_boundary(content_type, boundary) != 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "content type is not multipart/form-data "
                              "with a valid boundary");
    m = calloc(1, sizeof(*m));
    if (!m)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    m->cb = *cb;
    m->dlen = (size_t)snprintf(m->delim, sizeof(m->delim), "\r\n--%s",
                               boundary);
    m->match = 2;
    m->st = ST_PREAMBLE;
    *out = m;
    return SOCC_OK;
}

void multipart_free(struct multipart *m)
{
    free(m);
}

static enum socc_err fail(struct multipart *m, enum socc_err code,
                          const char *detail)
{
    m->st = ST_FAILED;
    socc_error_set(&m->fail, code, "%s", detail);
    return code;
}

/* A callback failed: keep its detail, or name the stop. */
static enum socc_err fail_cb(struct multipart *m, enum socc_err code,
                             const struct socc_error *cb_err)
{
    m->st = ST_FAILED;
    m->fail.code = code;
    if (cb_err && cb_err->code == code)
        memcpy(m->fail.detail, cb_err->detail, sizeof(m->fail.detail));
    else
        strcpy(m->fail.detail, "stopped by the receiver");
    return code;
}

static enum socc_err emit(struct multipart *m, const char *p, size_t n)
{
    if (n == 0 || m->st != ST_BODY || !m->cb.part_data)
        return SOCC_OK;
    return m->cb.part_data(m->cb.ctx, p, n);
}

/* The delimiter was matched in state PREAMBLE or BODY. */
static enum socc_err delimiter_found(struct multipart *m)
{
    enum socc_err e = SOCC_OK;

    if (m->st == ST_BODY && m->cb.part_end)
        e = m->cb.part_end(m->cb.ctx);
    m->st = ST_TAIL;
    return e;
}

/*
 * Scan data (PREAMBLE or BODY) for the delimiter, passing body bytes on.
 * Sets *used to the bytes consumed: all of them, or up to the delimiter's
 * end.
 */
static enum socc_err scan(struct multipart *m, const char *d, size_t n,
                          size_t *used)
{
    size_t i = 0, start = 0;
    const char *cr;
    enum socc_err e = SOCC_OK;

    while (i < n && e == SOCC_OK) {
        if (m->match == 0) {
            cr = memchr(d + i, '\r', n - i);
            i = cr ? (size_t)(cr - d) : n;
            e = emit(m, d + start, i - start);
            if (!cr)
                break;
            m->match = 1;
            start = ++i;
        } else if (d[i] == m->delim[m->match]) {
            start = ++i;
            if (++m->match == m->dlen) {
                m->match = 0;
                *used = i;
                return delimiter_found(m);
            }
        } else {
            e = emit(m, m->delim, m->match);
            m->match = 0;
            start = i;
        }
    }
    *used = n;
    return e;
}

/* One byte after a delimiter. */
static enum socc_err tail_byte(struct multipart *m, char ch)
{
    if (m->st == ST_TAIL && (ch == ' ' || ch == '\t'))
        return SOCC_OK;
    if (m->st == ST_TAIL && ch == '-') {
        m->st = ST_DASH;
    } else if (m->st == ST_DASH && ch == '-') {
        m->st = ST_EPILOGUE;
    } else if ((m->st == ST_TAIL && ch == '\n') ||
               (m->st == ST_LF && ch == '\n')) {
        m->st = ST_HEADERS;
        m->llen = 0;
        m->htotal = 0;
        memset(&m->part, 0, sizeof(m->part));
    } else if (m->st == ST_TAIL && ch == '\r') {
        m->st = ST_LF;
    } else {
        return fail(m, SOCC_E_BAD_REQUEST, "malformed multipart boundary line");
    }
    return SOCC_OK;
}

/* One complete header line (CRLF or LF removed). */
static enum socc_err header_line(struct multipart *m, const char *s,
                                 size_t n, struct socc_error *err)
{
    const char *colon = memchr(s, ':', n), *v;
    size_t nlen, vlen;

    if (!colon)
        return SOCC_OK;
    nlen = (size_t)(colon - s);
    v = colon + 1;
    vlen = n - nlen - 1;
    while (vlen && is_ws(*v)) {
        v++;
        vlen--;
    }
    while (vlen && is_ws(v[vlen - 1]))
        vlen--;
    if (name_is(s, nlen, "content-disposition"))
        return multipart_disposition(v, vlen, &m->part, err);
    if (name_is(s, nlen, "content-type")) {
        if (vlen > MULTIPART_CTYPE_MAX)
            vlen = MULTIPART_CTYPE_MAX;
        memcpy(m->part.content_type, v, vlen);
        m->part.content_type[vlen] = '\0';
    }
    return SOCC_OK;
}

/* The blank line after a part's headers. */
static enum socc_err headers_done(struct multipart *m)
{
    enum socc_err e = SOCC_OK;

    m->st = ST_BODY;
    m->match = 0;
    if (m->cb.part_begin)
        e = m->cb.part_begin(m->cb.ctx, &m->part);
    return e;
}

/* Collect header bytes up to a line end; *used as in scan(). */
static enum socc_err headers(struct multipart *m, const char *d, size_t n,
                             size_t *used, struct socc_error *err)
{
    const char *nl = memchr(d, '\n', n);
    size_t take = nl ? (size_t)(nl - d) + 1 : n, len;

    *used = take;
    m->htotal += take;
    if (m->htotal > MULTIPART_HEADER_MAX)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "part headers longer than %d bytes",
                              MULTIPART_HEADER_MAX);
    memcpy(m->line + m->llen, d, take);
    m->llen += take;
    if (!nl)
        return SOCC_OK;
    len = m->llen - 1;
    if (len && m->line[len - 1] == '\r')
        len--;
    m->llen = 0;
    if (len == 0)
        return headers_done(m);
    return header_line(m, m->line, len, err);
}

static enum socc_err step(struct multipart *m, const char *d, size_t n,
                          size_t *used, struct socc_error *err)
{
    *used = 1;
    switch (m->st) {
    case ST_PREAMBLE:
    case ST_BODY:
        return scan(m, d, n, used);
    case ST_TAIL:
    case ST_DASH:
    case ST_LF:
        return tail_byte(m, d[0]);
    case ST_HEADERS:
        return headers(m, d, n, used, err);
    case ST_EPILOGUE:
        *used = n;
        return SOCC_OK;
    case ST_FAILED:
        break;
    }
    return m->fail.code;
}

enum socc_err multipart_feed(struct multipart *m, const char *data, size_t n,
                             struct socc_error *err)
{
    struct socc_error local;
    size_t used;
    enum socc_err e;

    socc_error_clear(&local);
    while (n > 0 && m->st != ST_FAILED) {
        e = step(m, data, n, &used, &local);
        if (e != SOCC_OK && m->st != ST_FAILED)
            fail_cb(m, e, &local);
        data += used;
        n -= used;
    }
    if (m->st != ST_FAILED)
        return SOCC_OK;
    if (err)
        *err = m->fail;
    return m->fail.code;
}

enum socc_err multipart_finish(struct multipart *m, struct socc_error *err)
{
    if (m->st == ST_FAILED) {
        if (err)
            *err = m->fail;
        return m->fail.code;
    }
    if (m->st != ST_EPILOGUE)
        return socc_error_set(err, SOCC_E_UPLOAD_INCOMPLETE,
                              "body ended before the closing boundary");
    return SOCC_OK;
}
