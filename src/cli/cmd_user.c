/*
 * socc user add|passwd|list and socc token create|revoke|list: access
 * administration on the data dir (SOCC_DATA_DIR), like socc ingest,
 * without a server.  Passwords come from SOCC_PASSWORD, from stdin with
 * --password-stdin, or are generated and printed once.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/audit.h"
#include "auth/password.h"
#include "auth/principal.h"
#include "auth/ratelimit.h"
#include "auth/token.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "http/upload.h"
#include "store/auth_store.h"
#include "store/store.h"

#define MAX_COMPANIES 256

static int fail(enum socc_err code, const char *detail)
{
    fprintf(stderr, "socc: %s: %s\n", socc_err_name(code), detail);
    return socc_err_exit(code);
}

static int fail_err(const struct socc_error *err)
{
    return fail(err->code, err->detail[0] ? err->detail
                                          : socc_err_message(err->code));
}

static int open_store(struct store **st)
{
    struct config cfg;
    struct socc_error err;

    log_init_from_env();
    socc_error_clear(&err);
    if (config_load(&cfg, &err) != SOCC_OK ||
        store_open(cfg.data_dir, st, &err) != SOCC_OK)
        return fail_err(&err);
    return 0;
}

static void cli_audit(struct store *st, const char *action,
                      const char *target)
{
    struct auth_store_audit a;

    memset(&a, 0, sizeof(a));
    a.actor = "cli";
    a.action = action;
    a.outcome = "ok";
    a.target = target;
    audit_record(st, &a);
}

/*
 * The password to set: SOCC_PASSWORD, one line of stdin, or a new random
 * one (*shown set, to be printed).  0, or -1 when unacceptable.
 */
static int get_password(int from_stdin, char *pw, size_t n, int *shown)
{
    const char *env = getenv("SOCC_PASSWORD");
    size_t len;

    *shown = 0;
    if (env && *env) {
        snprintf(pw, n, "%s", env);
    } else if (from_stdin) {
        if (!fgets(pw, (int)n, stdin))
            return -1;
        len = strcspn(pw, "\r\n");
        pw[len] = '\0';
    } else {
        password_random(pw, 21);
        *shown = 1;
    }
    return password_acceptable(pw) ? 0 : -1;
}

static int set_memberships(struct store *st, int64_t id, char **companies,
                           int n)
{
    struct socc_error err;
    int i;

    socc_error_clear(&err);
    for (i = 0; i < n; i++) {
        if (upload_company_ok(companies[i]) != 0)
            return fail(SOCC_E_BAD_REQUEST, "a company name is 1-128 "
                        "printable characters");
        if (auth_store_membership_set(st, id, companies[i], 1, &err) !=
            SOCC_OK)
            return fail_err(&err);
    }
    return 0;
}

static int user_add(struct store *st, int argc, char **argv)
{
    static const struct option opts[] = {
        { "role", required_argument, NULL, 'r' },
        { "company", required_argument, NULL, 'c' },
        { "password-stdin", no_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 },
    };
    char *companies[MAX_COMPANIES];
    const char *role = "analyst";
    char pw[PASSWORD_MAX + 2], hash[PASSWORD_HASH_MAX];
    struct socc_error err;
    int c, n = 0, from_stdin = 0, shown, rc;
    int64_t id;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r')
            role = optarg;
        else if (c == 'c' && n < MAX_COMPANIES)
            companies[n++] = optarg;
        else if (c == 'p')
            from_stdin = 1;
        else
            return fail(SOCC_E_BAD_REQUEST, "usage: socc user add NAME "
                        "[--role R] [--company C]... [--password-stdin]");
    }
    if (optind + 1 != argc || upload_company_ok(argv[optind]) != 0)
        return fail(SOCC_E_BAD_REQUEST, "give one user name");
    if (principal_role_parse(role) == PRINCIPAL_NONE)
        return fail(SOCC_E_BAD_REQUEST, "role must be super_admin, admin or "
                    "analyst");
    if (get_password(from_stdin, pw, sizeof(pw), &shown) != 0)
        return fail(SOCC_E_BAD_REQUEST, "a password needs 10-1024 "
                    "printable characters");
    socc_error_clear(&err);
    if (password_hash(pw, hash) != 0)
        return fail(SOCC_E_INTERNAL, "cannot hash the password");
    if (auth_store_user_add(st, argv[optind], role, hash, &id, &err) !=
        SOCC_OK)
        return fail_err(&err);
    rc = set_memberships(st, id, companies, n);
    if (rc == 0 && shown)
        printf("password: %s\n", pw);
    cli_audit(st, "user_create", argv[optind]);
    fprintf(stderr, "socc: user '%s' (%s) created, id %lld\n", argv[optind],
            role, (long long)id);
    return rc;
}

