/*
 * Streaming CSV reader.
 *
 * Three layers, each working on one bounded buffer:
 *
 *   source   the file, read CSV_BLOCK bytes at a time (or the caller's
 *            memory, borrowed as one block);
 *   decoder  raw bytes to UTF-8 in the record buffer: UTF-8 checked and
 *            copied, bytes that are not valid UTF-8 taken as Windows-1252,
 *            UTF-16 LE/BE (from the BOM) converted;
 *   scanner  splits the record buffer into records and fields (RFC 4180
 *            quoting, CRLF, LF or lone CR line breaks), then hands each
 *            record holding a non-empty field to the row sink.
 *
 * The record buffer holds the current record and what follows it.  When a
 * record runs past the end of the buffer, the record is moved to the front,
 * the buffer refilled (doubled when the record fills more than half of it)
 * and the record scanned again from its start.  A record is thus scanned
 * about twice at most, and memory stays bounded by the largest record,
 * itself bounded by the field limit and CSV_RECORD_MAX.
 *
 * On an error the reader returns at once: sheet_end is called only after
 * the last row of a file read to its end.
 */

#include "row.h"

#include "core/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define CSV_BLOCK (256u * 1024u)      /* bytes read from a file at once */
#define CSV_SNIFF (64u * 1024u)       /* decoded bytes the sniffer reads */
#define CSV_SNIFF_RECORDS 1024        /* records the sniffer reads at most */
#define CSV_RECORD_MAX (64u << 20)    /* bytes one record may take */

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

enum csv_enc { ENC_UTF8, ENC_CP1252, ENC_UTF16LE, ENC_UTF16BE };

/* What the scanner made of the bytes from a record start. */
enum scan_rc {
    SCAN_OK,      /* one whole record */
    SCAN_MORE,    /* the record runs past the window: refill */
    SCAN_FIELD,   /* a field is longer than the field limit */
    SCAN_COLS,    /* more fields than the column limit */
    SCAN_NOMEM
};

#define F_QUOTED 1u   /* the field starts with a quote */
#define F_DIRTY 2u    /* doubled quotes or text after the closing quote */
#define F_OPEN 4u     /* the quote is never closed: runs to end of file */

/* One field of the current record, as offsets into the record buffer. */
struct field {
    size_t start;     /* first byte; the opening quote when quoted */
    size_t end;       /* one past the last byte, before the delimiter */
    unsigned flags;   /* F_* */
};

/* The part of the record buffer the scanner may look at, and the settings
 * it scans with, copied to the stack for the inner loops. */
struct window {
    const unsigned char *buf;   /* the record buffer */
    size_t end;                 /* bytes available */
    int eof;                    /* 1 when nothing follows end */
    unsigned char delim;        /* field delimiter */
    uint64_t dpat;              /* delim in every byte of a word */
    size_t max_field;           /* bytes a field may hold */
};

/* A record the scanner found. */
struct record {
    size_t end;       /* offset just past its line break */
    size_t nfields;   /* fields in csv->fields */
};

struct csv {
    const struct row_limits *lim;   /* borrowed */
    const struct row_sink *sink;    /* borrowed */
    struct socc_error *err;         /* borrowed, may be NULL */

    int fd;                         /* source file, -1 for memory */
    const unsigned char *raw;       /* undecoded bytes */
    unsigned char *raw_own;         /* raw when read from a file, owned */
    size_t raw_pos;                 /* next byte to decode */
    size_t raw_len;                 /* bytes in raw */
    int raw_eof;                    /* the source has nothing more */
    enum csv_enc enc;               /* from the BOM or the first bytes */
    int cp1252;                     /* warned about windows-1252 bytes */

    unsigned char *buf;             /* decoded UTF-8, owned */
    size_t len;                     /* bytes in buf */
    size_t cap;                     /* bytes allocated */
    int eof;                        /* buf holds the rest of the input */
    size_t rec;                     /* start of the current record */
    size_t rec_max;                 /* bytes a record may take */

    unsigned char delim;            /* sniffed field delimiter */
    uint64_t dpat;                  /* delim in every byte of a word */
    struct field *fields;           /* fields of the current record, owned */
    struct row_cell *cells;         /* cells passed to the sink, owned */
    size_t fcap;                    /* entries in fields and in cells */

