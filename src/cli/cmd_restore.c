/*
 * socc restore BACKUP | --at TIME [--company C]
 *
 * Runs with the server stopped (an exclusive lock on the data dir).
 * Before anything changes, the current database is backed up (when it is
 * sound) or moved aside (when it is not).  A whole restore replaces
 * socc.db with the chosen backup or with the database rebuilt as of TIME
 * (backup plus journal); a company restore replaces only that company's
 * rows, in one transaction.  Either way the journal records the restore
 * and a backup is taken right after it.
 */
#include "auth/audit.h"
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "ingest/replay.h"
#include "store/backup.h"
#include "store/journal.h"
#include "store/store.h"

struct opts {
    const char *backup;      /* BACKUP name, or NULL */
    const char *at;          /* --at TIME, or NULL */
    const char *company;     /* --company C, or NULL */
    int64_t at_ms;
};

/* Everything one restore holds. */
struct job {
    struct config cfg;
    struct opts o;
    struct store *st;
    struct backup *bk;
    int sound;               /* the live database passed its check */
    char src[1200];          /* the database to restore from */
    char pitr_dir[1200];     /* replay directory to remove, "" if none */
    char arg[160];           /* what the journal entry says */
};

static int usage(void)
{
    fprintf(stderr, "usage: socc restore BACKUP\n"
                    "       socc restore --at TIME [--company C]\n"
                    "TIME: 2026-12-04T18:30:00Z, epoch milliseconds, or now\n");
    return socc_err_exit(SOCC_E_BAD_REQUEST);
}

static int parse(int argc, char **argv, struct opts *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--at") == 0 && i + 1 < argc)
            o->at = argv[++i];
        else if (strcmp(argv[i], "--company") == 0 && i + 1 < argc)
            o->company = argv[++i];
        else if (argv[i][0] != '-' && !o->backup)
            o->backup = argv[i];
        else
            return -1;
    }
    if (!o->backup == !o->at || (o->company && !o->at))
        return -1;
    if (o->at && strcmp(o->at, "now") == 0)
        o->at_ms = journal_now_ms();
    else if (o->at && journal_parse_time(o->at, &o->at_ms) != 0)
        return -1;
    return 0;
}

static int fail(const struct socc_error *err)
{
    fprintf(stderr, "socc: %s: %s\n", socc_err_name(err->code),
            err->detail[0] ? err->detail : socc_err_message(err->code));
    return socc_err_exit(err->code);
}

/* Move socc.db (and its -wal, -shm) aside as socc.db.corrupt-<ms>. */
static int move_aside(const char *dir)
{
    static const char *const sfx[] = { "", "-wal", "-shm" };
    char from[1200], to[1300];
    int64_t now = journal_now_ms();
    size_t i;

    for (i = 0; i < 3; i++) {
        snprintf(from, sizeof(from), "%s/socc.db%s", dir, sfx[i]);
        snprintf(to, sizeof(to), "%s/socc.db.corrupt-%lld%s", dir,
                 (long long)now, sfx[i]);
        if (rename(from, to) != 0 && errno != ENOENT)
            return -1;
    }
    fprintf(stderr, "socc: the damaged database was moved to "
            "%s/socc.db.corrupt-%lld\n", dir, (long long)now);
    return 0;
}

static enum socc_err open_live(struct job *j, struct socc_error *err)
{
    enum socc_err rc;

    j->sound = cli_db_sound(j->cfg.data_dir, err) == SOCC_OK;
    if (!j->sound) {
        if (j->o.company)
            return socc_error_set(err, SOCC_E_DATABASE_CORRUPT, "the "
                                  "database is damaged: restore all of it "
                                  "(without --company) first");
        if (move_aside(j->cfg.data_dir) != 0)
            return socc_error_set(err, SOCC_E_INTERNAL, "cannot move the "
                                  "damaged database aside: %s",
                                  strerror(errno));
        socc_error_clear(err);
    }
    /* a damaged database's journal must not be reconciled with a new one */
    rc = store_open_flags(j->cfg.data_dir, j->sound ? 0 : STORE_NO_JOURNAL,
                          &j->st, err);
    if (rc == SOCC_OK)
        rc = cli_backup_open(j->st, &j->bk, err);
    return rc;
}

static enum socc_err build_source(struct job *j, struct socc_error *err)
{
    int fd;
    enum socc_err rc;

