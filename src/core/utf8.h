#ifndef SOCC_UTF8_H
#define SOCC_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Write code point cp (at most 0x10FFFF) as UTF-8 at out (room for 4). */
size_t utf8_put(char *out, uint32_t cp);

/*
 * Length (1-4) of the well-formed UTF-8 sequence at s[0..n), or 0 when the
 * bytes are not one (stray continuation, overlong form, surrogate, past
 * U+10FFFF, or cut short by n).
 */
size_t utf8_valid(const unsigned char *s, size_t n);

/*
 * As utf8_valid(), for a stream read in pieces: -1 when s[0..n) is the
 * valid beginning of a sequence that n cuts short (more bytes may come).
 */
int utf8_scan(const unsigned char *s, size_t n);

#endif
