#ifndef SOCC_TABLE_H
#define SOCC_TABLE_H

/*
 * Turns a reader's raw rows into records: finds each sheet's header row,
 * names the columns, and writes every row after the header to the store
 * as a JSON array of values.
 *
 * Header rule (one for CSV, XLSX and XLS): the header is the first
 * non-empty row, except that title or preamble rows above a wider table
 * are skipped.  Among the first TABLE_PROBE_ROWS non-empty rows, let M be
 * the most filled cells any of them has; while M >= 3, a leading row with
 * at most M/2 filled cells is a preamble row, not the header.  Preamble
 * rows are not records; the sheet notes how many there were.
 *
 * Column names: the header cells, trimmed; an empty one becomes
 * "column_N" (N its 1-based position); a repeated one gets "_2", "_3", ...
 * Cells right of the header get "column_N" names too.
 *
 * A record is stored as a JSON array of its values, or, when the row is
 * wide and mostly empty, as an object from column index to value.
 */

#include <stdint.h>

#include "core/buf.h"
#include "ingest/row.h"
#include "ingest/spool.h"

#define TABLE_PROBE_ROWS 16

struct table;

/* sp is borrowed: the table writes sheets and records into it (NULL: set
 * it later with table_set_spool). */
struct table *table_new(struct spool *sp);
void table_set_spool(struct table *t, struct spool *sp);
/* Report the records parsed so far to p (borrowed, may be NULL), every
 * TABLE_PROGRESS_EVERY records and at the end of each sheet. */
#define TABLE_PROGRESS_EVERY 1024
struct progress;
void table_set_progress(struct table *t, struct progress *p);
/*
 * Text formats (CSV) carry no types: with on, a text cell that reads as a
 * plain decimal number ("-5", "+7", "0.25", "1e3"; at most 15 digits, no
 * leading zero) is stored as a number.  "007", "1.", "-2+3" stay text.
 */
void table_set_infer_numbers(struct table *t, int on);
/*
 * Refuse with LIMIT_EXCEEDED once the records and column lists would take
 * more than bytes to store (0: no limit), so a small file that claims huge
 * sparse sheets cannot fill the disk.
 */
void table_set_max_stored(struct table *t, uint64_t bytes);
void table_free(struct table *t);
/* The row sink readers feed. */
struct row_sink table_sink(struct table *t);
/* Records written so far across sheets. */
int64_t table_records(const struct table *t);
/* The error the sink hit, when a reader returns the sink's code. */
const struct socc_error *table_error(const struct table *t);
/* Add a warning (deduplicated). */
void table_warn(struct table *t, const char *msg);
/* Warnings as a JSON array text (owned by t). */
const char *table_warnings_json(struct table *t);

/*
 * Append the JSON value of one cell: null for empty, numbers bare when
 * they are valid JSON numbers, true/false, strings otherwise.
 */
void table_cell_json(const struct row_cell *c, struct buf *b);
/* 1 when s[0..n) is a JSON number. */
int table_is_json_number(const char *s, size_t n);
/* 1 when text s[0..n) is a number by the rule of table_set_infer_numbers. */
int table_text_is_number(const char *s, size_t n);

#endif
