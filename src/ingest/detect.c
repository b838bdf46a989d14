#include "detect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "ingest/xls_cfb.h"

#define SNIFF_LEN 65536

/* A byte source: a file descriptor or a buffer. */
struct src {
    int fd;                  /* -1 for memory */
    const uint8_t *mem;
    uint64_t size;
};

static int read_at(const struct src *s, uint64_t off, void *out, size_t n)
{
    ssize_t got;
    size_t done = 0;

    if (off > s->size || n > s->size - off)
        return -1;
    if (n == 0)
        return 0;
    if (s->fd < 0) {
        memcpy(out, s->mem + off, n);
        return 0;
    }
    while (done < n) {
        got = pread(s->fd, (char *)out + done, n - done, (off_t)(off + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        done += (size_t)got;
    }
    return 0;
}

static void set(struct detect_result *r, enum detect_kind k, const char *what)
{
    r->kind = k;
    snprintf(r->what, sizeof(r->what), "%s", what);
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* ---- known binary formats by magic ---- */

struct magic {
    const char *bytes;
    size_t len;
    const char *what;
};

static const struct magic magics[] = {
    { "\x89PNG\r\n\x1a\n", 8, "a PNG image" },
    { "\xff\xd8\xff", 3, "a JPEG image" },
    { "GIF87a", 6, "a GIF image" },
    { "GIF89a", 6, "a GIF image" },
    { "%PDF-", 5, "a PDF document" },
    { "\x7f" "ELF", 4, "an ELF executable" },
    { "MZ", 2, "a Windows executable" },
    { "\x1f\x8b", 2, "a gzip archive" },
    { "\x28\xb5\x2f\xfd", 4, "a zstd archive" },
    { "BZh", 3, "a bzip2 archive" },
    { "7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive" },
    { "Rar!\x1a\x07", 6, "a RAR archive" },
    { "\xfd" "7zXZ", 5, "an xz archive" },
    { "SQLite format 3", 16, "an SQLite database" },
    { "{\\rtf", 5, "an RTF document" },
};

static const char *binary_magic(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
        if (n >= magics[i].len && memcmp(p, magics[i].bytes, magics[i].len) == 0)
            return magics[i].what;
    return NULL;
}

/* ---- text ---- */

static int prefix_ci(const uint8_t *p, size_t n, const char *word)
{
    size_t k = strlen(word);

    return n >= k && strncasecmp((const char *)p, word, k) == 0;
}

/* Markup that is text but not CSV: HTML tables saved as .xls, XML. */
static const char *markup(const uint8_t *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
        n--;
    }
    if (n < 2 || *p != '<')
        return NULL;
    if (prefix_ci(p, n, "<!doctype html") || prefix_ci(p, n, "<html") ||
        prefix_ci(p, n, "<table") || prefix_ci(p, n, "<head") ||
        prefix_ci(p, n, "<body") || prefix_ci(p, n, "<meta"))
        return "an HTML document";
    if (prefix_ci(p, n, "<?xml") || prefix_ci(p, n, "<!--"))
        return "an XML document";
    return NULL;
}

/*
 * Classify a sample that holds no known magic.  Text allows a few stray
 * control bytes (NULs inside values happen in real exports); content with
 * more than one control byte in ten is binary.
 */
static void classify_text(const uint8_t *p, size_t n, struct detect_result *r)
{
    size_t i, ctrl = 0;
    const char *m;

    if ((n >= 2 && ((p[0] == 0xff && p[1] == 0xfe) ||
                    (p[0] == 0xfe && p[1] == 0xff))) ||
        (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)) {
        size_t skip = p[0] == 0xef ? 3 : 0;
        m = skip ? markup(p + skip, n - skip) : NULL;
        if (m)
            set(r, DETECT_OTHER, m);
        else
            set(r, DETECT_TEXT, "text");
        return;
    }
    for (i = 0; i < n; i++)
        if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r' &&
             p[i] != '\f' && p[i] != '\v') || p[i] == 0x7f)
            ctrl++;
    if (ctrl * 10 > n) {
        set(r, DETECT_OTHER, "binary data");
        return;
    }
    m = markup(p, n);
    if (m)
        set(r, DETECT_OTHER, m);
    else
        set(r, DETECT_TEXT, "text");
}

