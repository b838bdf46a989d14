#ifndef SOCC_SERIAL_DATE_H
#define SOCC_SERIAL_DATE_H

/*
 * Spreadsheet serial dates (days since 1899-12-30, or since 1904-01-01 in
 * the 1904 system, the fraction being the time of day) to ISO 8601.  One
 * rule for XLSX and XLS: the cell's number format says what to show, but
 * no part of the value is dropped.
 */

#include <stddef.h>

#include "ingest/row.h"

enum serial_date_show {
    SERIAL_DATE,       /* a calendar date: "2024-03-01" */
    SERIAL_TIME,       /* a time of day: "13:45:07" */
    SERIAL_DATETIME,   /* "2024-03-01T13:45:07" */
    SERIAL_ELAPSED     /* [h]:mm:ss, hours past 24: "36:00:00" */
};

/*
 * Write v into out (cap >= 40).  Milliseconds are kept when the value has
 * them ("13:45:07.250"); a date format whose value has a time of day, and a
 * time format whose value has a date, write the full date-time.  Serial 60
 * of the 1900 system is Excel's 1900-02-29, a day that never was: it is
 * written as Excel shows it with *kind ROW_CELL_STRING; otherwise *kind is
 * ROW_CELL_DATE.  Returns the length, or -1 when v is negative, not finite
 * or past 9999-12-31 (keep it as a number then).
 */
int serial_date_format(double v, int date1904, enum serial_date_show show,
                       char *out, size_t cap, enum row_cell_kind *kind);

#endif
