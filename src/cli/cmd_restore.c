#include "cli/cli.h"

#include <stdio.h>

int cmd_restore(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "socc: UNSUPPORTED: restore is not built yet\n");
    return socc_err_exit(SOCC_E_UNSUPPORTED);
}
