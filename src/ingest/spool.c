#include "ingest/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"

/* One step in the file: a header, then len bytes of text. */
enum step { STEP_SHEET = 1, STEP_RECORD, STEP_DONE };

struct head {
    uint32_t step;       /* enum step */
    int32_t sheet;
    int64_t a;           /* row_num, or rows */
    int64_t b;           /* ncols */
    int64_t c;           /* header_row */
    uint64_t len;        /* bytes of text that follow */
};

struct spool {
    FILE *fp;            /* owned; unlinked temp file */
    char *iobuf;         /* owned; stdio buffer */
    uint64_t bytes;
};

static enum socc_err io_fail(struct socc_error *err, const char *what)
{
    if (errno == ENOSPC || errno == EDQUOT)
        return socc_error_set(err, SOCC_E_STORAGE_FULL,
                              "no space left to %s the parsed records", what);
    return socc_error_set(err, SOCC_E_INTERNAL, "cannot %s the parsed "
                          "records: %s", what, strerror(errno));
}

enum socc_err spool_new(const char *dir, struct spool **out,
                        struct socc_error *err)
{
    struct spool *sp = calloc(1, sizeof(*sp));
    char path[1200];
    int fd;

    *out = NULL;
    if (!sp)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    snprintf(path, sizeof(path), "%s/spool-XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        free(sp);
        return io_fail(err, "spool");
    }
    unlink(path);
    sp->fp = fdopen(fd, "w+b");
    sp->iobuf = malloc(1 << 20);
    if (!sp->fp || !sp->iobuf) {
        if (!sp->fp)
            close(fd);
        spool_free(sp);
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    }
    setvbuf(sp->fp, sp->iobuf, _IOFBF, 1 << 20);
    *out = sp;
    return SOCC_OK;
}

void spool_free(struct spool *sp)
{
    if (!sp)
        return;
    if (sp->fp)
        fclose(sp->fp);
    free(sp->iobuf);
    free(sp);
}

uint64_t spool_bytes(const struct spool *sp) { return sp->bytes; }

static enum socc_err put(struct spool *sp, const struct head *h,
                         const char *text, struct socc_error *err)
{
    if (fwrite(h, sizeof(*h), 1, sp->fp) != 1 ||
        (h->len && fwrite(text, 1, (size_t)h->len, sp->fp) != h->len))
        return io_fail(err, "spool");
    sp->bytes += sizeof(*h) + h->len;
    return SOCC_OK;
}

enum socc_err spool_sheet(struct spool *sp, int idx, const char *name,
                          struct socc_error *err)
{
    struct head h = { STEP_SHEET, idx, 0, 0, 0, strlen(name) };

    return put(sp, &h, name, err);
}

enum socc_err spool_record(struct spool *sp, int sheet_idx, int64_t row_num,
                           const char *cells, size_t len,
                           struct socc_error *err)
{
    struct head h = { STEP_RECORD, sheet_idx, row_num, 0, 0, len };

    return put(sp, &h, cells, err);
}

enum socc_err spool_sheet_done(struct spool *sp, int idx, int64_t rows,
                               const char *columns_json, int64_t ncols,
                               int64_t header_row, struct socc_error *err)
{
    struct head h = { STEP_DONE, idx, rows, ncols, header_row,
                      strlen(columns_json) };

    return put(sp, &h, columns_json, err);
}

/* Read one step's header and text (NUL-terminated in text); 1, 0 at end. */
static int get(struct spool *sp, struct head *h, struct buf *text)
{
    if (fread(h, sizeof(*h), 1, sp->fp) != 1)
        return 0;
    buf_reset(text);
    if (h->len > SIZE_MAX / 2 || buf_reserve(text, (size_t)h->len) != 0)
        return -1;
    if (h->len && fread(text->data, 1, (size_t)h->len, sp->fp) != h->len)
        return -1;
    text->len = (size_t)h->len;
    text->data[text->len] = '\0';
    return 1;
}

static enum socc_err apply(struct store_writer *w, const struct head *h,
                           const struct buf *text, struct socc_error *err)
{
    switch (h->step) {
    case STEP_SHEET:
        return store_writer_sheet(w, h->sheet, text->data, err);
    case STEP_RECORD:
        return store_writer_record(w, h->sheet, h->a, text->data, text->len,
                                   err);
    case STEP_DONE:
        return store_writer_sheet_done(w, h->sheet, h->a, text->data, h->b,
                                       h->c, err);
    default:
        return socc_error_set(err, SOCC_E_INTERNAL, "spool step %u unknown",
                              h->step);
    }
}

enum socc_err spool_replay(struct spool *sp, struct store_writer *w,
                           struct socc_error *err)
{
    struct head h;
    struct buf text;
    enum socc_err rc = SOCC_OK;
    int got = 0;

    if (fflush(sp->fp) != 0)
        return io_fail(err, "spool");
    rewind(sp->fp);
    buf_init(&text);
    buf_reserve(&text, 4096);
    while (rc == SOCC_OK && (got = get(sp, &h, &text)) > 0)
        rc = apply(w, &h, &text, err);
    if (rc == SOCC_OK && got < 0)
        rc = ferror(sp->fp) ? io_fail(err, "read back")
                            : socc_error_set(err, SOCC_E_INTERNAL,
                                             "spool cut short");
    buf_release(&text);
    return rc;
}
