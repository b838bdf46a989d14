/*
 * Versions of a (company, tool_type): change summaries, the chain, diffs,
 * activation (rollback) and deletion.  SQLite backend, next to
 * store_sqlite.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_sqlite_int.h"

#define fail store_sqlite_fail
#define exec store_sqlite_exec

/* A first version: every record is added; the sheets count them. */
static enum socc_err count_first(sqlite3 *db, int64_t id, int64_t c[3],
                                 struct socc_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, "SELECT coalesce(sum(row_count), 0) FROM "
                           "sheets WHERE upload_id = ?", -1, &st, NULL))
        return fail(err, db, "prepare");
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    c[0] = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    c[1] = c[2] = 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? SOCC_OK : fail(err, db, "row count");
}

/*
 * Counting shared rows in memory: a table of the predecessor's row
 * identities with their counts, probed with the new version's.  Two range
 * scans and no sort, several times faster than GROUP BY; used while the
 * predecessor has at most RIDTAB_MAX records (the table then takes at
 * most 4 * RIDTAB_MAX * 20 bytes), else the SQL below does it.
 */
#define RIDTAB_MAX (1 << 20)
#define RID_BYTES 16

static int64_t ridtab_max = RIDTAB_MAX;

void store_versions_set_memory_rows(int64_t rows)
{
    ridtab_max = rows;
}

struct ridtab {
    unsigned char *keys;   /* cap * RID_BYTES */
    uint32_t *cnt;         /* cap; 0 = empty slot */
    size_t cap;
};

static size_t rid_slot(const struct ridtab *t, const unsigned char *k)
{
    uint64_t h;
    size_t i;

    memcpy(&h, k, sizeof(h));    /* the key is a hash already */
    for (i = (size_t)h & (t->cap - 1);
         t->cnt[i] && memcmp(t->keys + i * RID_BYTES, k, RID_BYTES) != 0;
         i = (i + 1) & (t->cap - 1))
        ;
    return i;
}

