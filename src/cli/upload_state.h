#ifndef SOCC_UPLOAD_STATE_H
#define SOCC_UPLOAD_STATE_H

/*
 * Where `socc upload` remembers the tus upload URL of a file it has not
 * finished sending, so that running the command again resumes instead
 * of starting over.  One line per upload: "<sha256> <size> <url>"; a file
 * is known by its content and size, not its name.  The file is
 * SOCC_UPLOAD_STATE, else $XDG_STATE_HOME/socc/uploads, else
 * ~/.local/state/socc/uploads.  Writes replace it atomically.
 */

#include <stddef.h>
#include <stdint.h>

/* The state file's path into out (size n); -1 when no place is known. */
int upload_state_path(char *out, size_t n);
/*
 * The remembered URL for (sha, size) that starts with base into url
 * (size n); 0, or -1 when none.
 */
int upload_state_get(const char *path, const char *sha, uint64_t size,
                     const char *base, char *url, size_t n);
/* Remember url for (sha, size), replacing an older one; 0 or -1. */
int upload_state_put(const char *path, const char *sha, uint64_t size,
                     const char *url);
/* Forget url; 0 or -1. */
int upload_state_del(const char *path, const char *url);

#endif
