#include "xls_cfb.h"

#include <stdlib.h>
#include <string.h>

#define ENDOFCHAIN 0xFFFFFFFEu
#define NOSTREAM 0xFFFFFFFFu
#define HDR_DIFAT 109           /* FAT sector numbers in the header */
#define MINI_SHIFT 6            /* mini sectors are 64 bytes */
#define MINI_CUTOFF 4096u       /* smaller streams live in the mini stream */
#define DIRENT 128              /* bytes of one directory entry */

static const uint8_t cfb_magic[8] = {
    0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

int xls_cfb_is_cfb(const void *data, size_t len)
{
    return len >= 8 && memcmp(data, cfb_magic, 8) == 0;
}

/* Sectors the file holds after the header, a partial last one included. */
static size_t file_sectors(const struct xls_cfb *cfb)
{
    size_t ssz = (size_t)1 << cfb->shift;

    if (cfb->len <= ssz)
        return 0;
    return (cfb->len - ssz + ssz - 1) / ssz;
}

/* Bytes of regular sector sec, or NULL when it lies outside the file. */
static const uint8_t *sector(const struct xls_cfb *cfb, uint32_t sec)
{
    size_t ssz = (size_t)1 << cfb->shift;

    if (sec >= file_sectors(cfb) || ((size_t)sec + 2) * ssz > cfb->len)
        return NULL;
    return cfb->data + ((size_t)sec + 1) * ssz;
}

static enum socc_err check_header(struct xls_cfb *cfb, struct socc_error *err)
{
    const uint8_t *h = cfb->data;
    uint16_t major, shift;

    if (cfb->len < 512)
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "cfb header truncated at %zu bytes", cfb->len);
    major = le16(h + 0x1A);
    shift = le16(h + 0x1E);
    if (le16(h + 0x1C) != 0xFFFE)
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "cfb byte order mark is not 0xfffe");
    if ((major == 3 && shift != 9) || (major == 4 && shift != 12) ||
        (major != 3 && major != 4))
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "cfb version %u with sector shift %u",
                              major, shift);
    if (le16(h + 0x20) != MINI_SHIFT)
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "cfb mini sector shift is %u, not 6",
                              le16(h + 0x20));
    if (le32(h + 0x38) != MINI_CUTOFF)
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "cfb mini stream cutoff is %u, not 4096",
                              le32(h + 0x38));
    cfb->shift = shift;
    return SOCC_OK;
}

/* The numbers of the nfs FAT sectors: header DIFAT, then DIFAT sectors. */
static enum socc_err fat_sector_ids(struct xls_cfb *cfb, uint32_t *ids,
                                    uint32_t nfs, struct socc_error *err)
{
    const uint8_t *h = cfb->data;
    uint32_t i, n = 0, next = le32(h + 0x44), ndif = le32(h + 0x48);
    size_t per = ((size_t)1 << cfb->shift) / 4 - 1, hops = 0;

    for (i = 0; i < HDR_DIFAT && n < nfs; i++)
        ids[n++] = le32(h + 0x4C + 4 * i);
    while (n < nfs) {
        const uint8_t *s = sector(cfb, next);

        if (!s || hops++ >= ndif || hops > file_sectors(cfb))
            return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                                  "cfb difat chain broken at sector %u",
                                  next);
        for (i = 0; i < per && n < nfs; i++)
            ids[n++] = le32(s + 4 * i);
        next = le32(s + 4 * per);
    }
    return SOCC_OK;
}

static enum socc_err load_fat(struct xls_cfb *cfb, struct socc_error *err)
{
    uint32_t nfs = le32(cfb->data + 0x2C), i, j, *ids;
    size_t per = ((size_t)1 << cfb->shift) / 4;
    enum socc_err rc;

