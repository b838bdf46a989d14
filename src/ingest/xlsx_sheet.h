#ifndef SOCC_XLSX_SHEET_H
#define SOCC_XLSX_SHEET_H

/*
 * One worksheet part streamed into a row sink.  Only the current row is
 * held: its cells' text in one arena, reused row after row.
 */

#include "row.h"
#include "xlsx_part.h"
#include "xlsx_sst.h"
#include "xlsx_styles.h"

/*
 * Read worksheet part and call sink->row() for each row holding a value
 * (not sheet_begin/sheet_end: the caller does).  sst and sty are borrowed.
 */
enum socc_err xlsx_sheet_read(struct xlsx_part_pkg *pkg, const char *part,
                              const struct xlsx_sst *sst,
                              const struct xlsx_styles *sty,
                              const struct row_sink *sink);

#endif
