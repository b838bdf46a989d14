/*
 * libFuzzer target: base64 (tus Upload-Metadata values and checksums):
 * decode any bytes; what decodes must encode back to a text that decodes
 * to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char out[512], again[512];
    char text[BASE64_ENCODED_SIZE(512)];
    size_t n = 0, m = 0;

    if (size > 600)
        return 0;
    if (base64_decode((const char *)data, size, out, sizeof(out), &n) != 0)
        return 0;
    base64_encode(out, n, text);
    if (base64_decode(text, strlen(text), again, sizeof(again), &m) != 0 ||
        m != n || memcmp(out, again, n) != 0)
        abort();
    return 0;
}
