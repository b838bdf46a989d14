#ifndef SOCC_MULTIPART_H
#define SOCC_MULTIPART_H

/*
 * A streaming multipart/form-data parser (RFC 7578, RFC 2046).  Feed it the
 * body in chunks of any size, split anywhere; it calls back with each part's
 * headers, then its data in pieces, then the part's end.  Memory is bounded:
 * the parser keeps only the current part's header block
 * (MULTIPART_HEADER_MAX) and never buffers part data.
 *
 * File names: filename* (RFC 5987, UTF-8 or ISO-8859-1) wins over filename
 * (RFC 6266 4.3); a quoted filename honours \" and \\ escapes and may hold
 * ';'; raw UTF-8 bytes are kept as they are.
 */

#include <stddef.h>

#include "core/err.h"

#define MULTIPART_BOUNDARY_MAX 70      /* RFC 2046 */
#define MULTIPART_HEADER_MAX 8192      /* all header lines of one part */
#define MULTIPART_NAME_MAX 128         /* field name, bytes */
#define MULTIPART_FILENAME_MAX 1024    /* decoded file name, bytes */
#define MULTIPART_CTYPE_MAX 128

/* What the headers of one part said. */
struct multipart_part {
    char name[MULTIPART_NAME_MAX + 1];         /* field name, "" if none */
    char filename[MULTIPART_FILENAME_MAX + 1]; /* decoded, NUL-terminated */
    size_t filename_len;                       /* bytes in filename */
    int has_filename;                          /* 1 when a file part */
    char content_type[MULTIPART_CTYPE_MAX + 1];/* "" when absent */
};

/*
 * Callbacks; a return other than SOCC_OK stops the parser, and
 * multipart_feed() returns that code.  Pointers are borrowed for the call.
 */
struct multipart_cb {
    void *ctx;
    enum socc_err (*part_begin)(void *ctx, const struct multipart_part *p);
    enum socc_err (*part_data)(void *ctx, const char *data, size_t n);
    enum socc_err (*part_end)(void *ctx);
};

struct multipart;

/*
 * Start a parser for a body with this Content-Type header value (borrowed).
 * BAD_REQUEST when it is not multipart/form-data with a valid boundary.
 * *out is owned by the caller: multipart_free().
 */
enum socc_err multipart_new(const char *content_type,
                            const struct multipart_cb *cb,
                            struct multipart **out, struct socc_error *err);
/*
 * Parse the next n bytes.  BAD_REQUEST on a malformed body or a header
 * block over its limit, or the code a callback returned.  After an error
 * every further call returns the same code.
 */
enum socc_err multipart_feed(struct multipart *m, const char *data, size_t n,
                             struct socc_error *err);
/* The body ended: SOCC_OK after the final boundary, else UPLOAD_INCOMPLETE. */
enum socc_err multipart_finish(struct multipart *m, struct socc_error *err);
void multipart_free(struct multipart *m);

/*
 * Parse a Content-Disposition value (len bytes, borrowed) into p's name
 * and filename fields.  BAD_REQUEST when a name or file name is too long
 * or a quoted string is not closed.
 */
enum socc_err multipart_disposition(const char *value, size_t len,
                                    struct multipart_part *p,
                                    struct socc_error *err);
/*
 * The boundary parameter of a multipart/form-data Content-Type into out
 * (MULTIPART_BOUNDARY_MAX + 1 bytes); 0, or -1 when absent or invalid.
 */
int multipart_boundary(const char *content_type,
                       char out[MULTIPART_BOUNDARY_MAX + 1]);

#endif
