#ifndef SOCC_XLS_READER_H
#define SOCC_XLS_READER_H

/*
 * The .xls reader: BIFF8 and BIFF5 workbooks in an OLE2 (CFB) container,
 * and the raw single-sheet BIFF2, BIFF3 and BIFF4 files of Excel 2-4.
 * xls_reader_run() (declared in row.h) reads a file; this entry reads bytes.
 */

#include <stddef.h>

#include "row.h"

/*
 * Read the workbook held in data[0..len) (borrowed) into sink, as
 * xls_reader_run() does for a file.  lim may be NULL for the defaults.
 * INVALID_FILE_TYPE when the bytes are neither CFB nor BIFF2-4.
 */
enum socc_err xls_reader_run_mem(const void *data, size_t len,
                                 const struct row_limits *lim,
                                 const struct row_sink *sink,
                                 struct socc_error *err);

#endif
