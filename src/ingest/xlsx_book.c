#include "xlsx_book.h"

#include <stdlib.h>
#include <string.h>

/* Relationships or sheets one workbook may list. */
#define XLSX_BOOK_MAX_ENTRIES 65536

/* One Relationship of a .rels part. */
struct rel {
    char *id;       /* owned */
    char *type;     /* owned; last segment of Type: "worksheet" */
    char *target;   /* owned; resolved part name */
};

/* Parse state of a .rels part. */
struct rels_ctx {
    struct xlsx_part_xml x;   /* first: expat user data */
    const char *dir;          /* borrowed; folder targets are relative to */
    unsigned depth;
    struct rel *v;            /* owned */
    size_t n, cap;
};

/* Parse state of the workbook part. */
struct wb_ctx {
    struct xlsx_part_xml x;   /* first: expat user data */
    struct xlsx_book *book;   /* borrowed */
    unsigned depth;
    int in_sheets;            /* inside workbook/sheets */
    char **rids;              /* owned; r:id per sheet */
};

void xlsx_book_init(struct xlsx_book *b)
{
    memset(b, 0, sizeof(*b));
}

void xlsx_book_release(struct xlsx_book *b)
{
    size_t i;

    for (i = 0; i < b->nsheets; i++) {
        free(b->sheets[i].name);
        free(b->sheets[i].part);
    }
    free(b->sheets);
    free(b->wb_part);
    free(b->styles_part);
    free(b->sst_part);
    xlsx_book_init(b);
}

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Append segment s[0..n) to the path in out (length *len), or pop. */
static void add_segment(char *out, size_t *len, const char *s, size_t n)
{
    char *slash;

    if (n == 0 || (n == 1 && s[0] == '.'))
        return;
    if (n == 2 && s[0] == '.' && s[1] == '.') {
        out[*len] = '\0';
        slash = strrchr(out, '/');
        *len = slash ? (size_t)(slash - out) : 0;
        return;
    }
    if (*len)
        out[(*len)++] = '/';
    memcpy(out + *len, s, n);
    *len += n;
}

/* Decode %XX escapes and turn backslashes into slashes, in place. */
static void unpercent(char *s)
{
    char *w = s;
    int h, l;

    for (; *s; s++) {
        if (*s == '%' && (h = hexv(s[1])) >= 0 && (l = hexv(s[2])) >= 0) {
            *w++ = (char)(h * 16 + l);
            s += 2;
        } else {
            *w++ = *s == '\\' ? '/' : *s;
        }
    }
    *w = '\0';
}

char *xlsx_book_resolve(const char *dir, const char *target)
{
    size_t nd = strlen(dir), nt = strlen(target), len = 0;
    char *joined = malloc(nd + nt + 2), *out = malloc(nd + nt + 2);
    const char *p, *e;

    if (!joined || !out) {
        free(joined);
        free(out);
        return NULL;
    }
    if (target[0] == '/' || target[0] == '\\')
        memcpy(joined, target, nt + 1);
    else
        memcpy(joined, dir, nd), memcpy(joined + nd, target, nt + 1);
    unpercent(joined);
    for (p = joined; *p; p = *e ? e + 1 : e) {
        e = strchr(p, '/');
        if (!e)
            e = p + strlen(p);
        add_segment(out, &len, p, (size_t)(e - p));
    }
    out[len] = '\0';
    free(joined);
    return out;
}

/* ---- .rels parts -------------------------------------------------------- */

static void rels_free(struct rels_ctx *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        free(c->v[i].id);
        free(c->v[i].type);
        free(c->v[i].target);
    }
    free(c->v);
    c->v = NULL;
    c->n = c->cap = 0;
}

static int rels_grow(struct rels_ctx *c)
{
    size_t ncap = c->cap ? c->cap * 2 : 16;
    struct rel *p;

    if (c->n < c->cap)
        return 0;
    p = realloc(c->v, ncap * sizeof(*p));
    if (!p)
        return -1;
    c->v = p;
    c->cap = ncap;
    return 0;
}

static void add_rel(struct rels_ctx *c, const char **atts)
{
    const char *id = xlsx_part_attr(atts, "Id");
    const char *type = xlsx_part_attr(atts, "Type");
    const char *target = xlsx_part_attr(atts, "Target");
    const char *mode = xlsx_part_attr(atts, "TargetMode");
    const char *slash;
    struct rel *r;

    if (!id || !type || !target || (mode && !strcmp(mode, "External")))
        return;
    if (c->n >= XLSX_BOOK_MAX_ENTRIES) {
        xlsx_part_fail(&c->x, SOCC_E_LIMIT_EXCEEDED,
                       "more than %d relationships", XLSX_BOOK_MAX_ENTRIES);
        return;
    }
    if (rels_grow(c) != 0)
        goto oom;
    slash = strrchr(type, '/');
    r = &c->v[c->n];
    r->id = strdup(id);
    r->type = strdup(slash ? slash + 1 : type);
    r->target = xlsx_book_resolve(c->dir, target);
    c->n++;
    if (r->id && r->type && r->target)
        return;
oom:
    xlsx_part_fail(&c->x, SOCC_E_INTERNAL, "out of memory");
}

