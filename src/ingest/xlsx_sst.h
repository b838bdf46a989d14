#ifndef SOCC_XLSX_SST_H
#define SOCC_XLSX_SST_H

/*
 * The shared string table (xl/sharedStrings.xml), kept compact: all
 * strings in one byte arena, string i spanning off[i]..off[i+1].
 */

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "xlsx_part.h"

struct xlsx_sst {
    struct buf bytes;  /* every string, decoded, back to back */
    size_t *off;       /* owned; n + 1 offsets into bytes */
    size_t n;          /* strings */
    size_t cap;        /* entries allocated in off */
};

void xlsx_sst_init(struct xlsx_sst *sst);
void xlsx_sst_release(struct xlsx_sst *sst);

/*
 * Read the table from part (may be absent: an empty table).  Strings are
 * rich-text runs concatenated, phonetic runs left out, _xHHHH_ decoded; a
 * string over lim->max_cell characters is LIMIT_EXCEEDED.
 */
enum socc_err xlsx_sst_load(struct xlsx_sst *sst, struct xlsx_part_pkg *pkg,
                            const char *part);

/* String i (borrowed) and its length; -1 when i is out of range. */
static inline int xlsx_sst_get(const struct xlsx_sst *sst, size_t i,
                               const char **s, size_t *len)
{
    if (i >= sst->n)
        return -1;
    *len = sst->off[i + 1] - sst->off[i];
    *s = *len ? sst->bytes.data + sst->off[i] : "";
    return 0;
}

/*
 * Decode ECMA-376 ST_Xstring escapes (_xHHHH_, one UTF-16 code unit each,
 * surrogate pairs joined, lone surrogates as U+FFFD) in s[0..n) in place;
 * returns the new length.
 */
size_t xlsx_sst_unescape(char *s, size_t n);

/* Number of UTF-8 code points in s[0..n) (stray bytes count one each). */
size_t xlsx_sst_chars(const char *s, size_t n);

#endif
