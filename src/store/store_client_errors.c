/*
 * Errors the page reports from its error boundary: one row each in
 * client_errors (migration 2), the newest STORE_CLIENT_ERRORS_MAX kept.
 */
#include "store/store.h"

#include <stdio.h>
#include <time.h>

#include "store/store_sqlite_int.h"

#define COLS "id, message, stack, page, user_agent, occurred_at, " \
             "received_at, request_id"

static void bind_str(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_STATIC);
}

static enum socc_err add_db(sqlite3 *db, const struct store_client_error *e,
                            int *created, struct socc_error *err)
{
    sqlite3_stmt *st;
    char now[32];
    int rc;

    store_sqlite_now_iso(now, sizeof(now));
    if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO client_errors (" COLS
                           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL))
        return store_sqlite_fail(err, db, "prepare");
    bind_str(st, 1, e->id);
    bind_str(st, 2, e->message);
    bind_str(st, 3, e->stack);
    bind_str(st, 4, e->page);
    bind_str(st, 5, e->user_agent);
    bind_str(st, 6, e->occurred_at);
    bind_str(st, 7, now);
    bind_str(st, 8, e->request_id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(err, db, "client error insert");
    *created = sqlite3_changes(db) > 0;
    if (!*created)
        return SOCC_OK;
    if (sqlite3_prepare_v2(db, "DELETE FROM client_errors WHERE seq <= "
                           "(SELECT max(seq) FROM client_errors) - ?", -1, &st,
                           NULL))
        return store_sqlite_fail(err, db, "prepare");
    sqlite3_bind_int(st, 1, STORE_CLIENT_ERRORS_MAX);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(err, db, "client error trim");
    return SOCC_OK;
}

enum socc_err store_client_error_add(struct store *s,
                                     const struct store_client_error *e,
                                     int *created, struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    enum socc_err rc;

    *created = 0;
    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    /* one transaction: the insert and the trim land together */
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = store_sqlite_fail(err, db, "begin");
        store_sqlite_put(s, db);
        return rc;
    }
    rc = add_db(db, e, created, err);
    if (rc == SOCC_OK &&
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = store_sqlite_fail(err, db, "commit");
    if (rc != SOCC_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        *created = 0;
    }
    store_sqlite_put(s, db);
    return rc;
}

static const char *const names[] = {
    "id", "message", "stack", "page", "user_agent", "occurred_at",
    "received_at", "request_id",
};

static void row_json(sqlite3_stmt *st, struct buf *b)
{
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        buf_adds(b, i ? ",\"" : "{\"");
        buf_adds(b, names[i]);
        buf_adds(b, "\":");
        buf_add_json_str(b, (const char *)sqlite3_column_text(st, (int)i),
                         (size_t)sqlite3_column_bytes(st, (int)i));
    }
    buf_addc(b, '}');
}

static enum socc_err one_db(sqlite3 *db, const char *id, struct buf *b,
                            struct socc_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, "SELECT " COLS " FROM client_errors WHERE "
                           "id = ?", -1, &st, NULL))
        return store_sqlite_fail(err, db, "prepare");
    bind_str(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        row_json(st, b);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return socc_error_set(err, SOCC_E_NOT_FOUND,
                              "no client error has this id");
    return rc == SQLITE_ROW ? SOCC_OK
                            : store_sqlite_fail(err, db, "client error lookup");
}

static enum socc_err list_db(sqlite3 *db, int64_t limit, struct buf *b,
                             struct socc_error *err)
{
    sqlite3_stmt *st;
    int64_t total = 0;
    int rc, first = 1;

    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM client_errors", -1, &st,
                           NULL))
        return store_sqlite_fail(err, db, "prepare");
    if (sqlite3_step(st) == SQLITE_ROW)
        total = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT " COLS " FROM client_errors ORDER BY "
                           "seq DESC LIMIT ?", -1, &st, NULL))
        return store_sqlite_fail(err, db, "prepare");
    sqlite3_bind_int64(st, 1, limit);
    buf_adds(b, "{\"client_errors\":[");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!first)
            buf_addc(b, ',');
        first = 0;
        row_json(st, b);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(err, db, "client error list");
    buf_printf(b, "],\"total\":%lld}", (long long)total);
    return SOCC_OK;
}

enum socc_err store_client_error_json(struct store *s, const char *id,
                                      struct buf *out,
                                      struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = one_db(db, id, out, err);
    store_sqlite_put(s, db);
    return rc;
}

enum socc_err store_client_errors_json(struct store *s, int64_t limit,
                                       struct buf *out,
                                       struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = list_db(db, limit, out, err);
    store_sqlite_put(s, db);
    return rc;
}
