#ifndef SOCC_JSON_H
#define SOCC_JSON_H

#include <stddef.h>

/*
 * Walk the top-level elements of a JSON array text that socc wrote itself
 * (cells and column lists).  Not a validating parser: it only needs to find
 * where each element starts and ends, strings with escapes included.
 */
struct json_iter {
    const char *p;    /* borrowed text */
    size_t n;
    size_t pos;
};

/* Start at the '['; 0, or -1 when the text is not an array. */
int json_iter_init(struct json_iter *it, const char *p, size_t n);
/* Next element's raw JSON text; 1 when found, 0 at the end or on error. */
int json_iter_next(struct json_iter *it, const char **elem, size_t *len);

/* Start at the '{' of an object; 0, or -1 when the text is not one. */
int json_iter_init_object(struct json_iter *it, const char *p, size_t n);
/*
 * Next member: key is the raw text between the key's quotes (escapes not
 * decoded), val the value's raw JSON; 1 when found, 0 at the end or on
 * malformed text.
 */
int json_iter_next_member(struct json_iter *it, const char **key,
                          size_t *klen, const char **val, size_t *vlen);

#endif
