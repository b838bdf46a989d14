#ifndef SOCC_TUS_CLIENT_H
#define SOCC_TUS_CLIENT_H

/*
 * The client side of tus 1.0.0 over libcurl, one request per call:
 * creation, HEAD, PATCH.  No retries here (cmd_upload.c decides); each
 * answer says what happened: the transport's fault, or the status, the
 * tus headers and socc's JSON (error code, or the stored upload).
 */

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

struct tus_client {
    CURL *curl;                 /* owned, reused between requests */
    char base[512];             /* "http://host:port", no trailing slash */
    long connect_timeout_s;     /* CURLOPT_CONNECTTIMEOUT */
    long idle_timeout_s;        /* no byte for this long: give up */
    long final_timeout_s;       /* the same, for a last chunk's pipeline */
    long limit_rate;            /* bytes/s sent at most, 0 unlimited */
    char auth[320];             /* "Authorization: Bearer ..." or "" */
    /* called as bytes go out: total sent so far in this request */
    void (*on_progress)(void *ctx, uint64_t sent);
    void *progress_ctx;
};

struct tus_answer {
    CURLcode curl;              /* CURLE_OK when an answer came */
    char curl_err[CURL_ERROR_SIZE];
    long status;                /* HTTP status, 0 without an answer */
    int64_t offset;             /* Upload-Offset, -1 when absent */
    int64_t length;             /* Upload-Length, -1 when absent */
    long retry_after_s;         /* Retry-After in seconds, -1 when absent */
    char location[1100];        /* absolute URL of a created upload */
    char *body;                 /* owned, NUL-terminated, may be "" */
    size_t len;
    uint64_t sent;              /* body bytes that went out */
};

/* 0, or -1 when curl cannot start.  base is copied. */
int tus_client_init(struct tus_client *c, const char *base);
void tus_client_release(struct tus_client *c);
void tus_answer_release(struct tus_answer *a);

/* POST base/api/tus/ for length bytes with filename, company, tool. */
int tus_client_create(struct tus_client *c, uint64_t length,
                      const char *filename, const char *company,
                      const char *tool, struct tus_answer *a);
int tus_client_head(struct tus_client *c, const char *url,
                    struct tus_answer *a);
/*
 * PATCH n bytes at offset with an Upload-Checksum sha256; last says it is
 * the file's final chunk (the answer waits for the pipeline).
 */
int tus_client_patch(struct tus_client *c, const char *url, uint64_t offset,
                     const void *data, size_t n, int last,
                     struct tus_answer *a);

/*
 * From socc's JSON: the value of key in the top-level object, or in the
 * object reached by the dotted path outer ("error.existing") when not
 * NULL, as text into out; strings without their quotes (escapes kept).
 * 0, or -1 when absent.
 */
int tus_answer_field(const struct tus_answer *a, const char *outer,
                     const char *key, char *out, size_t n);

#endif
