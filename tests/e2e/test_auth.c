/*
 * Access control against the real server: every route as nobody (401),
 * as a user of the other company (404 for ids, 403 for names, nothing
 * leaked), as an analyst on admin routes (403); an admin kept to his
 * companies; cookie sessions with CSRF, logout, idle expiry; the login
 * lockout; the token-tier rate limit; security headers; CSV export
 * neutralising formulas; the first start's super admin; TLS; the CLI.
 *
 * Two companies: acme (alice, analyst; carol, admin) and globex (bob,
 * analyst).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "e2e.h"

static struct e2e_server srv;
static char tok_alice[80], tok_bob[80], tok_carol[80];
static long long id_alice, id_bob, id_carol;   /* user ids */
static long long up_acme, up_globex;           /* upload ids */

#define ALICE_PW "alice-password-1"
#define CSV_ACME "host,ip\nh1,10.0.0.1\nh2,10.0.0.2\n"
#define CSV_GLOBEX "user,action\nbob,login\n"

/* ---- requests ------------------------------------------------------------ */

/*
 * method path on s with a JSON body (or NULL) and up to two more header
 * lines; s's token is sent when it has one.
 */
static long call(const struct e2e_server *s, const char *method,
                 const char *path, const char *body, const char *h1,
                 const char *h2, struct e2e_resp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[512];

    snprintf(url, sizeof(url), "%s%s", s->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        h = curl_slist_append(h, "Content-Type: application/json");
    }
    if (h1)
        h = curl_slist_append(h, h1);
    if (h2)
        h = curl_slist_append(h, h2);
    h = e2e_auth_header(s, h);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    e2e_perform(c, r);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r->status;
}

/* A copy of srv that sends token (or nothing when NULL). */
static struct e2e_server as(const char *token)
{
    struct e2e_server s = srv;

    snprintf(s.token, sizeof(s.token), "%s", token ? token : "");
    snprintf(s.auth, sizeof(s.auth), "%s%s%s", token ? "Authorization: "
             "Bearer " : "", token ? token : "", token ? "\r\n" : "");
    return s;
}

static void expect(const struct e2e_server *s, const char *method,
                   const char *path, const char *body, long status,
                   const char *code)
{
    struct e2e_resp r;
    char got[64] = "";

    call(s, method, path, body, NULL, NULL, &r);
    if (r.status != status)
        print_message("%s %s: %ld %s\n", method, path, r.status, r.body);
    assert_int_equal(r.status, status);
    if (code) {
        assert_int_equal(e2e_json_str(r.body, "code", got, sizeof(got)), 0);
        assert_string_equal(got, code);
    }
    e2e_resp_free(&r);
}

static long long upload(const struct e2e_server *s, const char *company,
                        const char *name, const char *csv, long status)
{
    struct e2e_upload u = { company, "siem", NULL, csv, strlen(csv), name,
                            0, 1 };
    struct e2e_resp r;
    long long id;

    assert_int_equal(e2e_post(s, &u, &r), CURLE_OK);
    if (r.status != status)
        print_message("upload %s: %ld %s\n", company, r.status, r.body);
    assert_int_equal(r.status, status);
    id = e2e_json_int(r.body, "id", -1);
    e2e_resp_free(&r);
    return id;
}

static long long add_user(const char *name, const char *role,
                          const char *company)
{
    char body[256];
    struct e2e_resp r;
    long long id;

    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"password\":\"%s\","
             "\"role\":\"%s\",\"companies\":[\"%s\"]}", name, ALICE_PW, role,
             company);
    assert_int_equal(call(&srv, "POST", "/api/users", body, NULL, NULL, &r),
                     201);
    id = e2e_json_int(r.body, "id", -1);
    e2e_resp_free(&r);
    return id;
}

static void add_token(const struct e2e_server *s, const char *user,
                      const char *company, const char *tier, char *out,
                      size_t cap)
{
    char body[256];
    struct e2e_resp r;

    snprintf(body, sizeof(body), "{\"name\":\"t\",\"user\":\"%s\","
             "\"companies\":[\"%s\"],\"tier\":\"%s\"}", user, company, tier);
    assert_int_equal(call(s, "POST", "/api/tokens", body, NULL, NULL, &r),
                     201);
    assert_int_equal(e2e_json_str(r.body, "token", out, cap), 0);
    assert_int_equal(strncmp(out, "socc_", 5), 0);
    e2e_resp_free(&r);
}

/* Log in: the cookie line ("Cookie: socc_session=...") and CSRF token. */
static long login(const struct e2e_server *s, const char *name,
                  const char *pw, char *cookie, size_t ccap, char *csrf,
                  size_t xcap, struct e2e_resp *r)
{
    char body[256];
    const char *sc;
    size_t n;

    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"password\":\"%s\"}",
             name, pw);
    call(s, "POST", "/api/auth/login", body, NULL, NULL, r);
    if (r->status != 200)
        return r->status;
    sc = strstr(r->headers, "Set-Cookie: ");
    assert_non_null(sc);
    n = strcspn(sc + 12, ";\r\n");
    snprintf(cookie, ccap, "Cookie: %.*s", (int)n, sc + 12);
    assert_int_equal(e2e_json_str(r->body, "csrf_token", csrf, xcap), 0);
    return 200;
}

/* ---- setup --------------------------------------------------------------- */

