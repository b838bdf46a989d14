#ifndef SOCC_BASE64_H
#define SOCC_BASE64_H

/*
 * Standard base64 (RFC 4648 section 4, with '=' padding), as tus uses it
 * for Upload-Metadata values and Upload-Checksum digests.
 */

#include <stddef.h>

/* Bytes base64_encode() writes for n input bytes, with the NUL. */
#define BASE64_ENCODED_SIZE(n) (((n) + 2) / 3 * 4 + 1)

/* Encode n bytes of p into out (BASE64_ENCODED_SIZE(n) bytes, NUL-ended). */
void base64_encode(const void *p, size_t n, char *out);
/*
 * Decode the n characters at s into out (cap bytes); *len gets the bytes
 * written.  Padding is optional; blanks are not allowed.  0, or -1 when s
 * is not base64 or out is too small.
 */
int base64_decode(const char *s, size_t n, unsigned char *out, size_t cap,
                  size_t *len);

#endif
