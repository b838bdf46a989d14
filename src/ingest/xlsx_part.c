#include "xlsx_part.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Bytes inflated and handed to expat per step. */
#define XLSX_PART_BLOCK (64 * 1024)
/* The ratio guard starts once a part has inflated this far. */
#define XLSX_PART_RATIO_FLOOR (1024u * 1024u)

static enum socc_err open_failed(struct socc_error *err, int zerr)
{
    zip_error_t ze;
    enum socc_err rc = SOCC_E_CORRUPTED_FILE;

    if (zerr == ZIP_ER_MEMORY)
        rc = SOCC_E_INTERNAL;
    if (zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ)
        rc = SOCC_E_INTERNAL;
    zip_error_init_with_code(&ze, zerr);
    socc_error_set(err, rc, "cannot open the xlsx zip archive: %s",
                   zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return rc;
}

static void pkg_init(struct xlsx_part_pkg *pkg, const struct row_limits *lim,
                     struct socc_error *err)
{
    memset(pkg, 0, sizeof(*pkg));
    pkg->lim = lim;
    pkg->err = err;
}

enum socc_err xlsx_part_open_file(struct xlsx_part_pkg *pkg, const char *path,
                                  const struct row_limits *lim,
                                  struct socc_error *err)
{
    struct stat sb;
    int zerr = 0;

    pkg_init(pkg, lim, err);
    if (stat(path, &sb) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot stat '%s'", path);
    pkg->archive_size = (uint64_t)sb.st_size;
    pkg->za = zip_open(path, ZIP_RDONLY, &zerr);
    if (!pkg->za)
        return open_failed(err, zerr);
    return SOCC_OK;
}

enum socc_err xlsx_part_open_mem(struct xlsx_part_pkg *pkg, const void *data,
                                 size_t len, const struct row_limits *lim,
                                 struct socc_error *err)
{
    zip_source_t *src;
    zip_error_t ze;
    int zerr;