    uint32_t recno;                 /* records scanned, blank ones too */
    uint32_t nrows;                 /* rows passed to the sink */
    int open_quote;                 /* warned about an unclosed quote */
};

/* Windows-1252 code points of bytes 0x80-0x9f; the five unassigned ones
 * are kept as the C1 control of the same value, as Latin-1 would. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178
};

static const char empty_text[1] = "";

/* ---- decoding ---------------------------------------------------------- */



/* Bytes at the start of s[0..n) that are complete, valid UTF-8. */
static size_t utf8_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    uint64_t w;
    int k;

    while (i < n) {
        if (n - i >= 8) {
            memcpy(&w, s + i, 8);
            if (!(w & HIGHS)) {
                i += 8;
                continue;
            }
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        k = utf8_scan(s + i, n - i);
        if (k <= 0)
            return i;
        i += (size_t)k;
    }
    return i;
}

/* Write byte b taken as Windows-1252 at o (room for 3); returns length. */
static size_t put_cp1252(struct csv *c, unsigned char *o, unsigned char b)
{
    uint32_t cp = b >= 0x80 && b < 0xA0 ? cp1252_high[b - 0x80] : b;

    if (!c->cp1252) {
        c->cp1252 = 1;
        if (c->sink->warn)
            c->sink->warn(c->sink->ctx, "converted from windows-1252");
    }
    return utf8_put((char *)(o), cp);
}

/*
 * Decode UTF-8 input: valid runs are copied, and each byte that does not
 * belong to a valid sequence is taken as Windows-1252, so a UTF-8 file
 * with one stray byte is not garbled.
 * LIMIT: a Windows-1252 file whose first non-ASCII bytes come after its
 * first 64 KiB is read this way too, and a pair in it such as "\xC3\xA9"
 * (A-tilde, copyright sign) that happens to be valid UTF-8 is then read
 * as UTF-8 ("e" acute); real exports hardly ever hold such pairs.
 *
 * Stops when the output has less than 4 bytes of room, or at a sequence
 * cut by the end of the raw bytes while more may come.
 */
static void decode_utf8(struct csv *c)
{
    const unsigned char *s = c->raw + c->raw_pos;
    size_t n = c->raw_len - c->raw_pos, i = 0, room, v;
    int k;

    while (i < n && (room = c->cap - c->len) >= 4) {
        v = utf8_prefix(s + i, n - i < room ? n - i : room);
        memcpy(c->buf + c->len, s + i, v);
        c->len += v;
        i += v;
        if (i == n || c->cap - c->len < 4)
            break;
        k = utf8_scan(s + i, n - i);
        if (k > 0)
            break;
        if (k < 0 && !c->raw_eof)
            break;
        c->len += put_cp1252(c, c->buf + c->len, s[i]);
        i++;
    }
    c->raw_pos += i;
}

/* Decode Windows-1252 input, chosen by detect_encoding.  Same stopping
 * rules as decode_utf8. */
static void decode_cp1252(struct csv *c)
{
    const unsigned char *s = c->raw + c->raw_pos;
    size_t n = c->raw_len - c->raw_pos, i = 0;
    uint64_t w;

    while (i < n && c->cap - c->len >= 4) {
        if (n - i >= 8 && c->cap - c->len >= 8) {
            memcpy(&w, s + i, 8);
            if (!(w & HIGHS)) {
                memcpy(c->buf + c->len, &w, 8);
                c->len += 8;
                i += 8;
                continue;
            }
        }
        if (s[i] < 0x80)
            c->buf[c->len++] = s[i];
        else
            c->len += put_cp1252(c, c->buf + c->len, s[i]);
        i++;
    }
    c->raw_pos += i;
}

/* Decode UTF-16 input; unpaired surrogates and a dangling byte at the end
 * become U+FFFD.  Same stopping rules as decode_utf8. */