static int setup(void **state)
{
    struct e2e_server a;

    (void)state;
    if (e2e_start(&srv, NULL) != 0)
        return -1;
    id_alice = add_user("alice", "analyst", "acme");
    id_bob = add_user("bob", "analyst", "globex");
    id_carol = add_user("carol", "admin", "acme");
    add_token(&srv, "alice", "acme", "unlimited", tok_alice,
              sizeof(tok_alice));
    add_token(&srv, "bob", "globex", "unlimited", tok_bob, sizeof(tok_bob));
    add_token(&srv, "carol", "acme", "unlimited", tok_carol,
              sizeof(tok_carol));
    a = as(tok_alice);
    up_acme = upload(&a, "acme", "acme.csv", CSV_ACME, 201);
    a = as(tok_bob);
    up_globex = upload(&a, "globex", "globex.csv", CSV_GLOBEX, 201);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return e2e_stop(&srv) == 0 ? 0 : -1;
}

/* ---- nobody --------------------------------------------------------------- */

static const char *const routes[][2] = {
    { "GET", "/api/uploads" }, { "POST", "/api/uploads" },
    { "HEAD", "/api/uploads" }, { "GET", "/api/uploads/1" },
    { "GET", "/api/uploads/1/records" },
    { "GET", "/api/uploads/1/records.csv" },
    { "GET", "/api/uploads/1/records?format=csv" },
    { "GET", "/api/uploads/1/file" }, { "DELETE", "/api/uploads/1" },
    { "GET", "/api/auth/me" }, { "POST", "/api/auth/logout" },
    { "GET", "/api/users" }, { "POST", "/api/users" },
    { "PATCH", "/api/users/1" }, { "PUT", "/api/users/2/companies/acme" },
    { "DELETE", "/api/users/2/companies/acme" }, { "GET", "/api/tokens" },
    { "POST", "/api/tokens" }, { "DELETE", "/api/tokens/1" },
    { "GET", "/api/audit" }, { "GET", "/api/companies" },
    { "GET", "/api/tus" }, { "POST", "/api/tus/" },
    { "PATCH", "/api/tus/x" }, { "GET", "/api/versions" },
    { "GET", "/api/backups" }, { "POST", "/api/backups" },
    { "GET", "/api/no-such-route" },
};

static void test_nobody_gets_401_everywhere(void **state)
{
    struct e2e_server anon = as(NULL);
    struct e2e_server bogus = as("socc_0000000000000000000000000000000000000"
                                 "000000000000000000000000000");
    struct e2e_resp r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        call(&anon, routes[i][0], routes[i][1], NULL, NULL, NULL, &r);
        if (r.status != 401)
            print_message("%s %s: %ld\n", routes[i][0], routes[i][1],
                          r.status);
        assert_int_equal(r.status, 401);
        if (strcmp(routes[i][0], "HEAD") != 0)
            assert_non_null(strstr(r.body, "\"UNAUTHENTICATED\""));
        e2e_resp_free(&r);
        call(&bogus, routes[i][0], routes[i][1], NULL, NULL, NULL, &r);
        assert_int_equal(r.status, 401);
        e2e_resp_free(&r);
        call(&anon, routes[i][0], routes[i][1], NULL,
             "Cookie: socc_session=00000000000000000000000000000000000000"
             "00000000000000000000000000", NULL, &r);
        assert_int_equal(r.status, 401);
        e2e_resp_free(&r);
    }
    call(&anon, "GET", "/api/uploads", NULL, "Authorization: Basic YTpi",
         NULL, &r);
    assert_int_equal(r.status, 401);
    e2e_resp_free(&r);
}

static void test_public_routes_and_headers(void **state)
{
    static const char *const paths[] = { "/api/health", "/api/config", "/",
                                         "/api/uploads" };
    struct e2e_server anon = as(NULL);
    struct e2e_resp r;
    size_t i;

    (void)state;
    for (i = 0; i < 4; i++) {
        call(&anon, "GET", paths[i], NULL, NULL, NULL, &r);
        assert_int_equal(r.status, i < 3 ? 200 : 401);
        assert_non_null(strstr(r.headers, "Content-Security-Policy: "
                                          "default-src 'self'"));
        assert_null(strstr(r.headers, "unsafe-inline"));
        assert_non_null(strstr(r.headers, "X-Frame-Options: DENY"));
        assert_non_null(strstr(r.headers, "X-Content-Type-Options: nosniff"));
        assert_non_null(strstr(r.headers, "Referrer-Policy: no-referrer"));
        if (i == 1) {
            assert_null(strstr(r.body, "password"));
            assert_null(strstr(r.body, "token"));
            assert_null(strstr(r.body, "secret"));
        }
        e2e_resp_free(&r);
    }
}

/* ---- the other company ------------------------------------------------------ */

/* The body of r without its request id, for comparing two refusals. */
static void strip_id(const struct e2e_resp *r, char *out, size_t cap)
{
    const char *p = strstr(r->body, "\"request_id\"");

    snprintf(out, cap, "%.*s", p ? (int)(p - r->body) : (int)r->len,
             r->body);
}

