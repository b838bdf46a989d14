#include "store/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"

#define NFIELDS 12

static void put_field(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '%' || *s == '\t' || *s == '\r' || *s == '\n')
            buf_printf(b, "%%%02X", (unsigned)(unsigned char)*s);
        else
            buf_addc(b, *s);
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decode field f[0..n) into out (size cap); -1 when it does not fit. */
static int get_field(const char *f, size_t n, char *out, size_t cap)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        char c = f[i];
        if (c == '%' && i + 2 < n && hexval(f[i + 1]) >= 0 &&
            hexval(f[i + 2]) >= 0) {
            c = (char)(hexval(f[i + 1]) * 16 + hexval(f[i + 2]));
            i += 2;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

static void format_entry(const struct journal_entry *e, struct buf *b)
{
    buf_printf(b, "%lld\t%lld\t", (long long)e->seq, (long long)e->ts_ms);
    put_field(b, e->op);
    buf_printf(b, "\t%lld\t", (long long)e->id);
    put_field(b, e->company);
    buf_addc(b, '\t');
    put_field(b, e->tool_type);
    buf_addc(b, '\t');
    put_field(b, e->filename);
    buf_addc(b, '\t');
    put_field(b, e->uploaded_by);
    buf_addc(b, '\t');
    put_field(b, e->sha256);
    buf_printf(b, "\t%llu\t", (unsigned long long)e->size);
    put_field(b, e->created_at);
    buf_addc(b, '\t');
    put_field(b, e->arg);
    buf_addc(b, '\n');
}

int journal_append(const char *path, const struct journal_entry *e)
{
    struct buf b;
    int fd, rc = -1;
    size_t off = 0;

    buf_init(&b);
    format_entry(e, &b);
    if (!buf_ok(&b))
        goto out_buf;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        goto out_buf;
    while (off < b.len) {
        ssize_t w = write(fd, b.data + off, b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto out_close;
        off += (size_t)w;
    }
    rc = fsync(fd);
out_close:
    close(fd);
out_buf:
    buf_release(&b);
    return rc;
}

/* Split line (no newline) into e; 0 or -1 when it is not an entry. */
static int parse_line(char *line, struct journal_entry *e)
{
    char *f[NFIELDS], num[32];
    size_t len[NFIELDS];
    int k = 0;
    char *p = line, *tab;

    memset(e, 0, sizeof(*e));
    while (k < NFIELDS) {
        tab = strchr(p, '\t');
        f[k] = p;
        len[k] = tab ? (size_t)(tab - p) : strlen(p);
        k++;
        if (!tab)
            break;
        p = tab + 1;
    }
    if (k != NFIELDS)
        return -1;
    if (get_field(f[0], len[0], num, sizeof(num)) != 0)
        return -1;
    e->seq = strtoll(num, NULL, 10);
    if (get_field(f[1], len[1], num, sizeof(num)) != 0)
        return -1;
    e->ts_ms = strtoll(num, NULL, 10);
    if (get_field(f[3], len[3], num, sizeof(num)) != 0)
        return -1;
    e->id = strtoll(num, NULL, 10);
    if (get_field(f[9], len[9], num, sizeof(num)) != 0)
        return -1;
    e->size = strtoull(num, NULL, 10);
    if (get_field(f[2], len[2], e->op, sizeof(e->op)) ||
        get_field(f[4], len[4], e->company, sizeof(e->company)) ||
        get_field(f[5], len[5], e->tool_type, sizeof(e->tool_type)) ||
        get_field(f[6], len[6], e->filename, sizeof(e->filename)) ||
        get_field(f[7], len[7], e->uploaded_by, sizeof(e->uploaded_by)) ||
        get_field(f[8], len[8], e->sha256, sizeof(e->sha256)) ||
        get_field(f[10], len[10], e->created_at, sizeof(e->created_at)) ||
        get_field(f[11], len[11], e->arg, sizeof(e->arg)))
        return -1;
    return e->seq > 0 ? 0 : -1;
}

int journal_read(const char *path,
                 int (*fn)(const struct journal_entry *e, void *ud), void *ud)
{
    FILE *fp = fopen(path, "re");
    struct journal_entry *e;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;

    if (!fp)
        return errno == ENOENT ? 0 : -1;
    e = malloc(sizeof(*e));
    if (!e) {
        fclose(fp);
        return -1;
    }
    while (rc == 0 && (n = getline(&line, &cap, fp)) > 0) {
        if (line[n - 1] != '\n')
            break;              /* torn tail */
        line[n - 1] = '\0';
        if (parse_line(line, e) == 0)
            rc = fn(e, ud);
    }
    free(line);
    free(e);
    fclose(fp);
    return rc;
}

struct keep {
    struct buf out;
    int64_t lo, hi;
    int dropped;
};

static int keep_one(const struct journal_entry *e, void *ud)
{
    struct keep *k = ud;

    if (e->seq > k->lo && e->seq <= k->hi)
        format_entry(e, &k->out);
    else
        k->dropped = 1;
    return 0;
}

static int write_replace(const char *path, const struct buf *b)
{
    char tmp[1200];
    int fd, rc = -1;

    snprintf(tmp, sizeof(tmp), "%s.new", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    if ((b->len == 0 || write(fd, b->data, b->len) == (ssize_t)b->len) &&
        fsync(fd) == 0)
        rc = rename(tmp, path);
    close(fd);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int journal_keep(const char *path, int64_t lo, int64_t hi)
{
    struct keep k;
    FILE *fp;
    long size_before = 0;
    int rc;

    memset(&k, 0, sizeof(k));
    buf_init(&k.out);
    k.lo = lo;
    k.hi = hi;
    fp = fopen(path, "re");
    if (fp) {
        fseek(fp, 0, SEEK_END);
        size_before = ftell(fp);
        fclose(fp);
    }
    rc = journal_read(path, keep_one, &k);
    if (rc == 0 && (k.dropped || (long)k.out.len != size_before) && fp)
        rc = buf_ok(&k.out) || k.out.len == 0 ? write_replace(path, &k.out)
                                              : -1;
    buf_release(&k.out);
    return rc;
}

int64_t journal_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int journal_parse_time(const char *s, int64_t *ms)
{
    struct tm tm;
    const char *p;
    char *end;
    long frac = 0, scale = 1000;

    if (!s || !*s)
        return -1;
    if (strchr(s, 'T') == NULL) {
        errno = 0;
        *ms = strtoll(s, &end, 10);
        return errno || *end || *ms < 0 ? -1 : 0;
    }
    memset(&tm, 0, sizeof(tm));
    p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (scale > 1) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
        }
    }
    if (strcmp(p, "Z") != 0 && strcmp(p, "") != 0)
        return -1;
    *ms = (int64_t)timegm(&tm) * 1000 + frac;
    return 0;
}

void journal_format_time(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    size_t k;

    gmtime_r(&t, &tm);
    k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%03dZ", (int)(ms % 1000));
}