    if (nfs == 0 || nfs > file_sectors(cfb))
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "cfb claims %u fat sectors", nfs);
    ids = malloc(nfs * sizeof(*ids));
    cfb->fat = malloc(nfs * per * sizeof(*cfb->fat));
    if (!ids || !cfb->fat) {
        free(ids);
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    }
    rc = fat_sector_ids(cfb, ids, nfs, err);
    for (i = 0; rc == SOCC_OK && i < nfs; i++) {
        const uint8_t *s = sector(cfb, ids[i]);

        if (!s) {
            rc = socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                                "cfb fat sector %u beyond end of file",
                                ids[i]);
            break;
        }
        for (j = 0; j < per; j++)
            cfb->fat[(size_t)i * per + j] = le32(s + 4 * j);
    }
    cfb->nfat = nfs * per;
    cfb->claimed = calloc(cfb->nfat, 1);
    if (rc == SOCC_OK && !cfb->claimed)
        rc = socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    free(ids);
    return rc;
}

/*
 * Follow a chain from start in table tab (n entries) and keep its first
 * want entries (SIZE_MAX: all).  With claimed (regular sectors), the whole
 * chain is walked and each sector may belong to one chain only: that also
 * ends loops.  Without it, a chain longer than the table loops.
 */
static enum socc_err walk_chain(const uint32_t *tab, size_t n,
                                uint8_t *claimed, uint32_t start, size_t want,
                                struct xls_cfb_stream *st,
                                struct socc_error *err)
{
    size_t cap = want < n ? want : n, len = 0, steps = 0;
    uint32_t sec = start;

    st->chain = malloc((cap ? cap : 1) * sizeof(*st->chain));
    if (!st->chain)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    while (sec != ENDOFCHAIN && (claimed || len < want)) {
        if (sec >= n)
            return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                                  "cfb chain holds bad sector %u", sec);
        if ((claimed && claimed[sec]) || steps++ >= n)
            return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                                  "cfb sector %u is in two chains or a "
                                  "loop", sec);
        if (claimed)
            claimed[sec] = 1;
        if (len < cap)
            st->chain[len++] = sec;
        sec = tab[sec];
    }
    st->nchain = len;
    if (want != SIZE_MAX && len < want)
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "cfb stream chain ends after %zu of %zu "
                              "sectors", len, want);
    return SOCC_OK;
}

/* walk_chain(), leaving no chain behind when it fails. */
static enum socc_err walk(const uint32_t *tab, size_t n, uint8_t *claimed,
                          uint32_t start, size_t want,
                          struct xls_cfb_stream *st, struct socc_error *err)
{
    enum socc_err rc = walk_chain(tab, n, claimed, start, want, st, err);

    if (rc != SOCC_OK) {
        free(st->chain);
        st->chain = NULL;
        st->nchain = 0;
    }
    return rc;
}

/* Make st the stream at start of size bytes, in mini sectors if mini. */
static enum socc_err make_stream(const struct xls_cfb *cfb, uint32_t start,
                                 uint64_t size, int mini,
                                 struct xls_cfb_stream *st,
                                 struct socc_error *err)
{
    unsigned sh = mini ? MINI_SHIFT : cfb->shift;
    const uint32_t *tab = mini ? cfb->minifat : cfb->fat;
    size_t n = mini ? cfb->nminifat : cfb->nfat;
    uint64_t want = (size + ((uint64_t)1 << sh) - 1) >> sh;

    memset(st, 0, sizeof(*st));
    st->size = size;
    st->mini = mini;
    if (want > n)
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "cfb stream of %llu bytes exceeds the file",
                              (unsigned long long)size);
    if (want == 0)
        return SOCC_OK;
    return walk(tab, n, mini ? NULL : cfb->claimed, start, (size_t)want, st,
                err);
}

static enum socc_err load_minifat(struct xls_cfb *cfb, struct socc_error *err)
{
    struct xls_cfb_stream st = { 0 };
    size_t per = ((size_t)1 << cfb->shift) / 4, i, j;
    uint32_t start = le32(cfb->data + 0x3C);
    enum socc_err rc;