static void decode_utf16(struct csv *c)
{
    const unsigned char *s = c->raw + c->raw_pos;
    size_t n = c->raw_len - c->raw_pos, i = 0;
    int be = c->enc == ENC_UTF16BE;
    uint32_t u, v;

    while (c->cap - c->len >= 4) {
        if (n - i < 2) {
            if (n - i == 1 && c->raw_eof) {
                c->len += utf8_put((char *)(c->buf + c->len), 0xFFFD);
                i++;
            }
            break;
        }
        u = be ? (uint32_t)s[i] << 8 | s[i + 1]
               : (uint32_t)s[i + 1] << 8 | s[i];
        if (u >= 0xD800 && u < 0xDC00) {
            if (n - i < 4 && !c->raw_eof)
                break;
            v = 0;
            if (n - i >= 4)
                v = be ? (uint32_t)s[i + 2] << 8 | s[i + 3]
                       : (uint32_t)s[i + 3] << 8 | s[i + 2];
            if (v >= 0xDC00 && v < 0xE000) {
                u = 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00);
                i += 2;
            } else {
                u = 0xFFFD;
            }
        } else if (u >= 0xDC00 && u < 0xE000) {
            u = 0xFFFD;
        }
        c->len += utf8_put((char *)(c->buf + c->len), u);
        i += 2;
    }
    c->raw_pos += i;
}

/* Read the next block of a file into raw, keeping undecoded bytes. */
static enum socc_err read_raw(struct csv *c)
{
    size_t keep = c->raw_len - c->raw_pos;
    ssize_t got;

    if (c->fd < 0) {
        c->raw_eof = 1;
        return SOCC_OK;
    }
    memmove(c->raw_own, c->raw_own + c->raw_pos, keep);
    c->raw_pos = 0;
    c->raw_len = keep;
    do {
        got = read(c->fd, c->raw_own + keep, CSV_BLOCK - keep);
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return socc_error_set(c->err, SOCC_E_INTERNAL,
                              "csv read failed: %s", strerror(errno));
    if (got == 0)
        c->raw_eof = 1;
    c->raw_len += (size_t)got;
    return SOCC_OK;
}

/*
 * Windows-1252 when the first CSV_SNIFF bytes after s hold a byte that is
 * not valid UTF-8 and no multi-byte UTF-8 sequence at all: then every
 * byte above 0x7f is taken as Windows-1252, including pairs that would
 * happen to be valid UTF-8.
 */
static int looks_cp1252(const unsigned char *s, size_t n)
{
    size_t i = 0, v;
    int k, multi = 0, bad = 0;

    if (n > CSV_SNIFF)
        n = CSV_SNIFF;
    while (i < n) {
        v = utf8_prefix(s + i, n - i);
        for (; v > 0; v--, i++)
            multi |= s[i] >= 0x80;
        if (i == n)
            break;
        k = utf8_scan(s + i, n - i);
        if (k < 0)
            break;
        bad = 1;
        i++;
    }
    return bad && !multi;
}

/* Read the start of the input and pick the encoding from its BOM, or
 * from its first bytes when it has none. */
static enum socc_err detect_encoding(struct csv *c)
{
    const unsigned char *s;
    enum socc_err rc;

    while (c->raw_len < 4 && !c->raw_eof) {
        rc = read_raw(c);
        if (rc != SOCC_OK)
            return rc;
    }
    s = c->raw;
    if (c->raw_len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        c->raw_pos = 3;
    } else if (c->raw_len >= 2 && s[0] == 0xFF && s[1] == 0xFE) {
        c->enc = ENC_UTF16LE;
        c->raw_pos = 2;
    } else if (c->raw_len >= 2 && s[0] == 0xFE && s[1] == 0xFF) {
        c->enc = ENC_UTF16BE;
        c->raw_pos = 2;
    } else if (looks_cp1252(s, c->raw_len)) {
        c->enc = ENC_CP1252;
    }
    /* LIMIT: UTF-16 without a BOM and UTF-32 are not recognised; such a
     * file is read as 8-bit text with NUL bytes between the letters. */
    return SOCC_OK;
}

/* ---- the record buffer ------------------------------------------------- */

/*
 * Move the current record to the front of the buffer, make room (doubling
 * when the record fills more than half of it), and decode until the buffer
 * is full or the input ends.
 */
static enum socc_err fill(struct csv *c)
{
    size_t keep = c->len - c->rec, ncap;
    unsigned char *nbuf;
    enum socc_err rc;

