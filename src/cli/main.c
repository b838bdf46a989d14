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
            "  check [--url URL]           is a running server ready and "
            "healthy?\n"
            "environment: SOCC_LISTEN, SOCC_DATA_DIR, MAX_FILE_SIZE, "
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
