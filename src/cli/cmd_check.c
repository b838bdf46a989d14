/*
 * socc check [--url URL]: ask a running server whether it is ready
 * (GET /readyz) and how its parts are (GET /api/health), print a table,
 * and exit 0 only when it is ready and nothing is down.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

#define DEFAULT_URL "http://127.0.0.1:8080"
#define TIMEOUT_MS 5000L

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    buf_add(ud, p, size * n);
    return size * n;
}

/* GET base+path into body; the HTTP status, or -1 with why filled. */
static long get(const char *base, const char *path, struct buf *body,
                char *why, size_t wn)
{
    char url[1200];
    CURL *c = curl_easy_init();
    long status = -1;
    CURLcode rc;

    if (!c) {
        snprintf(why, wn, "cannot start libcurl");
        return -1;
    }
    snprintf(url, sizeof(url), "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(why, wn, "%s", curl_easy_strerror(rc));
    curl_easy_cleanup(c);
    return status;
}

/* The raw value of member key in object text obj (n bytes), or NULL. */
static const char *member(const char *obj, size_t n, const char *key,
                          size_t *vlen)
{
    struct json_iter it;
    const char *k, *v;
    size_t kl;

    if (json_iter_init_object(&it, obj, n) != 0)
        return NULL;
    while (json_iter_next_member(&it, &k, &kl, &v, vlen))
        if (kl == strlen(key) && memcmp(k, key, kl) == 0)
            return v;
    return NULL;
}

/* Print "key=value ..." of a component's members other than status. */
static void details(const char *obj, size_t n)
{
    struct json_iter it;
    const char *k, *v;
    size_t kl, vl;
    int first = 1;

    if (json_iter_init_object(&it, obj, n) != 0)
        return;
    while (json_iter_next_member(&it, &k, &kl, &v, &vl)) {
        if (kl == 6 && memcmp(k, "status", 6) == 0)
            continue;
        if (vl >= 2 && v[0] == '"') {
            v++;
            vl -= 2;
        }
        printf("%s%.*s=%.*s", first ? "" : " ", (int)kl, k, (int)vl, v);
        first = 0;
    }
}

/* The component table; 1 when one of them is down. */
static int table(const struct buf *health)
{
    struct json_iter it;
    const char *comps, *k, *v, *st;
    size_t cl, kl, vl, sl;
    int down = 0;

    comps = member(health->data, health->len, "components", &cl);
    if (!comps || json_iter_init_object(&it, comps, cl) != 0)
        return 1;
    printf("%-10s %-9s %s\n", "COMPONENT", "STATUS", "DETAILS");
    while (json_iter_next_member(&it, &k, &kl, &v, &vl)) {
        st = member(v, vl, "status", &sl);
        if (!st || sl < 2)
            continue;
        printf("%-10.*s %-9.*s ", (int)kl, k, (int)sl - 2, st + 1);
        details(v, vl);
        putchar('\n');
        down |= sl == 6 && memcmp(st, "\"down\"", 6) == 0;
    }
    return down;
}

static int usage(void)
{
    fprintf(stderr, "usage: socc check [--url URL]   (default %s)\n",
            DEFAULT_URL);
    return 2;
}

int cmd_check(int argc, char **argv)
{
    const char *url = DEFAULT_URL, *st;
    struct buf ready, health;
    char why[256] = "";
    long rs, hs;
    size_t sl;
    int down;

    if (argc == 3 && strcmp(argv[1], "--url") == 0)
        url = argv[2];
    else if (argc != 1)
        return usage();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    buf_init(&ready);
    buf_init(&health);
    rs = get(url, "/readyz", &ready, why, sizeof(why));
    hs = rs < 0 ? -1 : get(url, "/api/health", &health, why, sizeof(why));
    if (rs < 0 || hs < 0 || !health.data) {
        fprintf(stderr, "socc: UNAVAILABLE: %s: %s\n", url,
                why[0] ? why : "no answer");
        buf_release(&ready);
        buf_release(&health);
        curl_global_cleanup();
        return socc_err_exit(SOCC_E_UNAVAILABLE);
    }
    st = member(health.data, health.len, "status", &sl);
    printf("server     %s\nready      %s\noverall    %.*s\n\n", url,
           rs == 200 ? "yes" : "no", st && sl >= 2 ? (int)sl - 2 : 1,
           st && sl >= 2 ? st + 1 : "?");
    down = table(&health);
    if (rs != 200 && ready.data)
        printf("\nnot ready: %s", ready.data);
    buf_release(&ready);
    buf_release(&health);
    curl_global_cleanup();
    return rs == 200 && !down ? 0 : socc_err_exit(SOCC_E_UNAVAILABLE);
}
