#ifndef SOCC_PROM_H
#define SOCC_PROM_H

/*
 * A strict reader of the Prometheus text exposition format 0.0.4 for the
 * tests: every line is a "# HELP" or "# TYPE" comment or a valid sample;
 * every sample belongs to a family typed before it; no sample repeats;
 * each histogram series has ascending le buckets with cumulative counts,
 * a +Inf bucket equal to its _count, and a _sum.  Header-only.
 */

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_MAX 2048

struct prom_sample {
    char key[400];      /* name{labels} as written, labels in order */
    char name[128];
    char labels[200];   /* inside the braces, "" when none */
    double value;
};

struct prom {
    struct prom_sample s[PROM_MAX];
    size_t n;
    char types[128][128];   /* family names with a TYPE */
    char kinds[128][32];
    size_t ntypes;
    char error[256];        /* why parsing failed */
};

static inline int prom_name_ok(const char *p, size_t n, int label)
{
    size_t i;

    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)p[i];
        int ok = isalpha(c) || c == '_' || (!label && c == ':') ||
                 (i > 0 && isdigit(c));
        if (!ok)
            return 0;
    }
    return 1;
}

static inline int prom_fail(struct prom *pr, const char *why,
                            const char *line)
{
    snprintf(pr->error, sizeof(pr->error), "%s: %.180s", why, line);
    return -1;
}

/* Family of a sample name: the name, or without _bucket/_sum/_count when
 * that family is a histogram. */
static inline const char *prom_kind(const struct prom *pr, const char *name,
                                    char *family, size_t fn)
{
    static const char *const suffix[] = { "_bucket", "_sum", "_count" };
    size_t i, k, len = strlen(name);

    for (i = 0; i < pr->ntypes; i++)
        if (strcmp(pr->types[i], name) == 0) {
            snprintf(family, fn, "%s", name);
            return pr->kinds[i];
        }
    for (k = 0; k < 3; k++) {
        size_t sl = strlen(suffix[k]);
        if (len <= sl || strcmp(name + len - sl, suffix[k]) != 0)
            continue;
        for (i = 0; i < pr->ntypes; i++)
            if (strlen(pr->types[i]) == len - sl &&
                strncmp(pr->types[i], name, len - sl) == 0 &&
                strcmp(pr->kinds[i], "histogram") == 0) {
                snprintf(family, fn, "%s", pr->types[i]);
                return pr->kinds[i];
            }
    }
    return NULL;
}

static inline int prom_comment(struct prom *pr, const char *line)
{
    char name[128], kind[32];
    int off = 0;

    if (strncmp(line, "# HELP ", 7) == 0) {
        if (sscanf(line + 7, "%127s%n", name, &off) != 1 ||
            !prom_name_ok(name, strlen(name), 0))
            return prom_fail(pr, "bad HELP", line);
        return 0;
    }
    if (strncmp(line, "# TYPE ", 7) != 0)
        return prom_fail(pr, "comment is neither HELP nor TYPE", line);
    if (sscanf(line + 7, "%127s %31s%n", name, kind, &off) != 2 ||
        line[7 + off] != '\0' || !prom_name_ok(name, strlen(name), 0))
        return prom_fail(pr, "bad TYPE", line);
    if (strcmp(kind, "counter") && strcmp(kind, "gauge") &&
        strcmp(kind, "histogram") && strcmp(kind, "summary") &&
        strcmp(kind, "untyped"))
        return prom_fail(pr, "unknown type", line);
    if (pr->ntypes >= 128)
        return prom_fail(pr, "too many families", line);
    snprintf(pr->types[pr->ntypes], sizeof(pr->types[0]), "%s", name);
    snprintf(pr->kinds[pr->ntypes++], sizeof(pr->kinds[0]), "%s", kind);
    return 0;
}