    if (keep > c->rec_max)
        return socc_error_set(c->err, SOCC_E_LIMIT_EXCEEDED,
                              "csv record longer than %zu bytes at line %u",
                              c->rec_max, c->recno + 1);
    memmove(c->buf, c->buf + c->rec, keep);
    c->len = keep;
    c->rec = 0;
    if (keep > c->cap / 2 && c->cap < c->rec_max + 64) {
        ncap = c->cap * 2 < c->rec_max + 64 ? c->cap * 2 : c->rec_max + 64;
        nbuf = realloc(c->buf, ncap);
        if (!nbuf)
            return socc_error_set(c->err, SOCC_E_INTERNAL,
                                  "csv reader out of memory (%zu bytes)", ncap);
        c->buf = nbuf;
        c->cap = ncap;
    }
    while (!c->eof && c->cap - c->len >= 4) {
        if (c->enc == ENC_UTF8)
            decode_utf8(c);
        else if (c->enc == ENC_CP1252)
            decode_cp1252(c);
        else
            decode_utf16(c);
        if (c->cap - c->len < 4)
            break;
        if (c->raw_eof) {
            c->eof = 1;
            break;
        }
        rc = read_raw(c);
        if (rc != SOCC_OK)
            return rc;
    }
    return SOCC_OK;
}

/* Make room for one more field in fields and cells. */
static int grow_fields(struct csv *c)
{
    size_t n = c->fcap ? c->fcap * 2 : 64;
    struct field *f;
    struct row_cell *cells;

    f = realloc(c->fields, n * sizeof(*f));
    if (!f)
        return -1;
    c->fields = f;
    cells = realloc(c->cells, n * sizeof(*cells));
    if (!cells)
        return -1;
    c->cells = cells;
    c->fcap = n;
    return 0;
}

/* ---- scanning ---------------------------------------------------------- */

/* Each byte of w that is zero gets its high bit set; bits above the first
 * zero byte may be set wrongly, so only the lowest set bit is exact. */
static inline uint64_t zero_bytes(uint64_t w)
{
    return (w - ONES) & ~w & HIGHS;
}

/* Offset of the first of delim, LF or CR in s[0..n), or n.  Sixteen bytes
 * at a time with SSE2, then eight in a word, then one by one: fields are
 * short, so the first pass mostly finds the end. */
static inline size_t find_stop(const unsigned char *s, size_t n,
                               uint64_t dpat, unsigned char d)
{
    size_t i = 0;
    uint64_t w, m;
#ifdef __SSE2__
    __m128i vd = _mm_set1_epi8((char)d), vl = _mm_set1_epi8('\n');
    __m128i vr = _mm_set1_epi8('\r'), x;
    unsigned mm;

    for (; n - i >= 16; i += 16) {
        x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        mm = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vl)),
            _mm_cmpeq_epi8(x, vr)));
        if (mm)
            return i + (size_t)__builtin_ctz(mm);
    }
#endif

    for (; n - i >= 8; i += 8) {
        memcpy(&w, s + i, 8);
        m = zero_bytes(w ^ dpat) | zero_bytes(w ^ (ONES * '\n')) |
            zero_bytes(w ^ (ONES * '\r'));
        if (m) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return i + ((size_t)__builtin_ctzll(m) >> 3);
#else
            break;
#endif
        }
    }
    for (; i < n; i++)
        if (s[i] == d || s[i] == '\n' || s[i] == '\r')
            return i;
    return n;
}

/*
 * Scan the quoted field whose opening quote is at p: doubled quotes stay
 * in the field, and text after the closing quote up to the delimiter is
 * kept as it is (as most readers do).  *stop gets the offset after it.
 * LIMIT: a backslash does not escape a quote ("a \"b\"" as MySQL writes
 * it); such a field ends at the first quote and the rest is kept as text.
 */
static enum scan_rc scan_quoted(const struct window *w, size_t p,
                                struct field *f, size_t *stop)
{
    const unsigned char *b = w->buf, *hit;
    size_t q = p + 1, clen = 0, h, t;

