/*
 * Load test of `socc serve` (loopback only): usage
 *   load URL DATA_DIR SECONDS CLIENTS SAME_CLIENTS FILE...
 * Phase 1: CLIENTS threads upload the FILEs round-robin for SECONDS, each
 * upload under a company of its own (so none is a duplicate).  Phase 2:
 * SAME_CLIENTS threads upload the first FILE for one company at the same
 * instant.  Then the database under DATA_DIR is compared with the answers:
 * no 5xx, every 201 a row and every row a 201 (nothing lost or doubled),
 * one 201 and SAME_CLIENTS-1 409 in phase 2, one stored copy.  Prints the
 * figures as key=value lines; exit 0 when every check holds.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sqlite3.h>

#define LAT_MAX 400000

struct file { const char *path; const char *name; char *data; size_t len; };

static const char *base;
static struct file *files;
static int n_files;
static double stop_at;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double lat[LAT_MAX];
static long n_lat, n201, n409, n4xx, n5xx, nfail;
static double bytes_sent;
static long long *ids;
static long n_ids, cap_ids;

static pthread_barrier_t same_start;
static long same201, same409, same_other;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t keep(char *p, size_t sz, size_t n, void *ud)
{
    char *b = ud;
    size_t have = strlen(b), k = sz * n;

    if (have + 1 < 4096) {
        size_t c = k < 4095 - have ? k : 4095 - have;
        memcpy(b + have, p, c);
        b[have + c] = '\0';
    }
    return k;
}

/* POST one file for company: status (0 on transport error), body in out. */
static long post(CURL *c, const struct file *f, const char *company,
                 char *out)
{
    char url[256];
    curl_mime *m = curl_mime_init(c);
    curl_mimepart *p;
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    char auth[200];
    long code = 0;

    /* every upload is authenticated, as in production: an API token of
     * the tier "unlimited" (SOCC_TOKEN, made by load.sh with the CLI) */
    if (getenv("SOCC_TOKEN")) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
                 getenv("SOCC_TOKEN"));
        h = curl_slist_append(h, auth);
    }

    p = curl_mime_addpart(m);
    curl_mime_name(p, "company");
    curl_mime_data(p, company, CURL_ZERO_TERMINATED);
    p = curl_mime_addpart(m);
    curl_mime_name(p, "tool_type");
    curl_mime_data(p, "siem", CURL_ZERO_TERMINATED);
    p = curl_mime_addpart(m);
    curl_mime_name(p, "file");
    curl_mime_data(p, f->data, f->len);
    curl_mime_filename(p, f->name);
    snprintf(url, sizeof(url), "%s/api/uploads", base);
    out[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, m);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_mime_free(m);
    return code;
}

static long long json_id(const char *body)
{
    const char *p = strstr(body, "\"id\":");

    return p ? atoll(p + 5) : -1;
}

static void *mixed(void *arg)
{
    long me = (long)arg, k = 0;
    CURL *c = curl_easy_init();
    char company[64], *body = malloc(4096);

    while (now_s() < stop_at) {
        const struct file *f = &files[(me + k) % n_files];
        double t0 = now_s(), dt;
        long code;

        snprintf(company, sizeof(company), "load-%ld-%ld", me, k++);
        code = post(c, f, company, body);
        dt = now_s() - t0;
        pthread_mutex_lock(&mu);
        if (n_lat < LAT_MAX)
            lat[n_lat++] = dt;
        bytes_sent += (double)f->len;
        if (code == 201) {
            n201++;
            if (n_ids == cap_ids) {
                cap_ids = cap_ids ? cap_ids * 2 : 1024;
                ids = realloc(ids, (size_t)cap_ids * sizeof(*ids));
            }
            ids[n_ids++] = json_id(body);
        } else if (code == 409) {
            n409++;
        } else if (code >= 500) {
            n5xx++;
            fprintf(stderr, "5xx %ld: %s\n", code, body);
        } else if (code >= 400) {
            n4xx++;
        } else {
            nfail++;
        }
        pthread_mutex_unlock(&mu);
    }
    free(body);
    curl_easy_cleanup(c);
    return NULL;
}