static int all_space(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n' &&
            p[i] != '\f' && p[i] != '\v')
            return 0;
    return 1;
}

/* Zero bytes or white space only, reading past the sample when needed. */
static int is_empty(const struct src *s, const uint8_t *head, size_t n)
{
    uint8_t blk[SNIFF_LEN];
    uint64_t off = n;
    size_t k;

    if (!all_space(head, n))
        return 0;
    while (off < s->size) {
        k = s->size - off < sizeof(blk) ? (size_t)(s->size - off) : sizeof(blk);
        if (read_at(s, off, blk, k) != 0 || !all_space(blk, k))
            return 0;
        off += k;
    }
    return 1;
}

/* ---- ZIP: XLSX or some other package ---- */

static enum socc_err classify_zip(zip_t *z, struct detect_result *r)
{
    zip_int64_t i, n = zip_get_num_entries(z, 0);
    int ctypes = 0, workbook = 0, xlsb = 0, ods = 0;
    const char *name;

    for (i = 0; i < n; i++) {
        name = zip_get_name(z, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (!name)
            continue;
        if (strcmp(name, "[Content_Types].xml") == 0)
            ctypes = 1;
        else if (strcasecmp(name, "xl/workbook.xml") == 0)
            workbook = 1;
        else if (strcasecmp(name, "xl/workbook.bin") == 0)
            xlsb = 1;
        else if (strcmp(name, "mimetype") == 0)
            ods = 1;
        else if (strstr(name, "workbook") && strstr(name, ".xml"))
            workbook = workbook ? workbook : 2;
    }
    if (ctypes && workbook)
        set(r, DETECT_XLSX, "an XLSX workbook");
    else if (xlsb)
        set(r, DETECT_OTHER, "an Excel binary workbook (.xlsb)");
    else if (ods)
        set(r, DETECT_OTHER, "an OpenDocument file");
    else if (ctypes)
        set(r, DETECT_OTHER, "an Office document that is not a workbook");
    else
        set(r, DETECT_OTHER, "a ZIP archive");
    return SOCC_OK;
}

static enum socc_err detect_zip(const struct src *s, const char *path,
                                struct detect_result *r,
                                struct socc_error *err)
{
    zip_error_t ze;
    zip_source_t *zs;
    zip_t *z;
    int zerr = 0;
    enum socc_err rc;

    zip_error_init(&ze);
    if (path) {
        z = zip_open(path, ZIP_RDONLY, &zerr);
    } else {
        zs = zip_source_buffer_create(s->mem, s->size, 0, &ze);
        z = zs ? zip_open_from_source(zs, ZIP_RDONLY, &ze) : NULL;
        if (zs && !z)
            zip_source_free(zs);
        zerr = zip_error_code_zip(&ze);
    }
    zip_error_fini(&ze);
    if (!z) {
        if (zerr == ZIP_ER_MEMORY)
            return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "zip structure is broken (libzip error %d)",
                              zerr);
    }
    rc = classify_zip(z, r);
    zip_discard(z);
    return rc;
}

/* ---- OLE2 compound file: the XLS reader's own CFB code decides ---- */

static enum socc_err cfb_verdict(const void *data, size_t len,
                                 struct detect_result *r,
                                 struct socc_error *err)
{
    struct xls_cfb cfb;
    struct xls_cfb_stream st;
    struct socc_error e2;
    enum socc_err rc;

