/*
 * kill -9 at random moments while four clients upload a mix of corpus
 * files, 50 times on one data dir.  After every kill the database is
 * checked by opening it directly: consistent (faults.h), every upload
 * answered 201 before the kill present with its record count; and at the
 * next start no temp file and no unreferenced blob is left.
 */
#include "socc_test.h"

#include <pthread.h>

#include "e2e.h"
#include "faults.h"

#define ROUNDS 50
#define CLIENTS 4
#define KILL_MAX_MS 400      /* kill after a random 0..this */
#define FILES_MAX 24
#define ACKS_MAX 4096

struct file { char name[64]; char *data; size_t len; };

static struct file files[FILES_MAX];
static int n_files;

/* What a 201 promised. */
struct ack { long long id; long long records; char company[32]; };

static pthread_mutex_t acks_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ack acks[ACKS_MAX];
static int n_acks;

struct client {
    const struct e2e_server *srv;
    int round, idx;
    unsigned seed;
    int sent, answered;
};

/* Accepted and refused corpus files under 60 KB, plus generated CSVs. */
static void load_files(void)
{
    const char *shared = st_shared();
    char path[4400], line[2048];
    FILE *fp = NULL;
    int i;

    if (shared) {
        snprintf(path, sizeof(path), "%s/corpus/EXPECTED.tsv", shared);
        fp = fopen(path, "r");
    }
    while (fp && n_files < FILES_MAX - 4 && fgets(line, sizeof(line), fp)) {
        char *file = strtok(line, "\t"), *fmt = strtok(NULL, "\t");
        char *verdict = strtok(NULL, "\t");
        struct file *f = &files[n_files];
        if (!file || !fmt || !verdict || strchr(file, ' ') ||
            (strcmp(verdict, "accept") != 0 && n_files % 5 != 4))
            continue;
        snprintf(path, sizeof(path), "%s/corpus/%s", shared, file);
        f->data = e2e_slurp(path, &f->len);
        if (!f->data || f->len > 60000 || f->len == 0) {
            free(f->data);
            f->data = NULL;
            continue;
        }
        snprintf(f->name, sizeof(f->name), "%.60s", strrchr(file, '/') + 1);
        n_files++;
    }
    if (fp)
        fclose(fp);
    for (i = 0; i < 4; i++) {
        struct file *f = &files[n_files++];
        size_t cap = 40000, k = 0;
        int r;
        f->data = malloc(cap);
        k += (size_t)snprintf(f->data, cap, "host,sev,port\n");
        for (r = 0; r < 400 * (i + 1) && k + 40 < cap; r++)
            k += (size_t)snprintf(f->data + k, cap - k, "h%d-%d,%d,%d\n", i,
                                  r, r % 5, r);
        f->len = k;
        snprintf(f->name, sizeof(f->name), "gen%d.csv", i);
    }
    print_message("%d files\n", n_files);
}

static void *client_main(void *arg)
{
    struct client *c = arg;
    char company[32];
    struct e2e_resp r;
    int k = 0;

    for (;;) {
        struct file *f = &files[rand_r(&c->seed) % (unsigned)n_files];
        struct e2e_upload u = { company, "siem", NULL, f->data, f->len,
                                f->name, 0, 1 };
        snprintf(company, sizeof(company), "r%d-c%d-%d", c->round, c->idx,
                 k++);
        c->sent++;
        if (e2e_post(c->srv, &u, &r) != CURLE_OK) {
            e2e_resp_free(&r);
            return NULL;   /* the server is gone */
        }
        c->answered++;
        if (r.status == 201) {
            pthread_mutex_lock(&acks_mu);
            if (n_acks < ACKS_MAX) {
                acks[n_acks].id = e2e_json_int(r.body, "id", -1);
                acks[n_acks].records = e2e_json_int(r.body, "record_count",
                                                    -1);
                snprintf(acks[n_acks].company, sizeof(acks[0].company), "%s",
                         company);
                n_acks++;
            }
            pthread_mutex_unlock(&acks_mu);
        }
        e2e_resp_free(&r);
    }
}

/* Acknowledged uploads from the from-th on are in the database as
 * answered. */