static void test_other_company_ids_look_absent(void **state)
{
    static const char *const tails[] = { "", "/records", "/records.csv",
                                         "/records?format=csv", "/file" };
    struct e2e_server bob = as(tok_bob);
    struct e2e_resp r, none;
    char path[128], a[512], b[512];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        snprintf(path, sizeof(path), "/api/uploads/%lld%s", up_acme,
                 tails[i]);
        call(&bob, "GET", path, NULL, NULL, NULL, &r);
        snprintf(path, sizeof(path), "/api/uploads/999999%s", tails[i]);
        call(&bob, "GET", path, NULL, NULL, NULL, &none);
        assert_int_equal(r.status, 404);
        assert_int_equal(none.status, 404);
        strip_id(&r, a, sizeof(a));
        strip_id(&none, b, sizeof(b));
        assert_string_equal(a, b);
        assert_null(strstr(r.body, "acme"));
        e2e_resp_free(&r);
        e2e_resp_free(&none);
    }
    snprintf(path, sizeof(path), "/api/uploads/%lld", up_globex);
    expect(&bob, "GET", path, NULL, 200, NULL);
    bob = as(tok_alice);
    expect(&bob, "GET", path, NULL, 404, "NOT_FOUND");
}

static void test_other_company_lists_and_uploads(void **state)
{
    struct e2e_server bob = as(tok_bob), carol = as(tok_carol);
    struct e2e_resp r;
    long long dup;

    (void)state;
    /* the super admin's list of every company is cached first: bob's
     * list with the same query must not be served from it */
    call(&srv, "GET", "/api/uploads", NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "acme"));
    e2e_resp_free(&r);
    call(&bob, "GET", "/api/uploads", NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "acme"));
    assert_non_null(strstr(r.body, "globex"));
    e2e_resp_free(&r);
    expect(&bob, "GET", "/api/uploads?company=acme", NULL, 403,
           "ACCESS_DENIED");
    expect(&bob, "GET", "/api/uploads?company=no-such-co", NULL, 403,
           "ACCESS_DENIED");
    /* an upload for acme is refused and stores nothing */
    upload(&bob, "acme", "x.csv", "a,b\n1,2\n", 403);
    call(&carol, "GET", "/api/uploads?company=acme", NULL, NULL, NULL, &r);
    assert_int_equal(e2e_json_int(r.body, "total", -1), 1);
    e2e_resp_free(&r);
    /* acme's very file, for globex: accepted, acme's copy never named */
    dup = upload(&bob, "globex", "same.csv", CSV_ACME, 201);
    assert_true(dup > 0 && dup != up_acme);
    {
        struct e2e_upload u = { "globex", "siem", NULL, CSV_ACME,
                                strlen(CSV_ACME), "again.csv", 0, 1 };
        assert_int_equal(e2e_post(&bob, &u, &r), CURLE_OK);
        assert_int_equal(r.status, 409);
        assert_int_equal(e2e_json_int(strstr(r.body, "\"existing\""), "id",
                                      -1), dup);
        assert_null(strstr(r.body, "acme"));
        e2e_resp_free(&r);
    }
    call(&bob, "GET", "/api/companies", NULL, NULL, NULL, &r);
    assert_non_null(strstr(r.body, "\"globex\""));
    assert_null(strstr(r.body, "acme"));
    e2e_resp_free(&r);
}

/*
 * The routes that came with versions, tus and progress keep to the
 * caller's companies too: another company's ids answer like missing ones,
 * its names are refused, and an analyst cannot roll back or delete.
 */
