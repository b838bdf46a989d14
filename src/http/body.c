#include "http/body.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/json.h"
#include "http/respond.h"

struct body {
    struct buf data;
    body_done_fn done;
    int too_large;
};

static void body_free(void *p)
{
    struct body *b = p;

    if (!b)
        return;
    buf_release(&b->data);
    free(b);
}

static enum MHD_Result on_body(struct server_req *r, const char *data,
                               size_t *size)
{
    struct body *b = r->state;

    if (*size == 0) {
        if (r->status)
            return MHD_YES;
        if (b->too_large)
            return respond_error(r, SOCC_E_FILE_TOO_LARGE, 0,
                                 "the request body is too large", NULL,
                                 NULL);
        if (!buf_ok(&b->data))
            return MHD_NO;
        return b->done(r, b->data.data ? b->data.data : "", b->data.len);
    }
    r->bytes_in += *size;
    if (b->data.len + *size > BODY_MAX)
        b->too_large = 1;
    else
        buf_add(&b->data, data, *size);
    *size = 0;
    return MHD_YES;
}

enum MHD_Result body_read_json(struct server_req *r, body_done_fn done)
{
    const char *ct = server_header(r, "Content-Type");
    struct body *b;

    if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
        r->close_conn = 1;
        return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                             "the body must be application/json",
                             "send Content-Type: application/json", NULL);
    }
    b = calloc(1, sizeof(*b));
    if (!b)
        return MHD_NO;
    buf_init(&b->data);
    b->done = done;
    r->state = b;
    r->state_free = body_free;
    r->on_body = on_body;
    return MHD_YES;
}

const char *body_raw(const char *json, size_t n, const char *key,
                     size_t *len)
{
    struct json_iter it;
    const char *k, *v;
    size_t kl, vl;

    if (json_iter_init_object(&it, json, n) != 0)
        return NULL;
    while (json_iter_next_member(&it, &k, &kl, &v, &vl))
        if (kl == strlen(key) && memcmp(k, key, kl) == 0) {
            *len = vl;
            return v;
        }
    return NULL;
}

static int hex4(const char *p, unsigned *v)
{
    unsigned i, d;

    *v = 0;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
          : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
          : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
        if (d > 15)
            return -1;
        *v = *v * 16 + d;
    }
    return 0;
}

/* Append code point v as UTF-8; -1 for NUL and surrogates. */
static int put_utf8(struct buf *b, unsigned v)
{
    if (v == 0 || (v >= 0xD800 && v <= 0xDFFF))
        return -1;
    if (v < 0x80) {
        buf_addc(b, (char)v);
    } else if (v < 0x800) {
        buf_addc(b, (char)(0xC0 | (v >> 6)));
        buf_addc(b, (char)(0x80 | (v & 0x3F)));
    } else {
        buf_addc(b, (char)(0xE0 | (v >> 12)));
        buf_addc(b, (char)(0x80 | ((v >> 6) & 0x3F)));
        buf_addc(b, (char)(0x80 | (v & 0x3F)));
    }
    return 0;
}

int body_json_unescape(const char *p, size_t n, struct buf *b)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e;
    unsigned v;
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != '\\') {
            buf_addc(b, p[i]);
            continue;
        }
        if (++i >= n)
            return -1;
        if (p[i] == 'u') {
            if (i + 4 >= n || hex4(p + i + 1, &v) != 0 ||
                put_utf8(b, v) != 0)
                return -1;
            i += 4;
            continue;
        }
        e = strchr(from, p[i]);
        if (!e || !*e)
            return -1;
        buf_addc(b, to[e - from]);
    }
    return buf_ok(b) ? 0 : -1;
}

int body_str(const char *json, size_t n, const char *key, char *out,
             size_t cap)
{
    size_t len;
    const char *v = body_raw(json, n, key, &len);
    struct buf b;
    int rc = 1;

    if (!v)
        return 0;
    if (len < 2 || v[0] != '"' || v[len - 1] != '"')
        return -1;
    buf_init(&b);
    if (body_json_unescape(v + 1, len - 2, &b) != 0 || b.len >= cap ||
        (b.data && memchr(b.data, '\0', b.len)))
        rc = -1;
    else
        snprintf(out, cap, "%s", b.data ? b.data : "");
    buf_release(&b);
    return rc;
}
