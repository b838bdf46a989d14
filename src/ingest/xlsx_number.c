#include "xlsx_number.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Integer digits past which a plain number might not fit a double. */
#define XLSX_NUMBER_FAST_DIGITS 300

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t digits(const char *s, size_t i, size_t n)
{
    while (i < n && digit(s[i]))
        i++;
    return i;
}

/* 1 when s is already a JSON number that surely fits a double. */
static int canonical(const char *s, size_t n)
{
    size_t i = 0, k;

    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !digit(s[i]))
        return 0;
    k = i;
    i = s[i] == '0' ? i + 1 : digits(s, i, n);
    if (i - k > XLSX_NUMBER_FAST_DIGITS)
        return 0;
    if (i < n && s[i] == '.') {
        k = ++i;
        if ((i = digits(s, i, n)) == k)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        k = i;
        i = digits(s, i, n);
        if (i == k || i - k > 2)
            return 0;
    }
    return i == n;
}

static int space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The parts of a number text found by split(). */
struct num_parts {
    int neg;
    const char *ip;     /* integer digits, leading zeros dropped */
    size_t ni;
    const char *fp;     /* fraction digits */
    size_t nf;
    long exp;           /* exponent, saturated at +-100000 */
};

static size_t split_exp(const char *s, size_t i, size_t n, long *exp)
{
    int eneg = 0;
    size_t k;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        eneg = s[i++] == '-';
    for (k = i; i < n && digit(s[i]); i++)
        if (*exp < 100000)
            *exp = *exp * 10 + (s[i] - '0');
    if (i == k)
        return 0;
    if (eneg)
        *exp = -*exp;
    return i;
}

static int split(const char *s, size_t n, struct num_parts *p)
{
    size_t i = 0, k;

    if (i < n && (s[i] == '-' || s[i] == '+'))
        p->neg = s[i++] == '-';
    k = i;
    while (i < n && s[i] == '0')
        i++;
    p->ip = s + i;
    i = digits(s, i, n);
    p->ni = (size_t)(s + i - p->ip);
    if (i < n && s[i] == '.') {
        p->fp = s + ++i;
        i = digits(s, i, n);
        p->nf = (size_t)(s + i - p->fp);
    }
    if (i == k || (i == k + 1 && s[k] == '.'))
        return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E'))
        if ((i = split_exp(s, i + 1, n, &p->exp)) == 0)
            return -1;
    return i == n ? 0 : -1;
}

/* Decimal position of the first significant digit, or LONG_MIN for 0. */
static long magnitude(const struct num_parts *p)
{
    size_t z = 0;

    if (p->ni)
        return (long)p->ni + p->exp;
    while (z < p->nf && p->fp[z] == '0')
        z++;
    return z == p->nf ? -1000000 : p->exp - (long)z;
}

static void emit(const struct num_parts *p, struct buf *out)
{
    buf_reset(out);
    if (p->neg)
        buf_addc(out, '-');
    if (p->ni)
        buf_add(out, p->ip, p->ni);
    else
        buf_addc(out, '0');
    if (p->nf) {
        buf_addc(out, '.');
        buf_add(out, p->fp, p->nf);
    }
    if (p->exp) {
        buf_addc(out, 'e');
        buf_add_i64(out, p->exp);
    }
}

int xlsx_number_norm(const char *s, size_t n, struct buf *out, int *changed)
{
    struct num_parts p = { 0, NULL, 0, NULL, 0, 0 };
    long mag;

    *changed = 0;
    if (canonical(s, n))
        return 0;
    while (n && space(s[n - 1]))
        n--;
    while (n && space(*s))
        s++, n--;
    if (split(s, n, &p) != 0)
        return -1;
    mag = magnitude(&p);
    if (mag == -1000000) {
        p.neg = 0, p.exp = 0;
        p.nf = 0;
    }
    if (mag > 309)
        return -1;
    emit(&p, out);
    if (!buf_ok(out))
        return -1;
    if (mag >= 308 && isinf(strtod(out->data, NULL)))
        return -1;
    *changed = 1;
    return 0;
}

double xlsx_number_value(const char *s, size_t n)
{
    uint64_t m = 0;
    long e10 = 0, ex = 0;
    int sig = 0, neg = 0, frac = 0;
    size_t i = 0;
    double v;

    if (i < n && s[i] == '-')
        neg = 1, i++;
    for (; i < n && (digit(s[i]) || (s[i] == '.' && !frac)); i++) {
        if (s[i] == '.') {
            frac = 1;
            continue;
        }
        if (sig < 19) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            sig += m != 0;
            e10 -= frac;
        } else {
            e10 += !frac;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E'))
        split_exp(s, i + 1, n, &ex);
    e10 += ex;
    v = e10 < 0 ? (double)m / pow(10.0, (double)-e10)
                : (double)m * pow(10.0, (double)e10);
    return neg ? -v : v;
}
