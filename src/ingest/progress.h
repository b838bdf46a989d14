#ifndef SOCC_PROGRESS_H
#define SOCC_PROGRESS_H

/*
 * The uploads in flight in this process, and what each is doing now:
 * stage, bytes received, rows parsed.  One process-wide registry, safe to
 * use from any thread.  Readers: the page's progress poll (by the token the
 * client chose), health (count, oldest), concurrency limits.
 *
 * Writers hold a struct progress from progress_begin() to progress_end();
 * every setter accepts NULL, so code paths without a registry entry (the
 * CLI, unit tests) pass NULL and pay nothing.
 */

#include <stddef.h>
#include <stdint.h>

#define PROGRESS_TOKEN_MAX 64

struct progress;

struct progress_view {
    char token[PROGRESS_TOKEN_MAX + 1];   /* "" when the client gave none */
    char req_id[40];
    char user[129];          /* who sent it, "" when unknown */
    char company[129];
    char tool_type[33];
    char filename[256];
    char stage[40];          /* "receiving", "validating", ..., or outcome */
    uint64_t bytes;          /* received so far */
    uint64_t total;          /* expected, 0 when unknown */
    int64_t rows;            /* records parsed so far */
    int64_t started_ms;      /* wall clock, ms since the epoch */
    int64_t stage_ms;        /* when the current stage began */
};

/*
 * 1 when s is usable as a client token: 1..PROGRESS_TOKEN_MAX bytes of
 * [A-Za-z0-9_-].
 */
int progress_token_ok(const char *s);

/*
 * Register an upload in stage "receiving".  token may be NULL or "" (no
 * client poll); an invalid token is ignored.  NULL when out of memory:
 * the upload still runs, it is just not visible.
 */
struct progress *progress_begin(const char *token, const char *req_id);
/* The name of the caller who sent it: until its company is known, only
 * they may follow it. */
void progress_user(struct progress *p, const char *user);
void progress_meta(struct progress *p, const char *company,
                   const char *tool_type, const char *filename);
void progress_stage(struct progress *p, const char *stage);
void progress_bytes(struct progress *p, uint64_t bytes, uint64_t total);
void progress_rows(struct progress *p, int64_t rows);
/* Unregister and free p.  outcome ("done" or an error name) is kept for a
 * short while under the token, so a poll that comes late still learns it. */
void progress_end(struct progress *p, const char *outcome);

/*
 * The newest upload registered with token, in flight or finished in the
 * last PROGRESS_KEEP_MS; 0 and *out filled, or -1.  A finished one has
 * stage "done" or its error name.
 */
#define PROGRESS_KEEP_MS 60000
int progress_find(const char *token, struct progress_view *out);

/* Uploads in flight; *oldest_ms (may be NULL) gets the earliest start, or
 * 0 when none. */
size_t progress_active(int64_t *oldest_ms);

#endif
