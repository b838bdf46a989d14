#ifndef SOCC_DETECT_H
#define SOCC_DETECT_H

/*
 * What a file is, from its content (magic bytes and structure), never from
 * its name.  The pipeline compares the answer with the file name.
 */

#include <stddef.h>

#include "core/err.h"

enum detect_kind {
    DETECT_EMPTY,        /* zero bytes or only white space */
    DETECT_TEXT,         /* CSV candidate: UTF-8, UTF-16 with BOM, 8-bit */
    DETECT_XLSX,         /* ZIP with [Content_Types].xml and a workbook */
    DETECT_XLS,          /* OLE2 compound file with a Workbook/Book stream */
    DETECT_BIFF_RAW,     /* BIFF2-4 stream without a container */
    DETECT_ENCRYPTED,    /* OLE2 holding an encrypted OOXML package */
    DETECT_OTHER         /* anything else: see detect_result.what */
};

struct detect_result {
    enum detect_kind kind;
    char what[96];       /* human name: "a PNG image", "an HTML document" */
};

/*
 * Look at the file at path.  Returns SOCC_OK with *out filled, or
 * CORRUPTED_FILE when the content claims a container (ZIP, OLE2) whose
 * structure is broken, or INTERNAL on an I/O error.
 */
enum socc_err detect_file(const char *path, struct detect_result *out,
                          struct socc_error *err);

/* Same on bytes in memory (borrowed). */
enum socc_err detect_mem(const void *data, size_t len,
                         struct detect_result *out, struct socc_error *err);

/* Short name of a kind: "empty", "csv", "xlsx", "xls", "xls", ... */
const char *detect_kind_name(enum detect_kind k);

#endif