    f->start = p;
    f->flags = F_QUOTED;
    for (;;) {
        hit = memchr(b + q, '"', w->end - q);
        h = hit ? (size_t)(hit - b) : w->end;
        clen += h - q;
        if (clen > w->max_field)
            return SCAN_FIELD;
        if (!hit || (h + 1 == w->end && !w->eof)) {
            if (!w->eof)
                return SCAN_MORE;
            f->flags |= F_OPEN;
            f->end = *stop = w->end;
            return SCAN_OK;
        }
        if (h + 1 == w->end || b[h + 1] != '"')
            break;
        clen++;
        f->flags |= F_DIRTY;
        q = h + 2;
    }
    q = h + 1;
    t = q + find_stop(b + q, w->end - q, w->dpat, w->delim);
    clen += t - q;
    if (clen > w->max_field)
        return SCAN_FIELD;
    if (t == w->end && !w->eof)
        return SCAN_MORE;
    if (t > q)
        f->flags |= F_DIRTY;
    f->end = *stop = t;
    return SCAN_OK;
}

/* Scan the unquoted field at p; quotes inside it are plain text. */
static enum scan_rc scan_plain(const struct window *w, size_t p,
                               struct field *f, size_t *stop)
{
    size_t t = p + find_stop(w->buf + p, w->end - p, w->dpat, w->delim);

    if (t - p > w->max_field)
        return SCAN_FIELD;
    if (t == w->end && !w->eof)
        return SCAN_MORE;
    f->start = p;
    f->end = *stop = t;
    f->flags = 0;
    return SCAN_OK;
}

/*
 * Scan the record that starts at p in c->buf[0..end); eof says whether
 * anything follows end.  p < end unless eof.
 */
static enum scan_rc scan_record(struct csv *c, size_t end, int eof, size_t p,
                                struct record *r)
{
    struct window w = { c->buf, end, eof, c->delim, c->dpat,
                        c->lim->csv_max_field };
    const unsigned char *b = c->buf;
    size_t nf = 0, t = p, room = 0;
    enum scan_rc rc;

    for (;;) {
        if (nf == room) {
            if (nf >= c->lim->max_cols)
                return SCAN_COLS;
            if (nf == c->fcap && grow_fields(c) != 0)
                return SCAN_NOMEM;
            room = c->fcap < c->lim->max_cols ? c->fcap : c->lim->max_cols;
        }
        if (p < end && b[p] == '"')
            rc = scan_quoted(&w, p, &c->fields[nf], &t);
        else
            rc = scan_plain(&w, p, &c->fields[nf], &t);
        if (rc != SCAN_OK)
            return rc;
        nf++;
        if (t < end && b[t] == w.delim) {
            p = t + 1;
            continue;
        }
        if (t == end || b[t] == '\n') {
            r->end = t == end ? t : t + 1;
            break;
        }
        if (t + 1 == end && !eof)
            return SCAN_MORE;
        r->end = t + 1 < end && b[t + 1] == '\n' ? t + 2 : t + 1;
        break;
    }
    r->nfields = nf;
    return SCAN_OK;
}

/* ---- sniffing ---------------------------------------------------------- */

static void set_delim(struct csv *c, unsigned char d)
{
    c->delim = d;
    c->dpat = ONES * d;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;

    return x < y ? -1 : x > y;
}

/*
 * Score delimiter d on the sniff window: the share of non-blank records
 * whose field count equals the most common count above one (*mode).  The
 * window is parsed with d, so a d inside quotes does not count.
 */
static double sniff_score(struct csv *c, unsigned char d, size_t *mode)
{
    size_t counts[CSV_SNIFF_RECORDS] = { 0 };
    size_t n = 0, i, run, best = 0, p = 0, end;
    struct record r;
    int eof;

    end = c->len < CSV_SNIFF ? c->len : CSV_SNIFF;
    eof = c->eof && end == c->len;
    set_delim(c, d);
    while (n < CSV_SNIFF_RECORDS && p < end) {
        if (scan_record(c, end, eof, p, &r) != SCAN_OK)
            break;
        p = r.end;
        if (r.nfields > 1 || c->fields[0].end > c->fields[0].start)
            counts[n++] = r.nfields;
    }
    *mode = 0;
    if (n == 0)
        return 0.0;
    qsort(counts, n, sizeof(counts[0]), cmp_size);
    for (i = 0; i < n; i += run) {
        for (run = 1; i + run < n && counts[i + run] == counts[i]; run++)
            ;
        if (counts[i] > 1 && run >= best) {
            best = run;
            *mode = counts[i];
        }
    }
    return (double)best / (double)n;
}