    if (start == ENDOFCHAIN || le32(cfb->data + 0x40) == 0)
        return SOCC_OK;
    rc = walk(cfb->fat, cfb->nfat, cfb->claimed, start, SIZE_MAX, &st, err);
    if (rc == SOCC_OK && st.nchain > 0)
        cfb->minifat = malloc(st.nchain * per * sizeof(*cfb->minifat));
    for (i = 0; rc == SOCC_OK && cfb->minifat && i < st.nchain; i++) {
        const uint8_t *s = sector(cfb, st.chain[i]);

        if (!s) {
            rc = socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                                "cfb mini fat sector beyond end of file");
            break;
        }
        for (j = 0; j < per; j++)
            cfb->minifat[i * per + j] = le32(s + 4 * j);
        cfb->nminifat += per;
    }
    xls_cfb_stream_release(&st);
    return rc;
}

/* Stream size of a directory entry; version 3 keeps only 32 bits. */
static uint64_t entry_size(const struct xls_cfb *cfb, const uint8_t *e)
{
    uint64_t lo = le32(e + 0x78), hi = le32(e + 0x7C);

    return cfb->shift == 9 ? lo : lo | hi << 32;
}

static enum socc_err load_dir(struct xls_cfb *cfb, struct socc_error *err)
{
    uint8_t root[DIRENT];
    enum socc_err rc;

    rc = walk(cfb->fat, cfb->nfat, cfb->claimed, le32(cfb->data + 0x30),
              SIZE_MAX, &cfb->dir, err);
    if (rc != SOCC_OK)
        return rc;
    cfb->dir.size = (uint64_t)cfb->dir.nchain << cfb->shift;
    if (xls_cfb_read(cfb, &cfb->dir, 0, root, DIRENT) != 0 || root[0x42] != 5)
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "cfb directory has no root entry");
    return make_stream(cfb, le32(root + 0x74), entry_size(cfb, root), 0,
                       &cfb->ministream, err);
}

enum socc_err xls_cfb_open(struct xls_cfb *cfb, const void *data, size_t len,
                           struct socc_error *err)
{
    enum socc_err rc;

    memset(cfb, 0, sizeof(*cfb));
    cfb->data = data;
    cfb->len = len;
    if (!xls_cfb_is_cfb(data, len))
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "no cfb signature");
    rc = check_header(cfb, err);
    if (rc == SOCC_OK)
        rc = load_fat(cfb, err);
    if (rc == SOCC_OK)
        rc = load_minifat(cfb, err);
    if (rc == SOCC_OK)
        rc = load_dir(cfb, err);
    if (rc != SOCC_OK)
        xls_cfb_release(cfb);
    return rc;
}

void xls_cfb_stream_release(struct xls_cfb_stream *st)
{
    free(st->chain);
    memset(st, 0, sizeof(*st));
}

void xls_cfb_release(struct xls_cfb *cfb)
{
    free(cfb->fat);
    free(cfb->minifat);
    free(cfb->claimed);
    cfb->claimed = NULL;
    xls_cfb_stream_release(&cfb->ministream);
    xls_cfb_stream_release(&cfb->dir);
    cfb->fat = NULL;
    cfb->minifat = NULL;
    cfb->nfat = cfb->nminifat = 0;
}

int xls_cfb_read(const struct xls_cfb *cfb, const struct xls_cfb_stream *st,
                 uint64_t pos, void *dst, size_t n)
{
    unsigned sh = st->mini ? MINI_SHIFT : cfb->shift;
    uint64_t unit = (uint64_t)1 << sh;
    uint8_t *out = dst;

    if (pos > st->size || n > st->size - pos)
        return -1;
    while (n > 0) {
        uint64_t idx = pos >> sh, in = pos & (unit - 1);
        size_t k = (size_t)(unit - in) < n ? (size_t)(unit - in) : n;
        uint64_t at;

        if (idx >= st->nchain)
            return -1;
        at = ((uint64_t)st->chain[idx] << sh) + in;
        if (st->mini) {
            if (xls_cfb_read(cfb, &cfb->ministream, at, out, k) != 0)
                return -1;
        } else {
            at += unit;
            if (at > cfb->len || k > cfb->len - at)
                return -1;
            memcpy(out, cfb->data + at, k);
        }
        out += k;
        pos += k;
        n -= k;
    }
    return 0;
}

