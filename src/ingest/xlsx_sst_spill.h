#ifndef SOCC_XLSX_SST_SPILL_H
#define SOCC_XLSX_SST_SPILL_H

/*
 * A shared string table kept on disk: the string bytes and the string
 * offsets each go to a temp file that is unlinked as soon as it is open,
 * so nothing is left behind even if the process dies.  Lookups go through
 * a fixed direct-mapped cache of 64 KiB blocks (8 MiB for the bytes, 1 MiB
 * for the offsets) filled with pread: the files are never mapped, so the
 * resident size stays bounded whatever the table's size.  Internal to
 * xlsx_sst.c.
 */

#include <stddef.h>

#include "../core/err.h"

#define XLSX_SST_SPILL_BLOCK (64 * 1024)   /* bytes of one cache block */
#define XLSX_SST_SPILL_SLOTS 128           /* blocks cached of the bytes */
#define XLSX_SST_SPILL_OFF_SLOTS 16        /* blocks cached of the offsets */

struct xlsx_sst_spill;

/*
 * Make an empty table with its files in dir (NULL or "": $TMPDIR, else
 * /tmp).  INTERNAL with a detail when the files cannot be made,
 * STORAGE_FULL when the directory has no room.  Free with _free().
 */
enum socc_err xlsx_sst_spill_new(struct xlsx_sst_spill **out, const char *dir,
                                 struct socc_error *err);
void xlsx_sst_spill_free(struct xlsx_sst_spill *sp);

/* Append string s[0..n) (borrowed).  STORAGE_FULL or INTERNAL. */
enum socc_err xlsx_sst_spill_add(struct xlsx_sst_spill *sp, const char *s,
                                 size_t n, struct socc_error *err);

/* All strings are in: write what is buffered; lookups may start. */
enum socc_err xlsx_sst_spill_seal(struct xlsx_sst_spill *sp,
                                  struct socc_error *err);

/* Strings appended so far. */
size_t xlsx_sst_spill_count(const struct xlsx_sst_spill *sp);

/*
 * String i of a sealed table and its length: a copy in the table's row
 * arena, valid until the next xlsx_sst_spill_row_done() (or _free()).
 * Returns 0, -1 when i is out of range, -2 when the file could not be
 * read (xlsx_sst_spill_error() tells why).
 */
int xlsx_sst_spill_get(struct xlsx_sst_spill *sp, size_t i, const char **s,
                       size_t *len);

/* The caller holds no string from _get() any more: reuse the arena. */
void xlsx_sst_spill_row_done(struct xlsx_sst_spill *sp);

/* INTERNAL with a detail when a lookup failed to read, else SOCC_OK. */
enum socc_err xlsx_sst_spill_error(const struct xlsx_sst_spill *sp,
                                   struct socc_error *err);

#endif