/* Pick the delimiter whose field counts are the most consistent; comma
 * when none splits any record. */
static void sniff(struct csv *c)
{
    static const unsigned char cand[] = { ',', ';', '\t', '|' };
    unsigned char pick = ',';
    double best = 0.0, s;
    size_t i, mode, best_mode = 0;

    for (i = 0; i < sizeof(cand); i++) {
        s = sniff_score(c, cand[i], &mode);
        if (mode > 1 && (s > best || (s == best && mode > best_mode))) {
            best = s;
            best_mode = mode;
            pick = cand[i];
        }
    }
    set_delim(c, pick);
}

/* ---- rows -------------------------------------------------------------- */

/* Remove the quoting of a dirty quoted field in place; returns its length. */
static size_t unquote(unsigned char *b, const struct field *f)
{
    size_t i = f->start + 1, o = i, h;
    const unsigned char *hit;

    while (i < f->end) {
        hit = memchr(b + i, '"', f->end - i);
        h = hit ? (size_t)(hit - b) : f->end;
        memmove(b + o, b + i, h - i);
        o += h - i;
        if (h + 1 < f->end && b[h + 1] == '"') {
            b[o++] = '"';
            i = h + 2;
            continue;
        }
        i = h + 1;
        if (h < f->end) {
            memmove(b + o, b + i, f->end - i);
            o += f->end - i;
        }
        break;
    }
    return o - (f->start + 1);
}

/* Fill cell from field f. */
static void field_cell(unsigned char *b, const struct field *f,
                       struct row_cell *cell)
{
    size_t start = f->start, len = f->end - f->start;

    if (f->flags & F_DIRTY) {
        start++;
        len = unquote(b, f);
    } else if (f->flags & F_QUOTED) {
        start++;
        len -= f->flags & F_OPEN ? 1 : 2;
    }
    cell->len = len;
    cell->kind = len ? ROW_CELL_STRING : ROW_CELL_EMPTY;
    cell->text = len ? (const char *)b + start : empty_text;
}

/* Pass the scanned record to the sink unless all its fields are empty. */
static enum socc_err emit(struct csv *c, const struct record *r)
{
    size_t i, n = 0;
    enum socc_err rc;

    for (i = 0; i < r->nfields; i++) {
        field_cell(c->buf, &c->fields[i], &c->cells[i]);
        if (c->cells[i].len)
            n = i + 1;
    }
    if ((c->fields[r->nfields - 1].flags & F_OPEN) && !c->open_quote) {
        c->open_quote = 1;
        if (c->sink->warn)
            c->sink->warn(c->sink->ctx, "csv quoted field not closed before "
                          "end of file; kept up to the end");
    }
    if (n == 0)
        return SOCC_OK;
    if (c->nrows >= c->lim->max_rows)
        return socc_error_set(c->err, SOCC_E_LIMIT_EXCEEDED,
                              "csv file has more than %u rows",
                              c->lim->max_rows);
    c->nrows++;
    rc = c->sink->row(c->sink->ctx, c->recno, c->cells, n);
    if (rc != SOCC_OK)
        return socc_error_set(c->err, rc, "row sink stopped at line %u",
                              c->recno);
    return SOCC_OK;
}

/* Turn a scanner failure for the record now being read into an error. */
static enum socc_err scan_error(struct csv *c, enum scan_rc sr)
{
    uint32_t line = c->recno + 1;

    if (sr == SCAN_FIELD)
        return socc_error_set(c->err, SOCC_E_LIMIT_EXCEEDED,
                              "csv field longer than %u bytes at line %u",
                              c->lim->csv_max_field, line);
    if (sr == SCAN_COLS)
        return socc_error_set(c->err, SOCC_E_LIMIT_EXCEEDED,
                              "csv record with more than %u fields at line %u",
                              c->lim->max_cols, line);
    return socc_error_set(c->err, SOCC_E_INTERNAL,
                          "csv reader out of memory at line %u", line);
}

/* Read every record and pass the rows on. */
static enum socc_err read_records(struct csv *c)
{
    struct record r;
    enum scan_rc sr;
    enum socc_err rc;
    size_t before;