static int user_passwd(struct store *st, int argc, char **argv)
{
    char pw[PASSWORD_MAX + 2], hash[PASSWORD_HASH_MAX];
    struct auth_store_user u;
    struct socc_error err;
    int from_stdin = argc == 3 && strcmp(argv[2], "--password-stdin") == 0;
    int shown;

    if (argc != 2 + from_stdin)
        return fail(SOCC_E_BAD_REQUEST, "usage: socc user passwd NAME "
                    "[--password-stdin]");
    socc_error_clear(&err);
    if (auth_store_user_get(st, argv[1], 0, &u, &err) != SOCC_OK)
        return fail_err(&err);
    if (get_password(from_stdin, pw, sizeof(pw), &shown) != 0)
        return fail(SOCC_E_BAD_REQUEST, "a password needs 10-1024 "
                    "printable characters");
    if (password_hash(pw, hash) != 0)
        return fail(SOCC_E_INTERNAL, "cannot hash the password");
    if (auth_store_user_set_password(st, u.id, hash, &err) != SOCC_OK)
        return fail_err(&err);
    if (shown)
        printf("password: %s\n", pw);
    cli_audit(st, "user_password", argv[1]);
    fprintf(stderr, "socc: password of '%s' changed; its sessions ended\n",
            argv[1]);
    return 0;
}

static int print_json(enum socc_err e, struct buf *b,
                      const struct socc_error *err)
{
    if (e != SOCC_OK) {
        buf_release(b);
        return fail_err(err);
    }
    printf("%s\n", b->data ? b->data : "");
    buf_release(b);
    return 0;
}

int cmd_user(int argc, char **argv)
{
    struct store *st = NULL;
    struct socc_error err;
    struct buf b;
    int rc;

    if (argc < 2)
        return fail(SOCC_E_BAD_REQUEST, "usage: socc user add|passwd|list");
    rc = open_store(&st);
    if (rc != 0)
        return rc;
    socc_error_clear(&err);
    buf_init(&b);
    if (strcmp(argv[1], "add") == 0)
        rc = user_add(st, argc - 1, argv + 1);
    else if (strcmp(argv[1], "passwd") == 0)
        rc = user_passwd(st, argc - 1, argv + 1);
    else if (strcmp(argv[1], "list") == 0)
        rc = print_json(auth_store_users_json(st, NULL, &b, &err), &b, &err);
    else
        rc = fail(SOCC_E_BAD_REQUEST, "usage: socc user add|passwd|list");
    buf_release(&b);
    store_close(st);
    return rc;
}

/* ---- tokens ---- */

static int token_create_cmd(struct store *st, int argc, char **argv)
{
    static const struct option opts[] = {
        { "user", required_argument, NULL, 'u' },
        { "company", required_argument, NULL, 'c' },
        { "all-companies", no_argument, NULL, 'a' },
        { "tier", required_argument, NULL, 't' },
        { "name", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    struct auth_store_token t;
    struct auth_store_user u;
    struct socc_error err;
    const char *user = NULL;
    char text[TOKEN_LEN + 1];
    struct buf scope;
    int c, n = 0;
    int64_t id;
    enum socc_err e;

    memset(&t, 0, sizeof(t));
    memset(&u, 0, sizeof(u));
    snprintf(t.tier, sizeof(t.tier), "standard");
    snprintf(t.name, sizeof(t.name), "cli");
    snprintf(t.created_by, sizeof(t.created_by), "cli");
    buf_init(&scope);
    buf_addc(&scope, '[');
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'u') {
            user = optarg;
        } else if (c == 'c') {
            buf_adds(&scope, n++ ? "," : "");
            buf_add_json_strz(&scope, optarg);
        } else if (c == 'a') {
            t.all_companies = 1;
        } else if (c == 't') {
            snprintf(t.tier, sizeof(t.tier), "%s", optarg);
        } else if (c == 'n') {
            snprintf(t.name, sizeof(t.name), "%s", optarg);
        } else {
            buf_release(&scope);
            return fail(SOCC_E_BAD_REQUEST, "usage: socc token create --user "
                        "U (--company C... | --all-companies) [--tier T] "
                        "[--name N]");
        }
    }
    buf_addc(&scope, ']');
    socc_error_clear(&err);
    e = !user || optind != argc || (n == 0) == (t.all_companies == 0)
        ? socc_error_set(&err, SOCC_E_BAD_REQUEST, "give --user and either "
                         "--company (repeatable) or --all-companies")
        : auth_store_user_get(st, user, 0, &u, &err);
    t.user_id = u.id;
    if (e == SOCC_OK)
        e = token_create(st, &t, scope.data, text, &id, &err);
    buf_release(&scope);
    if (e != SOCC_OK)
        return fail_err(&err);
    printf("%s\n", text);
    fprintf(stderr, "socc: token %lld created for '%s' (tier %s); it is "
            "shown only now\n", (long long)id, user, t.tier);
    cli_audit(st, "token_create", user);
    return 0;
}

