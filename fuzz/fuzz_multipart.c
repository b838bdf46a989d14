/*
 * libFuzzer target: the multipart parser.  The first byte picks a chunk
 * size so that boundaries fall across feed() calls at every offset.
 */
#include <stddef.h>
#include <stdint.h>

#include "http/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t acc;

static enum socc_err on_begin(void *ctx, const struct multipart_part *p)
{
    (void)ctx;
    acc += p->filename_len + (size_t)p->has_filename;
    return SOCC_OK;
}

static enum socc_err on_data(void *ctx, const char *d, size_t n)
{
    (void)ctx;
    if (n)
        acc += (unsigned char)d[n - 1];
    return SOCC_OK;
}

static enum socc_err on_end(void *ctx)
{
    (void)ctx;
    return SOCC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct multipart_cb cb = { NULL, on_begin, on_data, on_end };
    struct multipart *m = NULL;
    struct socc_error err;
    size_t chunk, off = 1;

    if (size < 1)
        return 0;
    chunk = (size_t)data[0] % 64 + 1;
    if (multipart_new("multipart/form-data; boundary=XyZzY", &cb, &m, &err))
        return 0;
    while (off < size) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (multipart_feed(m, (const char *)data + off, n, &err) != SOCC_OK)
            break;
        off += n;
    }
    multipart_finish(m, &err);
    multipart_free(m);
    return 0;
}