/* Scan the rids of upload id; add them to t (add) or take them (probe). */
static int rid_scan(sqlite3 *db, int64_t id, struct ridtab *t, int add,
                    int64_t *n, int64_t *shared)
{
    sqlite3_stmt *st;
    int rc;
    size_t i;

    if (sqlite3_prepare_v2(db, "SELECT rid FROM records WHERE id BETWEEN ? "
                           "AND ?", -1, &st, NULL))
        return -1;
    sqlite3_bind_int64(st, 1, store_sqlite_key_lo(id));
    sqlite3_bind_int64(st, 2, store_sqlite_key_hi(id));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *k = sqlite3_column_blob(st, 0);
        (*n)++;
        if (!k || sqlite3_column_bytes(st, 0) != RID_BYTES)
            continue;
        /* cnt: 0 an empty slot, else 1 + copies not yet matched */
        i = rid_slot(t, k);
        if (add && !t->cnt[i]) {
            memcpy(t->keys + i * RID_BYTES, k, RID_BYTES);
            t->cnt[i] = 2;
        } else if (add) {
            t->cnt[i]++;
        } else if (t->cnt[i] > 1) {
            t->cnt[i]--;
            (*shared)++;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* c[] by the in-memory table; 1 when done, 0 to fall back, -1 on error. */
static int count_in_memory(sqlite3 *db, int64_t id, int64_t prev,
                           int64_t prev_rows, int64_t c[3])
{
    struct ridtab t;
    int rc;

    if (prev_rows > ridtab_max)
        return 0;
    for (t.cap = 1024; t.cap < (size_t)prev_rows * 2; t.cap *= 2)
        ;
    t.keys = malloc(t.cap * RID_BYTES);
    t.cnt = calloc(t.cap, sizeof(*t.cnt));
    c[0] = c[1] = c[2] = 0;
    rc = t.keys && t.cnt ? 0 : 1;
    if (rc == 0)
        rc = rid_scan(db, prev, &t, 1, &c[1], NULL) ? -1
             : rid_scan(db, id, &t, 0, &c[0], &c[2]) ? -1 : 1;
    else
        rc = 0;                 /* no memory: let SQL do it */
    free(t.keys);
    free(t.cnt);
    return rc;
}

/* Record counts of id and prev and the rows they share (multisets). */
static enum socc_err count_rows(sqlite3 *db, int64_t id, int64_t prev,
                                int64_t c[3], struct socc_error *err)
{
    sqlite3_stmt *st;
    int64_t pc[3];
    int rc;
    enum socc_err e;

    if (!prev)
        return count_first(db, id, c, err);
    e = count_first(db, prev, pc, err);
    if (e != SOCC_OK)
        return e;
    rc = count_in_memory(db, id, prev, pc[0], c);
    if (rc < 0)
        return fail(err, db, "row identities");
    if (rc > 0)
        return SOCC_OK;
    if (sqlite3_prepare_v2(db, "WITH a AS (SELECT rid, count(*) n FROM "
                           "records WHERE id BETWEEN ?1 AND ?2 GROUP BY rid),"
                           " b AS (SELECT rid, count(*) n FROM records WHERE "
                           "id BETWEEN ?3 AND ?4 GROUP BY rid) SELECT "
                           "(SELECT coalesce(sum(n), 0) FROM a), (SELECT "
                           "coalesce(sum(n), 0) FROM b), (SELECT coalesce("
                           "sum(min(a.n, b.n)), 0) FROM a JOIN b USING (rid))",
                           -1, &st, NULL))
        return fail(err, db, "prepare");
    sqlite3_bind_int64(st, 1, store_sqlite_key_lo(id));
    sqlite3_bind_int64(st, 2, store_sqlite_key_hi(id));
    sqlite3_bind_int64(st, 3, prev ? store_sqlite_key_lo(prev) : 1);
    sqlite3_bind_int64(st, 4, prev ? store_sqlite_key_hi(prev) : 0);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        c[0] = sqlite3_column_int64(st, 0);
        c[1] = sqlite3_column_int64(st, 1);
        c[2] = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? SOCC_OK : fail(err, db, "row counts");
}

#define COLUMNS_OF(p)                                                        \
    "SELECT j.value FROM sheets s, json_each(s.columns) j WHERE "            \
    "s.upload_id = " p

enum socc_err store_versions_summarize(sqlite3 *db, int64_t id, int64_t prev,
                                       struct socc_error *err)
{
    sqlite3_stmt *st;
    int64_t c[3] = { 0, 0, 0 };
    int rc;
    enum socc_err e = count_rows(db, id, prev, c, err);

    if (e != SOCC_OK)
        return e;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO changes (upload_id, "
                           "previous_id, rows_added, rows_removed, "
                           "rows_unchanged, columns_added, columns_removed) "
                           "VALUES (?1, nullif(?2, 0), ?3, ?4, ?5, (SELECT "
                           "json_group_array(value) FROM (" COLUMNS_OF("?1")
                           " EXCEPT " COLUMNS_OF("?2") " ORDER BY 1)), "
                           "(SELECT json_group_array(value) FROM ("
                           COLUMNS_OF("?2") " EXCEPT " COLUMNS_OF("?1")
                           " ORDER BY 1)))", -1, &st, NULL))
        return fail(err, db, "prepare");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, prev);
    sqlite3_bind_int64(st, 3, c[0] - c[2]);
    sqlite3_bind_int64(st, 4, c[1] - c[2]);
    sqlite3_bind_int64(st, 5, c[2]);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SOCC_OK : fail(err, db, "summary");
}

/* ---- reads ---- */

#define SUMMARY_COLS                                                         \
    "coalesce(c.rows_added, 0), coalesce(c.rows_removed, 0), "              \
    "coalesce(c.rows_unchanged, 0), coalesce(c.columns_added, '[]'), "       \
    "coalesce(c.columns_removed, '[]')"

static sqlite3_stmt *summary_stmt(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;

    sqlite3_prepare_v2(db, "SELECT " SUMMARY_COLS " FROM uploads u LEFT JOIN "
                       "changes c ON c.upload_id = u.id WHERE u.id = ?", -1,
                       &st, NULL);
    return st;
}

/* Append ,"summary":{...} of u from a summary_stmt. */
static void summary_json(sqlite3_stmt *st, const struct store_upload *u,
                         struct buf *b)
{
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, u->id);
    if (sqlite3_step(st) != SQLITE_ROW)
        return;
    buf_adds(b, ",\"summary\":{\"previous_id\":");
    if (u->previous_id)
        buf_add_i64(b, u->previous_id);
    else
        buf_adds(b, "null");
    buf_printf(b, ",\"rows_added\":%lld,\"rows_removed\":%lld,"
               "\"rows_unchanged\":%lld,\"columns_added\":%s,"
               "\"columns_removed\":%s}",
               (long long)sqlite3_column_int64(st, 0),
               (long long)sqlite3_column_int64(st, 1),
               (long long)sqlite3_column_int64(st, 2),
               (const char *)sqlite3_column_text(st, 3),
               (const char *)sqlite3_column_text(st, 4));
}

