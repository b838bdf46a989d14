#ifndef SOCC_CLI_H
#define SOCC_CLI_H

#include "core/err.h"

/* Subcommands; each takes argv from its own name on, returns an exit code. */
int cmd_serve(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_upload(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* ---- shared by serve, backup and restore (cmd_backup.c) ---- */

struct store;
struct backup;

/*
 * Lock <data_dir>/data.lock: shared for servers, ingest and backup,
 * exclusive for a restore
 * (which must run alone).  The fd (close it to release), -2 when the lock
 * is held the other way, -1 on error.
 */
int cli_data_lock(const char *data_dir, int exclusive);
/* DATABASE_CORRUPT, saying how to restore, when socc.db fails quick_check. */
enum socc_err cli_db_sound(const char *data_dir, struct socc_error *err);
/* The backup service of st as the environment configures it. */
enum socc_err cli_backup_open(struct store *st, struct backup **out,
                              struct socc_error *err);
int cmd_user(int argc, char **argv);
int cmd_token(int argc, char **argv);

struct store;
/*
 * On a data dir without users: create the super admin "admin" with
 * SOCC_ADMIN_PASSWORD or a random password printed once on stderr.
 * 0, or the exit code of the failure.
 */
int cmd_user_bootstrap(struct store *st);
int cmd_check(int argc, char **argv);

#endif
