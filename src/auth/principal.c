#include "auth/principal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static const char *const role_names[] = { "none", "analyst", "admin",
                                          "super_admin" };

void principal_init(struct principal *p)
{
    memset(p, 0, sizeof(*p));
}

void principal_release(struct principal *p)
{
    principal_list_free(p->companies, p->n_companies);
    free(p->companies_json);
    memset(p, 0, sizeof(*p));
}

enum principal_role principal_role_parse(const char *name)
{
    int i;

    for (i = PRINCIPAL_ANALYST; i <= PRINCIPAL_SUPER_ADMIN; i++)
        if (name && strcmp(name, role_names[i]) == 0)
            return (enum principal_role)i;
    return PRINCIPAL_NONE;
}

const char *principal_role_name(enum principal_role role)
{
    return role_names[role <= PRINCIPAL_SUPER_ADMIN ? role : 0];
}

void principal_list_free(char **list, size_t n)
{
    size_t i;

    for (i = 0; list && i < n; i++)
        free(list[i]);
    free(list);
}

/* Decode the JSON string at *pp (after its opening quote) into b. */
static int decode_string(const char **pp, struct buf *b)
{
    const char *p = *pp;
    unsigned v;

    for (; *p && *p != '"'; p++) {
        if (*p != '\\') {
            buf_addc(b, *p);
            continue;
        }
        p++;
        if (*p == 'u' && sscanf(p + 1, "%4x", &v) == 1 && v >= 0x20 &&
            v < 0x80) {
            buf_addc(b, (char)v);
            p += 4;
        } else if (*p == '"' || *p == '\\' || *p == '/') {
            buf_addc(b, *p);
        } else {
            return -1;   /* control characters: never in a company name */
        }
    }
    if (*p != '"')
        return -1;
    *pp = p + 1;
    return buf_ok(b) ? 0 : -1;
}

static int list_push(char ***list, size_t *n, struct buf *b)
{
    char **grown = realloc(*list, (*n + 1) * sizeof(**list));
    char *s = strdup(b->data ? b->data : "");

    if (grown)
        *list = grown;
    if (!grown || !s) {
        free(s);
        return -1;
    }
    (*list)[(*n)++] = s;
    return 0;
}

int principal_list_parse(const char *json, char ***out, size_t *n)
{
    const char *p = json;
    struct buf b;
    int rc = 0;

    *out = NULL;
    *n = 0;
    buf_init(&b);
    p += strspn(p, " \t\r\n");
    if (*p++ != '[')
        return -1;
    for (;;) {
        p += strspn(p, " \t\r\n,");
        if (*p == ']')
            break;
        buf_reset(&b);
        if (*p++ != '"' || decode_string(&p, &b) != 0 ||
            list_push(out, n, &b) != 0) {
            rc = -1;
            break;
        }
    }
    buf_release(&b);
    if (rc != 0) {
        principal_list_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static int in_list(char **list, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* Keep only the companies that are also in the token's scope. */
static int narrow(struct principal *p, const char *scope_json)
{
    char **scope;
    size_t n, i, k = 0;

    if (principal_list_parse(scope_json, &scope, &n) != 0)
        return -1;
    if (p->all_companies) {
        p->all_companies = 0;
        p->companies = scope;
        p->n_companies = n;
        return 0;
    }
    for (i = 0; i < p->n_companies; i++) {
        if (in_list(scope, n, p->companies[i]))
            p->companies[k++] = p->companies[i];
        else
            free(p->companies[i]);
    }
    p->n_companies = k;
    principal_list_free(scope, n);
    return 0;
}

/* companies_json from the list, for SQL filters. */
static int list_json(struct principal *p)
{
    struct buf b;
    size_t i;

    buf_init(&b);
    buf_addc(&b, '[');
    for (i = 0; i < p->n_companies; i++) {
        if (i)
            buf_addc(&b, ',');
        buf_add_json_strz(&b, p->companies[i]);
    }
    buf_addc(&b, ']');
    if (!buf_ok(&b)) {
        buf_release(&b);
        return -1;
    }
    p->companies_json = buf_detach(&b);
    return 0;
}

enum socc_err principal_load(struct principal *p, struct store *st,
                             const struct auth_store_user *u,
                             const struct auth_store_token *t,
                             const char *token_companies_json,
                             struct socc_error *err)
{
    struct buf mine;
    enum socc_err e = SOCC_OK;

    principal_release(p);
    if (u->disabled)
        return socc_error_set(err, SOCC_E_UNAUTHENTICATED,
                              "this account is disabled");
    p->role = principal_role_parse(u->role);
    p->user_id = u->id;
    snprintf(p->user, sizeof(p->user), "%s", u->name);
    snprintf(p->tier, sizeof(p->tier), "%s", t ? t->tier : "standard");
    p->token_id = t ? t->id : 0;
    p->all_companies = p->role == PRINCIPAL_SUPER_ADMIN;
    buf_init(&mine);
    if (!p->all_companies) {
        e = auth_store_companies_json(st, u->id, &mine, err);
        if (e == SOCC_OK &&
            principal_list_parse(mine.data ? mine.data : "[]", &p->companies,
                                 &p->n_companies) != 0)
            e = socc_error_set(err, SOCC_E_INTERNAL, "bad company list");
    }
    if (e == SOCC_OK && t && !t->all_companies &&
        narrow(p, token_companies_json ? token_companies_json : "[]") != 0)
        e = socc_error_set(err, SOCC_E_INTERNAL, "bad token scope");
    if (e == SOCC_OK && !p->all_companies && list_json(p) != 0)
        e = socc_error_set(err, SOCC_E_INTERNAL, "out of memory");
    buf_release(&mine);
    if (e != SOCC_OK)
        principal_release(p);
    return e;
}

int principal_has_company(const struct principal *p, const char *company)
{
    if (p->role == PRINCIPAL_NONE || !company)
        return 0;
    return p->all_companies || in_list(p->companies, p->n_companies, company);
}