static void XMLCALL rels_start(void *ud, const XML_Char *name,
                               const XML_Char **atts)
{
    struct rels_ctx *c = ud;

    if (++c->depth == 2 &&
        strcmp(xlsx_part_local(name), "Relationship") == 0)
        add_rel(c, atts);
}

static void XMLCALL rels_end(void *ud, const XML_Char *name)
{
    (void)name;
    ((struct rels_ctx *)ud)->depth--;
}

/* Parse a .rels part whose targets are relative to dir. */
static enum socc_err rels_load(struct rels_ctx *c, struct xlsx_part_pkg *pkg,
                               const char *part, const char *dir,
                               int optional)
{
    enum socc_err rc;

    memset(c, 0, sizeof(*c));
    c->dir = dir;
    rc = xlsx_part_xml_init(&c->x, pkg);
    if (rc != SOCC_OK)
        return rc;
    XML_SetElementHandler(c->x.p, rels_start, rels_end);
    rc = xlsx_part_parse(&c->x, part, optional);
    xlsx_part_xml_release(&c->x);
    return rc;
}

static const struct rel *rel_by_type(const struct rels_ctx *c,
                                     const char *type)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        if (strcmp(c->v[i].type, type) == 0)
            return &c->v[i];
    return NULL;
}

static const struct rel *rel_by_id(const struct rels_ctx *c, const char *id)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        if (strcmp(c->v[i].id, id) == 0)
            return &c->v[i];
    return NULL;
}

static void warn(const struct row_sink *sink, const char *msg)
{
    if (sink->warn)
        sink->warn(sink->ctx, msg);
}

/* The workbook part named by _rels/.rels, else the usual xl/workbook.xml. */
static enum socc_err find_workbook(struct xlsx_book *b,
                                   struct xlsx_part_pkg *pkg,
                                   const struct row_sink *sink)
{
    struct rels_ctx c;
    const struct rel *r;
    enum socc_err rc = rels_load(&c, pkg, "_rels/.rels", "", 1);

    if (rc == SOCC_E_CORRUPTED_FILE && c.x.bad_xml) {
        warn(sink, "_rels/.rels is not well-formed; read xl/workbook.xml");
        rc = SOCC_OK;
        socc_error_clear(pkg->err);
    }
    r = rc == SOCC_OK ? rel_by_type(&c, "officeDocument") : NULL;
    if (rc == SOCC_OK)
        b->wb_part = strdup(r ? r->target : "xl/workbook.xml");
    rels_free(&c);
    if (rc == SOCC_OK && !b->wb_part)
        rc = socc_error_set(pkg->err, SOCC_E_INTERNAL, "out of memory");
    return rc;
}

/* ---- the workbook part -------------------------------------------------- */

static int flag_on(const char *v)
{
    return v && (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "on"));
}

static void add_sheet(struct wb_ctx *c, const char **atts)
{
    struct xlsx_book *b = c->book;
    const char *name = xlsx_part_attr(atts, "name");
    const char *rid = xlsx_part_attr(atts, "id");
    size_t ncap = b->csheets ? b->csheets * 2 : 8;
    void *p;

    if (b->nsheets >= XLSX_BOOK_MAX_ENTRIES) {
        xlsx_part_fail(&c->x, SOCC_E_LIMIT_EXCEEDED, "more than %d sheets",
                       XLSX_BOOK_MAX_ENTRIES);
        return;
    }
    if (b->nsheets == b->csheets) {
        if (!(p = realloc(b->sheets, ncap * sizeof(*b->sheets))))
            goto oom;
        b->sheets = p;
        if (!(p = realloc(c->rids, ncap * sizeof(*c->rids))))
            goto oom;
        c->rids = p;
        b->csheets = ncap;
    }
    b->sheets[b->nsheets].name = strdup(name ? name : "");
    b->sheets[b->nsheets].part = NULL;
    c->rids[b->nsheets] = strdup(rid ? rid : "");
    if (b->sheets[b->nsheets++].name && c->rids[b->nsheets - 1])
        return;
oom:
    xlsx_part_fail(&c->x, SOCC_E_INTERNAL, "out of memory");
}