static void check_acks(const char *dir, int from)
{
    char path[600];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int i, found;

    snprintf(path, sizeof(path), "%s/socc.db", dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM uploads "
                                        "WHERE id = ? AND company = ? AND "
                                        "record_count = ? AND status = "
                                        "'stored'", -1, &st, NULL),
                     SQLITE_OK);
    for (i = from; i < n_acks; i++) {
        sqlite3_bind_int64(st, 1, acks[i].id);
        sqlite3_bind_text(st, 2, acks[i].company, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, acks[i].records);
        found = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0)
                                               : -1;
        sqlite3_reset(st);
        if (found != 1)
            print_message("lost: upload %lld of %s\n", acks[i].id,
                          acks[i].company);
        assert_int_equal(found, 1);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_kill9_during_ingests(void **state)
{
    static const char *const env[] = { "SOCC_TMP_GRACE", "0", NULL };
    struct e2e_server s;
    struct client cl[CLIENTS];
    pthread_t th[CLIENTS];
    unsigned seed = (unsigned)time(NULL);
    long t0 = e2e_now_ms();
    int round, i, sent = 0, killed_mid = 0;

    (void)state;
    load_files();
    memset(&s, 0, sizeof(s));
    snprintf(s.dir, sizeof(s.dir), "/tmp/socc-e2e-crash-XXXXXX");
    assert_non_null(mkdtemp(s.dir));
    print_message("seed %u\n", seed);
    for (round = 0; round < ROUNDS; round++) {
        long ts = e2e_now_ms(), tk, tc;
        int acked = n_acks;
        assert_int_equal(f_start(&s, env), 0);
        /* the start swept what the last kill left */
        assert_int_equal(f_count_files(s.dir, "tmp"), 0);
        assert_int_equal(f_count_blobs(s.dir),
                         f_db_int(s.dir, "SELECT count(DISTINCT file_hash) "
                                  "FROM uploads"));
        for (i = 0; i < CLIENTS; i++) {
            cl[i] = (struct client){ &s, round, i, seed + (unsigned)i, 0, 0 };
            pthread_create(&th[i], NULL, client_main, &cl[i]);
        }
        usleep((useconds_t)(rand_r(&seed) % KILL_MAX_MS) * 1000u);
        ts = e2e_now_ms() - ts;
        kill(s.pid, SIGKILL);
        waitpid(s.pid, NULL, 0);
        s.pid = 0;
        tk = e2e_now_ms();
        for (i = 0; i < CLIENTS; i++) {
            pthread_join(th[i], NULL);
            sent += cl[i].sent;
            killed_mid += cl[i].sent > cl[i].answered;
        }
        tk = e2e_now_ms() - tk;
        tc = e2e_now_ms();
        if (getenv("SOCC_E2E_VERBOSE"))
            print_message("round %d: %ld ms, %d acks start+run %ld join %ld\n",
                          round, e2e_now_ms() - t0, n_acks, ts, tk);
        assert_int_equal(f_db_consistent(s.dir), 0);
        check_acks(s.dir, acked);
        if (getenv("SOCC_E2E_VERBOSE"))
            print_message("  checks %ld ms\n", e2e_now_ms() - tc);
    }
    print_message("%d rounds, %d requests, %d acknowledged, %d cut by a "
                  "kill, %ld ms\n", ROUNDS, sent, n_acks, killed_mid,
                  e2e_now_ms() - t0);
    assert_true(n_acks > 0);
    assert_true(killed_mid > 0);
    /* a last start cleans up after the last kill */
    assert_int_equal(f_start(&s, env), 0);
    assert_int_equal(f_count_files(s.dir, "tmp"), 0);
    assert_int_equal(f_count_blobs(s.dir),
                     f_db_int(s.dir, "SELECT count(DISTINCT file_hash) FROM "
                              "uploads"));
    check_acks(s.dir, 0);
    assert_int_equal(e2e_stop(&s), 0);
    for (i = 0; i < n_files; i++)
        free(files[i].data);
}

/*
 * What a kill between a blob's rename and its commit leaves (a blob no
 * row names) and a temp file nobody holds: both gone at the next start,
 * the stored upload's blob kept.
 */
static void test_start_sweeps_orphans(void **state)
{
    static const char *const env[] = { "SOCC_TMP_GRACE", "0", NULL };
    static const char csv[] = "host,n\nweb,1\n";
    struct e2e_upload u = { "orph", "siem", NULL, csv, sizeof(csv) - 1,
                            "o.csv", 0, 1 };
    char orphan[800], tmp[800], keep[800], adir[800], hash[65];
    struct e2e_server s;
    struct e2e_resp r;
    FILE *fp;

    (void)state;
    memset(&s, 0, sizeof(s));
    snprintf(s.dir, sizeof(s.dir), "/tmp/socc-e2e-orph-XXXXXX");
    assert_non_null(mkdtemp(s.dir));
    assert_int_equal(f_start(&s, env), 0);
    assert_int_equal(e2e_post(&s, &u, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    e2e_resp_free(&r);
    kill(s.pid, SIGKILL);
    waitpid(s.pid, NULL, 0);
    sha256_hex(csv, sizeof(csv) - 1, hash);
    snprintf(keep, sizeof(keep), "%s/blobs/%.2s/%s", s.dir, hash, hash);
    snprintf(orphan, sizeof(orphan), "%s/blobs/ab/ab%062d", s.dir, 7);
    snprintf(tmp, sizeof(tmp), "%s/tmp/upload-left1", s.dir);
    snprintf(adir, sizeof(adir), "%s/blobs/ab", s.dir);
    mkdir(adir, 0750);
    fp = fopen(orphan, "w");
    assert_non_null(fp);
    fputs("half a blob", fp);
    fclose(fp);
    fp = fopen(tmp, "w");
    assert_non_null(fp);
    fputs("half an upload", fp);
    fclose(fp);
    assert_int_equal(f_count_blobs(s.dir), 2);
    assert_int_equal(f_start(&s, env), 0);
    assert_int_equal(access(orphan, F_OK), -1);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(access(keep, F_OK), 0);
    assert_int_equal(f_count_blobs(s.dir), 1);
    assert_int_equal(e2e_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_sweeps_orphans),
        cmocka_unit_test(test_kill9_during_ingests),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
