/*
 * SQLite backend of auth_store.h, on the connection pool of
 * store_sqlite.c.  Statements bind their parameters through one helper
 * (bind_all: a format of 's' text, 'i' int64, 'z' text or NULL).
 */
#include "store/auth_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/store_sqlite_int.h"

static enum socc_err fail(struct socc_error *err, sqlite3 *db,
                          const char *what)
{
    int ext = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;

    log_event(LOG_ERROR, "store", "db_error", NULL, "op=%s code=%d", what,
              ext);
    if ((ext & 0xff) == SQLITE_BUSY || (ext & 0xff) == SQLITE_LOCKED)
        return socc_error_set(err, SOCC_E_UNAVAILABLE,
                              "database busy during %s", what);
    if ((ext & 0xff) == SQLITE_FULL)
        return socc_error_set(err, SOCC_E_STORAGE_FULL,
                              "database full during %s", what);
    return socc_error_set(err, SOCC_E_INTERNAL, "database error during %s",
                          what);
}

static void bind_all(sqlite3_stmt *st, const char *fmt, va_list ap)
{
    int i;
    const char *s;

    for (i = 1; fmt[i - 1]; i++) {
        switch (fmt[i - 1]) {
        case 'i':
            sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
            break;
        case 'z':
            s = va_arg(ap, const char *);
            if (s)
                sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, i);
            break;
        default:
            sqlite3_bind_text(st, i, va_arg(ap, const char *), -1,
                              SQLITE_TRANSIENT);
        }
    }
}

/* Prepare sql on db with the parameters of fmt; NULL on failure. */
static sqlite3_stmt *prep(sqlite3 *db, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st = NULL;
    va_list ap;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    va_start(ap, fmt);
    bind_all(st, fmt, ap);
    va_end(ap);
    return st;
}

/*
 * Run one statement that returns no rows.  *changes (may be NULL) gets
 * the rows it changed; a UNIQUE violation is BAD_REQUEST with `taken`
 * (when not NULL), any other failure INTERNAL or the like.
 */
static enum socc_err run(struct store *s, const char *taken, int *changes,
                         struct socc_error *err, const char *sql,
                         const char *fmt, ...)
{
    sqlite3 *db = store_sqlite_get(s);
    sqlite3_stmt *st = NULL;
    enum socc_err rc = SOCC_OK;
    va_list ap;
    int step;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = fail(err, db, "prepare");
        goto out;
    }
    va_start(ap, fmt);
    bind_all(st, fmt, ap);
    va_end(ap);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE && changes)
        *changes = sqlite3_changes(db);
    else if (taken &&
             sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE)
        rc = socc_error_set(err, SOCC_E_BAD_REQUEST, "%s", taken);
    else if (step != SQLITE_DONE)
        rc = fail(err, db, "write");
out:
    sqlite3_finalize(st);
    store_sqlite_put(s, db);
    return rc;
}

static void col(sqlite3_stmt *st, int i, char *out, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    snprintf(out, n, "%s", t ? (const char *)t : "");
}

/* ---- users and companies ---- */

enum socc_err auth_store_user_add(struct store *s, const char *name,
                                  const char *role, const char *hash,
                                  int64_t *id, struct socc_error *err)
{
    struct auth_store_user u;
    char now[32];
    enum socc_err rc;

    store_sqlite_now_iso(now, sizeof(now));
    rc = run(s, "a user of this name exists", NULL, err,
             "INSERT INTO users (name, role, password_hash, created_at) "
             "VALUES (?, ?, ?, ?)", "ssss", name, role, hash, now);
    if (rc == SOCC_OK && id) {
        rc = auth_store_user_get(s, name, 0, &u, err);
        *id = u.id;
    }
    return rc;
}

