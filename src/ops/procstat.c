#include "ops/procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* A cgroup figure this large means "no limit" (v1 prints ~2^63). */
#define CGROUP_UNLIMITED (1ull << 60)

uint64_t procstat_rss(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    long page = sysconf(_SC_PAGESIZE);

    if (!fp)
        return 0;
    if (fscanf(fp, "%llu %llu", &size, &resident) != 2)
        resident = 0;
    fclose(fp);
    return (uint64_t)resident * (uint64_t)(page > 0 ? page : 4096);
}

/* A positive number of bytes from a file of one line, else 0. */
static uint64_t read_bytes_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    unsigned long long v = 0;

    if (!fp)
        return 0;
    if (fscanf(fp, "%llu", &v) != 1)   /* "max" reads as no number */
        v = 0;
    fclose(fp);
    return v >= CGROUP_UNLIMITED ? 0 : (uint64_t)v;
}

/*
 * The cgroup this process is in: v2 ("0::/path", memory.max) or v1 (the
 * "memory" controller line, memory.limit_in_bytes).
 */
static uint64_t cgroup_limit(void)
{
    FILE *fp = fopen("/proc/self/cgroup", "r");
    char line[1024], path[1400];
    uint64_t v = 0;

    if (!fp)
        return 0;
    while (v == 0 && fgets(line, sizeof(line), fp)) {
        char *p = strchr(line, ':'), *q;
        line[strcspn(line, "\n")] = '\0';
        if (!p || !(q = strchr(p + 1, ':')))
            continue;
        if (strncmp(line, "0::", 3) == 0) {
            snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", q + 1);
            v = read_bytes_file(path);
        } else if (strncmp(p + 1, "memory:", 7) == 0) {
            snprintf(path, sizeof(path),
                     "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", q + 1);
            v = read_bytes_file(path);
            if (v == 0)
                v = read_bytes_file("/sys/fs/cgroup/memory/"
                                    "memory.limit_in_bytes");
        }
    }
    fclose(fp);
    return v;
}

static uint64_t mem_total(void)
{
    FILE *fp = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb = 0;

    if (!fp)
        return 0;
    while (fgets(line, sizeof(line), fp))
        if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
            break;
    fclose(fp);
    return (uint64_t)kb * 1024;
}

uint64_t procstat_memory_limit(const char **source)
{
    const char *env = getenv("SOCC_MEMORY_LIMIT");
    struct rlimit rl;
    uint64_t v;
    char *end;

    if (env && *env) {
        v = strtoull(env, &end, 10);
        if (*end == '\0' && v > 0) {
            *source = "SOCC_MEMORY_LIMIT";
            return v;
        }
    }
    v = cgroup_limit();
    *source = "cgroup";
    if (v == 0 && getrlimit(RLIMIT_AS, &rl) == 0 &&
        rl.rlim_cur != RLIM_INFINITY) {
        v = (uint64_t)rl.rlim_cur;
        *source = "RLIMIT_AS";
    }
    if (v == 0) {
        v = mem_total();
        *source = "MemTotal";
    }
    return v;
}

long procstat_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    long n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;   /* the descriptor of the listing itself */
}
