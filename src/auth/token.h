#ifndef SOCC_TOKEN_H
#define SOCC_TOKEN_H

/*
 * API tokens for scripts: "socc_" and 64 random hex digits, shown once
 * when created, stored as their SHA-256, scoped to companies, with a
 * rate-limit tier (ratelimit.h), revocable.
 */

#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/auth_store.h"
#include "store/store.h"

#define TOKEN_LEN 69   /* "socc_" + 64 hex */

/*
 * Create a token described by t (user_id, name, all_companies, tier,
 * created_by are read) scoped to companies_json unless all_companies.
 * out gets the token text, to be shown once; *id its id.  BAD_REQUEST for
 * an unknown tier or an empty name.
 */
enum socc_err token_create(struct store *st, const struct auth_store_token *t,
                           const char *companies_json,
                           char out[TOKEN_LEN + 1], int64_t *id,
                           struct socc_error *err);
/*
 * The live token of this text: *t and its company scope (a JSON array,
 * appended to companies).  UNAUTHENTICATED when it is malformed, unknown
 * or revoked.
 */
enum socc_err token_lookup(struct store *st, const char *text,
                           struct auth_store_token *t, struct buf *companies,
                           struct socc_error *err);

#endif