/* Upper-case ASCII form of an entry's UTF-16 name (other chars as '?'). */
static void entry_name(const uint8_t *e, char *out, size_t cap)
{
    size_t n = le16(e + 0x40) / 2, i;

    if (n > 32)
        n = 32;
    for (i = 0; i + 1 < cap && i < n; i++) {
        uint16_t c = le16(e + 2 * i);

        if (c == 0)
            break;
        out[i] = c < 128 ? (char)(c >= 'a' && c <= 'z' ? c - 32 : c) : '?';
    }
    out[i] = '\0';
}

/* Rank of a root child: 3 Workbook, 2 Book, 1 EncryptedPackage, else 0. */
static int entry_rank(const uint8_t *e)
{
    char name[40];

    if (e[0x42] != 2)
        return 0;
    entry_name(e, name, sizeof(name));
    if (strcmp(name, "WORKBOOK") == 0)
        return 3;
    if (strcmp(name, "BOOK") == 0)
        return 2;
    return strcmp(name, "ENCRYPTEDPACKAGE") == 0 ? 1 : 0;
}

/*
 * Visit the red-black tree of the root's children (iteratively, each entry
 * once) and return the best-ranked entry number in *best (NOSTREAM if none).
 */
static enum socc_err find_child(const struct xls_cfb *cfb, uint32_t *best,
                                struct socc_error *err)
{
    size_t n = (size_t)(cfb->dir.size / DIRENT), top = 0;
    uint8_t e[DIRENT], *seen = calloc(n ? n : 1, 1);
    uint32_t *stack = malloc((2 * n + 2) * sizeof(*stack)), id;
    int rank = 0;
    enum socc_err rc = SOCC_OK;

    *best = NOSTREAM;
    if (!seen || !stack) {
        rc = socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
        goto out_free;
    }
    xls_cfb_read(cfb, &cfb->dir, 0, e, DIRENT);
    stack[top++] = le32(e + 0x4C);
    while (top > 0) {
        id = stack[--top];
        if (id == NOSTREAM)
            continue;
        if (id >= n || seen[id] ||
            xls_cfb_read(cfb, &cfb->dir, (uint64_t)id * DIRENT, e, DIRENT)) {
            rc = socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                                "cfb directory tree broken at entry %u", id);
            break;
        }
        seen[id] = 1;
        if (entry_rank(e) > rank) {
            rank = entry_rank(e);
            *best = id;
        }
        stack[top++] = le32(e + 0x44);   /* each entry pushes two once */
        stack[top++] = le32(e + 0x48);
    }
out_free:
    free(stack);
    free(seen);
    return rc;
}

enum socc_err xls_cfb_workbook(const struct xls_cfb *cfb,
                               struct xls_cfb_stream *st,
                               struct socc_error *err)
{
    uint8_t e[DIRENT];
    uint32_t id;
    uint64_t size;
    enum socc_err rc;

    memset(st, 0, sizeof(*st));
    rc = find_child(cfb, &id, err);
    if (rc != SOCC_OK)
        return rc;
    if (id == NOSTREAM)
        return socc_error_set(err, SOCC_E_INVALID_FILE_TYPE,
                              "cfb file holds no Workbook or Book stream");
    xls_cfb_read(cfb, &cfb->dir, (uint64_t)id * DIRENT, e, DIRENT);
    if (entry_rank(e) == 1)
        return socc_error_set(err, SOCC_E_ENCRYPTED_FILE,
                              "encrypted ooxml package in a cfb container");
    size = entry_size(cfb, e);
    return make_stream(cfb, le32(e + 0x74), size, size < MINI_CUTOFF, st,
                       err);
}