enum socc_err auth_store_user_get(struct store *s, const char *name,
                                  int64_t id, struct auth_store_user *u,
                                  struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    sqlite3_stmt *st;
    enum socc_err rc = SOCC_OK;
    int step;

    memset(u, 0, sizeof(*u));
    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    st = name ? prep(db, "SELECT id, name, role, password_hash, created_at, "
                     "disabled FROM users WHERE name = ?", "s", name)
              : prep(db, "SELECT id, name, role, password_hash, created_at, "
                     "disabled FROM users WHERE id = ?", "i", id);
    step = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (step == SQLITE_ROW) {
        u->id = sqlite3_column_int64(st, 0);
        col(st, 1, u->name, sizeof(u->name));
        col(st, 2, u->role, sizeof(u->role));
        col(st, 3, u->password_hash, sizeof(u->password_hash));
        col(st, 4, u->created_at, sizeof(u->created_at));
        u->disabled = sqlite3_column_int(st, 5);
    } else if (step == SQLITE_DONE) {
        rc = socc_error_set(err, SOCC_E_NOT_FOUND, "no such user");
    } else {
        rc = fail(err, db, "user lookup");
    }
    sqlite3_finalize(st);
    store_sqlite_put(s, db);
    return rc;
}

static enum socc_err revoke_user_sessions(struct store *s, int64_t id,
                                          struct socc_error *err)
{
    return run(s, NULL, NULL, err,
               "UPDATE sessions SET revoked = 1 WHERE user_id = ?", "i", id);
}

/* An UPDATE of one user: NOT_FOUND when it changed nothing. */
static enum socc_err update_user(struct store *s, struct socc_error *err,
                                 const char *sql, const char *value,
                                 int64_t id)
{
    int n = 0;
    enum socc_err rc = run(s, NULL, &n, err, sql, "si", value, id);

    if (rc == SOCC_OK && n == 0)
        rc = socc_error_set(err, SOCC_E_NOT_FOUND, "no such user");
    return rc;
}

enum socc_err auth_store_user_set_password(struct store *s, int64_t id,
                                           const char *hash,
                                           struct socc_error *err)
{
    enum socc_err rc = update_user(s, err, "UPDATE users SET password_hash "
                                   "= ? WHERE id = ?", hash, id);

    return rc == SOCC_OK ? revoke_user_sessions(s, id, err) : rc;
}

enum socc_err auth_store_user_set_disabled(struct store *s, int64_t id,
                                           int disabled,
                                           struct socc_error *err)
{
    enum socc_err rc = update_user(s, err, "UPDATE users SET disabled = "
                                   "CAST(? AS INTEGER) WHERE id = ?",
                                   disabled ? "1" : "0", id);

    return rc == SOCC_OK && disabled ? revoke_user_sessions(s, id, err) : rc;
}

enum socc_err auth_store_user_set_role(struct store *s, int64_t id,
                                       const char *role,
                                       struct socc_error *err)
{
    return update_user(s, err, "UPDATE users SET role = ? WHERE id = ?",
                       role, id);
}

int64_t auth_store_user_count(struct store *s)
{
    sqlite3 *db = store_sqlite_get(s);
    sqlite3_stmt *st;
    int64_t n = -1;

    if (!db)
        return -1;
    st = prep(db, "SELECT count(*) FROM users", "");
    if (st && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    store_sqlite_put(s, db);
    return n;
}

/*
 * Run a query whose one column per row is already JSON text, and append
 * the rows joined by commas between open and close.
 */
static enum socc_err json_rows(struct store *s, struct buf *out,
                               const char *open, const char *close,
                               struct socc_error *err, const char *sql,
                               const char *fmt, ...)
{
    sqlite3 *db = store_sqlite_get(s);
    sqlite3_stmt *st = NULL;
    enum socc_err rc = SOCC_OK;
    va_list ap;
    int step, first = 1;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = fail(err, db, "prepare");
        goto out;
    }
    va_start(ap, fmt);
    bind_all(st, fmt, ap);
    va_end(ap);
    buf_adds(out, open);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (!first)
            buf_addc(out, ',');
        first = 0;
        buf_adds(out, (const char *)sqlite3_column_text(st, 0));
    }
    buf_adds(out, close);
    if (step != SQLITE_DONE)
        rc = fail(err, db, "read");
out:
    sqlite3_finalize(st);
    store_sqlite_put(s, db);
    return rc;
}

