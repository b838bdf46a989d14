#ifndef SOCC_XLSX_SCAN_H
#define SOCC_XLSX_SCAN_H

/*
 * A streaming XML tokenizer for the two big parts of a workbook (the
 * worksheets and the shared strings), about four times cheaper than expat
 * on them.  It calls the same three handlers expat would, with the same
 * arguments: start(ud, name, atts) with atts a NULL-ended name/value list,
 * end(ud, name), and text(ud, s, len) for character data, which may come
 * in several pieces.  Only UTF-8 documents: xlsx_scan_can_read() says
 * whether a part's first bytes declare another encoding, which is left to
 * expat.
 *
 * Well-formedness is checked as expat checks it (names, attribute syntax
 * and duplicates, nesting of every element, references, UTF-8 and XML
 * characters, "]]>" in text, the XML declaration, junk outside the root);
 * any DOCTYPE is refused.  Errors are CORRUPTED_FILE; a tag or reference
 * longer than XLSX_SCAN_MAX_TOKEN is LIMIT_EXCEEDED; INTERNAL when out of
 * memory.
 *
 * Input goes in the expat way: xlsx_scan_buffer() gives room after the
 * carried tail of the last block, the caller writes into it, then calls
 * xlsx_scan_parse() with the count.
 *
 * LIMIT: non-ASCII letters in element and attribute names are accepted
 * when they are valid 2- or 3-byte UTF-8; expat checks them against the
 * XML 1.0 fourth-edition name tables, so a name holding, say, a symbol
 * character is refused by expat and read here.
 */

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"

/* Bytes one tag, reference, or the open-element name stack may hold. */
#define XLSX_SCAN_MAX_TOKEN (256u * 1024u)

typedef void (*xlsx_scan_start_fn)(void *ud, const char *name,
                                   const char **atts);
typedef void (*xlsx_scan_end_fn)(void *ud, const char *name);
typedef void (*xlsx_scan_text_fn)(void *ud, const char *s, int len);

struct xlsx_scan;

/* A scanner calling handlers with ud; NULL when out of memory. */
struct xlsx_scan *xlsx_scan_new(void *ud);
void xlsx_scan_free(struct xlsx_scan *s);

/* Handlers may be changed, or set to NULL, at any time, handlers too. */
void xlsx_scan_set_elements(struct xlsx_scan *s, xlsx_scan_start_fn start,
                            xlsx_scan_end_fn end);
void xlsx_scan_set_text(struct xlsx_scan *s, xlsx_scan_text_fn text);

/* Room for want bytes of input (owned by s); NULL when out of memory. */
char *xlsx_scan_buffer(struct xlsx_scan *s, size_t want);

/*
 * Scan n bytes just written to the buffer; final once the input is over
 * (n may be 0).  SOCC_OK, or the error with xlsx_scan_detail() saying
 * why.  After xlsx_scan_stop() it returns SOCC_E_INTERNAL and the caller
 * reports its own error.
 */
enum socc_err xlsx_scan_parse(struct xlsx_scan *s, size_t n, int final);

/* From inside a handler: make no more calls and fail the parse. */
void xlsx_scan_stop(struct xlsx_scan *s);

/* Why the last parse failed (borrowed; "" when it did not). */
const char *xlsx_scan_detail(const struct xlsx_scan *s);

/*
 * 1 when p[0..n), the start of a document, is UTF-8 this scanner reads:
 * no UTF-16 or other byte order mark, and no XML declaration naming an
 * encoding other than UTF-8.  0 means "give it to expat".
 */
int xlsx_scan_can_read(const char *p, size_t n);

#endif
