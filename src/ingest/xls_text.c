#include "xls_text.h"

#include "core/utf8.h"

#include "ingest/serial_date.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Code points of cp1252 bytes 0x80-0x9F; undefined ones map to C1. */
static const uint16_t cp1252_c1[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178
};

static void add_cp(struct buf *out, uint32_t c)
{
    char u[4];

    if (c < 0x80) {
        buf_addc(out, (char)c);
        return;
    }
    buf_add(out, u, utf8_put(u, c));
}

void xls_text_cp_init(struct xls_text_cp *c)
{
    c->cp = 1252;
    c->cd = (iconv_t)-1;
}

void xls_text_cp_release(struct xls_text_cp *c)
{
    if (c->cd != (iconv_t)-1)
        iconv_close(c->cd);
    xls_text_cp_init(c);
}

/* Code pages decoded here without iconv: ASCII, cp1252, Latin-1. */
static int builtin_cp(unsigned cp)
{
    return cp == 367 || cp == 1252 || cp == 0x8001 || cp == 28591 ||
           cp == 1200;
}

int xls_text_cp_set(struct xls_text_cp *c, unsigned cp)
{
    char name[16];
    iconv_t cd;

    if (builtin_cp(cp)) {
        xls_text_cp_release(c);
        c->cp = cp == 28591 ? 28591 : 1252;
        return 0;
    }
    if (cp == 10000 || cp == 0x8000)
        snprintf(name, sizeof(name), "MACINTOSH");
    else
        snprintf(name, sizeof(name), "CP%u", cp);
    cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return -1;
    xls_text_cp_release(c);
    c->cp = cp;
    c->cd = cd;
    return 0;
}

static void add_iconv(struct xls_text_cp *c, struct buf *out,
                      const uint8_t *p, size_t n)
{
    char tmp[512], *in = (char *)p, *o;
    size_t left = n, room;

    iconv(c->cd, NULL, NULL, NULL, NULL);
    while (left > 0) {
        o = tmp;
        room = sizeof(tmp);
        if (iconv(c->cd, &in, &left, &o, &room) == (size_t)-1 &&
            errno != E2BIG) {
            buf_add(out, tmp, (size_t)(o - tmp));
            add_cp(out, 0xFFFD);   /* bad or cut multi-byte sequence */
            in++;
            left--;
            iconv(c->cd, NULL, NULL, NULL, NULL);
            continue;
        }
        buf_add(out, tmp, (size_t)(o - tmp));
    }
}

void xls_text_cp_add(struct xls_text_cp *c, struct buf *out,
                     const uint8_t *p, size_t n)
{
    size_t i;

    if (c->cd != (iconv_t)-1) {
        add_iconv(c, out, p, n);
        return;
    }
    for (i = 0; i < n; i++) {
        uint8_t b = p[i];

        if (b < 0x80)
            buf_addc(out, (char)b);
        else if (b < 0xA0 && c->cp == 1252)
            add_cp(out, cp1252_c1[b - 0x80]);
        else
            add_cp(out, b);
    }
}

void xls_text_latin1_add(struct buf *out, const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] < 0x80)
            buf_addc(out, (char)p[i]);
        else
            add_cp(out, p[i]);
    }
}

void xls_text_utf16_add(struct buf *out, const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        uint32_t c = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8), d;

        if (c >= 0xD800 && c < 0xDC00 && i + 1 < n) {
            d = (uint32_t)(p[2 * i + 2] | p[2 * i + 3] << 8);
            if (d >= 0xDC00 && d < 0xE000) {
                add_cp(out, 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00));
                i++;
                continue;
            }
        }
        add_cp(out, c >= 0xD800 && c < 0xE000 ? 0xFFFD : c);
    }
}

int xls_text_number(char *out, size_t cap, double v)
{
    int n = 0, prec;

    if (!isfinite(v))
        return -1;
    if (v == 0)
        return snprintf(out, cap, "0");
    if (v == floor(v) && fabs(v) < 1e15)
        return snprintf(out, cap, "%.0f", v);
    for (prec = 15; prec <= 17; prec++) {
        n = snprintf(out, cap, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    return n;
}

/*
 * LIMIT: serial 60 of the 1900 system (Excel's 1900-02-29, which never
 * was), negative serials and those past 9999-12-31 are passed as plain
 * numbers, not dates.
 */
int xls_text_date(char *out, size_t cap, double v, int date1904,
                  unsigned kind)
{
    enum serial_date_show show = SERIAL_DATETIME;
    enum row_cell_kind k;
    int n;

    if (kind == XLS_TEXT_DATE)
        show = SERIAL_DATE;
    else if (kind == XLS_TEXT_TIME)
        show = SERIAL_TIME;
    n = serial_date_format(v, date1904, show, out, cap, &k);
    /* 1900-02-29 is no date: keep Excel's serial 60 as a number */
    return k == ROW_CELL_DATE ? n : -1;
}

/* Length of the bracket at f[0] ('['); sets *time for [h] [mm] [ss]. */
static size_t bracket(const char *f, size_t n, int *time)
{
    size_t i = 1;
    int elapsed = 1;

    while (i < n && f[i] != ']') {
        if (!strchr("hHmMsS", f[i]))
            elapsed = 0;
        i++;
    }
    if (i > 1 && elapsed)
        *time = 1;
    return i < n ? i + 1 : n;
}

unsigned xls_text_fmt_kind(const char *f, size_t n)
{
    int date = 0, time = 0, month = 0;
    size_t i = 0;

    while (i < n) {
        char c = f[i];

        if (c == '"') {
            const char *q = memchr(f + i + 1, '"', n - i - 1);
            i = q ? (size_t)(q - f) + 1 : n;
            continue;
        }
        if (c == '[') {
            i += bracket(f + i, n - i, &time);
            continue;
        }
        if (c == '\\' || c == '_' || c == '*') {
            i += 2;
            continue;
        }
        if (n - i >= 5 && strncasecmp(f + i, "am/pm", 5) == 0) {
            time = 1;
            i += 5;
            continue;
        }
        if (n - i >= 3 && strncasecmp(f + i, "a/p", 3) == 0) {
            time = 1;
            i += 3;
            continue;
        }
        switch (c | 0x20) {
        case 'd': case 'y': date = 1; break;
        case 'h': case 's': time = 1; break;
        case 'm': month = 1; break;
        default: break;
        }
        i++;
    }
    if (month && !time)
        date = 1;
    return (date ? XLS_TEXT_DATE : 0u) | (time ? XLS_TEXT_TIME : 0u);
}

unsigned xls_text_builtin_kind(unsigned ifmt)
{
    if ((ifmt >= 14 && ifmt <= 17) || (ifmt >= 27 && ifmt <= 31) ||
        ifmt == 34 || ifmt == 35 || ifmt == 36 || (ifmt >= 50 && ifmt <= 58))
        return XLS_TEXT_DATE;
    if ((ifmt >= 18 && ifmt <= 21) || ifmt == 32 || ifmt == 33 ||
        (ifmt >= 45 && ifmt <= 47))
        return XLS_TEXT_TIME;
    return ifmt == 22 ? XLS_TEXT_DATE | XLS_TEXT_TIME : 0u;
}