enum socc_err auth_store_users_json(struct store *s,
                                    const char *companies_json,
                                    struct buf *out, struct socc_error *err)
{
    return json_rows(
        s, out, "{\"users\":[", "]}", err,
        "SELECT json_object('id', u.id, 'name', u.name, 'role', u.role,"
        " 'created_at', u.created_at, 'disabled', json(CASE u.disabled"
        " WHEN 0 THEN 'false' ELSE 'true' END), 'companies', (SELECT"
        " json_group_array(company) FROM (SELECT company FROM memberships"
        " WHERE user_id = u.id AND (?1 IS NULL OR company IN (SELECT value"
        " FROM json_each(?1))) ORDER BY company))) FROM users u"
        " WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM memberships m WHERE"
        " m.user_id = u.id AND m.company IN (SELECT value FROM"
        " json_each(?1))) ORDER BY u.id",
        "z", companies_json);
}

enum socc_err auth_store_companies_json(struct store *s, int64_t user_id,
                                        struct buf *out,
                                        struct socc_error *err)
{
    if (user_id == 0)
        return json_rows(s, out, "[", "]", err,
                         "SELECT json_quote(name) FROM companies "
                         "ORDER BY name", "");
    return json_rows(s, out, "[", "]", err,
                     "SELECT json_quote(company) FROM memberships "
                     "WHERE user_id = ? ORDER BY company", "i", user_id);
}

enum socc_err auth_store_membership_set(struct store *s, int64_t user_id,
                                        const char *company, int on,
                                        struct socc_error *err)
{
    char now[32];
    enum socc_err rc;

    if (!on)
        return run(s, NULL, NULL, err, "DELETE FROM memberships WHERE "
                   "user_id = ? AND company = ?", "is", user_id, company);
    store_sqlite_now_iso(now, sizeof(now));
    rc = run(s, NULL, NULL, err, "INSERT OR IGNORE INTO companies (name, "
             "created_at) VALUES (?, ?)", "ss", company, now);
    if (rc == SOCC_OK)
        rc = run(s, NULL, NULL, err, "INSERT OR IGNORE INTO memberships "
                 "(user_id, company) VALUES (?, ?)", "is", user_id, company);
    return rc;
}

/* ---- sessions ---- */

enum socc_err auth_store_session_add(struct store *s,
                                     const struct auth_store_session *ss,
                                     struct socc_error *err)
{
    return run(s, NULL, NULL, err,
               "INSERT INTO sessions (id_hash, user_id, csrf, created, "
               "last_seen, expires) VALUES (?, ?, ?, ?, ?, ?)", "sisiii",
               ss->id_hash, ss->user_id, ss->csrf, ss->created,
               ss->last_seen, ss->expires);
}

enum socc_err auth_store_session_get(struct store *s, const char *id_hash,
                                     struct auth_store_session *ss,
                                     struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    sqlite3_stmt *st;
    enum socc_err rc = SOCC_OK;
    int step;

    memset(ss, 0, sizeof(*ss));
    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    st = prep(db, "SELECT user_id, csrf, created, last_seen, expires FROM "
              "sessions WHERE id_hash = ? AND revoked = 0", "s", id_hash);
    step = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (step == SQLITE_ROW) {
        snprintf(ss->id_hash, sizeof(ss->id_hash), "%s", id_hash);
        ss->user_id = sqlite3_column_int64(st, 0);
        col(st, 1, ss->csrf, sizeof(ss->csrf));
        ss->created = sqlite3_column_int64(st, 2);
        ss->last_seen = sqlite3_column_int64(st, 3);
        ss->expires = sqlite3_column_int64(st, 4);
    } else if (step == SQLITE_DONE) {
        rc = socc_error_set(err, SOCC_E_NOT_FOUND, "no such session");
    } else {
        rc = fail(err, db, "session lookup");
    }
    sqlite3_finalize(st);
    store_sqlite_put(s, db);
    return rc;
}

enum socc_err auth_store_session_touch(struct store *s, const char *id_hash,
                                       int64_t now, struct socc_error *err)
{
    return run(s, NULL, NULL, err, "UPDATE sessions SET last_seen = ? "
               "WHERE id_hash = ? AND last_seen < ?", "isi", now, id_hash,
               now);
}

enum socc_err auth_store_session_revoke(struct store *s, const char *id_hash,
                                        struct socc_error *err)
{
    return run(s, NULL, NULL, err, "UPDATE sessions SET revoked = 1 WHERE "
               "id_hash = ?", "s", id_hash);
}

/* ---- API tokens ---- */

