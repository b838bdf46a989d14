/*
 * `socc backup` and `socc backup list`, and what serve and restore share
 * about backups: the data-dir lock, the start-up integrity check, opening
 * the backup service from the environment.
 */
#include "cli/cli.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "store/backup.h"
#include "store/journal.h"

int cli_data_lock(const char *data_dir, int exclusive)
{
    char path[1100];
    int fd;

    snprintf(path, sizeof(path), "%s/data.lock", data_dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
        close(fd);
        return -2;
    }
    return fd;
}

enum socc_err cli_db_sound(const char *data_dir, struct socc_error *err)
{
    char path[1100], detail[256];
    struct stat sb;

    snprintf(path, sizeof(path), "%s/socc.db", data_dir);
    if (stat(path, &sb) != 0 || sb.st_size == 0)
        return SOCC_OK;    /* a new database */
    if (store_check_file(path, 0, detail, sizeof(detail)) == 0)
        return SOCC_OK;
    log_event(LOG_ERROR, "store", "integrity_failed", NULL,
              "path=%s detail=\"%s\"", path, detail);
    return socc_error_set(err, SOCC_E_DATABASE_CORRUPT, "%s: %s; refusing "
                          "to start.  Restore it with `socc restore --at "
                          "now` (snapshot plus journal) or `socc restore "
                          "BACKUP` (see `socc backup list`)", path, detail);
}

enum socc_err cli_backup_open(struct store *st, struct backup **out,
                              struct socc_error *err)
{
    struct backup_config c;
    struct backup_target *t;
    enum socc_err rc = backup_config_load(store_data_dir(st), &c, err);

    *out = NULL;
    if (rc != SOCC_OK)
        return rc;
    t = backup_target_local(c.dir);
    if (!t)
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    return backup_open(st, t, &c, out, err);
}

static int fail(const struct socc_error *err)
{
    fprintf(stderr, "socc: %s: %s\n", socc_err_name(err->code),
            err->detail[0] ? err->detail : socc_err_message(err->code));
    return socc_err_exit(err->code);
}

static int list(struct backup *bk)
{
    struct backup_info *a = NULL;
    char when[40];
    size_t n = 0, i;

    if (backup_list(bk, &a, &n) != 0) {
        fprintf(stderr, "socc: INTERNAL: cannot read the backup manifest\n");
        return socc_err_exit(SOCC_E_INTERNAL);
    }
    printf("name\ttime\treason\tsize\tsha256\tjournal_seq\n");
    for (i = 0; i < n; i++) {
        journal_format_time(a[i].ts_ms, when, sizeof(when));
        printf("%s\t%s\t%s\t%llu\t%s\t%lld\n", a[i].name, when, a[i].reason,
               (unsigned long long)a[i].size, a[i].sha256,
               (long long)a[i].journal_seq);
    }
    free(a);
    return 0;
}

int cmd_backup(int argc, char **argv)
{
    struct config cfg;
    struct socc_error err;
    struct store *st = NULL;
    struct backup *bk = NULL;
    struct backup_info bi;
    int rc = 0, lock = -1;

    log_init_from_env();
    socc_error_clear(&err);
    if (argc > 2 || (argc == 2 && strcmp(argv[1], "list") != 0)) {
        fprintf(stderr, "usage: socc backup [list]\n");
        return socc_err_exit(SOCC_E_BAD_REQUEST);
    }
    if (config_load(&cfg, &err) != SOCC_OK) {
        rc = fail(&err);
        goto out;
    }
    lock = cli_data_lock(cfg.data_dir, 0);
    if (lock == -2) {
        socc_error_set(&err, SOCC_E_UNAVAILABLE, "a restore is running on %s",
                       cfg.data_dir);
        rc = fail(&err);
        goto out;
    }
    if (cli_db_sound(cfg.data_dir, &err) != SOCC_OK ||
        store_open(cfg.data_dir, &st, &err) != SOCC_OK ||
        cli_backup_open(st, &bk, &err) != SOCC_OK) {
        rc = fail(&err);
        goto out;
    }
    if (argc == 2) {
        rc = list(bk);
        goto out;
    }
    if (backup_take(bk, "manual", &bi, &err) != SOCC_OK) {
        rc = fail(&err);
        goto out;
    }
    printf("%s\t%llu\t%s\t%lld\n", bi.name, (unsigned long long)bi.size,
           bi.sha256, (long long)bi.journal_seq);
out:
    backup_close(bk);
    store_close(st);
    if (lock >= 0)
        close(lock);
    return rc;
}