static int token_revoke_cmd(struct store *st, int argc, char **argv)
{
    struct socc_error err;
    char *end;
    long long id;

    if (argc != 2)
        return fail(SOCC_E_BAD_REQUEST, "usage: socc token revoke ID");
    id = strtoll(argv[1], &end, 10);
    if (*end || id <= 0)
        return fail(SOCC_E_BAD_REQUEST, "a token id is a positive integer");
    socc_error_clear(&err);
    if (auth_store_token_revoke(st, id, &err) != SOCC_OK)
        return fail_err(&err);
    cli_audit(st, "token_revoke", argv[1]);
    fprintf(stderr, "socc: token %lld revoked\n", id);
    return 0;
}

int cmd_token(int argc, char **argv)
{
    struct store *st = NULL;
    struct socc_error err;
    struct buf b;
    int rc;

    if (argc < 2)
        return fail(SOCC_E_BAD_REQUEST, "usage: socc token create|revoke|"
                    "list");
    rc = open_store(&st);
    if (rc != 0)
        return rc;
    socc_error_clear(&err);
    buf_init(&b);
    if (strcmp(argv[1], "create") == 0)
        rc = token_create_cmd(st, argc - 1, argv + 1);
    else if (strcmp(argv[1], "revoke") == 0)
        rc = token_revoke_cmd(st, argc - 1, argv + 1);
    else if (strcmp(argv[1], "list") == 0)
        rc = print_json(auth_store_tokens_json(st, NULL, 0, &b, &err), &b,
                        &err);
    else
        rc = fail(SOCC_E_BAD_REQUEST, "usage: socc token create|revoke|list");
    buf_release(&b);
    store_close(st);
    return rc;
}

int cmd_user_bootstrap(struct store *st)
{
    const char *env = getenv("SOCC_ADMIN_PASSWORD");
    char pw[PASSWORD_MAX + 2], hash[PASSWORD_HASH_MAX];
    struct socc_error err;
    int64_t id;

    if (auth_store_user_count(st) != 0)
        return 0;
    if (env && *env)
        snprintf(pw, sizeof(pw), "%s", env);
    else
        password_random(pw, 21);
    if (!password_acceptable(pw))
        return fail(SOCC_E_BAD_REQUEST, "SOCC_ADMIN_PASSWORD needs 10-1024 "
                    "printable characters");
    socc_error_clear(&err);
    if (password_hash(pw, hash) != 0)
        return fail(SOCC_E_INTERNAL, "cannot hash the password");
    if (auth_store_user_add(st, "admin", "super_admin", hash, &id, &err) !=
        SOCC_OK)
        return fail_err(&err);
    cli_audit(st, "user_create", "admin");
    if (env && *env)
        fprintf(stderr, "socc: created super admin 'admin' with the password "
                "of SOCC_ADMIN_PASSWORD\n");
    else
        fprintf(stderr, "socc: created super admin 'admin' with one-time "
                "password: %s\nsocc: sign in at the page and change it "
                "(socc user passwd admin); it is not shown again\n", pw);
    memset(pw, 0, sizeof(pw));
    return 0;
}