static enum socc_err chain_json(sqlite3 *db, const char *company,
                                const char *tool, struct buf *b,
                                struct socc_error *err)
{
    sqlite3_stmt *ids, *sum = summary_stmt(db);
    struct store_upload u;
    enum socc_err e = SOCC_OK;
    int rc, first = 1;

    if (!sum || sqlite3_prepare_v2(db, "SELECT id FROM uploads WHERE company"
                                   " = ? AND tool_type = ? AND status = "
                                   "'stored' ORDER BY version DESC, id DESC",
                                   -1, &ids, NULL)) {
        sqlite3_finalize(sum);
        return fail(err, db, "prepare");
    }
    sqlite3_bind_text(ids, 1, company, -1, SQLITE_STATIC);
    sqlite3_bind_text(ids, 2, tool, -1, SQLITE_STATIC);
    buf_adds(b, "{\"company\":");
    buf_add_json_strz(b, company);
    buf_adds(b, ",\"tool_type\":");
    buf_add_json_strz(b, tool);
    buf_adds(b, ",\"versions\":[");
    while (e == SOCC_OK && (rc = sqlite3_step(ids)) == SQLITE_ROW) {
        e = store_sqlite_upload(db, sqlite3_column_int64(ids, 0), &u, err);
        if (e != SOCC_OK)
            break;
        buf_adds(b, first ? "" : ",");
        first = 0;
        store_sqlite_upload_members(&u, b);
        summary_json(sum, &u, b);
        buf_addc(b, '}');
    }
    buf_adds(b, "]}");
    sqlite3_finalize(ids);
    sqlite3_finalize(sum);
    return e;
}

enum socc_err store_versions_json(struct store *s, const char *company,
                                  const char *tool_type, struct buf *out,
                                  struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = chain_json(db, company, tool_type, out, err);
    store_sqlite_put(s, db);
    return rc;
}

enum socc_err store_version_json(struct store *s, int64_t id, struct buf *out,
                                 struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    sqlite3_stmt *sum;
    struct store_upload u;
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = store_sqlite_upload(db, id, &u, err);
    sum = rc == SOCC_OK ? summary_stmt(db) : NULL;
    if (rc == SOCC_OK && !sum)
        rc = fail(err, db, "prepare");
    if (rc == SOCC_OK) {
        store_sqlite_upload_members(&u, out);
        summary_json(sum, &u, out);
        buf_addc(out, '}');
    }
    sqlite3_finalize(sum);
    store_sqlite_put(s, db);
    return rc;
}

/*
 * Records of `of` that `other` lacks, counting repeats: the k-th copy of a
 * row is extra when other holds fewer than k copies.
 */
static enum socc_err diff_rows(sqlite3 *db, int64_t of, int64_t other,
                               int64_t limit, int64_t offset, struct buf *b,
                               int64_t *n, struct socc_error *err)
{
    sqlite3_stmt *st;
    enum socc_err e;

    if (sqlite3_prepare_v2(db, "WITH p AS MATERIALIZED (SELECT rid, count(*)"
                           " n FROM records WHERE id BETWEEN ?3 AND ?4 GROUP "
                           "BY rid) SELECT r.id, r.row_num, r.cells FROM "
                           "(SELECT id, row_num, cells, rid, row_number() "
                           "OVER (PARTITION BY rid ORDER BY id) k FROM records"
                           " WHERE id BETWEEN ?1 AND ?2) r LEFT JOIN p ON "
                           "p.rid = r.rid WHERE r.k > coalesce(p.n, 0) ORDER"
                           " BY r.id LIMIT ?5 OFFSET ?6", -1, &st, NULL))
        return fail(err, db, "prepare");
    sqlite3_bind_int64(st, 1, store_sqlite_key_lo(of));
    sqlite3_bind_int64(st, 2, store_sqlite_key_hi(of));
    sqlite3_bind_int64(st, 3, other ? store_sqlite_key_lo(other) : 1);
    sqlite3_bind_int64(st, 4, other ? store_sqlite_key_hi(other) : 0);
    sqlite3_bind_int64(st, 5, limit);
    sqlite3_bind_int64(st, 6, offset);
    e = store_sqlite_rows_json(db, of, st, b, n, err);
    sqlite3_finalize(st);
    return e;
}

