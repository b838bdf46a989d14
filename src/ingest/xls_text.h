#ifndef SOCC_XLS_TEXT_H
#define SOCC_XLS_TEXT_H

/*
 * Text of XLS values: 8-bit code pages and UTF-16LE to UTF-8, numbers in
 * shortest round-trip form, serial dates as ISO 8601, and which number
 * formats show dates or times.
 */

#include <iconv.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"

/* Bits of a number format's kind. */
#define XLS_TEXT_DATE 1u   /* shows a calendar date */
#define XLS_TEXT_TIME 2u   /* shows a time of day */

/* Decoder of one workbook's 8-bit strings (BIFF2-5, CODEPAGE record). */
struct xls_text_cp {
    unsigned cp;        /* Windows code page number; 1252 by default */
    iconv_t cd;         /* (iconv_t)-1 unless cp needs iconv */
};

void xls_text_cp_init(struct xls_text_cp *c);
/* Switch to code page cp; -1 (and cp1252 kept) when iconv lacks it. */
int xls_text_cp_set(struct xls_text_cp *c, unsigned cp);
void xls_text_cp_release(struct xls_text_cp *c);

/* Append n 8-bit characters of p in code page c to out as UTF-8. */
void xls_text_cp_add(struct xls_text_cp *c, struct buf *out,
                     const uint8_t *p, size_t n);
/* Append n UTF-16LE units (2n bytes) of p as UTF-8; bad ones as U+FFFD. */
void xls_text_utf16_add(struct buf *out, const uint8_t *p, size_t n);
/* Append n Latin-1 characters (BIFF8 "compressed" strings) as UTF-8. */
void xls_text_latin1_add(struct buf *out, const uint8_t *p, size_t n);

/*
 * Write v as JSON number text into out (cap >= 32): integers without a
 * fraction, others in the shortest form that reads back to v.  Returns the
 * length, or -1 for infinities and NaN.
 */
int xls_text_number(char *out, size_t cap, double v);

/*
 * Write serial date v as ISO 8601 into out (cap >= 32).  kind says what the
 * format shows (XLS_TEXT_DATE, XLS_TEXT_TIME or both); a date with a time
 * part, or a time past one day, is written as a full date-time.  Returns
 * the length, or -1 when v is no representable date.
 */
int xls_text_date(char *out, size_t cap, double v, int date1904,
                  unsigned kind);

/* Kind of a format string (UTF-8), and of a built-in format number. */
unsigned xls_text_fmt_kind(const char *fmt, size_t n);
unsigned xls_text_builtin_kind(unsigned ifmt);

#endif
