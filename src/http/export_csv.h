#ifndef SOCC_EXPORT_CSV_H
#define SOCC_EXPORT_CSV_H

/*
 * GET /api/uploads/{id}/records.csv (or records?format=csv): one sheet's
 * records as RFC 4180 CSV, streamed page by page.  A text cell that a
 * spreadsheet would run as a formula (first character = + - @ tab or CR)
 * gets a leading apostrophe.  The caller has checked access.
 */

#include <stdint.h>

#include <microhttpd.h>

#include "core/buf.h"
#include "http/server.h"

enum MHD_Result export_csv_records(struct server_req *r, int64_t id);
/*
 * Append one CSV field for the JSON value text v (n bytes): strings
 * decoded and neutralised, numbers and booleans as written, null empty;
 * quoted when it needs to be.
 */
void export_csv_field(struct buf *b, const char *v, size_t n);

#endif
