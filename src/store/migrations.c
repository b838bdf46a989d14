#include "store/migrations.h"

/*
 * Forward-only schema migrations.  Entry i brings the schema from version
 * i to i + 1 (PRAGMA user_version).  Never edit a released entry; append.
 */
static const char *const steps[] = {
    /* 1: uploads, sheets, records */
    "CREATE TABLE uploads ("
    "  id INTEGER PRIMARY KEY,"
    "  company TEXT NOT NULL,"
    "  tool_type TEXT NOT NULL,"
    "  filename TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  file_type TEXT NOT NULL,"
    "  file_hash TEXT NOT NULL CHECK (length(file_hash) = 64),"
    "  record_count INTEGER NOT NULL DEFAULT 0,"
    "  sheet_count INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL DEFAULT 'processing',"
    "  is_active INTEGER NOT NULL DEFAULT 0,"
    "  uploaded_by TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL,"
    "  processing_ms INTEGER NOT NULL DEFAULT 0,"
    "  version INTEGER NOT NULL DEFAULT 1,"
    "  previous_id INTEGER REFERENCES uploads(id),"
    "  warnings TEXT NOT NULL DEFAULT '[]'"
    ");"
    "CREATE INDEX uploads_file_hash ON uploads(file_hash);"
    "CREATE UNIQUE INDEX uploads_company_hash ON uploads(company, file_hash);"
    "CREATE INDEX uploads_active ON uploads(company, is_active, tool_type);"
    "CREATE TABLE sheets ("
    "  upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  row_count INTEGER NOT NULL DEFAULT 0,"
    "  column_count INTEGER NOT NULL DEFAULT 0,"
    "  header_row INTEGER NOT NULL DEFAULT 0,"
    "  columns TEXT NOT NULL DEFAULT '[]',"
    "  PRIMARY KEY (upload_id, idx)"
    ") WITHOUT ROWID;"
    /*
     * The key packs (upload, sheet, position in sheet) so that rows are
     * appended in key order: upload_id << 39 | sheet << 28 | ord.  One
     * B-tree, no index to maintain, and a page of records is a key range.
     */
    "CREATE TABLE records ("
    "  id INTEGER PRIMARY KEY,"
    "  row_num INTEGER NOT NULL,"
    "  cells TEXT NOT NULL"
    ");",
    /*
     * 2: errors the page reports (POST /api/client-errors).  seq orders
     * them and lets the oldest go once the table holds its maximum.
     */
    "CREATE TABLE client_errors ("
    "  seq INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  message TEXT NOT NULL,"
    "  stack TEXT NOT NULL DEFAULT '',"
    "  page TEXT NOT NULL DEFAULT '',"
    "  user_agent TEXT NOT NULL DEFAULT '',"
    "  occurred_at TEXT NOT NULL DEFAULT '',"
    "  received_at TEXT NOT NULL,"
    "  request_id TEXT NOT NULL DEFAULT ''"
    ");",
};

size_t migrations_count(void) { return sizeof(steps) / sizeof(steps[0]); }

const char *migrations_sql(size_t i)
{
    return i < migrations_count() ? steps[i] : NULL;
}
