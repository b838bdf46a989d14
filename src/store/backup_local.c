/* The local-directory backup target. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "store/backup.h"

struct local {
    char dir[1024];
};

static int say(char *msg, size_t n, const char *what, const char *path)
{
    snprintf(msg, n, "%s %s: %s", what, path, strerror(errno));
    return -1;
}

static int ensure_dir(const char *dir)
{
    char tmp[1024];
    size_t i;

    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (i = 1; tmp[i]; i++) {
        if (tmp[i] != '/')
            continue;
        tmp[i] = '\0';
        if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
            return -1;
        tmp[i] = '/';
    }
    return mkdir(tmp, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* Write len bytes from src fd (or data) to path.tmp, fsync, rename. */
static int write_atomic(const char *dir, const char *name, int src,
                        const void *data, size_t len, char *msg, size_t n)
{
    char path[1200], tmp[1300], blk[65536];
    ssize_t r = 0;
    int fd, ok;

    if (ensure_dir(dir) != 0)
        return say(msg, n, "cannot create", dir);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return say(msg, n, "cannot create", tmp);
    if (src < 0 && len > 0 && write(fd, data, len) != (ssize_t)len)
        r = -1;
    while (src >= 0 && (r = read(src, blk, sizeof(blk))) > 0)
        if (write(fd, blk, (size_t)r) != r) {
            r = -1;
            break;
        }
    ok = r >= 0 && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = 0;
    if (!ok) {
        say(msg, n, "cannot write", tmp);
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0 || sync_dir(dir) != 0) {
        unlink(tmp);
        return say(msg, n, "cannot rename", tmp);
    }
    return 0;
}

/* On the same file system a hard link stands in for the copy. */
static int put_link(const struct local *l, const char *path, const char *name)
{
    char to[1200], tmp[1300];

    if (ensure_dir(l->dir) != 0)
        return -1;
    snprintf(to, sizeof(to), "%s/%s", l->dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", to);
    unlink(tmp);
    if (link(path, tmp) != 0)
        return -1;
    if (rename(tmp, to) != 0 || sync_dir(l->dir) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int put_file(void *ctx, const char *path, const char *name, char *msg,
                    size_t n)
{
    struct local *l = ctx;
    int src, rc;

    if (put_link(l, path, name) == 0)
        return 0;
    src = open(path, O_RDONLY | O_CLOEXEC);

    if (src < 0)
        return say(msg, n, "cannot open", path);
    rc = write_atomic(l->dir, name, src, NULL, 0, msg, n);
    close(src);
    return rc;
}

static int get_file(void *ctx, const char *name, const char *path, char *msg,
                    size_t n)
{
    struct local *l = ctx;
    char from[1200], dir[1200], *slash;
    int src, rc;

    snprintf(from, sizeof(from), "%s/%s", l->dir, name);
    src = open(from, O_RDONLY | O_CLOEXEC);
    if (src < 0)
        return say(msg, n, "cannot open", from);
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    rc = write_atomic(slash ? dir : ".", slash ? slash + 1 : path, src, NULL,
                      0, msg, n);
    close(src);
    return rc;
}

static int put_bytes(void *ctx, const char *name, const void *data,
                     size_t len, char *msg, size_t n)
{
    struct local *l = ctx;

    return write_atomic(l->dir, name, -1, data, len, msg, n);
}

static int get_bytes(void *ctx, const char *name, struct buf *out, char *msg,
                     size_t n)
{
    struct local *l = ctx;
    char path[1200], blk[65536];
    ssize_t r;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", l->dir, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : say(msg, n, "cannot open", path);
    while ((r = read(fd, blk, sizeof(blk))) > 0)
        buf_add(out, blk, (size_t)r);
    close(fd);
    return r < 0 || !buf_ok(out) ? say(msg, n, "cannot read", path) : 0;
}

static int remove_obj(void *ctx, const char *name)
{
    struct local *l = ctx;
    char path[1200];

    snprintf(path, sizeof(path), "%s/%s", l->dir, name);
    return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

struct backup_target *backup_target_local(const char *dir)
{
    struct backup_target *t = calloc(1, sizeof(*t));
    struct local *l = calloc(1, sizeof(*l));

    if (!t || !l) {
        free(t);
        free(l);
        return NULL;
    }
    snprintf(l->dir, sizeof(l->dir), "%s", dir);
    t->kind = "local";
    t->ctx = l;
    t->put_file = put_file;
    t->get_file = get_file;
    t->put_bytes = put_bytes;
    t->get_bytes = get_bytes;
    t->remove = remove_obj;
    t->free = free;
    return t;
}

void backup_target_free(struct backup_target *t)
{
    if (!t)
        return;
    if (t->free)
        t->free(t->ctx);
    free(t);
}
