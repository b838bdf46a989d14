#include "upload_state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_LEN 2200

static int mkdir_parents(const char *path)
{
    char tmp[1024];
    size_t i;

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (i = 1; tmp[i]; i++) {
        if (tmp[i] != '/')
            continue;
        tmp[i] = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        tmp[i] = '/';
    }
    return 0;
}

int upload_state_path(char *out, size_t n)
{
    const char *v = getenv("SOCC_UPLOAD_STATE");
    int len;

    if (v && *v)
        len = snprintf(out, n, "%s", v);
    else if ((v = getenv("XDG_STATE_HOME")) && *v)
        len = snprintf(out, n, "%s/socc/uploads", v);
    else if ((v = getenv("HOME")) && *v)
        len = snprintf(out, n, "%s/.local/state/socc/uploads", v);
    else
        return -1;
    return len > 0 && (size_t)len < n ? 0 : -1;
}

/* Split "sha size url" in place; 0 or -1. */
static int split(char *line, char **sha, uint64_t *size, char **url)
{
    char *sp1 = strchr(line, ' '), *sp2;

    line[strcspn(line, "\n")] = '\0';
    if (!sp1)
        return -1;
    *sp1 = '\0';
    sp2 = strchr(sp1 + 1, ' ');
    if (!sp2)
        return -1;
    *sp2 = '\0';
    *sha = line;
    *size = strtoull(sp1 + 1, NULL, 10);
    *url = sp2 + 1;
    return 0;
}

int upload_state_get(const char *path, const char *sha, uint64_t size,
                     const char *base, char *url, size_t n)
{
    char line[LINE_MAX_LEN], *s, *u;
    uint64_t sz;
    FILE *fp = fopen(path, "re");
    int rc = -1;

    if (!fp)
        return -1;
    while (rc != 0 && fgets(line, sizeof(line), fp)) {
        if (split(line, &s, &sz, &u) == 0 && strcmp(s, sha) == 0 &&
            sz == size && strncmp(u, base, strlen(base)) == 0 &&
            strlen(u) < n) {
            snprintf(url, n, "%s", u);
            rc = 0;
        }
    }
    fclose(fp);
    return rc;
}

/*
 * Copy the state file without the lines for (sha, size) or url (either
 * may be NULL), then add the line add (may be NULL); atomically.
 */
static int rewrite(const char *path, const char *sha, uint64_t size,
                   const char *drop_url, const char *add)
{
    char tmp[1100], line[LINE_MAX_LEN], copy[LINE_MAX_LEN], *s, *u;
    FILE *in, *out;
    uint64_t sz;
    int rc = 0;

    if (mkdir_parents(path) != 0 ||
        snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >=
            (int)sizeof(tmp))
        return -1;
    out = fopen(tmp, "we");
    if (!out)
        return -1;
    in = fopen(path, "re");
    while (in && fgets(line, sizeof(line), in)) {
        memcpy(copy, line, sizeof(line));
        if (split(line, &s, &sz, &u) != 0 ||
            (sha && strcmp(s, sha) == 0 && sz == size) ||
            (drop_url && strcmp(u, drop_url) == 0))
            continue;
        fputs(copy, out);
    }
    if (in)
        fclose(in);
    if (add)
        fprintf(out, "%s\n", add);
    rc = fflush(out) == 0 && fsync(fileno(out)) == 0 ? 0 : -1;
    if (fclose(out) != 0 || rc != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int upload_state_put(const char *path, const char *sha, uint64_t size,
                     const char *url)
{
    char line[LINE_MAX_LEN];

    if (snprintf(line, sizeof(line), "%s %" PRIu64 " %s", sha, size, url) >=
        (int)sizeof(line))
        return -1;
    return rewrite(path, sha, size, url, line);
}

int upload_state_del(const char *path, const char *url)
{
    if (access(path, F_OK) != 0)
        return 0;
    return rewrite(path, NULL, 0, url, NULL);
}
