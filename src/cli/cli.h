#ifndef SOCC_CLI_H
#define SOCC_CLI_H

/* Subcommands; each takes argv from its own name on, returns an exit code. */
int cmd_serve(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