static void XMLCALL wb_start(void *ud, const XML_Char *name,
                             const XML_Char **atts)
{
    struct wb_ctx *c = ud;
    const char *l = xlsx_part_local(name);
    unsigned d = ++c->depth;

    if (d == 2 && strcmp(l, "workbookPr") == 0)
        c->book->date1904 = flag_on(xlsx_part_attr(atts, "date1904"));
    else if (d == 2)
        c->in_sheets = strcmp(l, "sheets") == 0;
    else if (d == 3 && c->in_sheets && strcmp(l, "sheet") == 0)
        add_sheet(c, atts);
}

static void XMLCALL wb_end(void *ud, const XML_Char *name)
{
    struct wb_ctx *c = ud;

    (void)name;
    if (c->depth-- == 2)
        c->in_sheets = 0;
}

/* Point each sheet at its part through the workbook relationships. */
static enum socc_err link_sheets(struct xlsx_book *b, struct wb_ctx *w,
                                 const struct rels_ctx *rels,
                                 struct socc_error *err)
{
    const struct rel *r;
    size_t i;

    for (i = 0; i < b->nsheets; i++) {
        r = rel_by_id(rels, w->rids[i]);
        if (!r)
            return socc_error_set(err, SOCC_E_CORRUPTED_FILE,
                                  "sheet '%.60s' has no relationship '%.40s'",
                                  b->sheets[i].name, w->rids[i]);
        /* Chartsheets and dialogsheets hold no cells: they are listed as
         * sheets without rows.  Macrosheets hold cells like worksheets. */
        if (strcmp(r->type, "worksheet") && strcmp(r->type, "macrosheet"))
            continue;
        if (!(b->sheets[i].part = strdup(r->target)))
            return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    }
    return SOCC_OK;
}

/* Part of type from the workbook relationships, else dir + fallback. */
static char *aux_part(const struct rels_ctx *rels, const char *type,
                      const char *dir, const char *fallback)
{
    const struct rel *r = rel_by_type(rels, type);

    return r ? strdup(r->target) : xlsx_book_resolve(dir, fallback);
}

static enum socc_err read_workbook(struct xlsx_book *b,
                                   struct xlsx_part_pkg *pkg,
                                   const struct rels_ctx *rels)
{
    struct wb_ctx w;
    enum socc_err rc;
    size_t i;

    memset(&w, 0, sizeof(w));
    w.book = b;
    rc = xlsx_part_xml_init(&w.x, pkg);
    if (rc != SOCC_OK)
        return rc;
    XML_SetElementHandler(w.x.p, wb_start, wb_end);
    rc = xlsx_part_parse(&w.x, b->wb_part, 0);
    if (rc == SOCC_OK && b->nsheets == 0)
        rc = socc_error_set(pkg->err, SOCC_E_CORRUPTED_FILE,
                            "%s lists no sheets", b->wb_part);
    if (rc == SOCC_OK)
        rc = link_sheets(b, &w, rels, pkg->err);
    for (i = 0; i < b->nsheets; i++)
        free(w.rids[i]);
    free(w.rids);
    xlsx_part_xml_release(&w.x);
    return rc;
}

/* "xl/" and "xl/_rels/workbook.xml.rels" of "xl/workbook.xml". */
static int wb_paths(const char *wb, char **dir, char **rels)
{
    const char *slash = strrchr(wb, '/');
    size_t nd = slash ? (size_t)(slash - wb) + 1 : 0;

    *dir = malloc(nd + 1);
    *rels = malloc(strlen(wb) + 12);
    if (!*dir || !*rels)
        return -1;
    memcpy(*dir, wb, nd);
    (*dir)[nd] = '\0';
    memcpy(*rels, wb, nd);
    strcpy(*rels + nd, "_rels/");
    strcat(*rels, wb + nd);
    strcat(*rels, ".rels");
    return 0;
}

enum socc_err xlsx_book_load(struct xlsx_book *b, struct xlsx_part_pkg *pkg,
                             const struct row_sink *sink)
{
    struct rels_ctx rels;
    char *dir = NULL, *relpath = NULL;
    enum socc_err rc = find_workbook(b, pkg, sink);

    memset(&rels, 0, sizeof(rels));
    if (rc != SOCC_OK)
        return rc;
    if (wb_paths(b->wb_part, &dir, &relpath) != 0) {
        rc = socc_error_set(pkg->err, SOCC_E_INTERNAL, "out of memory");
        goto out_free_paths;
    }
    rc = rels_load(&rels, pkg, relpath, dir, 0);
    if (rc == SOCC_OK)
        rc = read_workbook(b, pkg, &rels);
    if (rc == SOCC_OK) {
        b->styles_part = aux_part(&rels, "styles", dir, "styles.xml");
        b->sst_part = aux_part(&rels, "sharedStrings", dir,
                               "sharedStrings.xml");
        if (!b->styles_part || !b->sst_part)
            rc = socc_error_set(pkg->err, SOCC_E_INTERNAL, "out of memory");
    }
    rels_free(&rels);
out_free_paths:
    free(dir);
    free(relpath);
    return rc;
}
