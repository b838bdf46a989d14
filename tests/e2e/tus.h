#ifndef SOCC_E2E_TUS_H
#define SOCC_E2E_TUS_H

/*
 * Raw tus 1.0.0 over libcurl for the e2e tests: one request with any
 * method, headers and body, keeping every response header.  Header-only.
 */

#include "e2e.h"

#include <openssl/evp.h>
#include <strings.h>

#include "core/base64.h"

struct tus_resp {
    long status;
    char *body;           /* malloc'd, NUL-terminated */
    size_t len;
    char headers[4096];   /* every response header line */
};

static size_t tus_on_header(char *p, size_t size, size_t n, void *ud)
{
    struct tus_resp *r = ud;
    size_t have = strlen(r->headers), k = size * n;

    if (have + k < sizeof(r->headers)) {
        memcpy(r->headers + have, p, k);
        r->headers[have + k] = '\0';
    }
    return k;
}

static size_t tus_on_body(char *p, size_t size, size_t n, void *ud)
{
    struct tus_resp *r = ud;
    size_t k = size * n;
    char *nb = realloc(r->body, r->len + k + 1);

    if (!nb)
        return 0;
    memcpy(nb + r->len, p, k);
    r->body = nb;
    r->len += k;
    r->body[r->len] = '\0';
    return k;
}

/* Value of response header name into out; 0, or -1 when absent. */
static inline int tus_header(const struct tus_resp *r, const char *name,
                             char *out, size_t cap)
{
    const char *p = r->headers;
    size_t nl = strlen(name), k;

    while (p && *p) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (*p == ' ')
                p++;
            k = strcspn(p, "\r\n");
            if (k >= cap)
                k = cap - 1;
            memcpy(out, p, k);
            out[k] = '\0';
            return 0;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

/* Upload-Offset of the answer, or -1. */
static inline long long tus_offset(const struct tus_resp *r)
{
    char v[32];

    return tus_header(r, "Upload-Offset", v, sizeof(v)) == 0
               ? strtoll(v, NULL, 10) : -1;
}

static inline void tus_resp_free(struct tus_resp *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/*
 * method base+path with NULL-ended header lines hdrs and body (len bytes;
 * NULL for none).  The curl code; *r filled.
 */
static inline CURLcode tus_req(const char *base, const char *method,
                               const char *path, const char *const *hdrs,
                               const void *body, size_t len,
                               struct tus_resp *r)
{
    char url[512];
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();
    CURLcode rc;

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    h = curl_slist_append(h, "Expect:");
    /* as the test server's admin (e2e_start exports its token), unless the
     * caller sends its own Authorization or SOCC_E2E_TOKEN is empty */
    if (getenv("SOCC_E2E_TOKEN") && *getenv("SOCC_E2E_TOKEN")) {
        char line[160];
        const char *const *k;
        int own = 0;

        for (k = hdrs; k && *k; k++)
            own |= strncasecmp(*k, "Authorization:", 14) == 0;
        snprintf(line, sizeof(line), "Authorization: Bearer %s",
                 getenv("SOCC_E2E_TOKEN"));
        if (!own)
            h = curl_slist_append(h, line);
    }
    for (; hdrs && *hdrs; hdrs++)
        h = curl_slist_append(h, *hdrs);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tus_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, tus_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (!r->body)
        r->body = calloc(1, 1);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

/* "Upload-Metadata: filename ..,company ..,tool_type .." into out. */
static inline void tus_metadata(const char *filename, const char *company,
                                const char *tool, char *out, size_t cap)
{
    char f[400], c[400], t[100];

    base64_encode(filename, strlen(filename), f);
    base64_encode(company, strlen(company), c);
    base64_encode(tool, strlen(tool), t);
    snprintf(out, cap, "Upload-Metadata: filename %s,company %s,tool_type %s",
             f, c, t);
}

/* POST a creation of length bytes; the Location path into loc, status. */
static inline long tus_create(const char *base, uint64_t length,
                              const char *filename, const char *company,
                              const char *tool, char *loc, size_t cap)
{
    char len[64], meta[1400];
    const char *hdrs[4] = { "Tus-Resumable: 1.0.0", len, meta, NULL };
    struct tus_resp r;
    long status;

    snprintf(len, sizeof(len), "Upload-Length: %llu",
             (unsigned long long)length);
    tus_metadata(filename, company, tool, meta, sizeof(meta));
    loc[0] = '\0';
    if (tus_req(base, "POST", "/api/tus/", hdrs, NULL, 0, &r) != CURLE_OK)
        return -1;
    tus_header(&r, "Location", loc, cap);
    status = r.status;
    tus_resp_free(&r);
    return status;
}

/*
 * PATCH len bytes at offset to loc, with an "Upload-Checksum: .." line
 * (or NULL).  *r filled.
 */
static inline CURLcode tus_patch(const char *base, const char *loc,
                                 uint64_t offset, const void *data,
                                 size_t len, const char *checksum,
                                 struct tus_resp *r)
{
    char off[64];
    const char *hdrs[5] = { "Tus-Resumable: 1.0.0",
                            "Content-Type: application/offset+octet-stream",
                            off, checksum, NULL };

    snprintf(off, sizeof(off), "Upload-Offset: %llu",
             (unsigned long long)offset);
    return tus_req(base, "PATCH", loc, hdrs, data ? data : "", len, r);
}

/* "Upload-Checksum: algo base64" of the n bytes at p into out. */
static inline void tus_checksum(const char *algo, const void *p, size_t n,
                                char *out, size_t cap)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    char b64[BASE64_ENCODED_SIZE(EVP_MAX_MD_SIZE)];
    unsigned int dn = 0;

    EVP_Digest(p, n, d, &dn, strcmp(algo, "sha1") == 0 ? EVP_sha1()
                                                       : EVP_sha256(), NULL);
    base64_encode(d, dn, b64);
    snprintf(out, cap, "Upload-Checksum: %s %s", algo, b64);
}

/* HEAD loc: its Upload-Offset, or -status when not 200. */
static inline long long tus_head(const char *base, const char *loc)
{
    const char *hdrs[2] = { "Tus-Resumable: 1.0.0", NULL };
    struct tus_resp r;
    long long off;

    if (tus_req(base, "HEAD", loc, hdrs, NULL, 0, &r) != CURLE_OK)
        return -1;
    off = r.status == 200 ? tus_offset(&r) : -r.status;
    tus_resp_free(&r);
    return off;
}

#endif
