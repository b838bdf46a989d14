#ifndef SOCC_TUS_STORE_H
#define SOCC_TUS_STORE_H

/*
 * The state of resumable (tus 1.0) uploads on disk, in one directory
 * (the store's temp area, tmp/tus): per upload a data file <id>.bin
 * holding the bytes received so far and a small metadata file <id>.info,
 * both fsynced before an answer says the bytes are stored, so a resume
 * survives a server restart.  No HTTP here.
 *
 * An upload is used by one holder at a time: tus_store_acquire() takes an
 * exclusive, non-blocking lock (flock on the data file, so it holds
 * between threads and processes); a second taker gets UPLOAD_LOCKED.
 * The whole-file SHA-256 is kept incrementally in memory between
 * requests; after a restart it is rebuilt from the data file on the next
 * chunk.  Uploads untouched for the expiry time are removed by
 * tus_store_sweep(), at open and from a sweeper thread.
 */

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define TUS_STORE_ID_LEN 32   /* hex digits of an upload id */

/* Per-chunk checksum algorithms (tus checksum extension). */
enum tus_sum { TUS_SUM_NONE, TUS_SUM_SHA1, TUS_SUM_SHA256 };

/* What the .info file holds. */
struct tus_meta {
    char id[TUS_STORE_ID_LEN + 1];
    uint64_t length;          /* Upload-Length; valid when !deferred */
    int deferred;             /* the length is not known yet */
    uint64_t offset;          /* bytes stored durably */
    int64_t created;          /* unix seconds */
    int64_t touched;          /* last change, unix s; expiry counts from it */
    char filename[256];       /* safe base name */
    char company[129];
    char tool_type[33];
    char owner[129];          /* the user who created it, "" for none */
    int done;                 /* the pipeline ran on the whole file */
    char result[32];          /* when done: "OK" or the error's name */
    int64_t result_id;        /* when done: the upload, or the existing one */
    char sha256[65];          /* when done: hash of the whole file */
};

struct tus_store;
struct tus_upload;

/*
 * Open the directory dir (created when missing) with uploads expiring
 * expire_s seconds after their last change and no upload larger than
 * max_size bytes; expired ones are swept at once.  *out is owned:
 * tus_store_close().  INTERNAL when the directory cannot be made.
 */
enum socc_err tus_store_open(const char *dir, long expire_s,
                             uint64_t max_size, struct tus_store **out,
                             struct socc_error *err);
/* Stop the sweeper and free; NULL is fine.  Files stay. */
void tus_store_close(struct tus_store *ts);
long tus_store_expire_s(const struct tus_store *ts);
/* Sweep from a thread every min(expire/2, 60) seconds.  0 or -1. */
int tus_store_start_sweeper(struct tus_store *ts);
/* Remove uploads expired at now (unix s) that nobody holds; how many. */
int tus_store_sweep(struct tus_store *ts, int64_t now);

/*
 * Create an upload from m (length, deferred, filename, company, tool_type
 * read); m->id, created, touched are filled.  FILE_TOO_LARGE when the
 * length passes max_size, STORAGE_FULL or INTERNAL on disk faults.
 */
enum socc_err tus_store_create(struct tus_store *ts, struct tus_meta *m,
                               struct socc_error *err);
/*
 * Read upload id's metadata without taking it (HEAD): the offset is the
 * durable one.  NOT_FOUND when missing or expired.
 */
enum socc_err tus_store_peek(struct tus_store *ts, const char *id,
                             struct tus_meta *m, struct socc_error *err);
/*
 * Take upload id for writing.  NOT_FOUND when it does not exist (or
 * expired), UPLOAD_LOCKED when another holder has it.  A finished upload
 * (meta.done) is returned too, read-only.  *out: tus_upload_release().
 */
enum socc_err tus_store_acquire(struct tus_store *ts, const char *id,
                                struct tus_upload **out,
                                struct socc_error *err);
/* The upload's metadata, borrowed while it is held. */
const struct tus_meta *tus_upload_meta(const struct tus_upload *u);
/* Fix the length of a deferred upload; BAD_REQUEST if set or too small. */
enum socc_err tus_upload_set_length(struct tus_upload *u, uint64_t len,
                                    struct socc_error *err);

/* Start a chunk at the current offset, checked with sum when not NONE. */
enum socc_err tus_upload_chunk_begin(struct tus_upload *u, enum tus_sum sum,
                                     struct socc_error *err);
/*
 * Append n bytes of the chunk.  BAD_REQUEST past Upload-Length,
 * FILE_TOO_LARGE past the maximum, STORAGE_FULL or INTERNAL on write
 * faults; after an error the chunk is already discarded.
 */
enum socc_err tus_upload_write(struct tus_upload *u, const void *p, size_t n,
                               struct socc_error *err);
/*
 * The chunk ended: compare its digest (dlen bytes; NULL when no sum)
 * and make it durable.  CHECKSUM_MISMATCH discards the chunk.
 */
enum socc_err tus_upload_chunk_end(struct tus_upload *u,
                                   const unsigned char *digest, size_t dlen,
                                   struct socc_error *err);
/*
 * The chunk was cut short (connection lost): keep the bytes received when
 * the chunk had no checksum, discard them when it had one.
 */
void tus_upload_chunk_abort(struct tus_upload *u);
/* 1 when every byte of a known length is stored. */
int tus_upload_complete(const struct tus_upload *u);
/* SHA-256 of the whole file (complete uploads). */
enum socc_err tus_upload_hash(struct tus_upload *u, char hex[65],
                              struct socc_error *err);
/* Path of the data file, for the pipeline to take. */
void tus_upload_data_path(const struct tus_upload *u, char *out, size_t n);
/*
 * Record the pipeline's result (result "OK" or an error name, result_id
 * the upload or the existing one, sha the hash): the upload is done and
 * answers HEAD with its full length until it expires.
 */
enum socc_err tus_upload_finish(struct tus_upload *u, const char *result,
                                int64_t result_id, const char *sha,
                                struct socc_error *err);
/* Termination: remove the upload's files, then release it. */
void tus_upload_remove(struct tus_upload *u);
/* Unlock and free; NULL is fine. */
void tus_upload_release(struct tus_upload *u);

/* 1 when s is a well-formed upload id. */
int tus_store_id_ok(const char *s);

#endif
