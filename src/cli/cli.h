#ifndef SOCC_CLI_H
#define SOCC_CLI_H

/* Subcommands; each takes argv from its own name on, returns an exit code. */
int cmd_serve(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_token(int argc, char **argv);

struct store;
/*
 * On a data dir without users: create the super admin "admin" with
 * SOCC_ADMIN_PASSWORD or a random password printed once on stderr.
 * 0, or the exit code of the failure.
 */
int cmd_user_bootstrap(struct store *st);

#endif
