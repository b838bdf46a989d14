#include "tus_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/base64.h"
#include "core/json.h"

int tus_client_init(struct tus_client *c, const char *base)
{
    size_t n;

    memset(c, 0, sizeof(*c));
    snprintf(c->base, sizeof(c->base), "%s", base);
    n = strlen(c->base);
    while (n > 0 && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    c->connect_timeout_s = 10;
    c->idle_timeout_s = 60;
    c->final_timeout_s = 600;
    c->curl = curl_easy_init();
    return c->curl ? 0 : -1;
}

void tus_client_release(struct tus_client *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
}

void tus_answer_release(struct tus_answer *a)
{
    free(a->body);
    a->body = NULL;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct tus_answer *a = ud;
    size_t k = size * n;
    char *nb;

    if (a->len + k > (1u << 20))
        return 0;   /* no socc answer is this large */
    nb = realloc(a->body, a->len + k + 1);
    if (!nb)
        return 0;
    memcpy(nb + a->len, p, k);
    a->body = nb;
    a->len += k;
    a->body[a->len] = '\0';
    return k;
}

/* The value of header name in line (n bytes) into out; 1 when it was. */
static int header_is(const char *line, size_t n, const char *name, char *out,
                     size_t cap)
{
    size_t nl = strlen(name), k;

    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return 0;
    line += nl + 1;
    n -= nl + 1;
    while (n && (*line == ' ' || *line == '\t')) {
        line++;
        n--;
    }
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        n--;
    k = n < cap - 1 ? n : cap - 1;
    memcpy(out, line, k);
    out[k] = '\0';
    return 1;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct tus_answer *a = ud;
    char v[512];

    if (header_is(p, size * n, "Upload-Offset", v, sizeof(v)))
        a->offset = strtoll(v, NULL, 10);
    else if (header_is(p, size * n, "Upload-Length", v, sizeof(v)))
        a->length = strtoll(v, NULL, 10);
    else if (header_is(p, size * n, "Retry-After", v, sizeof(v)))
        a->retry_after_s = v[0] >= '0' && v[0] <= '9' ? atol(v) : -1;
    else if (header_is(p, size * n, "Location", v, sizeof(v)))
        snprintf(a->location, sizeof(a->location), "%s", v);
    return size * n;
}

static int on_xfer(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                   curl_off_t ultotal, curl_off_t ulnow)
{
    struct tus_client *c = ud;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    if (c->on_progress && ulnow > 0)
        c->on_progress(c->progress_ctx, (uint64_t)ulnow);
    return 0;
}

/* Set up c->curl for one request; headers h are used until it ends. */
static void prepare(struct tus_client *c, const char *url, const char *method,
                    struct curl_slist *h, struct tus_answer *a, long idle_s)
{
    CURL *k = c->curl;

    curl_easy_reset(k);
    memset(a, 0, sizeof(*a));
    a->offset = a->length = a->retry_after_s = -1;
    curl_easy_setopt(k, CURLOPT_URL, url);
    curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(k, CURLOPT_ERRORBUFFER, a->curl_err);
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(k, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, c->connect_timeout_s);
    curl_easy_setopt(k, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(k, CURLOPT_LOW_SPEED_TIME, idle_s);
    curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(k, CURLOPT_USERAGENT, "socc-upload/1");
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(k, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, method);
    if (c->limit_rate > 0)
        curl_easy_setopt(k, CURLOPT_MAX_SEND_SPEED_LARGE,
                         (curl_off_t)c->limit_rate);
}

static int perform(struct tus_client *c, struct curl_slist *h,
                   struct tus_answer *a)
{
    curl_off_t up = 0;

    a->curl = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &a->status);
    curl_easy_getinfo(c->curl, CURLINFO_SIZE_UPLOAD_T, &up);
    a->sent = up > 0 ? (uint64_t)up : 0;
    if (a->curl != CURLE_OK)
        a->status = 0;
    if (!a->curl_err[0] && a->curl != CURLE_OK)
        snprintf(a->curl_err, sizeof(a->curl_err), "%s",
                 curl_easy_strerror(a->curl));
    if (!a->body)
        a->body = calloc(1, 1);
    curl_slist_free_all(h);
    return a->body ? 0 : -1;
}

static void add_meta(char *out, size_t cap, const char *const kv[6])
{
    char enc[BASE64_ENCODED_SIZE(1024)];
    size_t o;
    int i;

    o = (size_t)snprintf(out, cap, "Upload-Metadata: ");
    for (i = 0; i < 6 && o < cap; i += 2) {
        if (strlen(kv[i + 1]) > 1024)
            continue;
        base64_encode(kv[i + 1], strlen(kv[i + 1]), enc);
        o += (size_t)snprintf(out + o, cap - o, "%s%s %s", i ? "," : "",
                              kv[i], enc);
    }
}

int tus_client_create(struct tus_client *c, uint64_t length,
                      const char *filename, const char *company,
                      const char *tool, struct tus_answer *a)
{
    const char *kv[6] = { "filename", filename, "company", company,
                          "tool_type", tool };
    char url[1100], len[64], meta[4200];
    struct curl_slist *h = NULL;

    snprintf(url, sizeof(url), "%s/api/tus/", c->base);
    snprintf(len, sizeof(len), "Upload-Length: %" PRIu64, length);
    add_meta(meta, sizeof(meta), kv);
    h = curl_slist_append(h, "Tus-Resumable: 1.0.0");
    if (c->auth[0])
        h = curl_slist_append(h, c->auth);
    h = curl_slist_append(h, len);
    h = curl_slist_append(h, meta);
    prepare(c, url, "POST", h, a, c->idle_timeout_s);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
    if (perform(c, h, a) != 0)
        return -1;
    if (a->location[0] == '/') {   /* relative: make it absolute */
        snprintf(url, sizeof(url), "%.511s%.500s", c->base, a->location);
        snprintf(a->location, sizeof(a->location), "%s", url);
    }
    return 0;
}

int tus_client_head(struct tus_client *c, const char *url,
                    struct tus_answer *a)
{
    struct curl_slist *h = curl_slist_append(NULL, "Tus-Resumable: 1.0.0");

    if (c->auth[0])
        h = curl_slist_append(h, c->auth);
    prepare(c, url, "HEAD", h, a, c->idle_timeout_s);
    return perform(c, h, a);
}

int tus_client_patch(struct tus_client *c, const char *url, uint64_t offset,
                     const void *data, size_t n, int last,
                     struct tus_answer *a)
{
    unsigned char d[32];
    char b64[BASE64_ENCODED_SIZE(32)], sum[80], off[64];
    unsigned int dn = 0;
    struct curl_slist *h = NULL;

    EVP_Digest(data, n, d, &dn, EVP_sha256(), NULL);
    base64_encode(d, dn, b64);
    snprintf(sum, sizeof(sum), "Upload-Checksum: sha256 %s", b64);
    snprintf(off, sizeof(off), "Upload-Offset: %" PRIu64, offset);
    h = curl_slist_append(h, "Tus-Resumable: 1.0.0");
    if (c->auth[0])
        h = curl_slist_append(h, c->auth);
    h = curl_slist_append(h, "Content-Type: application/offset+octet-stream");
    h = curl_slist_append(h, "Expect:");
    h = curl_slist_append(h, off);
    h = curl_slist_append(h, sum);
    prepare(c, url, "PATCH", h, a,
            last ? c->final_timeout_s : c->idle_timeout_s);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, n ? data : "");
    curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
    return perform(c, h, a);
}

/* Raw JSON value of key in the object text p (n bytes); 0 or -1. */
static int member(const char *p, size_t n, const char *key, const char **val,
                  size_t *vlen)
{
    struct json_iter it;
    const char *k;
    size_t kl;

    if (json_iter_init_object(&it, p, n) != 0)
        return -1;
    while (json_iter_next_member(&it, &k, &kl, val, vlen))
        if (kl == strlen(key) && strncmp(k, key, kl) == 0)
            return 0;
    return -1;
}

int tus_answer_field(const struct tus_answer *a, const char *outer,
                     const char *key, char *out, size_t n)
{
    const char *p = a->body, *v, *dot;
    size_t len = a->len, vl;
    char part[64];

    if (!p)
        return -1;
    for (; outer && *outer; outer = *dot ? dot + 1 : dot) {
        dot = outer + strcspn(outer, ".");
        snprintf(part, sizeof(part), "%.*s", (int)(dot - outer), outer);
        if (member(p, len, part, &p, &len) != 0)
            return -1;
    }
    if (member(p, len, key, &v, &vl) != 0)
        return -1;
    if (vl >= 2 && v[0] == '"') {
        v++;
        vl -= 2;
    }
    if (vl >= n)
        vl = n - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
    return 0;
}
