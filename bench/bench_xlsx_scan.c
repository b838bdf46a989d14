/*
 * Tokenizer cost alone: an inflated XML part read through expat and
 * through xlsx_scan with handlers that only count, in 64 KiB blocks as
 * the reader feeds them.  Prints user+system CPU of each.
 *
 *   unzip -p siem_50m.xlsx xl/worksheets/sheet1.xml > /tmp/sheet1.xml
 *   make build/rel/libsocc.a
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o build/rel/xlsx_scan_bench \
 *       bench/bench_xlsx_scan.c build/rel/libsocc.a \
 *       $(pkg-config --libs expat) -lm
 *   build/rel/xlsx_scan_bench /tmp/sheet1.xml
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <expat.h>

#include "ingest/xlsx_scan.h"

#define BLOCK (64 * 1024)

/* What the handlers saw. */
struct count {
    unsigned long starts, ends, text;
};

static void on_start(void *ud, const char *name, const char **atts)
{
    (void)name, (void)atts;
    ((struct count *)ud)->starts++;
}

static void on_end(void *ud, const char *name)
{
    (void)name;
    ((struct count *)ud)->ends++;
}

static void on_text(void *ud, const char *s, int len)
{
    (void)s;
    ((struct count *)ud)->text += (unsigned long)len;
}

static double cpu(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int by_expat(const char *d, size_t n, struct count *c)
{
    XML_Parser p = XML_ParserCreate(NULL);
    size_t off, k;
    int ok = 1;

    XML_SetUserData(p, c);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    for (off = 0; ok && off < n; off += k) {
        k = n - off < BLOCK ? n - off : BLOCK;
        ok = XML_Parse(p, d + off, (int)k, 0) == XML_STATUS_OK;
    }
    ok = ok && XML_Parse(p, "", 0, 1) == XML_STATUS_OK;
    XML_ParserFree(p);
    return ok;
}

static int by_scan(const char *d, size_t n, struct count *c)
{
    struct xlsx_scan *s = xlsx_scan_new(c);
    size_t off, k;
    enum socc_err rc = SOCC_OK;

    xlsx_scan_set_elements(s, on_start, on_end);
    xlsx_scan_set_text(s, on_text);
    for (off = 0; rc == SOCC_OK && off < n; off += k) {
        k = n - off < BLOCK ? n - off : BLOCK;
        memcpy(xlsx_scan_buffer(s, k), d + off, k);
        rc = xlsx_scan_parse(s, k, 0);
    }
    if (rc == SOCC_OK)
        rc = xlsx_scan_parse(s, 0, 1);
    xlsx_scan_free(s);
    return rc == SOCC_OK;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    char *d;
    long len;

    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    rewind(fp);
    d = malloc((size_t)len + 1);
    *n = d ? fread(d, 1, (size_t)len, fp) : 0;
    fclose(fp);
    return d;
}

int main(int argc, char **argv)
{
    struct count a, b;
    size_t n;
    double t0, te, ts;
    char *d;
    int i, ok;

    for (i = 1; i < argc; i++) {
        if (!(d = slurp(argv[i], &n)))
            return 1;
        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        t0 = cpu();
        ok = by_expat(d, n, &a);
        te = cpu() - t0;
        t0 = cpu();
        ok &= by_scan(d, n, &b);
        ts = cpu() - t0;
        printf("%s: %zu bytes; expat %.3f s, scan %.3f s (%.1fx); "
               "events %s\n", argv[i], n, te, ts, te / ts,
               ok && !memcmp(&a, &b, sizeof(a)) ? "equal" : "DIFFER");
        free(d);
    }
    return 0;
}
