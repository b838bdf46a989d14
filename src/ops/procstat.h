#ifndef SOCC_PROCSTAT_H
#define SOCC_PROCSTAT_H

/*
 * What this process uses of the machine: resident memory, the memory it
 * may use, open descriptors.  Read from /proc and /sys on each call.
 */

#include <stdint.h>

/* Resident set size in bytes (/proc/self/statm), 0 when unreadable. */
uint64_t procstat_rss(void);

/*
 * The memory this process may use, in bytes, and where the figure came
 * from in *source (static string): "SOCC_MEMORY_LIMIT", "cgroup",
 * "RLIMIT_AS" or "MemTotal".  0 when none is known.
 */
uint64_t procstat_memory_limit(const char **source);

/* Open descriptors (entries of /proc/self/fd), -1 when unreadable. */
long procstat_open_fds(void);

#endif
