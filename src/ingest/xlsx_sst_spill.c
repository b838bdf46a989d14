#include "xlsx_sst_spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARENA_CHUNK (64 * 1024)   /* bytes of a row arena chunk */

/* One temp file: appended through wbuf, then read through a block cache. */
struct sfile {
    int fd;                  /* owned; -1 when not open */
    uint64_t size;           /* bytes written plus bytes waiting in wbuf */
    char *wbuf;              /* owned; one block while writing, then NULL */
    size_t used;             /* bytes waiting in wbuf */
    unsigned char *mem;      /* owned; nslots blocks once sealed */
    uint64_t *tag;           /* owned; per slot, block number + 1, 0 empty */
    size_t nslots;           /* blocks the cache holds */
};

/* A piece of the row arena; pieces never move, so copies stay put. */
struct chunk {
    struct chunk *next;      /* owned; the piece filled before this one */
    size_t cap;              /* bytes in data */
    size_t used;             /* bytes handed out */
    char data[];
};

struct xlsx_sst_spill {
    struct sfile str;        /* the string bytes, back to back */
    struct sfile off;        /* n + 1 uint64_t offsets into str */
    size_t n;                /* strings appended */
    struct chunk *arena;     /* owned; newest piece first */
    int io_errno;            /* errno of the first failed read, 0 if none */
};

/* A failed write or create: no room is the caller's to fix, not a bug. */
static enum socc_err io_fail(struct socc_error *err, int e, const char *what)
{
    if (e == ENOSPC || e == EDQUOT)
        return socc_error_set(err, SOCC_E_STORAGE_FULL,
                              "no room to spill the shared strings (%s)",
                              what);
    return socc_error_set(err, SOCC_E_INTERNAL,
                          "spilling the shared strings: %s: %s", what,
                          strerror(e));
}

static enum socc_err sfile_open(struct sfile *f, const char *dir,
                                struct socc_error *err)
{
    char path[4096];
    int n;

    n = snprintf(path, sizeof(path), "%s/socc-sst-XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof(path))
        return socc_error_set(err, SOCC_E_INTERNAL,
                              "spill directory path is too long");
    f->fd = mkostemp(path, O_CLOEXEC);
    if (f->fd < 0)
        return io_fail(err, errno, "create temp file");
    /* Unlinked at once: the space goes back even if we crash. */
    if (unlink(path) != 0)
        return io_fail(err, errno, "unlink temp file");
    f->wbuf = malloc(XLSX_SST_SPILL_BLOCK);
    if (!f->wbuf)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    return SOCC_OK;
}

static void sfile_close(struct sfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    free(f->wbuf);
    free(f->mem);
    free(f->tag);
    f->fd = -1;
}

static enum socc_err write_all(int fd, const void *p, size_t n,
                               struct socc_error *err)
{
    const char *s = p;
    ssize_t w;

    while (n > 0) {
        w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return io_fail(err, errno, "write");
        s += w;
        n -= (size_t)w;
    }
    return SOCC_OK;
}

static enum socc_err sfile_flush(struct sfile *f, struct socc_error *err)
{
    enum socc_err rc = write_all(f->fd, f->wbuf, f->used, err);

    f->used = 0;
    return rc;
}

static enum socc_err sfile_put(struct sfile *f, const void *p, size_t n,
                               struct socc_error *err)
{
    enum socc_err rc;

    if (f->used + n > XLSX_SST_SPILL_BLOCK) {
        rc = sfile_flush(f, err);
        if (rc != SOCC_OK)
            return rc;
    }
    f->size += n;
    if (n >= XLSX_SST_SPILL_BLOCK)
        return write_all(f->fd, p, n, err);
    memcpy(f->wbuf + f->used, p, n);
    f->used += n;
    return SOCC_OK;
}

enum socc_err xlsx_sst_spill_new(struct xlsx_sst_spill **out, const char *dir,
                                 struct socc_error *err)
{
    struct xlsx_sst_spill *sp = calloc(1, sizeof(*sp));
    const char *tmp = getenv("TMPDIR");
    uint64_t zero = 0;
    enum socc_err rc;

    *out = NULL;
    if (!sp)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    sp->str.fd = sp->off.fd = -1;
    if (!dir || !*dir)
        dir = tmp && *tmp ? tmp : "/tmp";
    rc = sfile_open(&sp->str, dir, err);
    if (rc == SOCC_OK)
        rc = sfile_open(&sp->off, dir, err);
    if (rc == SOCC_OK)
        rc = sfile_put(&sp->off, &zero, sizeof(zero), err);
    if (rc != SOCC_OK) {
        xlsx_sst_spill_free(sp);
        return rc;
    }
    *out = sp;
    return SOCC_OK;
}

void xlsx_sst_spill_free(struct xlsx_sst_spill *sp)
{
    if (!sp)
        return;
    xlsx_sst_spill_row_done(sp);
    free(sp->arena);
    sfile_close(&sp->str);
    sfile_close(&sp->off);
    free(sp);
}

enum socc_err xlsx_sst_spill_add(struct xlsx_sst_spill *sp, const char *s,
                                 size_t n, struct socc_error *err)
{
    enum socc_err rc = sfile_put(&sp->str, s, n, err);
    uint64_t end = sp->str.size;

    if (rc != SOCC_OK)
        return rc;
    rc = sfile_put(&sp->off, &end, sizeof(end), err);
    if (rc == SOCC_OK)
        sp->n++;
    return rc;
}

/* Write what waits and trade the write buffer for the block cache. */
static enum socc_err sfile_seal(struct sfile *f, size_t nslots,
                                struct socc_error *err)
{
    enum socc_err rc = sfile_flush(f, err);

