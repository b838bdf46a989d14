/*
 * The streaming XLSX reader: libzip inflates each part block by block into
 * expat; only the shared strings, the style table and the current row are
 * held.  The package is walked as ECMA-376 Part 2 says: _rels/.rels names
 * the workbook, the workbook's relationships name its sheets, styles and
 * shared strings.  XML names are matched on their local part, so the
 * Strict namespaces (purl.oclc.org/ooxml) and any prefix (x:row) work.
 *
 * Sheets are passed in workbook order.  Hidden and very hidden sheets are
 * read like visible ones: they hold data an export may rely on.
 * Chartsheets and dialogsheets have no cells: they are passed as sheets
 * with no rows, so the sheet list matches what Excel shows.
 *
 * The shared-string table stays in memory up to XLSX_SST_SPILL_AT bytes;
 * the rest goes to unlinked temp files next to the upload, read back
 * through a fixed block cache, so memory stays bounded whatever its size.
 * LIMIT: expat buffers one XML token whole, so in the small parts (and in
 * a worksheet or string table not in UTF-8, which expat reads) a single
 * start tag can grow to the part's size before the inflation guards stop
 * it.  Worksheets and shared strings in UTF-8 go through xlsx_scan, which
 * refuses a tag past XLSX_SCAN_MAX_TOKEN as LIMIT_EXCEEDED.
 */
#include "row.h"

#include <stdio.h>
#include <string.h>

#include "xlsx_book.h"
#include "xlsx_part.h"
#include "xlsx_sheet.h"
#include "xlsx_sst.h"
#include "xlsx_styles.h"

/* Everything a read holds besides the archive. */
struct reader {
    struct xlsx_part_pkg *pkg;     /* borrowed */
    const struct row_sink *sink;   /* borrowed */
    struct xlsx_book book;
    struct xlsx_styles sty;
    struct xlsx_sst sst;
};

static enum socc_err sink_refused(struct reader *r, enum socc_err rc,
                                  const char *name)
{
    return socc_error_set(r->pkg->err, rc, "sheet '%.80s' was not taken",
                          name);
}

static enum socc_err read_sheet(struct reader *r,
                                const struct xlsx_book_sheet *sh)
{
    const struct row_sink *sink = r->sink;
    enum socc_err rc;

    rc = sink->sheet_begin(sink->ctx, sh->name, strlen(sh->name));
    if (rc != SOCC_OK)
        return sink_refused(r, rc, sh->name);
    if (sh->part) {
        rc = xlsx_sheet_read(r->pkg, sh->part, &r->sst, &r->sty, sink);
        if (rc != SOCC_OK)
            return rc;
    }
    rc = sink->sheet_end(sink->ctx);
    return rc == SOCC_OK ? rc : sink_refused(r, rc, sh->name);
}

static enum socc_err read_all(struct reader *r)
{
    enum socc_err rc;
    size_t i;

    rc = xlsx_book_load(&r->book, r->pkg, r->sink);
    if (rc != SOCC_OK)
        return rc;
    rc = xlsx_styles_load(&r->sty, r->pkg, r->book.styles_part);
    if (rc != SOCC_OK)
        return rc;
    r->sty.date1904 = r->book.date1904;
    rc = xlsx_sst_load(&r->sst, r->pkg, r->book.sst_part);
    for (i = 0; rc == SOCC_OK && i < r->book.nsheets; i++)
        rc = read_sheet(r, &r->book.sheets[i]);
    return rc;
}

static enum socc_err run(struct xlsx_part_pkg *pkg,
                         const struct row_sink *sink, const char *dir)
{
    struct reader r;
    enum socc_err rc;

    r.pkg = pkg;
    r.sink = sink;
    xlsx_book_init(&r.book);
    xlsx_styles_init(&r.sty);
    xlsx_sst_init(&r.sst);
    rc = xlsx_sst_allow_spill(&r.sst, dir, XLSX_SST_SPILL_AT);
    if (rc == SOCC_OK)
        rc = read_all(&r);
    xlsx_sst_release(&r.sst);
    xlsx_styles_release(&r.sty);
    xlsx_book_release(&r.book);
    return rc;
}

enum socc_err xlsx_reader_run(const char *path, const struct row_limits *lim,
                              const struct row_sink *sink,
                              struct socc_error *err)
{
    struct xlsx_part_pkg pkg;
    enum socc_err rc;
    const char *slash = strrchr(path, '/');
    char dir[4096];

    socc_error_clear(err);
    /* The table spills next to the upload: that disk was sized for it. */
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
             slash ? (slash == path ? "/" : path) : ".");
    rc = xlsx_part_open_file(&pkg, path, lim, err);
    if (rc == SOCC_OK)
        rc = run(&pkg, sink, dir);
    xlsx_part_close(&pkg);
    return rc;
}

enum socc_err xlsx_reader_run_mem(const void *data, size_t len,
                                  const struct row_limits *lim,
                                  const struct row_sink *sink,
                                  struct socc_error *err)
{
    struct xlsx_part_pkg pkg;
    enum socc_err rc;

    socc_error_clear(err);
    rc = xlsx_part_open_mem(&pkg, data, len, lim, err);
    if (rc == SOCC_OK)
        rc = run(&pkg, sink, NULL);
    xlsx_part_close(&pkg);
    return rc;
}
