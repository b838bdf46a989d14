#ifndef SOCC_STORE_SQLITE_H
#define SOCC_STORE_SQLITE_H

/*
 * For the store layer only: other SQLite-backed interfaces (auth_store.h)
 * borrow a connection of the pool of store_sqlite.c, so that one data dir
 * has one database and one pool.
 */

#include <sqlite3.h>

#include "store/store.h"

/* A connection from the pool (or a new one); NULL when none can open. */
sqlite3 *store_sqlite_conn_get(struct store *s);
/* Give it back; NULL is fine. */
void store_sqlite_conn_put(struct store *s, sqlite3 *db);

#endif
