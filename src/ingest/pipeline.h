#ifndef SOCC_PIPELINE_H
#define SOCC_PIPELINE_H

/*
 * The one upload pipeline behind every entry point (HTTP, CLI): validating,
 * checking_duplicates, processing, saving.  Receiving is the caller's job:
 * it hands over a file in store_tmp_dir() and, when it hashed while
 * receiving, the hash.
 */

#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "store/store.h"

struct pipeline_input {
    const char *company;      /* validated by the caller */
    const char *tool_type;
    const char *filename;     /* safe base name, kept as metadata */
    const char *uploaded_by;  /* NULL when anonymous */
    const char *req_id;       /* for logs */
    const char *path;         /* received bytes; taken: moved or removed */
    const char *hash;         /* 64 hex, or NULL to hash here */
    uint64_t size;
    struct progress *progress; /* borrowed, may be NULL: stages and rows */
    int64_t id;               /* 0; a journal replay gives the original id */
    const char *created_at;   /* NULL; a replay gives the original time */
};

struct pipeline_output {
    struct store_upload upload;     /* on success */
    struct store_upload existing;   /* on DUPLICATE_FILE */
    const char *stage;              /* stage reached, or the failing one */
    char hint[256];                 /* specific hint, "" to use the code's */
};

/*
 * Who watches uploads go through (metrics, alerts), without the pipeline
 * knowing them.  Each callback may be NULL; they run in the uploading
 * thread and must be quick.  stage_done: a stage ended after us
 * microseconds (also the failing one).  finished: the upload ended with rc
 * after us microseconds in all.
 */
struct pipeline_observer {
    void (*stage_done)(const char *stage, int64_t us);
    void (*finished)(const char *company, enum socc_err rc, int64_t us,
                     uint64_t size);
};

/* Set (or with NULL clear) the observer; call before uploads start. */
void pipeline_set_observer(const struct pipeline_observer *obs);

/* Run the pipeline; on failure *err names the code and the fault. */
enum socc_err pipeline_run(struct store *st, const struct config *cfg,
                           const struct pipeline_input *in,
                           struct pipeline_output *out,
                           struct socc_error *err);

/*
 * Reduce a client-supplied file name to a safe base name: the part after
 * the last / or \, control bytes and NUL removed, invalid UTF-8 replaced,
 * cut to 255 bytes, never "", "." or "..".  Writes into out (size n).
 */
void pipeline_safe_name(const char *name, size_t len, char *out, size_t n);

#endif
