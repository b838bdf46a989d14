#ifndef SOCC_XLSX_STYLES_H
#define SOCC_XLSX_STYLES_H

/*
 * Cell styles as far as the XLSX reader needs them: which cell formats
 * (xl/styles.xml cellXfs) show a number as a date, a time or both, and the
 * conversion of a serial day number to ISO 8601 text.
 */

#include <stddef.h>
#include <stdint.h>

#include "row.h"
#include "xlsx_part.h"

enum xlsx_styles_fmt {
    XLSX_STYLES_NUMBER = 0,  /* not a date: the number stays a number */
    XLSX_STYLES_DATE,        /* date only: "2024-03-01" */
    XLSX_STYLES_DATETIME,    /* "2024-03-01T13:45:00" */
    XLSX_STYLES_TIME,        /* time of day: "13:45:00" */
    XLSX_STYLES_ELAPSED      /* [h]:mm elapsed time: "36:00:00" */
};

struct xlsx_styles {
    uint8_t *xf;    /* owned; enum xlsx_styles_fmt per cellXfs index */
    size_t nxf;     /* entries in xf */
    int date1904;   /* 1 when the workbook counts days from 1904-01-01 */
};

void xlsx_styles_init(struct xlsx_styles *st);
void xlsx_styles_release(struct xlsx_styles *st);

/* Read the styles part (may be absent: then no cell is a date). */
enum socc_err xlsx_styles_load(struct xlsx_styles *st,
                               struct xlsx_part_pkg *pkg, const char *part);

/* Format of cell style index s; unknown indexes are plain numbers. */
static inline enum xlsx_styles_fmt xlsx_styles_of(const struct xlsx_styles *st,
                                                  uint32_t s)
{
    return s < st->nxf ? (enum xlsx_styles_fmt)st->xf[s] : XLSX_STYLES_NUMBER;
}

/* Kind of a built-in number format id, or of a format code. */
enum xlsx_styles_fmt xlsx_styles_builtin(uint32_t id);
enum xlsx_styles_fmt xlsx_styles_classify(const char *code, size_t n);

/*
 * Write serial v under format f as ISO text into out (at least 40 bytes),
 * its length in *len and its kind in *kind (DATE, or STRING for the
 * 1900-02-29 that Excel's 1900 system shows but which never existed).
 * Returns 0, or -1 when v is no date (negative, past 9999-12-31, or f is
 * NUMBER); the caller then keeps the number.
 */
int xlsx_styles_serial(double v, enum xlsx_styles_fmt f, int date1904,
                       char *out, size_t *len, enum row_cell_kind *kind);

#endif