static void test_other_company_versions_tus_progress(void **state)
{
    static const char *const tails[] = { "", "/diff" };
    struct e2e_server bob = as(tok_bob), alice = as(tok_alice);
    struct e2e_resp r, none;
    char path[160], a[512], b[512], hdr[200], loc[160];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        snprintf(path, sizeof(path), "/api/versions/%lld%s", up_acme,
                 tails[i]);
        call(&bob, "GET", path, NULL, NULL, NULL, &r);
        snprintf(path, sizeof(path), "/api/versions/999999%s", tails[i]);
        call(&bob, "GET", path, NULL, NULL, NULL, &none);
        assert_int_equal(r.status, 404);
        strip_id(&r, a, sizeof(a));
        strip_id(&none, b, sizeof(b));
        assert_string_equal(a, b);
        e2e_resp_free(&r);
        e2e_resp_free(&none);
    }
    expect(&bob, "GET", "/api/versions?company=acme&tool_type=siem", NULL,
           403, "ACCESS_DENIED");
    snprintf(path, sizeof(path), "/api/uploads/%lld/activate", up_acme);
    expect(&bob, "POST", path, "", 404, "NOT_FOUND");
    expect(&alice, "POST", path, "", 403, "ACCESS_DENIED");
    snprintf(path, sizeof(path), "/api/uploads/%lld", up_acme);
    expect(&bob, "DELETE", path, NULL, 404, "NOT_FOUND");
    expect(&alice, "DELETE", path, NULL, 403, "ACCESS_DENIED");
    expect(&alice, "GET", path, NULL, 200, NULL);   /* still there */
    expect(&alice, "GET", "/api/versions?company=acme&tool_type=siem", NULL,
           200, NULL);

    /* tus: creating for acme is refused; alice's upload is absent to bob */
    {
        const char *meta = "Upload-Metadata: filename eC5jc3Y=,company "
                           "YWNtZQ==,tool_type c2llbQ==";   /* x.csv acme siem */
        const char *h1[] = { "Tus-Resumable: 1.0.0", "Upload-Length: 8",
                             meta, NULL };
        CURL *c;
        struct curl_slist *h = NULL;
        char url[256];
        size_t k;

        for (k = 0; k < 2; k++) {
            const struct e2e_server *who = k ? &alice : &bob;
            c = curl_easy_init();
            snprintf(url, sizeof(url), "%s/api/tus/", srv.base);
            curl_easy_setopt(c, CURLOPT_URL, url);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
            h = e2e_auth_header(who, NULL);
            for (i = 0; h1[i]; i++)
                h = curl_slist_append(h, h1[i]);
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
            e2e_perform(c, &r);
            curl_slist_free_all(h);
            curl_easy_cleanup(c);
            assert_int_equal(r.status, k ? 201 : 403);
            loc[0] = '\0';
            if (k) {
                const char *l = strcasestr(r.headers, "\nLocation:");
                assert_non_null(l);
                l += 10;
                l += strspn(l, " ");
                snprintf(loc, sizeof(loc), "%.*s", (int)strcspn(l, "\r\n"),
                         l);
            }
            e2e_resp_free(&r);
        }
        assert_true(loc[0] != '\0');
        /* alice's upload: absent to bob (globex) and to carol, an acme
         * admin who did not create it (nobody writes into another user's
         * upload); alice herself sees it */
        {
            struct e2e_server carol = as(tok_carol);
            const struct e2e_server *who[3] = { &bob, &carol, &alice };
            const long want[3] = { 404, 404, 200 };

            for (k = 0; k < 3; k++) {
                c = curl_easy_init();
                snprintf(url, sizeof(url), "%s%s", srv.base,
                         loc[0] == '/' ? loc : strstr(loc, "/api/tus/"));
                curl_easy_setopt(c, CURLOPT_URL, url);
                curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
                h = e2e_auth_header(who[k], NULL);
                h = curl_slist_append(h, "Tus-Resumable: 1.0.0");
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
                e2e_perform(c, &r);
                curl_slist_free_all(h);
                curl_easy_cleanup(c);
                assert_int_equal(r.status, want[k]);
                e2e_resp_free(&r);
            }
        }
    }

    /* progress: alice's token is not bob's to follow */
    {
        struct e2e_upload u = { "acme", "siem", NULL, "h,n\n1,2\n", 8,
                                "prog.csv", 0, 1 };
        snprintf(hdr, sizeof(hdr), "X-Upload-Token: alice-prog-1");
        assert_int_equal(e2e_post_h(&alice, &u, hdr, &r), CURLE_OK);
        assert_int_equal(r.status, 201);
        e2e_resp_free(&r);
    }
    expect(&alice, "GET", "/api/uploads/progress/alice-prog-1", NULL, 200,
           NULL);
    expect(&bob, "GET", "/api/uploads/progress/alice-prog-1", NULL, 404,
           "NOT_FOUND");

    /* a company's summary holds no instance-wide counters for its members */
    call(&bob, "GET", "/api/summary?company=globex", NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"last_24h\""));
    assert_null(strstr(r.body, "since_start"));
    assert_null(strstr(r.body, "alerts_firing"));
    e2e_resp_free(&r);
    expect(&bob, "GET", "/api/summary?company=acme", NULL, 403,
           "ACCESS_DENIED");

    /* the page's helpers: lookup by hash, company list, error reports */
    snprintf(path, sizeof(path), "/api/uploads/lookup?company=acme&sha256="
             "%064d", 0);
    expect(&bob, "GET", path, NULL, 403, "ACCESS_DENIED");
    call(&bob, "GET", "/api/uploads/companies", NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"globex\""));
    assert_null(strstr(r.body, "acme"));
    e2e_resp_free(&r);
    expect(&bob, "POST", "/api/client-errors",
           "{\"id\":\"bob-err-0001\",\"message\":\"x\"}", 201, NULL);
    expect(&bob, "GET", "/api/client-errors", NULL, 403, "ACCESS_DENIED");
    expect(&bob, "GET", "/api/client-errors/bob-err-0001", NULL, 403,
           "ACCESS_DENIED");
    expect(&srv, "GET", "/api/client-errors/bob-err-0001", NULL, 200, NULL);
}

/*
 * Malformed JSON on the public sign-in route is refused at once with 400,
 * and the server goes on answering (bodies of the kind fuzz_json found
 * looping the array walk; sign-in walks objects, which ended).
 */
static void test_login_malformed_json_refused(void **state)
{
    static const char *const bodies[] = { "{\"name\":}", "{\"name\":\"a\",}",
                                          "[\"a\",1,tr}ee,nul]", "{\"a\":1}}" };
    struct e2e_server anon = srv;
    size_t i;
    long t0;

    (void)state;
    anon.token[0] = anon.auth[0] = '\0';
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        t0 = e2e_now_ms();
        expect(&anon, "POST", "/api/auth/login", bodies[i], 400,
               "BAD_REQUEST");
        assert_true(e2e_now_ms() - t0 < 5000);
    }
    expect(&srv, "GET", "/api/auth/me", NULL, 200, NULL);   /* still up */
}

/* ---- roles ------------------------------------------------------------------ */

static void test_analyst_refused_admin_routes(void **state)
{
    static const char *const admin[][2] = {
        { "GET", "/api/users" }, { "POST", "/api/users" },
        { "PATCH", "/api/users/1" }, { "PUT", "/api/users/2/companies/acme" },
        { "DELETE", "/api/users/2/companies/acme" },
        { "GET", "/api/tokens" }, { "POST", "/api/tokens" },
        { "DELETE", "/api/tokens/1" }, { "GET", "/api/audit" },
    };
    struct e2e_server alice = as(tok_alice);
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(admin) / sizeof(admin[0]); i++)
        expect(&alice, admin[i][0], admin[i][1], "{}", 403, "ACCESS_DENIED");
}

