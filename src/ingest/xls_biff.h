#ifndef SOCC_XLS_BIFF_H
#define SOCC_XLS_BIFF_H

/*
 * The BIFF record reader behind xls_reader: BIFF8 and BIFF5 workbook
 * streams (from a CFB container) and the raw single-sheet BIFF2, BIFF3 and
 * BIFF4 files.  Every record length is checked against the stream.
 */

#include <stddef.h>
#include <stdint.h>

#include "row.h"
#include "xls_cfb.h"

/* Where the BIFF stream is: a CFB stream, or raw bytes. */
struct xls_biff_src {
    const struct xls_cfb *cfb;          /* NULL for raw bytes */
    const struct xls_cfb_stream *st;    /* the workbook stream in cfb */
    const uint8_t *raw;                 /* raw BIFF bytes, borrowed */
    size_t rawlen;
};

/* 1 when data starts with a BIFF2, BIFF3 or BIFF4 BOF record. */
int xls_biff_is_raw(const void *data, size_t len);

/*
 * Read every worksheet of the stream into sink (see row.h).  Returns
 * SOCC_OK, CORRUPTED_FILE, ENCRYPTED_FILE (a FILEPASS record),
 * LIMIT_EXCEEDED, UNSUPPORTED (a BIFF4 workbook), or the sink's code.
 */
enum socc_err xls_biff_run(const struct xls_biff_src *src,
                           const struct row_limits *lim,
                           const struct row_sink *sink,
                           struct socc_error *err);

#endif
