/*
 * The companies the store knows: those with a stored upload.  The page's
 * company list (GET /api/uploads/companies).
 */
#include "store/store.h"

#include "store/store_int.h"

static enum socc_err companies_db(sqlite3 *db, struct buf *b,
                                  struct socc_error *err)
{
    sqlite3_stmt *st;
    int rc, first = 1;

    if (sqlite3_prepare_v2(db, "SELECT company, count(*), max(created_at)"
                           " FROM uploads WHERE status = 'stored'"
                           " GROUP BY company ORDER BY company", -1, &st,
                           NULL))
        return store_db_fail(err, db, "prepare");
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
        return store_db_fail(err, db, "company list");
    buf_adds(b, "]}");
    return SOCC_OK;
}

enum socc_err store_companies_json(struct store *s, struct buf *out,
                                   struct socc_error *err)
{
    sqlite3 *db = store_conn_get(s);
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = companies_db(db, out, err);
    store_conn_put(s, db);
    return rc;
}
