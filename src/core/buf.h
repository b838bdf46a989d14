#ifndef SOCC_BUF_H
#define SOCC_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A growable byte buffer, always NUL-terminated after len bytes.  Caller
 * storage: buf_init() then buf_release().  On allocation failure the buffer
 * sets oom and ignores further appends; check buf_ok() once at the end.
 */
struct buf {
    char *data;   /* owned; NULL until the first append */
    size_t len;   /* bytes used, not counting the NUL */
    size_t cap;   /* bytes allocated */
    int oom;      /* 1 once an allocation failed */
};

void buf_init(struct buf *b);
void buf_release(struct buf *b);
/* Forget the contents, keep the allocation. */
void buf_reset(struct buf *b);
/* Hand the bytes to the caller (who frees them); the buffer is emptied. */
char *buf_detach(struct buf *b);
int buf_ok(const struct buf *b);
/* Make room for n more bytes; 0 or -1. */
int buf_reserve(struct buf *b, size_t n);

void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_add_i64(struct buf *b, int64_t v);

/*
 * Append s[0..n) as a quoted JSON string.  Invalid UTF-8 bytes are written
 * as U+FFFD and control characters (NUL too) as \u escapes, so the output
 * is always valid JSON.
 */
void buf_add_json_str(struct buf *b, const char *s, size_t n);
/* NUL-terminated variant; NULL is written as null. */
void buf_add_json_strz(struct buf *b, const char *s);

#endif
