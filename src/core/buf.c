#include "buf.h"

#include "core/utf8.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = 0;
}

void buf_release(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *buf_detach(struct buf *b)
{
    char *p = b->data;

    if (!p)
        p = calloc(1, 1);
    buf_init(b);
    return p;
}

int buf_ok(const struct buf *b) { return !b->oom; }

int buf_reserve(struct buf *b, size_t n)
{
    size_t want, ncap;
    char *p;

    if (b->oom)
        return -1;
    if (n > SIZE_MAX / 2 - b->len) {
        b->oom = 1;
        return -1;
    }
    want = b->len + n + 1;
    if (want <= b->cap)
        return 0;
    ncap = b->cap ? b->cap : 64;
    while (ncap < want)
        ncap *= 2;
    p = realloc(b->data, ncap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = ncap;
    return 0;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

void buf_addc(struct buf *b, char c)
{
    if (b->len + 1 < b->cap && !b->oom) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return;
    }
    buf_add(b, &c, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_add_i64(struct buf *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);

    buf_add(b, tmp, (size_t)n);
}

static const char hexd[] = "0123456789abcdef";



/* 1 when one of the 8 bytes of w needs care: < 0x20, '"', '\\', >= 0x80. */
static int word_special(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t ctrl = (w - ones * 0x20) & ~w;
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');

    q = (q - ones) & ~q;
    bs = (bs - ones) & ~bs;
    return ((ctrl | q | bs) & high) != 0 || (w & high) != 0;
}

static int byte_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Write the escape for one ASCII byte at o; returns bytes written. */
static size_t escape_ascii(unsigned char c, char *o)
{
    switch (c) {
    case '"': memcpy(o, "\\\"", 2); return 2;
    case '\\': memcpy(o, "\\\\", 2); return 2;
    case '\n': memcpy(o, "\\n", 2); return 2;
    case '\r': memcpy(o, "\\r", 2); return 2;
    case '\t': memcpy(o, "\\t", 2); return 2;
    default:
        memcpy(o, "\\u00", 4);
        o[4] = hexd[c >> 4];
        o[5] = hexd[c & 15];
        return 6;
    }
}

void buf_add_json_str(struct buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    uint64_t w;
    char *o;

    /* worst case: every byte becomes a 6-byte escape */
    if (n > (SIZE_MAX - 8) / 6 || buf_reserve(b, n * 6 + 2) != 0) {
        b->oom = 1;
        return;
    }
    o = b->data + b->len;
    *o++ = '"';
    while (i < n) {
        while (i + 8 <= n) {
            memcpy(&w, p + i, 8);
            if (word_special(w))
                break;
            memcpy(o, p + i, 8);
            o += 8;
            i += 8;
        }
        while (i < n && byte_plain(p[i]))
            *o++ = (char)p[i++];
        if (i >= n)
            break;
        if (p[i] < 0x80) {
            o += escape_ascii(p[i++], o);
        } else if ((k = utf8_valid(p + i, n - i)) != 0) {
            memcpy(o, p + i, k);
            o += k;
            i += k;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}

void buf_add_json_strz(struct buf *b, const char *s)
{
    if (!s) {
        buf_add(b, "null", 4);
        return;
    }
    buf_add_json_str(b, s, strlen(s));
}
