#ifndef SOCC_XLS_CFB_H
#define SOCC_XLS_CFB_H

/*
 * A minimal reader of the OLE2 compound file (CFB, [MS-CFB]) that wraps
 * BIFF5 and BIFF8 workbooks.  It works on bytes held in memory (a mapped
 * file), finds the workbook stream and reads ranges of it.  Every sector
 * number is checked against the file, every chain against loops.
 */

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"

/* A stream inside the container: its size and its sector chain. */
struct xls_cfb_stream {
    uint64_t size;          /* bytes in the stream */
    uint32_t *chain;        /* owned; sector (or mini sector) numbers */
    size_t nchain;          /* entries in chain */
    int mini;               /* 1 when stored in 64-byte mini sectors */
};

struct xls_cfb {
    const uint8_t *data;    /* borrowed; the whole file */
    size_t len;             /* bytes in data */
    unsigned shift;         /* sector size is 1 << shift (512 or 4096) */
    uint32_t *fat;          /* owned; next sector of each sector */
    size_t nfat;            /* entries in fat */
    uint8_t *claimed;       /* owned; 1 for sectors of a walked chain */
    uint32_t *minifat;      /* owned; next mini sector of each one */
    size_t nminifat;        /* entries in minifat */
    struct xls_cfb_stream ministream;  /* the root entry's stream */
    struct xls_cfb_stream dir;         /* the directory stream */
};

/* 1 when data starts with the CFB signature. */
int xls_cfb_is_cfb(const void *data, size_t len);

/*
 * Read the header, the FAT, the mini FAT and the directory of data
 * (borrowed, must outlive cfb).  CORRUPTED_FILE names the fault.  On error
 * cfb is released already; on success release it with xls_cfb_release().
 */
enum socc_err xls_cfb_open(struct xls_cfb *cfb, const void *data, size_t len,
                           struct socc_error *err);
void xls_cfb_release(struct xls_cfb *cfb);

/*
 * Find the workbook stream among the root's children: "Workbook" (BIFF8)
 * before "Book" (BIFF5), names compared without case.  ENCRYPTED_FILE for
 * an encrypted OOXML package, INVALID_FILE_TYPE when there is no
 * workbook.  Release *st with xls_cfb_stream_release().
 */
enum socc_err xls_cfb_workbook(const struct xls_cfb *cfb,
                               struct xls_cfb_stream *st,
                               struct socc_error *err);
void xls_cfb_stream_release(struct xls_cfb_stream *st);

/* Copy n bytes at pos of st into dst; 0, or -1 when out of bounds. */
int xls_cfb_read(const struct xls_cfb *cfb, const struct xls_cfb_stream *st,
                 uint64_t pos, void *dst, size_t n);

#endif