    rc = xls_cfb_open(&cfb, data, len, err);
    if (rc != SOCC_OK)
        return rc;
    rc = xls_cfb_workbook(&cfb, &st, &e2);
    xls_cfb_release(&cfb);
    if (rc == SOCC_OK) {
        xls_cfb_stream_release(&st);
        set(r, DETECT_XLS, "an XLS workbook");
    } else if (rc == SOCC_E_ENCRYPTED_FILE) {
        set(r, DETECT_ENCRYPTED, "an encrypted Office document");
    } else if (rc == SOCC_E_INVALID_FILE_TYPE) {
        set(r, DETECT_OTHER, "an Office compound file without a workbook");
    } else {
        *err = e2;
        return rc;
    }
    return SOCC_OK;
}

static enum socc_err detect_cfb(const struct src *s, struct detect_result *r,
                                struct socc_error *err)
{
    void *map;
    enum socc_err rc;

    if (s->fd < 0)
        return cfb_verdict(s->mem, (size_t)s->size, r, err);
    map = mmap(NULL, (size_t)s->size, PROT_READ, MAP_PRIVATE, s->fd, 0);
    if (map == MAP_FAILED)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot map the file");
    rc = cfb_verdict(map, (size_t)s->size, r, err);
    munmap(map, (size_t)s->size);
    return rc;
}

/* ---- BIFF2-4 streams: a BOF record first ---- */

static int is_biff_raw(const uint8_t *p, size_t n)
{
    uint16_t type, len;

    if (n < 8)
        return 0;
    type = le16(p);
    len = le16(p + 2);
    if (type != 0x0009 && type != 0x0209 && type != 0x0409 &&
        type != 0x0809)
        return 0;
    return len >= 4 && len <= 20;
}

/* ---- entry points ---- */

static enum socc_err detect_src(const struct src *s, const char *path,
                                struct detect_result *r,
                                struct socc_error *err)
{
    uint8_t head[SNIFF_LEN];
    size_t n = s->size < SNIFF_LEN ? (size_t)s->size : SNIFF_LEN;
    const char *what;

    memset(r, 0, sizeof(*r));
    if (read_at(s, 0, head, n) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot read the file");
    if (is_empty(s, head, n)) {
        set(r, DETECT_EMPTY, "an empty file");
        return SOCC_OK;
    }
    if (n >= 4 && memcmp(head, "PK\x03\x04", 4) == 0)
        return detect_zip(s, path, r, err);
    if (n >= 4 && (memcmp(head, "PK\x05\x06", 4) == 0 ||
                   memcmp(head, "PK\x07\x08", 4) == 0)) {
        set(r, DETECT_OTHER, "an empty or split ZIP archive");
        return SOCC_OK;
    }
    if (n >= 8 && memcmp(head, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0)
        return detect_cfb(s, r, err);
    if (is_biff_raw(head, n)) {
        set(r, DETECT_BIFF_RAW, "an Excel 2-4 worksheet");
        return SOCC_OK;
    }
    what = binary_magic(head, n);
    if (what) {
        set(r, DETECT_OTHER, what);
        return SOCC_OK;
    }
    classify_text(head, n, r);
    return SOCC_OK;
}

enum socc_err detect_file(const char *path, struct detect_result *out,
                          struct socc_error *err)
{
    struct stat sb;
    struct src s;
    enum socc_err rc;

    s.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s.fd < 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot open the file");
    if (fstat(s.fd, &sb) != 0) {
        close(s.fd);
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot stat the file");
    }
    s.mem = NULL;
    s.size = (uint64_t)sb.st_size;
    rc = detect_src(&s, path, out, err);
    close(s.fd);
    return rc;
}

enum socc_err detect_mem(const void *data, size_t len,
                         struct detect_result *out, struct socc_error *err)
{
    struct src s = { -1, data, len };

    return detect_src(&s, NULL, out, err);
}

const char *detect_kind_name(enum detect_kind k)
{
    switch (k) {
    case DETECT_EMPTY: return "empty";
    case DETECT_TEXT: return "csv";
    case DETECT_XLSX: return "xlsx";
    case DETECT_XLS: return "xls";
    case DETECT_BIFF_RAW: return "xls";
    case DETECT_ENCRYPTED: return "encrypted";
    case DETECT_OTHER: break;
    }
    return "other";
}