static void test_admin_kept_to_own_companies(void **state)
{
    struct e2e_server carol = as(tok_carol);
    struct e2e_resp r;
    char path[128];

    (void)state;
    call(&carol, "GET", "/api/users", NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"alice\""));
    assert_null(strstr(r.body, "\"bob\""));
    assert_null(strstr(r.body, "globex"));
    e2e_resp_free(&r);
    snprintf(path, sizeof(path), "/api/users/%lld", id_bob);
    expect(&carol, "PATCH", path, "{\"password\":\"new-password-99\"}", 404,
           "NOT_FOUND");
    snprintf(path, sizeof(path), "/api/users/%lld/companies/globex",
             id_alice);
    expect(&carol, "PUT", path, NULL, 403, "ACCESS_DENIED");
    snprintf(path, sizeof(path), "/api/users/%lld/companies/acme", id_bob);
    expect(&carol, "PUT", path, NULL, 404, "NOT_FOUND");
    expect(&carol, "POST", "/api/users", "{\"name\":\"eve\",\"password\":"
           "\"eve-password-1\",\"role\":\"super_admin\",\"companies\":"
           "[\"acme\"]}", 403, "ACCESS_DENIED");
    expect(&carol, "POST", "/api/users", "{\"name\":\"eve\",\"password\":"
           "\"eve-password-1\",\"role\":\"analyst\",\"companies\":"
           "[\"globex\"]}", 403, "ACCESS_DENIED");
    expect(&carol, "POST", "/api/tokens", "{\"name\":\"x\",\"user\":\"bob\","
           "\"companies\":[\"globex\"]}", 404, "NOT_FOUND");
    expect(&carol, "POST", "/api/tokens", "{\"name\":\"x\",\"user\":"
           "\"alice\",\"companies\":[\"globex\"]}", 403, "ACCESS_DENIED");
    /* frank is in acme and globex: carol (acme) may not take him over */
    assert_int_equal(call(&srv, "POST", "/api/users", "{\"name\":\"frank\","
                          "\"password\":\"frank-password-1\",\"role\":"
                          "\"analyst\",\"companies\":[\"acme\",\"globex\"]}",
                          NULL, NULL, &r), 201);
    snprintf(path, sizeof(path), "/api/users/%lld",
             e2e_json_int(r.body, "id", -1));
    e2e_resp_free(&r);
    expect(&carol, "PATCH", path, "{\"password\":\"new-password-99\"}", 403,
           "ACCESS_DENIED");
    /* she sees frank, but not that he is also in globex */
    call(&carol, "GET", "/api/users", NULL, NULL, NULL, &r);
    assert_non_null(strstr(r.body, "\"frank\""));
    assert_null(strstr(r.body, "globex"));
    e2e_resp_free(&r);
    expect(&carol, "PATCH", path, "{\"disabled\":true}", 403,
           "ACCESS_DENIED");
    snprintf(path, sizeof(path), "/api/users/%lld",
             add_user("gina", "analyst", "acme"));
    expect(&carol, "PATCH", path, "{\"password\":\"new-password-99\"}", 200,
           NULL);
    call(&carol, "GET", "/api/audit", NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"upload\""));
    assert_null(strstr(r.body, "globex"));
    e2e_resp_free(&r);
    call(&carol, "GET", "/api/tokens", NULL, NULL, NULL, &r);
    assert_null(strstr(r.body, "\"bob\""));
    assert_null(strstr(r.body, tok_carol));   /* never a token's text */
    assert_null(strstr(r.body, tok_alice));
    e2e_resp_free(&r);
}

/* ---- sessions --------------------------------------------------------------- */

static void test_session_cookie_csrf_logout(void **state)
{
    struct e2e_server anon = as(NULL);
    char cookie[200], csrf[80], hdr[120];
    struct e2e_upload u = { "acme", "edr", NULL, "a,b\n3,4\n", 8, "s.csv", 0,
                            1 };
    struct e2e_server sess;
    struct e2e_resp r;

    (void)state;
    assert_int_equal(login(&anon, "alice", "wrong-password", cookie,
                           sizeof(cookie), csrf, sizeof(csrf), &r), 401);
    e2e_resp_free(&r);
    assert_int_equal(login(&anon, "alice", ALICE_PW, cookie, sizeof(cookie),
                           csrf, sizeof(csrf), &r), 200);
    assert_non_null(strstr(r.headers, "HttpOnly"));
    assert_non_null(strstr(r.headers, "SameSite=Strict"));
    assert_non_null(strstr(r.headers, "Path=/"));
    assert_null(strstr(r.headers, "Secure"));
    assert_non_null(strstr(r.body, "\"role\":\"analyst\""));
    e2e_resp_free(&r);
    call(&anon, "GET", "/api/auth/me", NULL, cookie, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"name\":\"alice\""));
    e2e_resp_free(&r);
    /* state changes need the CSRF token */
    snprintf(hdr, sizeof(hdr), "X-CSRF-Token: %s", csrf);
    sess = anon;
    call(&sess, "POST", "/api/auth/logout", NULL, cookie, NULL, &r);
    assert_int_equal(r.status, 403);
    e2e_resp_free(&r);
    call(&sess, "POST", "/api/auth/logout", NULL, cookie,
         "X-CSRF-Token: 0000000000000000000000000000000000000000000000000000"
         "000000000000", &r);
    assert_int_equal(r.status, 403);
    e2e_resp_free(&r);
    {
        CURL *c = curl_easy_init();
        curl_mime *m = curl_mime_init(c);
        struct curl_slist *h = curl_slist_append(NULL, cookie);
        char url[128];
        e2e_add_field(m, "company", u.company);
        e2e_add_field(m, "tool_type", u.tool_type);
        e2e_add_file(m, &u);
        snprintf(url, sizeof(url), "%s/api/uploads", srv.base);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_MIMEPOST, m);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        e2e_perform(c, &r);
        assert_int_equal(r.status, 403);
        e2e_resp_free(&r);
        h = curl_slist_append(h, hdr);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        e2e_perform(c, &r);
        assert_int_equal(r.status, 201);
        assert_non_null(strstr(r.body, "\"uploaded_by\":\"alice\""));
        e2e_resp_free(&r);
        curl_slist_free_all(h);
        curl_mime_free(m);
        curl_easy_cleanup(c);
    }
    call(&sess, "POST", "/api/auth/logout", NULL, cookie, hdr, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.headers, "Max-Age=0"));
    e2e_resp_free(&r);
    call(&anon, "GET", "/api/auth/me", NULL, cookie, NULL, &r);
    assert_int_equal(r.status, 401);
    e2e_resp_free(&r);
    call(&anon, "POST", "/api/auth/login", NULL,
         "Content-Type: application/x-www-form-urlencoded", NULL, &r);
    assert_int_equal(r.status, 400);
    e2e_resp_free(&r);
}

