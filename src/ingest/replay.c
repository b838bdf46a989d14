#include "ingest/replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sha256.h"
#include "ingest/pipeline.h"
#include "store/journal.h"

/* Entries of the journal, in file order. */
struct entries {
    struct journal_entry *e;
    size_t n, cap;
};

static int collect(const struct journal_entry *e, void *ud)
{
    struct entries *es = ud;

    if (es->n == es->cap) {
        size_t nc = es->cap ? es->cap * 2 : 64;
        struct journal_entry *g = realloc(es->e, nc * sizeof(*g));
        if (!g)
            return -1;
        es->e = g;
        es->cap = nc;
    }
    es->e[es->n++] = *e;
    return 0;
}

/* The newest backup taken at or before at_ms; -1 when none. */
static long pick_base(const struct backup_info *a, size_t n, int64_t at_ms)
{
    long best = -1;
    size_t i;

    for (i = 0; i < n; i++)
        if (a[i].ts_ms <= at_ms && (best < 0 || a[i].ts_ms >= a[best].ts_ms))
            best = (long)i;
    return best;
}

/* Fetch backup bi into path and check its SHA-256 against the manifest. */
static enum socc_err fetch_base(struct backup *bk,
                                const struct backup_info *bi,
                                const char *path, struct socc_error *err)
{
    char msg[512], hex[65];

    if (backup_fetch(bk, bi->name, path, msg, sizeof(msg)) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot fetch backup %s:"
                              " %s", bi->name, msg);
    if (sha256_file_hex(path, hex) != 0 || strcmp(hex, bi->sha256) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "backup %s does not "
                              "match its SHA-256 in the manifest", bi->name);
    if (store_check_file(path, 1, msg, sizeof(msg)) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "backup %s fails its "
                              "integrity check: %s", bi->name, msg);
    return SOCC_OK;
}

