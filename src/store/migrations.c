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
     * 2: the first answer to each (company, Idempotency-Key) of
     * POST /api/uploads, replayed to a retry while younger than
     * SOCC_IDEMPOTENCY_TTL.  created_at is Unix seconds.
     */
    "CREATE TABLE idempotency ("
    "  company TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 64),"
    "  status INTEGER NOT NULL,"
    "  body TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (company, key)"
    ") WITHOUT ROWID;"
    "CREATE INDEX idempotency_created ON idempotency(created_at);",
};

size_t migrations_count(void) { return sizeof(steps) / sizeof(steps[0]); }

const char *migrations_sql(size_t i)
{
    return i < migrations_count() ? steps[i] : NULL;
}