static void test_audit_records_events(void **state)
{
    struct e2e_resp r;

    (void)state;
    call(&srv, "GET", "/api/audit?limit=1000", NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"action\":\"login\",\"outcome\":"
                                   "\"failed\""));
    assert_non_null(strstr(r.body, "\"action\":\"login\",\"outcome\":"
                                   "\"ok\""));
    assert_non_null(strstr(r.body, "\"action\":\"logout\""));
    assert_non_null(strstr(r.body, "\"action\":\"upload\",\"outcome\":"
                                   "\"denied\""));
    assert_non_null(strstr(r.body, "\"action\":\"token_create\""));
    assert_non_null(strstr(r.body, "\"action\":\"user_create\""));
    assert_null(strstr(r.body, ALICE_PW));
    e2e_resp_free(&r);
}

/* ---- rate limit ------------------------------------------------------------- */

static void test_token_tier_rate_limited(void **state)
{
    char slow[80];
    struct e2e_server s;
    struct e2e_resp r;
    int i, ok = 0, limited = 0;
    long wait = -1;
    const char *ra;

    (void)state;
    add_token(&srv, "alice", "acme", "low", slow, sizeof(slow));
    s = as(slow);
    for (i = 0; i < 30; i++) {
        call(&s, "GET", "/api/auth/me", NULL, NULL, NULL, &r);
        if (r.status == 200)
            ok++;
        if (r.status == 429) {
            limited++;
            ra = strstr(r.headers, "Retry-After: ");
            assert_non_null(ra);
            wait = atol(ra + 13);
            assert_non_null(strstr(r.body, "\"RATE_LIMITED\""));
        }
        e2e_resp_free(&r);
    }
    assert_true(ok >= 20 && ok <= 22);   /* the burst, and a refill or two */
    assert_int_equal(ok + limited, 30);
    assert_true(wait >= 1 && wait <= 2);
}

/* ---- CSV export --------------------------------------------------------------- */

static void test_csv_export_neutralises_formulas(void **state)
{
    static const char csv[] = "name,cell\nalice,=1+2\nbob,@SUM(A1)\n"
                              "carl,+cmd\ndave,-x\n\"e,f\",\"q\"\"t\"\n"
                              "gus,\"\tx\"\n";
    struct e2e_resp r;
    char path[128];
    long long id;

    (void)state;
    id = upload(&srv, "acme", "f.csv", csv, 201);
    snprintf(path, sizeof(path), "/api/uploads/%lld/records.csv", id);
    call(&srv, "GET", path, NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.ctype, "text/csv"));
    assert_non_null(strstr(r.headers, "Content-Disposition: attachment"));
    assert_string_equal(r.body, "name,cell\r\nalice,\"'=1+2\"\r\n"
                                "bob,\"'@SUM(A1)\"\r\ncarl,\"'+cmd\"\r\n"
                                "dave,\"'-x\"\r\n\"e,f\",\"q\"\"t\"\r\n"
                                "gus,\"'\tx\"\r\n");
    e2e_resp_free(&r);
}

/* ---- the CLI on the data dir ----------------------------------------------- */

static const char *bin(void)
{
    const char *b = getenv("SOCC_BIN");

    return b ? b : "build/san/socc";
}

static void test_cli_token_create_and_revoke(void **state)
{
    char cmd[1024], text[80] = "", path[64];
    struct e2e_server s;
    FILE *p;

    (void)state;
    snprintf(cmd, sizeof(cmd), "SOCC_DATA_DIR='%s' SOCC_LOG_LEVEL=error "
             "'%s' token create --user bob --company globex --name cli "
             "2>/dev/null", srv.dir, bin());
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(text, sizeof(text), p));
    assert_int_equal(pclose(p), 0);
    text[strcspn(text, "\n")] = '\0';
    s = as(text);
    expect(&s, "GET", "/api/uploads?company=globex", NULL, 200, NULL);
    expect(&s, "GET", "/api/uploads?company=acme", NULL, 403,
           "ACCESS_DENIED");
    snprintf(cmd, sizeof(cmd), "SOCC_DATA_DIR='%s' SOCC_LOG_LEVEL=error "
             "'%s' token list", srv.dir, bin());
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(cmd, sizeof(cmd), p));
    pclose(p);
    assert_null(strstr(cmd, text));   /* listed, never shown again */
    snprintf(path, sizeof(path), "\"name\":\"cli\"");
    assert_non_null(strstr(cmd, path));
    /* the newest token is the one just made: revoke it by its id */
    {
        const char *last = strstr(cmd, path), *idp = cmd, *q;
        while ((q = strstr(idp + 1, "{\"id\":")) && q < last)
            idp = q;
        snprintf(cmd, sizeof(cmd), "SOCC_DATA_DIR='%s' SOCC_LOG_LEVEL=error "
                 "'%s' token revoke %lld 2>/dev/null", srv.dir,
                 bin(), e2e_json_int(idp, "id", -1));
    }
    assert_int_equal(system(cmd), 0);
    expect(&s, "GET", "/api/uploads", NULL, 401, "UNAUTHENTICATED");
}

