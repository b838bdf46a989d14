#ifndef SOCC_STORE_INT_H
#define SOCC_STORE_INT_H

/*
 * Inside the SQLite store only: what store_sqlite.c lends to the other
 * store_*.c files (one table or query each).  http/ and cli/ never include
 * this; they see store.h.
 */

#include <sqlite3.h>

#include "core/err.h"
#include "store/store.h"

/* A connection from the pool (opened when none is idle), or NULL. */
sqlite3 *store_conn_get(struct store *s);
/* Give db back to the pool (or close it); NULL is fine. */
void store_conn_put(struct store *s, sqlite3 *db);
/* Log db's error and set err to the matching socc error; returns the code. */
enum socc_err store_db_fail(struct socc_error *err, sqlite3 *db,
                            const char *what);

#endif