enum socc_err auth_store_token_add(struct store *s,
                                   const struct auth_store_token *t,
                                   const char *hash,
                                   const char *companies_json, int64_t *id,
                                   struct socc_error *err)
{
    struct auth_store_token got;
    char now[32];
    enum socc_err rc;

    store_sqlite_now_iso(now, sizeof(now));
    rc = run(s, "token collision", NULL, err,
             "INSERT INTO api_tokens (user_id, name, token_hash, prefix, "
             "all_companies, tier, created_at, created_by) VALUES "
             "(?, ?, ?, ?, ?, ?, ?, ?)", "isssisss", t->user_id, t->name,
             hash, t->prefix, (int64_t)(t->all_companies != 0), t->tier, now,
             t->created_by);
    if (rc == SOCC_OK)
        rc = auth_store_token_get(s, hash, 0, &got, NULL, err);
    if (rc == SOCC_OK && !t->all_companies)
        rc = run(s, NULL, NULL, err, "INSERT OR IGNORE INTO token_companies "
                 "(token_id, company) SELECT ?, value FROM json_each(?)",
                 "is", got.id, companies_json ? companies_json : "[]");
    if (rc == SOCC_OK)
        *id = got.id;
    return rc;
}

#define TOKEN_COLS "t.id, t.user_id, u.name, t.name, t.prefix, " \
    "t.all_companies, t.tier, t.created_at, t.created_by, " \
    "t.revoked_at IS NOT NULL, (SELECT json_group_array(company) FROM " \
    "(SELECT company FROM token_companies WHERE token_id = t.id ORDER BY " \
    "company)) FROM api_tokens t JOIN users u ON u.id = t.user_id "

static void row_to_token(sqlite3_stmt *st, struct auth_store_token *t,
                         struct buf *companies)
{
    t->id = sqlite3_column_int64(st, 0);
    t->user_id = sqlite3_column_int64(st, 1);
    col(st, 2, t->user, sizeof(t->user));
    col(st, 3, t->name, sizeof(t->name));
    col(st, 4, t->prefix, sizeof(t->prefix));
    t->all_companies = sqlite3_column_int(st, 5);
    col(st, 6, t->tier, sizeof(t->tier));
    col(st, 7, t->created_at, sizeof(t->created_at));
    col(st, 8, t->created_by, sizeof(t->created_by));
    t->revoked = sqlite3_column_int(st, 9);
    if (companies)
        buf_adds(companies, (const char *)sqlite3_column_text(st, 10));
}

enum socc_err auth_store_token_get(struct store *s, const char *hash,
                                   int64_t id, struct auth_store_token *t,
                                   struct buf *companies,
                                   struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    sqlite3_stmt *st;
    enum socc_err rc = SOCC_OK;
    int step;

    memset(t, 0, sizeof(*t));
    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    st = hash ? prep(db, "SELECT " TOKEN_COLS "WHERE t.token_hash = ?", "s",
                     hash)
              : prep(db, "SELECT " TOKEN_COLS "WHERE t.id = ?", "i", id);
    step = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (step == SQLITE_ROW)
        row_to_token(st, t, companies);
    else if (step == SQLITE_DONE)
        rc = socc_error_set(err, SOCC_E_NOT_FOUND, "no such token");
    else
        rc = fail(err, db, "token lookup");
    sqlite3_finalize(st);
    store_sqlite_put(s, db);
    return rc;
}

enum socc_err auth_store_token_revoke(struct store *s, int64_t id,
                                      struct socc_error *err)
{
    char now[32];
    int n = 0;
    enum socc_err rc;

    store_sqlite_now_iso(now, sizeof(now));
    rc = run(s, NULL, &n, err, "UPDATE api_tokens SET revoked_at = "
             "coalesce(revoked_at, ?) WHERE id = ?", "si", now, id);
    if (rc == SOCC_OK && n == 0)
        rc = socc_error_set(err, SOCC_E_NOT_FOUND, "no such token");
    return rc;
}