/* The first line socc prints on stdout for cmd, into out; its exit 0. */
static void run_line(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");

    assert_non_null(p);
    out[0] = '\0';
    if (!fgets(out, (int)cap, p))
        out[0] = '\0';
    assert_int_equal(pclose(p), 0);
    out[strcspn(out, "\n")] = '\0';
}

static void test_cli_user_add_list_passwd(void **state)
{
    struct e2e_server anon = as(NULL);
    char cmd[1024], line[4096], pw[64], cookie[200], csrf[80];
    struct e2e_resp r;

    (void)state;
    snprintf(cmd, sizeof(cmd), "SOCC_DATA_DIR='%s' SOCC_LOG_LEVEL=error "
             "'%s' user add hank --role analyst --company acme 2>/dev/null",
             srv.dir, bin());
    run_line(cmd, line, sizeof(line));
    assert_int_equal(strncmp(line, "password: ", 10), 0);
    snprintf(pw, sizeof(pw), "%.40s", line + 10);
    assert_int_equal(strlen(pw), 20);
    assert_int_equal(login(&anon, "hank", pw, cookie, sizeof(cookie), csrf,
                           sizeof(csrf), &r), 200);
    assert_non_null(strstr(r.body, "\"companies\":[\"acme\"]"));
    e2e_resp_free(&r);
    snprintf(cmd, sizeof(cmd), "SOCC_DATA_DIR='%s' SOCC_LOG_LEVEL=error "
             "'%s' user list", srv.dir, bin());
    run_line(cmd, line, sizeof(line));
    assert_non_null(strstr(line, "\"name\":\"hank\""));
    assert_null(strstr(line, "argon2"));
    /* a new password ends the old one and the sessions made with it */
    snprintf(cmd, sizeof(cmd), "SOCC_DATA_DIR='%s' SOCC_LOG_LEVEL=error "
             "SOCC_PASSWORD=hank-new-password '%s' user passwd hank "
             "2>/dev/null", srv.dir, bin());
    assert_int_equal(system(cmd), 0);
    call(&anon, "GET", "/api/auth/me", NULL, cookie, NULL, &r);
    assert_int_equal(r.status, 401);
    e2e_resp_free(&r);
    assert_int_equal(login(&anon, "hank", "hank-new-password", cookie,
                           sizeof(cookie), csrf, sizeof(csrf), &r), 200);
    e2e_resp_free(&r);
    /* a short password is refused, nothing changes */
    snprintf(cmd, sizeof(cmd), "SOCC_DATA_DIR='%s' SOCC_LOG_LEVEL=error "
             "SOCC_PASSWORD=short '%s' user passwd hank 2>/dev/null",
             srv.dir, bin());
    assert_int_not_equal(system(cmd), 0);
}

/* ---- servers of their own ----------------------------------------------------- */

static void test_login_lockout(void **state)
{
    struct e2e_server s, anon;
    char cookie[200], csrf[80];
    struct e2e_resp r;
    const char *ra;
    int i;

    (void)state;
    assert_int_equal(e2e_start(&s, NULL), 0);
    anon = s;
    anon.token[0] = anon.auth[0] = '\0';
    for (i = 0; i < 5; i++) {
        assert_int_equal(login(&anon, E2E_ADMIN, "not-the-password", cookie,
                               sizeof(cookie), csrf, sizeof(csrf), &r), 401);
        e2e_resp_free(&r);
    }
    /* the right password now waits too */
    assert_int_equal(login(&anon, E2E_ADMIN, E2E_PASSWORD, cookie,
                           sizeof(cookie), csrf, sizeof(csrf), &r), 429);
    ra = strstr(r.headers, "Retry-After: ");
    assert_non_null(ra);
    assert_true(atol(ra + 13) > 800 && atol(ra + 13) <= 900);
    e2e_resp_free(&r);
    /* and so does any account from this address */
    assert_int_equal(login(&anon, "someone-else", "whatever-pass", cookie,
                           sizeof(cookie), csrf, sizeof(csrf), &r), 429);
    e2e_resp_free(&r);
    /* API tokens are not locked out */
    expect(&s, "GET", "/api/auth/me", NULL, 200, NULL);
    assert_int_equal(e2e_stop(&s), 0);
}

static void test_session_idle_expiry(void **state)
{
    static const char *const env[] = { "SOCC_SESSION_IDLE", "1", NULL };
    struct e2e_server s, anon;
    char cookie[200], csrf[80];
    struct e2e_resp r;

    (void)state;
    assert_int_equal(e2e_start(&s, env), 0);
    anon = s;
    anon.token[0] = anon.auth[0] = '\0';
    assert_int_equal(login(&anon, E2E_ADMIN, E2E_PASSWORD, cookie,
                           sizeof(cookie), csrf, sizeof(csrf), &r), 200);
    e2e_resp_free(&r);
    call(&anon, "GET", "/api/auth/me", NULL, cookie, NULL, &r);
    assert_int_equal(r.status, 200);
    e2e_resp_free(&r);
    usleep(2500000);
    call(&anon, "GET", "/api/auth/me", NULL, cookie, NULL, &r);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.body, "expired"));
    e2e_resp_free(&r);
    assert_int_equal(e2e_stop(&s), 0);
}