static enum socc_err diff_db(sqlite3 *db, int64_t id, enum store_diff_side side,
                             int64_t limit, int64_t offset, struct buf *b,
                             struct socc_error *err)
{
    struct store_upload u;
    sqlite3_stmt *sum;
    int64_t total = 0, n = 0, prev;
    int added = side == STORE_DIFF_ADDED;
    enum socc_err e = store_sqlite_upload(db, id, &u, err);

    if (e != SOCC_OK)
        return e;
    prev = u.previous_id;
    sum = summary_stmt(db);
    if (!sum)
        return fail(err, db, "prepare");
    sqlite3_bind_int64(sum, 1, id);
    if (sqlite3_step(sum) == SQLITE_ROW)
        total = sqlite3_column_int64(sum, added ? 0 : 1);
    sqlite3_finalize(sum);
    buf_printf(b, "{\"id\":%lld,\"previous_id\":", (long long)id);
    if (prev)
        buf_add_i64(b, prev);
    else
        buf_adds(b, "null");
    buf_printf(b, ",\"side\":\"%s\",\"total\":%lld,\"limit\":%lld,"
               "\"offset\":%lld,\"rows\":[", added ? "added" : "removed",
               (long long)total, (long long)limit, (long long)offset);
    if (added)
        e = diff_rows(db, id, prev, limit, offset, b, &n, err);
    else if (prev)
        e = diff_rows(db, prev, id, limit, offset, b, &n, err);
    if (e != SOCC_OK)
        return e;
    buf_printf(b, "],\"returned\":%lld,\"next_offset\":", (long long)n);
    if (offset + n < total)
        buf_printf(b, "%lld}", (long long)(offset + n));
    else
        buf_adds(b, "null}");
    return SOCC_OK;
}

enum socc_err store_version_diff_json(struct store *s, int64_t id,
                                      enum store_diff_side side,
                                      int64_t limit, int64_t offset,
                                      struct buf *out, struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = diff_db(db, id, side, limit, offset, out, err);
    store_sqlite_put(s, db);
    return rc;
}

/* ---- changes ---- */

/* Run sql with up to three integer parameters (0 binds NULL for ?n). */
static int run3(sqlite3 *db, const char *sql, int64_t a, int64_t b,
                int64_t c)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
        return SQLITE_ERROR;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    sqlite3_bind_int64(st, 3, c);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Make id the one active upload of its company and tool type. */
static int set_active(sqlite3 *db, const struct store_upload *u, int64_t id)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, "UPDATE uploads SET is_active = (id = ?3) "
                           "WHERE company = ?1 AND tool_type = ?2 AND "
                           "(is_active = 1 OR id = ?3)", -1, &st, NULL))
        return SQLITE_ERROR;
    sqlite3_bind_text(st, 1, u->company, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, u->tool_type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void entry_of(struct journal_entry *e, const char *op,
                     const struct store_upload *u)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->op, sizeof(e->op), "%s", op);
    e->id = u->id;
    snprintf(e->company, sizeof(e->company), "%s", u->company);
    snprintf(e->tool_type, sizeof(e->tool_type), "%s", u->tool_type);
    snprintf(e->sha256, sizeof(e->sha256), "%s", u->file_hash);
}

/* Commit, or roll back on rc != OK; returns rc or the commit's error. */
static enum socc_err finish(sqlite3 *db, enum socc_err rc,
                            struct socc_error *err)
{
    if (rc == SOCC_OK && exec(db, "COMMIT") != SQLITE_OK)
        rc = fail(err, db, "commit");
    if (rc != SOCC_OK && !sqlite3_get_autocommit(db))
        exec(db, "ROLLBACK");
    return rc;
}

static enum socc_err activate_db(struct store *s, sqlite3 *db, int64_t id,
                                 struct store_upload *u,
                                 struct socc_error *err)
{
    struct journal_entry e;
    enum socc_err rc;

    if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return fail(err, db, "begin");
    rc = store_sqlite_upload(db, id, u, err);
    if (rc == SOCC_OK && !u->is_active) {
        if (set_active(db, u, id) != SQLITE_OK)
            rc = fail(err, db, "activate");
        entry_of(&e, "activate", u);
        if (rc == SOCC_OK)
            rc = store_sqlite_journal(s, db, &e, err);
        u->is_active = 1;
    }
    return finish(db, rc, err);
}