/* Labels between braces: name="value" pairs, comma separated. */
static inline const char *prom_labels(const char *p, struct prom *pr,
                                      const char *line)
{
    const char *start;

    while (*p != '}') {
        start = p;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        if (!prom_name_ok(start, (size_t)(p - start), 1) || p[0] != '=' ||
            p[1] != '"') {
            prom_fail(pr, "bad label", line);
            return NULL;
        }
        for (p += 2; *p && *p != '"'; p++)
            if (*p == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == 'n'))
                p++;
            else if (*p == '\\' || *p == '\n') {
                prom_fail(pr, "bad escape in label value", line);
                return NULL;
            }
        if (*p != '"') {
            prom_fail(pr, "unterminated label value", line);
            return NULL;
        }
        p++;
        if (*p == ',')
            p++;
        else if (*p != '}') {
            prom_fail(pr, "expected , or }", line);
            return NULL;
        }
    }
    return p + 1;
}

static inline int prom_value_ok(const char *v, double *out)
{
    char *end;

    if (strcmp(v, "+Inf") == 0 || strcmp(v, "-Inf") == 0 ||
        strcmp(v, "NaN") == 0) {
        *out = strcmp(v, "NaN") == 0 ? NAN : v[0] == '+' ? INFINITY
                                                         : -INFINITY;
        return 1;
    }
    if (!*v || isspace((unsigned char)*v))
        return 0;
    *out = strtod(v, &end);
    return *end == '\0';
}

static inline int prom_sample_line(struct prom *pr, const char *line)
{
    struct prom_sample *s = &pr->s[pr->n];
    const char *p = line, *lb = NULL, *le = NULL;
    char family[128], val[64], ts[32];
    size_t i;
    int fields;

    while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
        p++;
    if (!prom_name_ok(line, (size_t)(p - line), 0) ||
        (size_t)(p - line) >= sizeof(s->name))
        return prom_fail(pr, "bad metric name", line);
    memset(s, 0, sizeof(*s));
    memcpy(s->name, line, (size_t)(p - line));
    if (*p == '{') {
        lb = p + 1;
        p = prom_labels(lb, pr, line);
        if (!p)
            return -1;
        le = p - 1;
        if ((size_t)(le - lb) >= sizeof(s->labels))
            return prom_fail(pr, "labels too long", line);
        memcpy(s->labels, lb, (size_t)(le - lb));
    }
    if (*p != ' ')
        return prom_fail(pr, "expected a space before the value", line);
    fields = sscanf(p + 1, "%63s %31s", val, ts);
    if (fields < 1 || !prom_value_ok(val, &s->value) ||
        (fields == 2 && strspn(ts, "-0123456789") != strlen(ts)))
        return prom_fail(pr, "bad value", line);
    if (!prom_kind(pr, s->name, family, sizeof(family)))
        return prom_fail(pr, "sample without a TYPE", line);
    if ((size_t)(p - line) >= sizeof(s->key))
        return prom_fail(pr, "sample name and labels too long", line);
    memcpy(s->key, line, (size_t)(p - line));   /* name{labels} as written */
    s->key[p - line] = '\0';
    for (i = 0; i < pr->n; i++)
        if (strcmp(pr->s[i].key, s->key) == 0)
            return prom_fail(pr, "repeated sample", line);
    if (pr->n + 1 >= PROM_MAX)
        return prom_fail(pr, "too many samples", line);
    pr->n++;
    return 0;
}

/* The labels of a bucket without its le="..." (into out), and le. */
static inline int prom_split_le(const char *labels, char *out, size_t on,
                                double *le)
{
    const char *p = strstr(labels, "le=\"");
    char v[32];
    size_t k;

    if (!p || (p != labels && p[-1] != ','))
        return -1;
    k = strcspn(p + 4, "\"");
    if (k >= sizeof(v))
        return -1;
    memcpy(v, p + 4, k);
    v[k] = '\0';
    if (!prom_value_ok(v, le))
        return -1;
    snprintf(out, on, "%.*s%s", (int)(p - labels), labels,
             p[4 + k + 1] == ',' ? p + 4 + k + 2 : p + 4 + k + 1);
    k = strlen(out);
    if (k && out[k - 1] == ',')
        out[k - 1] = '\0';
    return 0;
}