    if (rc != SOCC_OK)
        return rc;
    free(f->wbuf);
    f->wbuf = NULL;
    f->mem = malloc(nslots * XLSX_SST_SPILL_BLOCK);
    f->tag = calloc(nslots, sizeof(*f->tag));
    f->nslots = nslots;
    if (!f->mem || !f->tag)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    return SOCC_OK;
}

enum socc_err xlsx_sst_spill_seal(struct xlsx_sst_spill *sp,
                                  struct socc_error *err)
{
    enum socc_err rc = sfile_seal(&sp->str, XLSX_SST_SPILL_SLOTS, err);

    if (rc == SOCC_OK)
        rc = sfile_seal(&sp->off, XLSX_SST_SPILL_OFF_SLOTS, err);
    return rc;
}

size_t xlsx_sst_spill_count(const struct xlsx_sst_spill *sp)
{
    return sp->n;
}

static int pread_all(int fd, void *p, size_t n, uint64_t pos)
{
    char *d = p;
    ssize_t r;

    while (n > 0) {
        r = pread(fd, d, n, (off_t)pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? EIO : errno;
        d += r;
        n -= (size_t)r;
        pos += (uint64_t)r;
    }
    return 0;
}

/*
 * LIMIT: the cache is direct-mapped by block number, which suits the
 * increasing order sheets mostly use; a sheet that jumps around a spilled
 * table larger than the cache pays one 64 KiB pread per miss.
 *
 * Block blk of f, from the cache or read into its slot; *avail gets its
 * bytes (the last block is short).  NULL with *e set when the read fails.
 */
static const unsigned char *block(struct sfile *f, uint64_t blk,
                                  size_t *avail, int *e)
{
    size_t slot = (size_t)(blk % f->nslots);
    unsigned char *m = f->mem + slot * XLSX_SST_SPILL_BLOCK;
    uint64_t pos = blk * XLSX_SST_SPILL_BLOCK;
    uint64_t left = f->size - pos;

    *avail = left < XLSX_SST_SPILL_BLOCK ? (size_t)left
                                         : XLSX_SST_SPILL_BLOCK;
    if (f->tag[slot] == blk + 1)
        return m;
    f->tag[slot] = 0;
    *e = pread_all(f->fd, m, *avail, pos);
    if (*e)
        return NULL;
    f->tag[slot] = blk + 1;
    return m;
}

/* Copy f[pos..pos+n) to dst across as many blocks as it spans; 0 or errno. */
static int read_at(struct sfile *f, uint64_t pos, void *dst, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *b;
    size_t avail, in, take;
    int e = 0;

    if (pos > f->size || n > f->size - pos)
        return EIO;
    while (n > 0) {
        b = block(f, pos / XLSX_SST_SPILL_BLOCK, &avail, &e);
        if (!b)
            return e;
        in = (size_t)(pos % XLSX_SST_SPILL_BLOCK);
        take = avail - in < n ? avail - in : n;
        memcpy(d, b + in, take);
        d += take;
        n -= take;
        pos += take;
    }
    return 0;
}

/* n bytes of the row arena; NULL when out of memory. */
static char *arena_alloc(struct xlsx_sst_spill *sp, size_t n)
{
    struct chunk *c = sp->arena;
    size_t cap;

    if (!c || c->cap - c->used < n) {
        cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->next = sp->arena;
        c->cap = cap;
        c->used = 0;
        sp->arena = c;
    }
    c->used += n;
    return c->data + c->used - n;
}

void xlsx_sst_spill_row_done(struct xlsx_sst_spill *sp)
{
    struct chunk *c, *next;

    if (!sp->arena)
        return;
    for (c = sp->arena->next; c; c = next) {
        next = c->next;
        free(c);
    }
    sp->arena->next = NULL;
    sp->arena->used = 0;
}

/* A failed read is remembered for _error() and reported as -2. */
static int read_failed(struct xlsx_sst_spill *sp, int e)
{
    if (!sp->io_errno)
        sp->io_errno = e;
    return -2;
}

int xlsx_sst_spill_get(struct xlsx_sst_spill *sp, size_t i, const char **s,
                       size_t *len)
{
    uint64_t span[2];
    char *d;
    int e;

    if (i >= sp->n)
        return -1;
    e = read_at(&sp->off, (uint64_t)i * sizeof(uint64_t), span,
                sizeof(span));
    if (e)
        return read_failed(sp, e);
    if (span[1] < span[0] || span[1] > sp->str.size)
        return read_failed(sp, EIO);
    *len = (size_t)(span[1] - span[0]);
    if (!*len) {
        *s = "";
        return 0;
    }
    d = arena_alloc(sp, *len + 1);
    if (!d)
        return read_failed(sp, ENOMEM);
    e = read_at(&sp->str, span[0], d, *len);
    if (e)
        return read_failed(sp, e);
    d[*len] = '\0';
    *s = d;
    return 0;
}

enum socc_err xlsx_sst_spill_error(const struct xlsx_sst_spill *sp,
                                   struct socc_error *err)
{
    if (!sp || !sp->io_errno)
        return SOCC_OK;
    return socc_error_set(err, SOCC_E_INTERNAL,
                          "reading the spilled shared strings: %s",
                          strerror(sp->io_errno));
}
