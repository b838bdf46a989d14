/*
 * The .xls reader.  FreeXL was measured first and is not used: it loses
 * formula results, booleans and error cells, refuses streams named "BOOK"
 * or "WORKBOOK" and small workbooks kept in the CFB mini stream, and holds
 * a sheet's whole cell grid (sized by the file's DIMENSION record) in
 * memory.  The CFB and BIFF readers here stream instead.
 */
#include "xls_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xls_biff.h"
#include "xls_cfb.h"

static enum socc_err run_cfb(const void *data, size_t len,
                             const struct row_limits *lim,
                             const struct row_sink *sink,
                             struct socc_error *err)
{
    struct xls_cfb cfb;
    struct xls_cfb_stream st;
    struct xls_biff_src src = { &cfb, &st, NULL, 0 };
    enum socc_err rc;

    rc = xls_cfb_open(&cfb, data, len, err);
    if (rc != SOCC_OK)
        return rc;
    rc = xls_cfb_workbook(&cfb, &st, err);
    if (rc == SOCC_OK)
        rc = xls_biff_run(&src, lim, sink, err);
    xls_cfb_stream_release(&st);
    xls_cfb_release(&cfb);
    return rc;
}

enum socc_err xls_reader_run_mem(const void *data, size_t len,
                                 const struct row_limits *lim,
                                 const struct row_sink *sink,
                                 struct socc_error *err)
{
    struct row_limits def;
    struct xls_biff_src raw = { NULL, NULL, data, len };

    if (!lim) {
        row_limits_default(&def);
        lim = &def;
    }
    if (len == 0)
        return socc_error_set(err, SOCC_E_EMPTY_FILE, "file is empty");
    if (xls_cfb_is_cfb(data, len))
        return run_cfb(data, len, lim, sink, err);
    if (xls_biff_is_raw(data, len))
        return xls_biff_run(&raw, lim, sink, err);
    return socc_error_set(err, SOCC_E_INVALID_FILE_TYPE,
                          "no cfb or biff2-4 signature");
}

enum socc_err xls_reader_run(const char *path, const struct row_limits *lim,
                             const struct row_sink *sink,
                             struct socc_error *err)
{
    struct stat sb;
    enum socc_err rc;
    void *map;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot open '%s': %s",
                              path, strerror(errno));
    if (fstat(fd, &sb) != 0 || sb.st_size < 0) {
        rc = socc_error_set(err, SOCC_E_INTERNAL, "cannot stat '%s': %s",
                            path, strerror(errno));
        goto out_close;
    }
    if (sb.st_size == 0) {
        rc = xls_reader_run_mem("", 0, lim, sink, err);
        goto out_close;
    }
    map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        rc = socc_error_set(err, SOCC_E_INTERNAL, "cannot map '%s': %s",
                            path, strerror(errno));
        goto out_close;
    }
    rc = xls_reader_run_mem(map, (size_t)sb.st_size, lim, sink, err);
    munmap(map, (size_t)sb.st_size);
out_close:
    close(fd);
    return rc;
}