enum socc_err auth_store_tokens_json(struct store *s,
                                     const char *companies_json,
                                     int64_t self_id, struct buf *out,
                                     struct socc_error *err)
{
    return json_rows(
        s, out, "{\"tokens\":[", "]}", err,
        "SELECT json_object('id', t.id, 'user', u.name, 'name', t.name,"
        " 'prefix', t.prefix, 'tier', t.tier, 'companies', CASE"
        " t.all_companies WHEN 1 THEN '*' ELSE (SELECT"
        " json_group_array(company) FROM token_companies WHERE token_id ="
        " t.id AND (?1 IS NULL OR company IN (SELECT value FROM"
        " json_each(?1)))) END, 'created_at', t.created_at, 'created_by',"
        " t.created_by, 'revoked_at', t.revoked_at) FROM api_tokens t JOIN"
        " users u ON u.id = t.user_id WHERE ?1 IS NULL OR t.user_id = ?2"
        " OR (u.role != 'super_admin' AND EXISTS (SELECT 1 FROM memberships"
        " m WHERE m.user_id = u.id AND m.company IN (SELECT value FROM"
        " json_each(?1)))) ORDER BY t.id",
        "zi", companies_json, self_id);
}

/* ---- audit ---- */

enum socc_err auth_store_audit_add(struct store *s,
                                   const struct auth_store_audit *a,
                                   struct socc_error *err)
{
    char now[32];

    store_sqlite_now_iso(now, sizeof(now));
    return run(s, NULL, NULL, err,
               "INSERT INTO audit_log (at, actor, action, outcome, company, "
               "target, address, request_id, detail) VALUES "
               "(?, ?, ?, ?, ?, ?, ?, ?, ?)", "ssssz" "zzzz", now, a->actor,
               a->action, a->outcome, a->company, a->target, a->address,
               a->request_id, a->detail);
}

enum socc_err auth_store_audit_json(struct store *s,
                                    const char *companies_json,
                                    int64_t limit, int64_t offset,
                                    struct buf *out, struct socc_error *err)
{
    return json_rows(
        s, out, "{\"events\":[", "]}", err,
        "SELECT json_object('id', id, 'at', at, 'actor', actor, 'action',"
        " action, 'outcome', outcome, 'company', company, 'target', target,"
        " 'address', address, 'request_id', request_id, 'detail', detail)"
        " FROM audit_log WHERE ?1 IS NULL OR company IN (SELECT value FROM"
        " json_each(?1)) ORDER BY id DESC LIMIT ?2 OFFSET ?3",
        "zii", companies_json, limit, offset);
}

/* ---- login attempts ---- */

enum socc_err auth_store_login_note(struct store *s, const char *account,
                                    const char *address, int ok, int64_t now,
                                    struct socc_error *err)
{
    return run(s, NULL, NULL, err, "INSERT INTO login_attempts (at, account,"
               " address, ok) VALUES (?, ?, ?, ?)", "issi", now, account,
               address, (int64_t)(ok != 0));
}

enum socc_err auth_store_login_failures(struct store *s, const char *account,
                                        const char *address, int64_t since,
                                        struct auth_store_failures *f,
                                        struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    sqlite3_stmt *st;
    enum socc_err rc = SOCC_OK;

    memset(f, 0, sizeof(*f));
    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    st = prep(db, "SELECT (SELECT count(*) FROM login_attempts WHERE "
              "account = ?1 AND at >= ?3 AND ok = 0), (SELECT min(at) FROM "
              "login_attempts WHERE account = ?1 AND at >= ?3 AND ok = 0), "
              "(SELECT count(*) FROM login_attempts WHERE address = ?2 AND "
              "at >= ?3 AND ok = 0), (SELECT min(at) FROM login_attempts "
              "WHERE address = ?2 AND at >= ?3 AND ok = 0)", "ssi", account,
              address, since);
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        f->account = sqlite3_column_int64(st, 0);
        f->account_oldest = sqlite3_column_int64(st, 1);
        f->address = sqlite3_column_int64(st, 2);
        f->address_oldest = sqlite3_column_int64(st, 3);
    } else {
        rc = fail(err, db, "login attempts");
    }
    sqlite3_finalize(st);
    store_sqlite_put(s, db);
    return rc;
}

enum socc_err auth_store_login_clear(struct store *s, const char *account,
                                     struct socc_error *err)
{
    return run(s, NULL, NULL, err, "DELETE FROM login_attempts WHERE "
               "account = ? AND ok = 0", "s", account);
}
