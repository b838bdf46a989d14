#include "http/cached_reads.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/sha256.h"
#include "ops/cache.h"
#include "ops/ops.h"

#define DAY_S 86400

/* Look up what for company; on a hit *out holds the answer and 1. */
static int hit(const char *company, const char *what, struct cache_key *k,
               struct buf *out)
{
    return cache_lookup(ops_cache(), company, what, k, out);
}

static void keep(const struct cache_key *k, const struct buf *b, size_t from)
{
    if (buf_ok(b))
        cache_store(ops_cache(), k, b->data + from, b->len - from);
}

enum socc_err cached_list_json(struct store *st, const struct store_filter *f,
                               struct buf *out, struct socc_error *err)
{
    char what[280], scope[65] = "*";
    struct cache_key k;
    size_t from = out->len;
    enum socc_err rc;
    const char *tool = f->tool_type ? f->tool_type : "";

    /*
     * The answer depends on which companies the caller may see: callers
     * with different memberships never share an entry (a list for every
     * company must not reach a member of one).
     */
    if (f->companies_json)
        sha256_hex(f->companies_json, strlen(f->companies_json), scope);
    /* the tool type is free text: its length keeps keys unambiguous */
    snprintf(what, sizeof(what), "list:%s:%d:%lld:%lld:%d:%zu:%s", scope,
             f->tool_type != NULL, (long long)f->limit, (long long)f->offset,
             f->active, strlen(tool), tool);
    if (strlen(tool) > 100)
        return store_list_json(st, f, out, err);
    if (hit(f->company, what, &k, out))
        return SOCC_OK;
    rc = store_list_json(st, f, out, err);
    if (rc == SOCC_OK)
        keep(&k, out, from);
    return rc;
}

enum socc_err cached_summary_json(struct store *st, const char *company,
                                  struct buf *out, struct socc_error *err)
{
    int64_t since = (int64_t)time(NULL) / 60 * 60 - DAY_S;
    char what[64];
    struct cache_key k;
    size_t from = out->len;
    enum socc_err rc;

    snprintf(what, sizeof(what), "summary:%lld", (long long)since);
    if (hit(company, what, &k, out))
        return SOCC_OK;
    rc = store_summary_json(st, company, since, out, err);
    if (rc == SOCC_OK)
        keep(&k, out, from);
    return rc;
}
