#ifndef SOCC_XLSX_PART_H
#define SOCC_XLSX_PART_H

/*
 * The XLSX package as the readers see it: a libzip archive whose parts are
 * inflated block by block into an expat parser, with the inflation guards
 * (total bytes, per-part ratio) counted while inflating.  Internal to
 * src/ingest/xlsx_*.c.
 */

#include <stddef.h>
#include <stdint.h>

#include <expat.h>
#include <zip.h>

#include "row.h"
#include "xlsx_scan.h"

struct xlsx_part_pkg {
    zip_t *za;                     /* owned; closed by xlsx_part_close() */
    const struct row_limits *lim;  /* borrowed */
    uint64_t archive_size;         /* bytes of the whole zip file */
    uint64_t inflated;             /* bytes inflated so far, all parts */
    struct socc_error *err;        /* borrowed; where failures are told */
};

/*
 * One XML part being parsed.  Handler contexts start with this struct so
 * that expat's user data is both; a handler that fails calls
 * xlsx_part_fail(), which stops the parser.
 */
struct xlsx_part_xml {
    XML_Parser p;                  /* owned */
    struct xlsx_scan *scan;        /* owned; NULL when expat reads all */
    int scanning;                  /* 1 while scan reads the part */
    struct xlsx_part_pkg *pkg;     /* borrowed */
    const char *part;              /* borrowed; part name for details */
    enum socc_err rc;              /* SOCC_OK until a handler fails */
    int missing;                   /* 1 when an optional part was absent */
    int bad_xml;                   /* 1 when the part is not well-formed */
};

/* Open the archive at path or in data[0..len) (borrowed, must outlive). */
enum socc_err xlsx_part_open_file(struct xlsx_part_pkg *pkg, const char *path,
                                  const struct row_limits *lim,
                                  struct socc_error *err);
enum socc_err xlsx_part_open_mem(struct xlsx_part_pkg *pkg, const void *data,
                                 size_t len, const struct row_limits *lim,
                                 struct socc_error *err);
void xlsx_part_close(struct xlsx_part_pkg *pkg);

/* 1 when the archive holds a part of that name (case-insensitive). */
int xlsx_part_exists(struct xlsx_part_pkg *pkg, const char *name);

/*
 * Make a parser whose user data is x (the handler context), which refuses
 * any DOCTYPE or entity declaration.  INTERNAL when out of memory.
 */
enum socc_err xlsx_part_xml_init(struct xlsx_part_xml *x,
                                 struct xlsx_part_pkg *pkg);
void xlsx_part_xml_release(struct xlsx_part_xml *x);

/*
 * The same, for a big part (a worksheet, the shared strings): it is read
 * by the xlsx_scan tokenizer, with identical handler calls, unless its
 * encoding is not UTF-8 or expat is forced (SOCC_XLSX_EXPAT=1 in the
 * environment, read once, or xlsx_part_force_expat()).
 */
enum socc_err xlsx_part_xml_init_fast(struct xlsx_part_xml *x,
                                      struct xlsx_part_pkg *pkg);

/* Handlers for whichever tokenizer reads the part (NULL: none). */
void xlsx_part_set_elements(struct xlsx_part_xml *x,
                            XML_StartElementHandler start,
                            XML_EndElementHandler end);
void xlsx_part_set_text(struct xlsx_part_xml *x,
                        XML_CharacterDataHandler text);

/*
 * For tests and benchmarks: 1 makes every part go through expat, 0 lets
 * the big parts use xlsx_scan, -1 follows SOCC_XLSX_EXPAT again.
 */
void xlsx_part_force_expat(int on);

/*
 * Stream part name through x->p.  A missing part is CORRUPTED_FILE, or,
 * when optional, SOCC_OK with x->missing set.  Returns the first error of
 * the zip, the guards, the XML or a handler, with a detail in pkg->err.
 */
enum socc_err xlsx_part_parse(struct xlsx_part_xml *x, const char *name,
                              int optional);

/* Record a failure from inside a handler and stop the parser. */
void xlsx_part_fail(struct xlsx_part_xml *x, enum socc_err code,
                    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Local part of an XML name: "x:row" gives "row". */
static inline const char *xlsx_part_local(const char *name)
{
    const char *l = name;

    for (; *name; name++)
        if (*name == ':')
            l = name + 1;
    return l;
}

/* Value of the attribute whose local name is want, or NULL. */
const char *xlsx_part_attr(const char **atts, const char *want);

#endif
