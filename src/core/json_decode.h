#ifndef SOCC_JSON_DECODE_H
#define SOCC_JSON_DECODE_H

/*
 * Decoding JSON sent by clients (request bodies), strictly: what RFC 8259
 * allows and nothing more.
 */

#include <stddef.h>

#include "core/buf.h"

/*
 * Decode the JSON string literal raw[0..n) (quotes included) into out
 * (appended, NUL-terminated by buf).  Escapes are decoded, \u surrogate
 * pairs joined; \u0000 is refused (it would cut a C string).  0, or -1
 * when the text is not exactly one well-formed string of valid UTF-8.
 */
int json_decode_string(const char *raw, size_t n, struct buf *out);

#endif