static int copy_file(const char *from, int to_fd)
{
    char blk[65536];
    ssize_t r;
    int fd = open(from, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    while ((r = read(fd, blk, sizeof(blk))) > 0)
        if (write(to_fd, blk, (size_t)r) != r) {
            r = -1;
            break;
        }
    close(fd);
    return r < 0 ? -1 : 0;
}

/* Run the pipeline again on the blob of an ingest entry. */
static enum socc_err replay_ingest(struct store *live, struct store *rs,
                                   const struct config *cfg,
                                   const struct journal_entry *e,
                                   struct socc_error *err)
{
    struct pipeline_input in;
    struct pipeline_output *out = calloc(1, sizeof(*out));
    char blob[1300], tmp[1300];
    int fd;
    enum socc_err rc;

    if (!out)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    store_blob_path(live, e->sha256, blob, sizeof(blob));
    fd = store_tmp_create(rs, "replay", tmp, sizeof(tmp));
    if (fd < 0 || copy_file(blob, fd) != 0) {
        if (fd >= 0) {
            unlink(tmp);
            close(fd);
        }
        free(out);
        return socc_error_set(err, SOCC_E_INTERNAL, "blob %s of upload %lld"
                              " cannot be read", e->sha256, (long long)e->id);
    }
    memset(&in, 0, sizeof(in));
    in.company = e->company;
    in.tool_type = e->tool_type;
    in.filename = e->filename;
    in.uploaded_by = e->uploaded_by[0] ? e->uploaded_by : NULL;
    in.req_id = "replay";
    in.path = tmp;
    in.hash = e->sha256;
    in.size = e->size;
    in.id = e->id;
    in.created_at = e->created_at;
    rc = pipeline_run(rs, cfg, &in, out, err);
    close(fd);
    if (rc == SOCC_OK && out->upload.id != e->id)
        rc = socc_error_set(err, SOCC_E_INTERNAL, "replay gave upload %lld "
                            "instead of %lld", (long long)out->upload.id,
                            (long long)e->id);
    free(out);
    return rc;
}

static enum socc_err apply(struct store *live, struct store *rs,
                           const struct config *cfg,
                           const struct journal_entry *e,
                           struct socc_error *err)
{
    if (strcmp(e->op, "ingest") == 0)
        return replay_ingest(live, rs, cfg, e, err);
    if (strcmp(e->op, "activate") == 0)
        return store_activate(rs, e->id, NULL, err);
    if (strcmp(e->op, "delete") == 0)
        return store_delete(rs, e->id, NULL, err);
    return socc_error_set(err, SOCC_E_BAD_REQUEST, "the moment lies after "
                          "a restore (journal entry %lld, %s); choose a "
                          "moment after the backup taken by that restore",
                          (long long)e->seq, e->op);
}

/* Replay entries after base_seq up to at_ms into rs. */
static enum socc_err replay_entries(struct store *live, struct store *rs,
                                    const struct config *cfg,
                                    const struct entries *es,
                                    int64_t base_seq, int64_t at_ms,
                                    struct socc_error *err)
{
    int64_t want = base_seq + 1;
    size_t i;
    enum socc_err rc = SOCC_OK;

    for (i = 0; i < es->n && rc == SOCC_OK; i++) {
        const struct journal_entry *e = &es->e[i];
        if (e->seq <= base_seq)
            continue;
        if (e->ts_ms > at_ms)
            break;
        if (e->seq != want)
            return socc_error_set(err, SOCC_E_INTERNAL, "the journal lacks "
                                  "entry %lld (next is %lld)",
                                  (long long)want, (long long)e->seq);
        rc = apply(live, rs, cfg, e, err);
        want++;
    }
    return rc;
}

/* The base: a fetched backup, or an empty database when the journal
 * reaches back to its first entry. */
static enum socc_err prepare_base(struct backup *bk, const struct entries *es,
                                  int64_t at_ms, const char *db_path,
                                  int64_t *base_seq, struct socc_error *err)
{
    struct backup_info *a = NULL;
    size_t n = 0;
    long k;
    enum socc_err rc = SOCC_OK;

    if (backup_list(bk, &a, &n) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot read the backup "
                              "manifest");
    k = pick_base(a, n, at_ms);
    if (k >= 0) {
        *base_seq = a[k].journal_seq;
        rc = fetch_base(bk, &a[k], db_path, err);
    } else if (es->n > 0 && es->e[0].seq == 1) {
        *base_seq = 0;   /* the journal holds every change since the start */
    } else {
        rc = socc_error_set(err, SOCC_E_BAD_REQUEST, "no backup was taken at"
                            " or before that moment (%zu backups kept); "
                            "`socc backup list` shows the range", n);
    }
    free(a);
    return rc;
}

/* <tmp>/pitr-XXXXXX with blobs -> the live blob directory. */
static int make_dir(struct store *live, char *dir, size_t n)
{
    char blobs[1200], link_to[1200], abs[4096];

    snprintf(dir, n, "%s/pitr-XXXXXX", store_tmp_dir(live));
    if (!mkdtemp(dir))
        return -1;
    snprintf(link_to, sizeof(link_to), "%s/blobs", store_data_dir(live));
    if (!realpath(link_to, abs))
        return -1;
    snprintf(blobs, sizeof(blobs), "%s/blobs", dir);
    return symlink(abs, blobs);
}

enum socc_err replay_build(struct store *live, struct backup *bk,
                           const struct config *cfg, int64_t at_ms,
                           char *dir, char *db_path, size_t n,
                           struct socc_error *err)
{
    struct entries es = { NULL, 0, 0 };
    struct store *rs = NULL;
    int64_t base_seq = 0;
    enum socc_err rc;

    if (make_dir(live, dir, n) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot make %s: %s", dir,
                              strerror(errno));
    snprintf(db_path, n, "%s/socc.db", dir);
    if (journal_read(store_journal_path(live), collect, &es) != 0) {
        free(es.e);
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot read the journal");
    }
    rc = prepare_base(bk, &es, at_ms, db_path, &base_seq, err);
    if (rc == SOCC_OK)
        rc = store_open_flags(dir, STORE_NO_JOURNAL, &rs, err);
    if (rc == SOCC_OK)
        rc = replay_entries(live, rs, cfg, &es, base_seq, at_ms, err);
    if (rs && store_checkpoint(rs, 0) != 0 && rc == SOCC_OK)
        rc = socc_error_set(err, SOCC_E_INTERNAL, "cannot checkpoint %s",
                            db_path);
    store_close(rs);
    free(es.e);
    log_event(rc == SOCC_OK ? LOG_INFO : LOG_ERROR, "backup", "replayed",
              NULL, "at_ms=%lld base_seq=%lld err=%s", (long long)at_ms,
              (long long)base_seq, socc_err_name(rc));
    return rc;
}

enum socc_err replay_fetch(struct backup *bk, const char *name,
                           const char *path, struct socc_error *err)
{
    struct backup_info *a = NULL;
    size_t n = 0, i;
    enum socc_err rc;

    if (backup_list(bk, &a, &n) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot read the backup "
                              "manifest");
    for (i = 0; i < n && strcmp(a[i].name, name) != 0; i++)
        ;
    rc = i < n ? fetch_base(bk, &a[i], path, err)
               : socc_error_set(err, SOCC_E_NOT_FOUND, "no backup named "
                                "\"%.100s\"; see socc backup list", name);
    free(a);
    return rc;
}

static int last_seq(const struct journal_entry *e, void *ud)
{
    int64_t *max = ud;

    if (e->seq > *max)
        *max = e->seq;
    return 0;
}

int64_t replay_last_seq(struct store *live, struct backup *bk)
{
    struct backup_info *a = NULL;
    size_t n = 0, i;
    int64_t max = 0;

    journal_read(store_journal_path(live), last_seq, &max);
    if (backup_list(bk, &a, &n) == 0)
        for (i = 0; i < n; i++)
            if (a[i].journal_seq > max)
                max = a[i].journal_seq;
    free(a);
    return max;
}