    if (j->o.at) {
        char when[40];

        journal_format_time(j->o.at_ms, when, sizeof(when));
        snprintf(j->arg, sizeof(j->arg), "at=%s", when);   /* "now" resolved */
        return replay_build(j->st, j->bk, &j->cfg, j->o.at_ms, j->pitr_dir,
                            j->src, sizeof(j->src), err);
    }
    snprintf(j->arg, sizeof(j->arg), "backup=%.100s", j->o.backup);
    fd = store_tmp_create(j->st, "restore", j->src, sizeof(j->src));
    if (fd < 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "no temp file: %s",
                              strerror(errno));
    rc = replay_fetch(j->bk, j->o.backup, j->src, err);
    close(fd);
    return rc;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* Put src in place of socc.db, keeping later journal entries usable. */
static enum socc_err swap_in(struct job *j, struct socc_error *err)
{
    char path[1200], detail[256];
    int64_t seq = replay_last_seq(j->st, j->bk);

    backup_close(j->bk);
    j->bk = NULL;
    store_close(j->st);
    j->st = NULL;
    if (store_file_set_seq(j->src, seq) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot prepare %s",
                              j->src);
    snprintf(path, sizeof(path), "%s/socc.db", j->cfg.data_dir);
    if (j->sound && store_file_keep_access(j->src, path, detail,
                                           sizeof(detail)) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot carry users and "
                              "tokens over to the restored database: %s",
                              detail);
    if (!j->sound)
        fprintf(stderr, "socc: the damaged database's users and tokens are "
                "not carried over; those of the restored moment apply\n");
    snprintf(path, sizeof(path), "%s/socc.db-wal", j->cfg.data_dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/socc.db-shm", j->cfg.data_dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/socc.db", j->cfg.data_dir);
    if (rename(j->src, path) != 0 || fsync_dir(j->cfg.data_dir) != 0)
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot replace %s: %s",
                              path, strerror(errno));
    if (store_open(j->cfg.data_dir, &j->st, err) != SOCC_OK)
        return err->code;
    if (store_mark_restore(j->st, j->arg, err) != SOCC_OK)
        return err->code;
    return cli_backup_open(j->st, &j->bk, err);
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static enum socc_err run(struct job *j, struct socc_error *err)
{
    struct backup_info bi;
    enum socc_err rc = open_live(j, err);

    if (rc == SOCC_OK)
        rc = build_source(j, err);
    /* what is about to be replaced is kept first (unless it is damaged) */
    if (rc == SOCC_OK && j->sound)
        rc = backup_take(j->bk, "restore", NULL, err);
    if (rc == SOCC_OK && j->o.company)
        rc = store_replace_company(j->st, j->src, j->o.company, j->arg, err);
    else if (rc == SOCC_OK)
        rc = swap_in(j, err);
    if (rc == SOCC_OK)
        rc = backup_take(j->bk, "restored", &bi, err);
    if (rc == SOCC_OK) {
        /* restores are audited, like deletes and rollbacks */
        struct auth_store_audit a;

        memset(&a, 0, sizeof(a));
        a.actor = "cli";
        a.action = "restore";
        a.outcome = "ok";
        a.company = j->o.company;
        a.target = j->arg;
        a.detail = bi.name;
        audit_record(j->st, &a);
    }
    if (rc == SOCC_OK)
        printf("restored%s%s (%s); backup %s\n",
               j->o.company ? " company " : "",
               j->o.company ? j->o.company : "", j->arg, bi.name);
    return rc;
}

int cmd_restore(int argc, char **argv)
{
    struct job *j = calloc(1, sizeof(*j));
    struct socc_error err;
    int lock, rc = 0;

    if (!j)
        return socc_err_exit(SOCC_E_INTERNAL);
    log_init_from_env();
    socc_error_clear(&err);
    if (parse(argc, argv, &j->o) != 0) {
        free(j);
        return usage();
    }
    if (config_load(&j->cfg, &err) != SOCC_OK) {
        free(j);
        return fail(&err);
    }
    lock = cli_data_lock(j->cfg.data_dir, 1);
    if (lock < 0) {
        socc_error_set(&err, SOCC_E_UNAVAILABLE, lock == -2
                       ? "a server is running on %s; stop it first"
                       : "cannot lock %s", j->cfg.data_dir);
        free(j);
        return fail(&err);
    }
    if (run(j, &err) != SOCC_OK)
        rc = fail(&err);
    if (j->pitr_dir[0])
        nftw(j->pitr_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    if (!j->o.at && j->src[0])
        unlink(j->src);
    backup_close(j->bk);
    store_close(j->st);
    close(lock);
    free(j);
    return rc;
}
