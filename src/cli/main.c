#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: socc <command> [options]\n"
            "commands:\n"
            "  serve                       run the HTTP server\n"
            "  ingest --company C --tool T FILE...\n"
            "                              run the pipeline on local files\n"
            "  upload --url URL --company C --tool T FILE...\n"
            "                              send files to a server, resumably\n"
            "  backup [list]               take a verified backup, or list them\n"
            "  restore BACKUP | --at TIME [--company C]\n"
            "                              restore (server stopped)\n"
            "  check [--url URL]           is a running server ready and "
            "healthy?\n"
            "  user add NAME [--role R] [--company C]... [--password-stdin]\n"
            "  user passwd NAME [--password-stdin]\n"
            "  user list\n"
            "  token create --user U (--company C... | --all-companies)\n"
            "               [--tier low|standard|high|unlimited] [--name N]\n"
            "  token revoke ID\n"
            "  token list\n"
            "environment: SOCC_LISTEN, SOCC_DATA_DIR, SOCC_ADMIN_PASSWORD, "
            "SOCC_PASSWORD, MAX_FILE_SIZE, "
            "TOOL_TYPES, ...\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(argv[1], "ingest") == 0)
        return cmd_ingest(argc - 1, argv + 1);
    if (strcmp(argv[1], "upload") == 0)
        return cmd_upload(argc - 1, argv + 1);
    if (strcmp(argv[1], "backup") == 0)
        return cmd_backup(argc - 1, argv + 1);
    if (strcmp(argv[1], "restore") == 0)
        return cmd_restore(argc - 1, argv + 1);
    if (strcmp(argv[1], "user") == 0)
        return cmd_user(argc - 1, argv + 1);
    if (strcmp(argv[1], "token") == 0)
        return cmd_token(argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "socc: BAD_REQUEST: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