/* The sample called key, or NULL. */
static inline const struct prom_sample *prom_get(const struct prom *pr,
                                                 const char *key)
{
    size_t i;

    for (i = 0; i < pr->n; i++)
        if (strcmp(pr->s[i].key, key) == 0)
            return &pr->s[i];
    return NULL;
}

/* Check one histogram series: family name fam, other labels rest. */
static inline int prom_check_series(struct prom *pr, const char *fam,
                                    const char *rest)
{
    char bname[160], other[200], key[512];
    const struct prom_sample *cnt, *sum;
    double prev_le = -INFINITY, prev = 0, inf = -1, le;
    size_t i;

    snprintf(bname, sizeof(bname), "%s_bucket", fam);
    for (i = 0; i < pr->n; i++) {
        if (strcmp(pr->s[i].name, bname) != 0 ||
            prom_split_le(pr->s[i].labels, other, sizeof(other), &le) != 0 ||
            strcmp(other, rest) != 0)
            continue;
        if (!(le > prev_le) || pr->s[i].value < prev)
            return prom_fail(pr, "buckets not ascending or not cumulative",
                             pr->s[i].key);
        prev_le = le;
        prev = pr->s[i].value;
        if (isinf(le))
            inf = pr->s[i].value;
    }
    snprintf(key, sizeof(key), "%s_count%s%s%s", fam, *rest ? "{" : "", rest,
             *rest ? "}" : "");
    cnt = prom_get(pr, key);
    snprintf(key, sizeof(key), "%s_sum%s%s%s", fam, *rest ? "{" : "", rest,
             *rest ? "}" : "");
    sum = prom_get(pr, key);
    if (inf < 0 || !cnt || !sum || cnt->value != inf)
        return prom_fail(pr, "+Inf bucket missing or not equal to _count",
                         key);
    return 0;
}

static inline int prom_check_histograms(struct prom *pr)
{
    char fam[128], rest[200];
    const char *kind;
    size_t i, len;
    double le;

    for (i = 0; i < pr->n; i++) {
        len = strlen(pr->s[i].name);
        if (len < 8 || strcmp(pr->s[i].name + len - 7, "_bucket") != 0)
            continue;
        kind = prom_kind(pr, pr->s[i].name, fam, sizeof(fam));
        if (!kind || strcmp(kind, "histogram") != 0)
            continue;
        if (prom_split_le(pr->s[i].labels, rest, sizeof(rest), &le) != 0)
            return prom_fail(pr, "bucket without le", pr->s[i].key);
        if (prom_check_series(pr, fam, rest) != 0)
            return -1;
    }
    return 0;
}

/* Parse text; 0, or -1 with pr->error saying why. */
static inline int prom_parse(struct prom *pr, const char *text)
{
    char line[1024];
    const char *p = text, *nl;
    size_t k;

    memset(pr, 0, sizeof(*pr));
    while (*p) {
        nl = strchr(p, '\n');
        if (!nl)
            return prom_fail(pr, "last line without a newline", p);
        k = (size_t)(nl - p);
        if (k == 0 || k >= sizeof(line))
            return prom_fail(pr, "empty or overlong line", p);
        memcpy(line, p, k);
        line[k] = '\0';
        if ((line[0] == '#' ? prom_comment(pr, line)
                            : prom_sample_line(pr, line)) != 0)
            return -1;
        p = nl + 1;
    }
    return prom_check_histograms(pr);
}

/* Value of key, or -1 when absent. */
static inline double prom_val(const struct prom *pr, const char *key)
{
    const struct prom_sample *s = prom_get(pr, key);

    return s ? s->value : -1;
}

#endif