    pkg_init(pkg, lim, err);
    if (len == 0)
        return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                              "the xlsx zip archive is empty");
    pkg->archive_size = len;
    zip_error_init(&ze);
    src = zip_source_buffer_create(data, len, 0, &ze);
    if (!src) {
        zip_error_fini(&ze);
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    }
    pkg->za = zip_open_from_source(src, ZIP_RDONLY, &ze);
    zerr = zip_error_code_zip(&ze);
    zip_error_fini(&ze);
    if (!pkg->za) {
        zip_source_free(src);
        return open_failed(err, zerr);
    }
    return SOCC_OK;
}

void xlsx_part_close(struct xlsx_part_pkg *pkg)
{
    if (pkg->za)
        zip_discard(pkg->za);
    pkg->za = NULL;
}

/* Index of part name, tried exactly, then without case (OPC names are
 * case-insensitive); -1 when absent. */
static zip_int64_t locate(struct xlsx_part_pkg *pkg, const char *name)
{
    zip_int64_t i;

    if (name[0] == '/')
        name++;
    i = zip_name_locate(pkg->za, name, 0);
    if (i < 0)
        i = zip_name_locate(pkg->za, name, ZIP_FL_NOCASE);
    return i;
}

int xlsx_part_exists(struct xlsx_part_pkg *pkg, const char *name)
{
    return locate(pkg, name) >= 0;
}

void xlsx_part_fail(struct xlsx_part_xml *x, enum socc_err code,
                    const char *fmt, ...)
{
    va_list ap;
    char msg[200];

    if (x->rc != SOCC_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    x->rc = socc_error_set(x->pkg->err, code, "%s: %s", x->part, msg);
    if (x->scanning)
        xlsx_scan_stop(x->scan);
    else
        XML_StopParser(x->p, XML_FALSE);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name,
                               const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    xlsx_part_fail(ud, SOCC_E_CORRUPTED_FILE,
                   "DOCTYPE declarations are refused (entity expansion)");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param,
                              const XML_Char *value, int value_len,
                              const XML_Char *base, const XML_Char *sysid,
                              const XML_Char *pubid, const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base;
    (void)sysid, (void)pubid, (void)notation;
    xlsx_part_fail(ud, SOCC_E_CORRUPTED_FILE,
                   "entity declarations are refused (entity expansion)");
}

enum socc_err xlsx_part_xml_init(struct xlsx_part_xml *x,
                                 struct xlsx_part_pkg *pkg)
{
    memset(x, 0, sizeof(*x));
    x->pkg = pkg;
    x->part = "";
    x->p = XML_ParserCreate(NULL);
    if (!x->p)
        return socc_error_set(pkg->err, SOCC_E_INTERNAL, "out of memory");
    XML_SetUserData(x->p, x);
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    XML_SetEntityDeclHandler(x->p, on_entity);
    XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
    return SOCC_OK;
}

void xlsx_part_xml_release(struct xlsx_part_xml *x)
{
    if (x->p)
        XML_ParserFree(x->p);
    x->p = NULL;
    xlsx_scan_free(x->scan);
    x->scan = NULL;
}

static int expat_forced = -1;   /* -1: SOCC_XLSX_EXPAT decides */
static int expat_env;           /* SOCC_XLSX_EXPAT=1 was set */
static pthread_once_t expat_env_once = PTHREAD_ONCE_INIT;

static void read_expat_env(void)
{
    const char *v = getenv("SOCC_XLSX_EXPAT");

    expat_env = v && v[0] == '1' && !v[1];
}

static int expat_only(void)
{
    if (expat_forced >= 0)
        return expat_forced;
    pthread_once(&expat_env_once, read_expat_env);
    return expat_env;
}

void xlsx_part_force_expat(int on)
{
    expat_forced = on < 0 ? -1 : !!on;
}

enum socc_err xlsx_part_xml_init_fast(struct xlsx_part_xml *x,
                                      struct xlsx_part_pkg *pkg)
{
    enum socc_err rc = xlsx_part_xml_init(x, pkg);

    if (rc != SOCC_OK || expat_only())
        return rc;
    x->scan = xlsx_scan_new(x);
    if (!x->scan)
        return socc_error_set(pkg->err, SOCC_E_INTERNAL, "out of memory");
    return SOCC_OK;
}

void xlsx_part_set_elements(struct xlsx_part_xml *x,
                            XML_StartElementHandler start,
                            XML_EndElementHandler end)
{
    XML_SetElementHandler(x->p, start, end);
    if (x->scan)
        xlsx_scan_set_elements(x->scan, start, end);
}

void xlsx_part_set_text(struct xlsx_part_xml *x,
                        XML_CharacterDataHandler text)
{
    if (x->scanning)
        xlsx_scan_set_text(x->scan, text);
    else
        XML_SetCharacterDataHandler(x->p, text);
}

static enum socc_err zip_failed(struct xlsx_part_xml *x, zip_error_t *ze)
{
    int code = zip_error_code_zip(ze);

    if (code == ZIP_ER_NOPASSWD || code == ZIP_ER_WRONGPASSWD)
        return socc_error_set(x->pkg->err, SOCC_E_ENCRYPTED_FILE,
                              "%s: the zip entry is encrypted", x->part);
    if (code == ZIP_ER_MEMORY)
        return socc_error_set(x->pkg->err, SOCC_E_INTERNAL,
                              "%s: out of memory", x->part);
    return socc_error_set(x->pkg->err, SOCC_E_CORRUPTED_FILE,
                          "%s: damaged zip entry: %s", x->part,
                          zip_error_strerror(ze));
}

/* What the zip directory says of an entry: only used to spot a lie and
 * as the ratio's denominator, never to size a buffer or skip a guard. */
struct declared {
    uint64_t packed;   /* compressed bytes, at most the archive, never 0 */
    uint64_t size;     /* inflated bytes; UINT64_MAX when unknown */
};

static struct declared declared_sizes(struct xlsx_part_pkg *pkg,
                                      zip_int64_t i)
{
    struct declared d = { pkg->archive_size, UINT64_MAX };
    zip_stat_t st;

    zip_stat_init(&st);
    if (zip_stat_index(pkg->za, (zip_uint64_t)i, 0, &st) == 0) {
        if ((st.valid & ZIP_STAT_COMP_SIZE) && st.comp_size < d.packed)
            d.packed = st.comp_size;
        if (st.valid & ZIP_STAT_SIZE)
            d.size = st.size;
    }
    if (d.packed == 0)
        d.packed = 1;
    return d;
}

/* Count n more inflated bytes of a part against the guards. */
static enum socc_err guard(struct xlsx_part_xml *x, uint64_t part_total,
                           const struct declared *d, size_t n)
{
    const struct row_limits *lim = x->pkg->lim;
    uint64_t packed = d->packed;

    if (part_total > d->size)
        return socc_error_set(x->pkg->err, SOCC_E_CORRUPTED_FILE,
                              "%s: inflates past the %llu bytes its zip "
                              "header declares", x->part,
                              (unsigned long long)d->size);
    x->pkg->inflated += n;
    if (x->pkg->inflated > lim->max_inflated)
        return socc_error_set(x->pkg->err, SOCC_E_LIMIT_EXCEEDED,
                              "%s: the parts inflate past %llu bytes "
                              "(zip bomb guard)", x->part,
                              (unsigned long long)lim->max_inflated);
    if (part_total > XLSX_PART_RATIO_FLOOR &&
        part_total / packed > lim->max_ratio)
        return socc_error_set(x->pkg->err, SOCC_E_LIMIT_EXCEEDED,
                              "%s: inflates more than %u times its "
                              "compressed size (zip bomb guard)",
                              x->part, lim->max_ratio);
    return SOCC_OK;
}

static enum socc_err xml_failed(struct xlsx_part_xml *x)
{
    enum XML_Error e = XML_GetErrorCode(x->p);

    if (x->rc != SOCC_OK)
        return x->rc;
    if (e == XML_ERROR_NO_MEMORY)
        return socc_error_set(x->pkg->err, SOCC_E_INTERNAL,
                              "%s: out of memory", x->part);
    x->bad_xml = 1;
    return socc_error_set(x->pkg->err, SOCC_E_CORRUPTED_FILE,
                          "%s: bad xml at line %lu: %s", x->part,
                          (unsigned long)XML_GetCurrentLineNumber(x->p),
                          XML_ErrorString(e));
}

/* Inflate the open entry block by block into the parser; total bytes of
 * it were already inflated. */
static enum socc_err pump(struct xlsx_part_xml *x, zip_file_t *zf,
                          const struct declared *d, uint64_t total)
{
    zip_int64_t n;
    enum socc_err rc;
    void *b;

    for (;;) {
        b = XML_GetBuffer(x->p, XLSX_PART_BLOCK);
        if (!b)
            return xml_failed(x);
        n = zip_fread(zf, b, XLSX_PART_BLOCK);
        if (n < 0)
            return zip_failed(x, zip_file_get_error(zf));
        total += (uint64_t)n;
        rc = guard(x, total, d, (size_t)n);
        if (rc != SOCC_OK)
            return rc;
        if (XML_ParseBuffer(x->p, (int)n, n == 0) != XML_STATUS_OK)
            return xml_failed(x);
        if (n == 0)
            return SOCC_OK;
    }
}

static enum socc_err scan_failed(struct xlsx_part_xml *x, enum socc_err rc)
{
    if (x->rc != SOCC_OK)
        return x->rc;
    x->bad_xml = rc == SOCC_E_CORRUPTED_FILE;
    return socc_error_set(x->pkg->err, rc, "%s: %s", x->part,
                          xlsx_scan_detail(x->scan));
}

/* The part's first block b[0..n) is in an encoding the scanner leaves to
 * expat: expat reads it and the rest. */
static enum socc_err hand_to_expat(struct xlsx_part_xml *x, zip_file_t *zf,
                                   const struct declared *d, const char *b,
                                   zip_int64_t n)
{
    x->scanning = 0;
    if (XML_Parse(x->p, b, (int)n, n == 0) != XML_STATUS_OK)
        return xml_failed(x);
    return n == 0 ? SOCC_OK : pump(x, zf, d, (uint64_t)n);
}

/* Inflate the open entry block by block into the scanner. */
static enum socc_err pump_scan(struct xlsx_part_xml *x, zip_file_t *zf,
                               const struct declared *d)
{
    uint64_t total = 0;
    zip_int64_t n;
    enum socc_err rc;
    char *b;

    for (;;) {
        b = xlsx_scan_buffer(x->scan, XLSX_PART_BLOCK);
        if (!b)
            return socc_error_set(x->pkg->err, SOCC_E_INTERNAL,
                                  "%s: out of memory", x->part);
        n = zip_fread(zf, b, XLSX_PART_BLOCK);
        if (n < 0)
            return zip_failed(x, zip_file_get_error(zf));
        rc = guard(x, total += (uint64_t)n, d, (size_t)n);
        if (rc != SOCC_OK)
            return rc;
        if (total == (uint64_t)n && !xlsx_scan_can_read(b, (size_t)n))
            return hand_to_expat(x, zf, d, b, n);
        rc = xlsx_scan_parse(x->scan, (size_t)n, n == 0);
        if (rc != SOCC_OK)
            return scan_failed(x, rc);
        if (n == 0)
            return SOCC_OK;
    }
}

enum socc_err xlsx_part_parse(struct xlsx_part_xml *x, const char *name,
                              int optional)
{
    struct xlsx_part_pkg *pkg = x->pkg;
    zip_int64_t i;
    zip_file_t *zf;
    struct declared d;
    enum socc_err rc;

    x->part = name;
    x->missing = 0;
    x->bad_xml = 0;
    i = locate(pkg, name);
    if (i < 0) {
        x->missing = 1;
        if (optional)
            return SOCC_OK;
        return socc_error_set(pkg->err, SOCC_E_CORRUPTED_FILE,
                              "missing part '%s'", name);
    }
    zf = zip_fopen_index(pkg->za, (zip_uint64_t)i, 0);
    if (!zf)
        return zip_failed(x, zip_get_error(pkg->za));
    d = declared_sizes(pkg, i);
    x->scanning = x->scan != NULL;
    rc = x->scanning ? pump_scan(x, zf, &d) : pump(x, zf, &d, 0);
    x->scanning = 0;
    zip_fclose(zf);
    return rc;
}

const char *xlsx_part_attr(const char **atts, const char *want)
{
    for (; atts[0]; atts += 2)
        if (strcmp(xlsx_part_local(atts[0]), want) == 0)
            return atts[1];
    return NULL;
}
