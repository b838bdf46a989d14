#ifndef SOCC_XLSX_SST_H
#define SOCC_XLSX_SST_H

/*
 * The shared string table (xl/sharedStrings.xml), kept compact: all
 * strings in one byte arena, string i spanning off[i]..off[i+1].  A table
 * allowed to spill (xlsx_sst_allow_spill()) stops growing in memory once
 * its bytes and offsets pass the threshold: strings 0..nmem stay in the
 * arena, every later one goes to temp files read back through a small
 * block cache (xlsx_sst_spill.h), so its memory stays bounded.
 */

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "xlsx_part.h"
#include "xlsx_sst_spill.h"

/* Bytes of strings plus offsets a table may hold in memory by default. */
#define XLSX_SST_SPILL_AT ((size_t)16 << 20)

struct xlsx_sst {
    struct buf bytes;  /* the strings in memory, decoded, back to back */
    size_t *off;       /* owned; offsets into bytes, one past each string
                          in memory, after a leading 0 */
    size_t n;          /* strings */
    size_t nmem;       /* once spilled: strings below it are in memory */
    size_t cap;        /* entries allocated in off */
    size_t spill_at;   /* memory bytes past which to spill; 0: never */
    char *spill_dir;   /* owned; where the temp files go; NULL: $TMPDIR */
    struct xlsx_sst_spill *spill;  /* owned; NULL while in memory */
};

void xlsx_sst_init(struct xlsx_sst *sst);
void xlsx_sst_release(struct xlsx_sst *sst);

/*
 * Let the table spill to temp files in dir (copied; NULL: $TMPDIR, else
 * /tmp) once its string bytes plus offsets pass at bytes; call before
 * xlsx_sst_load().  Whoever enables this must follow the lifetime rule of
 * xlsx_sst_get() for a spilled table.  INTERNAL when out of memory.
 * LIMIT: the XLSX reader does not call this yet (the sheet parser does not
 * call xlsx_sst_row_done()), so a read holds the whole table in memory.
 */
enum socc_err xlsx_sst_allow_spill(struct xlsx_sst *sst, const char *dir,
                                   size_t at);

/*
 * For tests: every table loaded from now on spills past at bytes (into
 * $TMPDIR) as if xlsx_sst_allow_spill() had been called; 0 turns this off.
 */
void xlsx_sst_force_spill(size_t at);

/* 1 when part of the table lives in temp files. */
static inline int xlsx_sst_spilled(const struct xlsx_sst *sst)
{
    return sst->spill != NULL;
}

/*
 * Read the table from part (may be absent: an empty table).  Strings are
 * rich-text runs concatenated, phonetic runs left out, _xHHHH_ decoded; a
 * string over lim->max_cell characters is LIMIT_EXCEEDED.
 */
enum socc_err xlsx_sst_load(struct xlsx_sst *sst, struct xlsx_part_pkg *pkg,
                            const char *part);

/*
 * String i (borrowed) and its length; -1 when i is out of range, -2 when
 * a spilled string could not be read (xlsx_sst_error() tells why).  A
 * string in memory lives as long as the table.  A spilled one is a copy
 * that lives until the next xlsx_sst_row_done(): several strings of one
 * row may be held at once, and the copies pile up until that call.
 */
static inline int xlsx_sst_get(const struct xlsx_sst *sst, size_t i,
                               const char **s, size_t *len)
{
    if (i >= sst->n)
        return -1;
    if (sst->spill && i >= sst->nmem)
        return xlsx_sst_spill_get(sst->spill, i - sst->nmem, s, len);
    *len = sst->off[i + 1] - sst->off[i];
    *s = *len ? sst->bytes.data + sst->off[i] : "";
    return 0;
}

/*
 * The strings handed out so far are no longer used (a row was passed on):
 * a spilled table reuses their memory.  No effect on a table in memory.
 */
static inline void xlsx_sst_row_done(const struct xlsx_sst *sst)
{
    if (sst->spill)
        xlsx_sst_spill_row_done(sst->spill);
}

/* INTERNAL with a detail when a lookup failed to read, else SOCC_OK. */
enum socc_err xlsx_sst_error(const struct xlsx_sst *sst,
                             struct socc_error *err);

/*
 * Decode ECMA-376 ST_Xstring escapes (_xHHHH_, one UTF-16 code unit each,
 * surrogate pairs joined, lone surrogates as U+FFFD) in s[0..n) in place;
 * returns the new length.
 */
size_t xlsx_sst_unescape(char *s, size_t n);

/* Number of UTF-8 code points in s[0..n) (stray bytes count one each). */
size_t xlsx_sst_chars(const char *s, size_t n);

#endif
