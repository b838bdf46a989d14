#ifndef SOCC_PARAMS_H
#define SOCC_PARAMS_H

/*
 * Numbers in requests: header values (Content-Length, Upload-Offset) and
 * query parameters (limit, offset), read one way for every route.
 */

#include <stdint.h>

#include "http/server.h"

/* 1 with *v when s is a plain decimal number that fits in 64 bits. */
int params_u64(const char *s, uint64_t *v);
/*
 * The query parameter key as a number in [lo, hi] into *out; def when it
 * is absent or empty.  0, or -1 when it is not such a number.
 */
int params_query_num(struct server_req *r, const char *key, int64_t def,
                     int64_t lo, int64_t hi, int64_t *out);

#endif
