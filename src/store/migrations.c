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
     * 2: versions and backups.  records.rid is the row identity, the first
     * 128 bits of SHA-256 over the sheet name and the record's normalized
     * cells; NULL for records stored before this step (store_open fills
     * them in, then sets state.rids_filled).  changes holds each version's summary against its
     * predecessor.  state holds counters that must travel with every
     * snapshot: the journal position the database contains and the
     * highest upload id ever given, so that ids are never reused.
     */
    "ALTER TABLE records ADD COLUMN rid BLOB;"
    "CREATE TABLE changes ("
    "  upload_id INTEGER PRIMARY KEY REFERENCES uploads(id) ON DELETE CASCADE,"
    "  previous_id INTEGER,"
    "  rows_added INTEGER NOT NULL DEFAULT 0,"
    "  rows_removed INTEGER NOT NULL DEFAULT 0,"
    "  rows_unchanged INTEGER NOT NULL DEFAULT 0,"
    "  columns_added TEXT NOT NULL DEFAULT '[]',"
    "  columns_removed TEXT NOT NULL DEFAULT '[]'"
    ");"
    "CREATE TABLE state ("
    "  k TEXT PRIMARY KEY,"
    "  v INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "INSERT INTO state (k, v) VALUES ('journal_seq', 0),"
    "  ('upload_id_max', (SELECT coalesce(max(id), 0) FROM uploads)),"
    "  ('rids_filled', NOT EXISTS (SELECT 1 FROM records));",
    /*
     * 3: users, companies, memberships, sessions, API tokens, audit log,
     * login attempts (SPEC 6).  Secrets are stored hashed: passwords with
     * Argon2id, session ids and API tokens as SHA-256 hex.  Times in
     * seconds since the epoch where they are compared, ISO 8601 where they
     * are shown.
     */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL"
    "    CHECK (role IN ('super_admin', 'admin', 'analyst')),"
    "  password_hash TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  disabled INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE companies ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_at TEXT NOT NULL"
    ");"
    "INSERT INTO companies (name, created_at)"
    "  SELECT DISTINCT company, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    "  FROM uploads;"
    "CREATE TABLE memberships ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  company TEXT NOT NULL REFERENCES companies(name),"
    "  PRIMARY KEY (user_id, company)"
    ") WITHOUT ROWID;"
    "CREATE TABLE sessions ("
    "  id_hash TEXT PRIMARY KEY CHECK (length(id_hash) = 64),"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  csrf TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  revoked INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE api_tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),"
    "  prefix TEXT NOT NULL,"
    "  all_companies INTEGER NOT NULL DEFAULT 0,"
    "  tier TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  created_by TEXT NOT NULL DEFAULT '',"
    "  revoked_at TEXT"
    ");"
    "CREATE TABLE token_companies ("
    "  token_id INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,"
    "  company TEXT NOT NULL,"
    "  PRIMARY KEY (token_id, company)"
    ") WITHOUT ROWID;"
    "CREATE TABLE audit_log ("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  company TEXT,"
    "  target TEXT,"
    "  address TEXT,"
    "  request_id TEXT,"
    "  detail TEXT"
    ");"
    "CREATE INDEX audit_company ON audit_log(company, id);"
    "CREATE TABLE login_attempts ("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  account TEXT NOT NULL,"
    "  address TEXT NOT NULL,"
    "  ok INTEGER NOT NULL"
    ");"
    "CREATE INDEX login_attempts_account ON login_attempts(account, at);"
    "CREATE INDEX login_attempts_address ON login_attempts(address, at);",
    /*
     * 4: errors the page reports (POST /api/client-errors).  seq orders
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
    /*
     * 5: the first answer to each (company, Idempotency-Key) of
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
