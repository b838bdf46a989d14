/*
 * The companies the store knows: those with a stored upload.  The page's
 * company list (GET /api/uploads/companies).
 */
#include "store/store.h"

#include "store/store_sqlite_int.h"

static enum socc_err companies_db(sqlite3 *db, const char *only,
                                  struct buf *b, struct socc_error *err)
{
    sqlite3_stmt *st;
    int rc, first = 1;

    if (sqlite3_prepare_v2(db, "SELECT company, count(*), max(created_at)"
                           " FROM uploads WHERE status = 'stored' AND"
                           " (?1 IS NULL OR company IN (SELECT value FROM"
                           " json_each(?1))) GROUP BY company ORDER BY"
                           " company", -1, &st, NULL))
        return store_sqlite_fail(err, db, "prepare");
    if (only)
        sqlite3_bind_text(st, 1, only, -1, SQLITE_STATIC);
    buf_adds(b, "{\"companies\":[");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        buf_adds(b, first ? "{\"name\":" : ",{\"name\":");
        first = 0;
        buf_add_json_strz(b, (const char *)sqlite3_column_text(st, 0));
        buf_adds(b, ",\"uploads\":");
        buf_add_i64(b, sqlite3_column_int64(st, 1));
        buf_adds(b, ",\"last_upload_at\":");
        buf_add_json_strz(b, (const char *)sqlite3_column_text(st, 2));
        buf_addc(b, '}');
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(err, db, "company list");
    buf_adds(b, "]}");
    return SOCC_OK;
}

enum socc_err store_companies_json(struct store *s, const char *only,
                                   struct buf *out, struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = companies_db(db, only, out, err);
    store_sqlite_put(s, db);
    return rc;
}