enum socc_err store_activate(struct store *s, int64_t id,
                             struct store_upload *u, struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    struct store_upload tmp;
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = activate_db(s, db, id, u ? u : &tmp, err);
    store_sqlite_put(s, db);
    if (rc == SOCC_OK) {
        store_sqlite_written((u ? u : &tmp)->company);
        log_event(LOG_INFO, "store", "activated", NULL, "id=%lld",
                  (long long)id);
    }
    return rc;
}

/* Successors of u get u's predecessor and a summary against it. */
static enum socc_err relink(sqlite3 *db, const struct store_upload *u,
                            struct socc_error *err)
{
    sqlite3_stmt *st;
    enum socc_err e = SOCC_OK;
    int64_t ids[64];
    int n = 0, i, more = 1;

    while (more && e == SOCC_OK) {
        if (sqlite3_prepare_v2(db, "SELECT id FROM uploads WHERE previous_id"
                               " = ? LIMIT 64", -1, &st, NULL))
            return fail(err, db, "prepare");
        sqlite3_bind_int64(st, 1, u->id);
        for (n = 0; n < 64 && sqlite3_step(st) == SQLITE_ROW; n++)
            ids[n] = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        more = n == 64;
        for (i = 0; i < n && e == SOCC_OK; i++) {
            if (run3(db, "UPDATE uploads SET previous_id = nullif(?2, 0) "
                     "WHERE id = ?1", ids[i], u->previous_id, 0) != SQLITE_OK)
                e = fail(err, db, "relink");
            else
                e = store_versions_summarize(db, ids[i], u->previous_id, err);
        }
    }
    return e;
}

/* The upload to activate after u goes: its predecessor, else the newest. */
static int64_t heir(sqlite3 *db, const struct store_upload *u)
{
    sqlite3_stmt *st;
    int64_t id = 0;

    if (sqlite3_prepare_v2(db, "SELECT id FROM uploads WHERE company = ?1 AND"
                           " tool_type = ?2 AND status = 'stored' AND id != ?3"
                           " ORDER BY id = ?4 DESC, version DESC LIMIT 1", -1,
                           &st, NULL))
        return 0;
    sqlite3_bind_text(st, 1, u->company, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, u->tool_type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, u->id);
    sqlite3_bind_int64(st, 4, u->previous_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

static enum socc_err delete_db(struct store *s, sqlite3 *db, int64_t id,
                               int64_t *now_active, struct socc_error *err)
{
    struct store_upload u;
    struct journal_entry e;
    enum socc_err rc;

    if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return fail(err, db, "begin");
    rc = store_sqlite_upload(db, id, &u, err);
    if (rc == SOCC_OK)
        rc = relink(db, &u, err);
    if (rc == SOCC_OK &&
        (run3(db, "DELETE FROM records WHERE id BETWEEN ?1 AND ?2",
              store_sqlite_key_lo(id), store_sqlite_key_hi(id), 0) ||
         run3(db, "DELETE FROM uploads WHERE id = ?1", id, 0, 0)))
        rc = fail(err, db, "delete");
    if (rc == SOCC_OK && u.is_active) {
        *now_active = heir(db, &u);
        if (*now_active && set_active(db, &u, *now_active) != SQLITE_OK)
            rc = fail(err, db, "activate heir");
    }
    entry_of(&e, "delete", &u);
    if (rc == SOCC_OK)
        rc = store_sqlite_journal(s, db, &e, err);
    return finish(db, rc, err);
}

enum socc_err store_delete(struct store *s, int64_t id, int64_t *now_active,
                           struct socc_error *err)
{
    sqlite3 *db = store_sqlite_get(s);
    int64_t heir_id = 0;
    struct store_upload u;
    enum socc_err rc;

    if (!db)
        return socc_error_set(err, SOCC_E_UNAVAILABLE, "database unavailable");
    rc = store_sqlite_upload(db, id, &u, err);   /* its company, for caches */
    if (rc == SOCC_OK)
        rc = delete_db(s, db, id, &heir_id, err);
    store_sqlite_put(s, db);
    if (now_active)
        *now_active = heir_id;
    if (rc == SOCC_OK)
        store_sqlite_written(u.company);
    if (rc == SOCC_OK)
        log_event(LOG_INFO, "store", "deleted", NULL, "id=%lld active=%lld",
                  (long long)id, (long long)heir_id);
    return rc;
}
