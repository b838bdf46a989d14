/*
 * libFuzzer target: JSON from clients (sign-in, admin and error-report
 * bodies): the object and array iterators over any bytes, and the strict
 * string decoder on every member key and value they yield.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/json_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode(const char *p, size_t n)
{
    struct buf b;

    buf_init(&b);
    if (n && p[0] == '"')
        json_decode_string(p, n, &b);
    buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *k, *v;
    size_t kn, vn;
    struct json_iter it;

    decode(p, size);
    if (json_iter_init_object(&it, p, size) == 0)
        while (json_iter_next_member(&it, &k, &kn, &v, &vn) == 1) {
            decode(k, kn);
            decode(v, vn);
        }
    if (json_iter_init(&it, p, size) == 0)
        while (json_iter_next(&it, &v, &vn) == 1)
            decode(v, vn);
    return 0;
}
