/*
 * libFuzzer target: the point-in-time journal (read back at every start
 * and by restores; a crash can leave any torn tail): read any bytes as a
 * journal file, and the time parser on any text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(const struct journal_entry *e, void *ud)
{
    (void)e;
    (*(long *)ud)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    char text[64];
    int64_t ms;
    long n = 0;
    FILE *fp;

    if (!path[0])
        snprintf(path, sizeof(path), "/tmp/socc-fuzz-journal-%d", getpid());
    fp = fopen(path, "wb");
    if (!fp)
        return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    journal_read(path, count, &n);
    journal_keep(path, 0, n);
    snprintf(text, sizeof(text), "%.*s", (int)(size < 63 ? size : 63),
             (const char *)data);
    journal_parse_time(text, &ms);
    return 0;
}