/* The log once it holds want (malloc'd), waiting up to 10 s; or NULL. */
static char *wait_for_line(const char *path, const char *want)
{
    long until = e2e_now_ms() + 10000;
    char *text;
    size_t n;

    while (e2e_now_ms() < until) {
        text = e2e_slurp(path, &n);
        if (text && strstr(text, want))
            return text;
        free(text);
        usleep(50000);
    }
    return NULL;
}

static void test_first_start_makes_super_admin(void **state)
{
    static const char *const env[] = { "SOCC_ADMIN_PASSWORD", "", NULL };
    static const char *const chosen[] = { "SOCC_ADMIN_PASSWORD",
                                          "chosen-admin-pass", NULL };
    struct e2e_server s;
    char log[300], pw[64], cookie[200], csrf[80];
    struct e2e_resp r;
    const char *p;
    char *text;

    (void)state;
    assert_int_equal(e2e_start_opt(&s, env, 1), 0);
    snprintf(log, sizeof(log), "%s/serve.log", s.dir);
    text = wait_for_line(log, "one-time password: ");
    assert_non_null(text);
    p = strstr(text, "one-time password: ");
    snprintf(pw, sizeof(pw), "%.*s", (int)strcspn(p + 19, "\n"), p + 19);
    assert_int_equal(strlen(pw), 20);
    free(text);
    assert_int_equal(login(&s, "admin", pw, cookie, sizeof(cookie), csrf,
                           sizeof(csrf), &r), 200);
    assert_non_null(strstr(r.body, "\"role\":\"super_admin\""));
    e2e_resp_free(&r);
    assert_int_equal(e2e_stop(&s), 0);

    assert_int_equal(e2e_start_opt(&s, chosen, 1), 0);
    snprintf(log, sizeof(log), "%s/serve.log", s.dir);
    text = wait_for_line(log, "SOCC_ADMIN_PASSWORD");
    assert_non_null(text);
    assert_null(strstr(text, "one-time"));
    assert_null(strstr(text, "chosen-admin-pass"));
    free(text);
    assert_int_equal(login(&s, "admin", "chosen-admin-pass", cookie,
                           sizeof(cookie), csrf, sizeof(csrf), &r), 200);
    e2e_resp_free(&r);
    assert_int_equal(e2e_stop(&s), 0);
}

static void test_tls_serves_https_with_secure_cookie(void **state)
{
    char dir[] = "/tmp/socc-e2e-tls-XXXXXX", cmd[600], cert[100], key[100];
    const char *env[] = { "SOCC_TLS_CERT", cert, "SOCC_TLS_KEY", key, NULL };
    char cookie[200], csrf[80];
    struct e2e_server s, anon;
    struct e2e_resp r;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 -nodes "
             "-keyout %s -out %s -days 1 -subj /CN=127.0.0.1 2>/dev/null",
             key, cert);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(e2e_start(&s, env), 0);
    assert_int_equal(strncmp(s.base, "https://", 8), 0);
    anon = s;
    anon.token[0] = anon.auth[0] = '\0';
    assert_int_equal(login(&anon, E2E_ADMIN, E2E_PASSWORD, cookie,
                           sizeof(cookie), csrf, sizeof(csrf), &r), 200);
    assert_non_null(strstr(r.headers, "; Secure"));
    assert_non_null(strstr(r.headers, "Strict-Transport-Security"));
    e2e_resp_free(&r);
    expect(&s, "GET", "/api/uploads", NULL, 200, NULL);
    /* plain HTTP on the TLS port gets no answer of ours */
    anon = s;
    snprintf(anon.base, sizeof(anon.base), "http://127.0.0.1:%d", s.port);
    call(&anon, "GET", "/api/health", NULL, NULL, NULL, &r);
    assert_int_not_equal(r.status, 200);
    e2e_resp_free(&r);
    assert_int_equal(e2e_stop(&s), 0);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nobody_gets_401_everywhere),
        cmocka_unit_test(test_public_routes_and_headers),
        cmocka_unit_test(test_other_company_ids_look_absent),
        cmocka_unit_test(test_other_company_lists_and_uploads),
        cmocka_unit_test(test_other_company_versions_tus_progress),
        cmocka_unit_test(test_login_malformed_json_refused),
        cmocka_unit_test(test_analyst_refused_admin_routes),
        cmocka_unit_test(test_admin_kept_to_own_companies),
        cmocka_unit_test(test_session_cookie_csrf_logout),
        cmocka_unit_test(test_audit_records_events),
        cmocka_unit_test(test_token_tier_rate_limited),
        cmocka_unit_test(test_csv_export_neutralises_formulas),
        cmocka_unit_test(test_cli_token_create_and_revoke),
        cmocka_unit_test(test_cli_user_add_list_passwd),
        cmocka_unit_test(test_login_lockout),
        cmocka_unit_test(test_session_idle_expiry),
        cmocka_unit_test(test_first_start_makes_super_admin),
        cmocka_unit_test(test_tls_serves_https_with_secure_cookie),
    };

    curl_global_init(CURL_GLOBAL_ALL);
    return cmocka_run_group_tests(tests, setup, teardown);
}
