#include "json_decode.h"

#include <stdint.h>

#include "core/utf8.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The 4 hex digits at p (room checked by the caller); -1 when not hex. */
static long hex4(const char *p)
{
    long v = 0;
    int i, d;

    for (i = 0; i < 4; i++) {
        d = hexval(p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A \u escape at raw[*i] ('u' after the backslash); its code point or -1. */
static long unicode_escape(const char *raw, size_t end, size_t *i)
{
    long hi, lo;

    if (*i + 4 >= end || (hi = hex4(raw + *i + 1)) < 0)
        return -1;
    *i += 4;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return -1;
    if (hi < 0xD800 || hi > 0xDBFF)
        return hi;
    /* a high surrogate must be followed by \u and a low one */
    if (*i + 6 >= end || raw[*i + 1] != '\\' || raw[*i + 2] != 'u' ||
        (lo = hex4(raw + *i + 3)) < 0xDC00 || lo > 0xDFFF)
        return -1;
    *i += 6;
    return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
}

static int simple_escape(char c, char *out)
{
    switch (c) {
    case '"': *out = '"'; return 0;
    case '\\': *out = '\\'; return 0;
    case '/': *out = '/'; return 0;
    case 'b': *out = '\b'; return 0;
    case 'f': *out = '\f'; return 0;
    case 'n': *out = '\n'; return 0;
    case 'r': *out = '\r'; return 0;
    case 't': *out = '\t'; return 0;
    default: return -1;
    }
}

int json_decode_string(const char *raw, size_t n, struct buf *out)
{
    size_t i, end, k;
    char enc[4], c;
    long cp;

    if (n < 2 || raw[0] != '"' || raw[n - 1] != '"')
        return -1;
    end = n - 1;
    for (i = 1; i < end; i++) {
        unsigned char u = (unsigned char)raw[i];
        if (u < 0x20 || u == '"')
            return -1;
        if (u >= 0x80) {
            k = utf8_valid((const unsigned char *)raw + i, end - i);
            if (k == 0)
                return -1;
            buf_add(out, raw + i, k);
            i += k - 1;
            continue;
        }
        if (u != '\\') {
            buf_addc(out, (char)u);
            continue;
        }
        if (++i >= end)
            return -1;
        if (raw[i] == 'u') {
            cp = unicode_escape(raw, end, &i);
            if (cp <= 0)
                return -1;
            buf_add(out, enc, utf8_put(enc, (uint32_t)cp));
        } else if (simple_escape(raw[i], &c) == 0) {
            buf_addc(out, c);
        } else {
            return -1;
        }
    }
    return buf_ok(out) ? 0 : -1;
}
