#ifndef SOCC_ROW_H
#define SOCC_ROW_H

/*
 * The one row interface every reader (CSV, XLSX, XLS) speaks.  A reader
 * streams a file and calls the sink: sheet_begin, then row for each row
 * that holds at least one non-empty cell, in file order, then sheet_end;
 * once per sheet, sheets in workbook order.  Readers never hold a whole
 * sheet; what they pass is borrowed for the duration of the call only.
 */

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"

enum row_cell_kind {
    ROW_CELL_EMPTY = 0,  /* no value; text is "" */
    ROW_CELL_STRING,     /* UTF-8 text */
    ROW_CELL_NUMBER,     /* a JSON-valid number: "42", "-1.5", "1e-07" */
    ROW_CELL_BOOL,       /* "true" or "false" */
    ROW_CELL_DATE,       /* ISO 8601: "2024-03-01", "2024-03-01T13:45:00",
                            "13:45:00" for a time of day */
    ROW_CELL_ERROR       /* an error value kept as its text: "#N/A" */
};

struct row_cell {
    const char *text;         /* borrowed; UTF-8, may hold NUL bytes */
    size_t len;               /* bytes in text */
    enum row_cell_kind kind;
};

struct row_sink {
    void *ctx;
    /* A sheet starts.  name is UTF-8, borrowed; "" for CSV. */
    enum socc_err (*sheet_begin)(void *ctx, const char *name, size_t len);
    /*
     * One row.  row_num is the 1-based row number in the sheet (the
     * physical line/record number for CSV).  cells[i] is column i (0-based,
     * column A); ncells counts up to the last non-empty cell.  Rows with no
     * non-empty cell are not passed.  A non-OK return stops the reader,
     * which returns that code.
     */
    enum socc_err (*row)(void *ctx, uint32_t row_num,
                         const struct row_cell *cells, size_t ncells);
    enum socc_err (*sheet_end)(void *ctx);
    /* A non-fatal remark for the upload ("converted from windows-1252"). */
    void (*warn)(void *ctx, const char *msg);
};

/* Limits every reader enforces; violations give SOCC_E_LIMIT_EXCEEDED. */
struct row_limits {
    uint32_t max_cols;          /* columns a sheet (16384 = XFD) */
    uint32_t max_rows;          /* rows a sheet (1048576) */
    uint32_t max_cell;          /* characters an XLSX/XLS cell (32767) */
    uint32_t csv_max_field;     /* bytes a CSV field (1 MiB) */
    uint64_t max_inflated;      /* bytes all XLSX parts may inflate to */
    uint32_t max_ratio;         /* inflated/compressed ratio of one part */
};

/* Fill *lim with the defaults above (max_inflated 2 GiB, max_ratio 200). */
void row_limits_default(struct row_limits *lim);

/*
 * Reader entry points.  Each reads the file at path, calls sink, and
 * returns SOCC_OK or an error with a detail in *err: CORRUPTED_FILE for a
 * broken structure, ENCRYPTED_FILE, LIMIT_EXCEEDED naming the limit, or the
 * sink's own code.
 */
enum socc_err csv_reader_run(const char *path, const struct row_limits *lim,
                             const struct row_sink *sink,
                             struct socc_error *err);
enum socc_err xlsx_reader_run(const char *path, const struct row_limits *lim,
                              const struct row_sink *sink,
                              struct socc_error *err);
enum socc_err xls_reader_run(const char *path, const struct row_limits *lim,
                             const struct row_sink *sink,
                             struct socc_error *err);

/* In-memory variants, for fuzzing and tests; data is borrowed. */
enum socc_err csv_reader_run_mem(const void *data, size_t len,
                                 const struct row_limits *lim,
                                 const struct row_sink *sink,
                                 struct socc_error *err);
enum socc_err xlsx_reader_run_mem(const void *data, size_t len,
                                  const struct row_limits *lim,
                                  const struct row_sink *sink,
                                  struct socc_error *err);

#endif