    for (;;) {
        if (c->rec == c->len && c->eof)
            return SOCC_OK;
        sr = scan_record(c, c->len, c->eof, c->rec, &r);
        if (sr == SCAN_MORE) {
            before = c->len - c->rec;
            rc = fill(c);
            if (rc != SOCC_OK)
                return rc;
            /* cannot happen: fill always adds bytes or reaches the end */
            if (c->len == before && !c->eof)
                return socc_error_set(c->err, SOCC_E_INTERNAL,
                                      "csv reader stalled at line %u",
                                      c->recno + 1);
            continue;
        }
        if (sr != SCAN_OK)
            return scan_error(c, sr);
        if (c->recno == UINT32_MAX)
            return socc_error_set(c->err, SOCC_E_LIMIT_EXCEEDED,
                                  "csv file has more than %u lines",
                                  UINT32_MAX);
        c->recno++;
        rc = emit(c, &r);
        if (rc != SOCC_OK)
            return rc;
        c->rec = r.end;
    }
}

/* Run the reader over the source set up in c. */
static enum socc_err run(struct csv *c)
{
    const struct row_sink *s = c->sink;
    enum socc_err rc;

    c->rec_max = CSV_RECORD_MAX;
    if (c->lim->csv_max_field > CSV_RECORD_MAX / 4)
        c->rec_max = (size_t)c->lim->csv_max_field * 4;
    c->cap = CSV_BLOCK;
    c->buf = malloc(c->cap);
    if (!c->buf || grow_fields(c) != 0)
        return socc_error_set(c->err, SOCC_E_INTERNAL,
                              "csv reader out of memory");
    rc = s->sheet_begin(s->ctx, "", 0);
    if (rc != SOCC_OK)
        return socc_error_set(c->err, rc, "row sink refused the sheet");
    rc = detect_encoding(c);
    if (rc == SOCC_OK)
        rc = fill(c);
    if (rc != SOCC_OK)
        return rc;
    sniff(c);
    rc = read_records(c);
    if (rc != SOCC_OK)
        return rc;
    rc = s->sheet_end(s->ctx);
    if (rc != SOCC_OK)
        return socc_error_set(c->err, rc, "row sink refused the sheet end");
    return SOCC_OK;
}

static void csv_init(struct csv *c, const struct row_limits *lim,
                     const struct row_sink *sink, struct socc_error *err)
{
    memset(c, 0, sizeof(*c));
    c->lim = lim;
    c->sink = sink;
    c->err = err;
    c->fd = -1;
    c->enc = ENC_UTF8;
    set_delim(c, ',');
}

static void csv_release(struct csv *c)
{
    free(c->raw_own);
    free(c->buf);
    free(c->fields);
    free(c->cells);
}

static int sink_ok(const struct row_sink *sink)
{
    return sink && sink->sheet_begin && sink->row && sink->sheet_end;
}

enum socc_err csv_reader_run(const char *path, const struct row_limits *lim,
                             const struct row_sink *sink,
                             struct socc_error *err)
{
    struct csv c;
    enum socc_err rc;

    if (!path || !lim || !sink_ok(sink))
        return socc_error_set(err, SOCC_E_INTERNAL,
                              "csv reader called without path, limits or sink");
    csv_init(&c, lim, sink, err);
    c.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (c.fd < 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot open '%s': %s",
                              path, strerror(errno));
    c.raw_own = malloc(CSV_BLOCK);
    c.raw = c.raw_own;
    if (!c.raw_own)
        rc = socc_error_set(err, SOCC_E_INTERNAL, "csv reader out of memory");
    else
        rc = run(&c);
    close(c.fd);
    csv_release(&c);
    return rc;
}

enum socc_err csv_reader_run_mem(const void *data, size_t len,
                                 const struct row_limits *lim,
                                 const struct row_sink *sink,
                                 struct socc_error *err)
{
    struct csv c;
    enum socc_err rc;

    if (!lim || !sink_ok(sink) || (!data && len))
        return socc_error_set(err, SOCC_E_INTERNAL,
                              "csv reader called without data, limits or sink");
    csv_init(&c, lim, sink, err);
    c.raw = data ? data : (const void *)empty_text;
    c.raw_len = len;
    c.raw_eof = 1;
    rc = run(&c);
    csv_release(&c);
    return rc;
}
