#ifndef SOCC_XLSX_BOOK_H
#define SOCC_XLSX_BOOK_H

/*
 * The workbook's table of contents: which parts hold the sheets, in
 * workbook order, the styles and the shared strings, found through the
 * package relationships (_rels/.rels, then the workbook's own .rels).
 */

#include <stddef.h>

#include "row.h"
#include "xlsx_part.h"

struct xlsx_book_sheet {
    char *name;    /* owned; UTF-8 as the workbook lists it */
    char *part;    /* owned; worksheet part, NULL for a sheet with no
                      cells (chartsheet, dialogsheet) */
};

struct xlsx_book {
    char *wb_part;                   /* owned; "xl/workbook.xml" */
    char *styles_part;               /* owned */
    char *sst_part;                  /* owned */
    struct xlsx_book_sheet *sheets;  /* owned; workbook order */
    size_t nsheets, csheets;
    int date1904;                    /* workbookPr date1904 */
};

void xlsx_book_init(struct xlsx_book *b);
void xlsx_book_release(struct xlsx_book *b);

/*
 * Find the workbook and list its sheets.  A missing or broken workbook or
 * workbook relationships part is CORRUPTED_FILE; unreadable package
 * relationships fall back to xl/workbook.xml with a warning to sink.
 */
enum socc_err xlsx_book_load(struct xlsx_book *b, struct xlsx_part_pkg *pkg,
                             const struct row_sink *sink);

/*
 * Part name of target as seen from the folder dir ("xl/"): absolute
 * targets drop their "/", "." and ".." segments are resolved, %XX is
 * decoded.  Returns a malloc'd string or NULL when out of memory.
 */
char *xlsx_book_resolve(const char *dir, const char *target);

#endif