static void *same(void *arg)
{
    CURL *c = curl_easy_init();
    char *body = malloc(4096);
    long code;

    (void)arg;
    pthread_barrier_wait(&same_start);
    code = post(c, &files[0], "load-same", body);
    pthread_mutex_lock(&mu);
    if (code == 201)
        same201++;
    else if (code == 409)
        same409++;
    else
        same_other++;
    pthread_mutex_unlock(&mu);
    free(body);
    curl_easy_cleanup(c);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static long long db_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Every 201 id a stored row of a load- company, and no other such row. */
static int check_db(const char *dir, int same_n)
{
    char path[1024];
    sqlite3 *db;
    sqlite3_stmt *st;
    long long rows, missing = 0;
    long i;
    int ok = 1;

    snprintf(path, sizeof(path), "%s/socc.db", dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return 0;
    rows = db_int(db, "SELECT count(*) FROM uploads WHERE company LIKE "
                      "'load-%' AND company <> 'load-same'");
    sqlite3_prepare_v2(db, "SELECT count(*) FROM uploads WHERE id = ? AND "
                       "status = 'stored'", -1, &st, NULL);
    for (i = 0; i < n_ids; i++) {
        sqlite3_bind_int64(st, 1, ids[i]);
        if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 1)
            missing++;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    printf("db_rows=%lld answered_201=%ld missing=%lld\n", rows, n201,
           missing);
    ok &= rows == n201 && missing == 0;
    printf("same_rows=%lld same_201=%ld same_409=%ld same_other=%ld\n",
           db_int(db, "SELECT count(*) FROM uploads WHERE company = "
                      "'load-same'"), same201, same409, same_other);
    ok &= db_int(db, "SELECT count(*) FROM uploads WHERE company = "
                     "'load-same'") == 1;
    ok &= same201 == 1 && same409 == same_n - 1 && same_other == 0;
    sqlite3_close(db);
    return ok;
}

int main(int argc, char **argv)
{
    int seconds, clients, same_n, i, ok;
    pthread_t *th;
    double t0, el;
    FILE *fp;

    if (argc < 7) {
        fprintf(stderr, "usage: load URL DATA_DIR SECONDS CLIENTS "
                        "SAME_CLIENTS FILE...\n");
        return 2;
    }
    base = argv[1];
    seconds = atoi(argv[3]);
    clients = atoi(argv[4]);
    same_n = atoi(argv[5]);
    n_files = argc - 6;
    files = calloc((size_t)n_files, sizeof(*files));
    for (i = 0; i < n_files; i++) {
        long n;
        files[i].path = argv[6 + i];
        files[i].name = strrchr(argv[6 + i], '/') ? strrchr(argv[6 + i], '/')
                        + 1 : argv[6 + i];
        fp = fopen(argv[6 + i], "rb");
        if (!fp || fseek(fp, 0, SEEK_END) || (n = ftell(fp)) < 0)
            return 2;
        rewind(fp);
        files[i].len = (size_t)n;
        files[i].data = malloc(files[i].len + 1);
        if (fread(files[i].data, 1, files[i].len, fp) != files[i].len)
            return 2;
        fclose(fp);
    }
    curl_global_init(CURL_GLOBAL_ALL);
    th = calloc((size_t)(clients > same_n ? clients : same_n), sizeof(*th));

    t0 = now_s();
    stop_at = t0 + seconds;
    for (i = 0; i < clients; i++)
        pthread_create(&th[i], NULL, mixed, (void *)(long)i);
    for (i = 0; i < clients; i++)
        pthread_join(th[i], NULL);
    el = now_s() - t0;
    qsort(lat, (size_t)n_lat, sizeof(lat[0]), cmp_d);
    printf("clients=%d seconds=%.1f requests=%ld created=%ld dup=%ld "
           "4xx=%ld 5xx=%ld transport_errors=%ld\n", clients, el, n_lat,
           n201, n409, n4xx, n5xx, nfail);
    printf("uploads_per_s=%.1f mb_per_s=%.2f p50_ms=%.1f p99_ms=%.1f "
           "max_ms=%.1f\n", (double)n201 / el, bytes_sent / el / 1e6,
           n_lat ? lat[n_lat / 2] * 1000 : 0,
           n_lat ? lat[(long)((double)n_lat * 0.99)] * 1000 : 0,
           n_lat ? lat[n_lat - 1] * 1000 : 0);

    pthread_barrier_init(&same_start, NULL, (unsigned)same_n);
    t0 = now_s();
    for (i = 0; i < same_n; i++)
        pthread_create(&th[i], NULL, same, NULL);
    for (i = 0; i < same_n; i++)
        pthread_join(th[i], NULL);
    printf("same_clients=%d same_seconds=%.2f\n", same_n, now_s() - t0);

    ok = check_db(argv[2], same_n) && n5xx == 0 && nfail == 0;
    printf("checks=%s\n", ok ? "pass" : "FAIL");
    curl_global_cleanup();
    return ok ? 0 : 1;
}
