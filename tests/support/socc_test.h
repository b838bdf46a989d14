#ifndef SOCC_TEST_H
#define SOCC_TEST_H

/*
 * Helpers shared by the cmocka tests: where ../shared is, a row sink that
 * keeps what a reader produced, and EXPECTED.tsv lookup.  Header-only.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ftw.h>

#include <cmocka.h>

#include "ingest/row.h"

/* Directory of the shared corpus and cases, or NULL when absent. */
static inline const char *st_shared(void)
{
    static char path[4096];
    const char *env = getenv("SOCC_SHARED");
    struct stat sb;

    snprintf(path, sizeof(path), "%s", env ? env : "../shared");
    char probe[4200];
    snprintf(probe, sizeof(probe), "%s/corpus", path);
    if (stat(probe, &sb) != 0)
        return NULL;
    return path;
}

/* Skip the calling test with a clear line when ../shared is missing. */
#define ST_NEED_SHARED(dir)                                                   \
    const char *dir = st_shared();                                           \
    do {                                                                      \
        if (!dir) {                                                           \
            printf("SKIP: ../shared not found (set SOCC_SHARED)\n");          \
            skip();                                                           \
        }                                                                     \
    } while (0)

/* ---- temp directories ---- */

/* Make a fresh directory under $TMPDIR; path written into out (size n). */
static inline void st_tmpdir(char *out, size_t n)
{
    const char *t = getenv("TMPDIR");

    snprintf(out, n, "%s/socc-test-XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(out));
}

static inline int st_rm_one(const char *p, const struct stat *sb, int flag,
                            struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Remove a directory tree made by st_tmpdir. */
static inline void st_rmtree(const char *dir)
{
    nftw(dir, st_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write n bytes to dir/name; the path goes into out (size on). */
static inline void st_write_file(const char *dir, const char *name,
                                 const void *p, size_t n, char *out,
                                 size_t on)
{
    FILE *fp;

    snprintf(out, on, "%s/%s", dir, name);
    fp = fopen(out, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

/* ---- a row sink that keeps everything ---------------------------------- */

struct st_cell {
    char *text;              /* owned, NUL-terminated (may hold NULs) */
    size_t len;
    enum row_cell_kind kind;
};

struct st_row {
    uint32_t row_num;
    size_t ncells;
    struct st_cell *cells;
};

struct st_sheet {
    char *name;
    size_t nrows;
    size_t cap;
    struct st_row *rows;
};

struct st_book {
    size_t nsheets;
    struct st_sheet sheets[64];
    int ended;               /* sheet_end calls */
    int warnings;
    char last_warning[256];
};

static inline enum socc_err st_sheet_begin(void *ctx, const char *name,
                                           size_t len)
{
    struct st_book *b = ctx;
    struct st_sheet *s;

    if (b->nsheets >= 64)
        return SOCC_E_LIMIT_EXCEEDED;
    s = &b->sheets[b->nsheets++];
    memset(s, 0, sizeof(*s));
    s->name = malloc(len + 1);
    memcpy(s->name, name, len);
    s->name[len] = '\0';
    return SOCC_OK;
}

static inline enum socc_err st_row(void *ctx, uint32_t row_num,
                                   const struct row_cell *cells, size_t n)
{
    struct st_book *b = ctx;
    struct st_sheet *s;
    struct st_row *r;
    size_t i;

    assert_true(b->nsheets > 0);
    s = &b->sheets[b->nsheets - 1];
    if (s->nrows == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->rows = realloc(s->rows, s->cap * sizeof(*s->rows));
    }
    r = &s->rows[s->nrows++];
    r->row_num = row_num;
    r->ncells = n;
    r->cells = calloc(n ? n : 1, sizeof(*r->cells));
    for (i = 0; i < n; i++) {
        r->cells[i].text = malloc(cells[i].len + 1);
        memcpy(r->cells[i].text, cells[i].text, cells[i].len);
        r->cells[i].text[cells[i].len] = '\0';
        r->cells[i].len = cells[i].len;
        r->cells[i].kind = cells[i].kind;
    }
    return SOCC_OK;
}

static inline enum socc_err st_sheet_end(void *ctx)
{
    ((struct st_book *)ctx)->ended++;
    return SOCC_OK;
}

static inline void st_warn(void *ctx, const char *msg)
{
    struct st_book *b = ctx;

    b->warnings++;
    snprintf(b->last_warning, sizeof(b->last_warning), "%s", msg);
}

static inline struct row_sink st_sink(struct st_book *b)
{
    struct row_sink s = { b, st_sheet_begin, st_row, st_sheet_end, st_warn };

    memset(b, 0, sizeof(*b));
    return s;
}

static inline void st_book_free(struct st_book *b)
{
    size_t i, j, k;

    for (i = 0; i < b->nsheets; i++) {
        struct st_sheet *s = &b->sheets[i];
        for (j = 0; j < s->nrows; j++) {
            for (k = 0; k < s->rows[j].ncells; k++)
                free(s->rows[j].cells[k].text);
            free(s->rows[j].cells);
        }
        free(s->rows);
        free(s->name);
    }
    memset(b, 0, sizeof(*b));
}

/* Text of cell (sheet, row index, col), "" when absent. */
static inline const char *st_cell(const struct st_book *b, size_t sheet,
                                  size_t row, size_t col)
{
    if (sheet >= b->nsheets || row >= b->sheets[sheet].nrows ||
        col >= b->sheets[sheet].rows[row].ncells)
        return "";
    return b->sheets[sheet].rows[row].cells[col].text;
}

/* ---- EXPECTED.tsv ----------------------------------------------------- */

/* One row of corpus/EXPECTED.tsv; fields point into line (owned). */
struct st_expect {
    char *line;
    char *file, *format, *verdict, *sheets, *rows, *cols, *header, *sha256,
        *bytes, *note;
};

/*
 * EXPECTED.tsv has one row whose file field is preceded by the escaped
 * tail ("\\n DEF\\n") of the row before: accept that prefix too.
 */
static inline int st_tsv_name_is(const char *field, const char *file)
{
    size_t a = strlen(field), b = strlen(file);

    if (strcmp(field, file) == 0)
        return 1;
    return a > b + 2 && strcmp(field + a - b, file) == 0 &&
           field[a - b - 1] == 'n' && field[a - b - 2] == '\\';
}

/* A first field of EXPECTED.tsv without that escaped tail. */
static inline const char *st_tsv_clean_name(const char *field)
{
    const char *p;

    while ((p = strstr(field, "\\n")) != NULL)
        field = p + 2;
    return field;
}

/* Load the row for file (e.g. "security/x.csv"); 0 when found, else -1. */
static inline int st_expect_get(const char *shared, const char *file,
                                struct st_expect *e)
{
    char path[4200], *line = NULL, *f[10];
    size_t cap = 0, i;
    FILE *fp;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/corpus/EXPECTED.tsv", shared);
    fp = fopen(path, "r");
    if (!fp)
        return -1;
    while ((n = getline(&line, &cap, fp)) > 0) {
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        char *p = line;
        for (i = 0; i < 10; i++) {
            f[i] = p;
            p = p ? strchr(p, '\t') : NULL;
            if (p)
                *p++ = '\0';
        }
        if (f[0] && st_tsv_name_is(f[0], file)) {
            e->line = line;
            /* the name itself, past the previous row's escaped tail */
            f[0] += strlen(f[0]) - strlen(file);
            e->file = f[0]; e->format = f[1]; e->verdict = f[2];
            e->sheets = f[3]; e->rows = f[4]; e->cols = f[5];
            e->header = f[6]; e->sha256 = f[7]; e->bytes = f[8];
            e->note = f[9] ? f[9] : (char *)"";
            fclose(fp);
            return 0;
        }
    }
    free(line);
    fclose(fp);
    return -1;
}

static inline void st_expect_free(struct st_expect *e)
{
    free(e->line);
    e->line = NULL;
}

#endif
