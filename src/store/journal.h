#ifndef SOCC_JOURNAL_H
#define SOCC_JOURNAL_H

/*
 * The change journal behind point-in-time recovery: one line per committed
 * change (an upload stored, a version activated, an upload deleted, a
 * restore), appended and fsynced while the change still holds the
 * database's write lock, just before its COMMIT.  Entries are numbered by
 * the database's own counter (state.journal_seq), so a snapshot knows which
 * entries it contains: those up to its journal_seq.
 *
 * Format: tab-separated fields, each percent-encoded (%, tab, CR, LF):
 *   seq ts_ms op id company tool_type filename uploaded_by sha256 size
 *   created_at arg
 * A line without its final newline is a torn write and is ignored.
 */

#include <stddef.h>
#include <stdint.h>

struct journal_entry {
    int64_t seq;               /* 1, 2, ... */
    int64_t ts_ms;             /* wall clock, ms since the epoch */
    char op[16];               /* "ingest", "activate", "delete", "restore" */
    int64_t id;                /* upload id, 0 when none */
    char company[129];
    char tool_type[33];
    char filename[256];
    char uploaded_by[129];
    char sha256[65];           /* blob of an ingest, "" otherwise */
    uint64_t size;
    char created_at[32];
    char arg[160];             /* op-specific: a restore's target */
};

/* Append e to the journal at path and fsync it; 0 or -1 with errno. */
int journal_append(const char *path, const struct journal_entry *e);
/*
 * Call fn for each complete entry in file order; fn returns 0 to go on.
 * Returns 0, fn's non-zero value, or -1 when the file cannot be read (a
 * missing file is an empty journal).
 */
int journal_read(const char *path,
                 int (*fn)(const struct journal_entry *e, void *ud), void *ud);
/*
 * Keep only entries with lo < seq <= hi (a torn tail goes too), rewriting
 * the file atomically when anything is dropped.  0 or -1.
 */
int journal_keep(const char *path, int64_t lo, int64_t hi);
/* Milliseconds since the epoch, now. */
int64_t journal_now_ms(void);
/* Parse "2026-12-04T18:30:00Z" (fraction optional) or epoch ms; 0 or -1. */
int journal_parse_time(const char *s, int64_t *ms);
/* Format ms as "2026-12-04T18:30:00.123Z" into out (size n >= 25). */
void journal_format_time(int64_t ms, char *out, size_t n);

#endif
