#include <fcntl.h>

#include <hiredis/hiredis.h>

#include "socc_test.h"

#include "redis_test.h"
#include "ops/cache.h"

static struct redis_test rt;

/* Lookup what for company; 1 on a hit with the value in got. */
static int get(struct cache *c, const char *company, const char *what,
               struct cache_key *k, char *got, size_t n)
{
    struct buf b;
    int hit;

    buf_init(&b);
    hit = cache_lookup(c, company, what, k, &b);
    snprintf(got, n, "%s", b.data ? b.data : "");
    buf_release(&b);
    return hit;
}

static void put(struct cache *c, const char *company, const char *what,
                const char *val)
{
    struct cache_key k;
    char got[64];

    assert_int_equal(get(c, company, what, &k, got, sizeof(got)), 0);
    cache_store(c, &k, val, strlen(val));
}

/* What every backend must do: hits, invalidation, no stale read. */
static void behaves(struct cache *c)
{
    struct cache_key k;
    char got[64];

    put(c, "acme", "list", "acme-v1");
    put(c, "zeta", "list", "zeta-v1");
    put(c, NULL, "list", "all-v1");
    assert_int_equal(get(c, "acme", "list", &k, got, sizeof(got)), 1);
    assert_string_equal(got, "acme-v1");
    assert_int_equal(get(c, NULL, "list", &k, got, sizeof(got)), 1);
    assert_string_equal(got, "all-v1");

    /* a write to acme retires acme's views and those across companies */
    cache_invalidate(c, "acme");
    assert_int_equal(get(c, "acme", "list", &k, got, sizeof(got)), 0);
    assert_int_equal(get(c, NULL, "list", &k, got, sizeof(got)), 0);
    assert_int_equal(get(c, "zeta", "list", &k, got, sizeof(got)), 1);
    assert_string_equal(got, "zeta-v1");

    /*
     * The race: a reader misses and reads the database, a write commits
     * and invalidates, the reader then stores what it read before.  The
     * next reader must not be served that old value.
     */
    assert_int_equal(get(c, "acme", "list", &k, got, sizeof(got)), 0);
    cache_invalidate(c, "acme");
    cache_store(c, &k, "acme-old", 8);
    assert_int_equal(get(c, "acme", "list", &k, got, sizeof(got)), 0);
    cache_store(c, &k, "acme-v2", 7);
    assert_int_equal(get(c, "acme", "list", &k, got, sizeof(got)), 1);
    assert_string_equal(got, "acme-v2");

    /* a company called "*" is not the view across companies */
    put(c, "*", "list", "star-v1");
    assert_int_equal(get(c, NULL, "list", &k, got, sizeof(got)), 0);
}

static void lru_serves_and_invalidates(void **state)
{
    struct cache *c;
    struct socc_error err;
    char detail[200];

    (void)state;
    assert_int_equal(cache_open(NULL, 1 << 20, 60, &c, &err), SOCC_OK);
    assert_string_equal(cache_backend_name(c), "memory");
    behaves(c);
    assert_int_equal(cache_status(c, detail, sizeof(detail)), 0);
    cache_free(c);
}

static void lru_stays_within_its_bound(void **state)
{
    struct cache *c;
    struct socc_error err;
    struct cache_key k;
    char what[32], val[1000], got[64], detail[200];
    unsigned long long used = 0, cap = 0;
    int i;

    (void)state;
    memset(val, 'x', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    assert_int_equal(cache_open(NULL, 16384, 60, &c, &err), SOCC_OK);
    for (i = 0; i < 100; i++) {
        snprintf(what, sizeof(what), "item%d", i);
        assert_int_equal(get(c, "acme", what, &k, got, sizeof(got)), 0);
        cache_store(c, &k, val, strlen(val));
    }
    assert_int_equal(cache_status(c, detail, sizeof(detail)), 0);
    assert_int_equal(sscanf(detail, "memory: %llu of %llu", &used, &cap), 2);
    assert_true(used <= 16384);
    assert_true(used > 8192);
    /* the newest stay, the oldest went */
    assert_int_equal(get(c, "acme", "item99", &k, got, sizeof(got)), 1);
    assert_int_equal(get(c, "acme", "item0", &k, got, sizeof(got)), 0);
    cache_free(c);
}

static void redis_serves_and_invalidates(void **state)
{
    struct cache *c;
    struct socc_error err;
    char detail[300];

    (void)state;
    assert_int_equal(cache_open(rt.url, 0, 60, &c, &err), SOCC_OK);
    assert_string_equal(cache_backend_name(c), "redis");
    assert_int_equal(cache_status(c, detail, sizeof(detail)), 0);
    behaves(c);
    cache_free(c);
}

/* Two processes share generations through Redis. */
static void redis_instances_agree(void **state)
{
    struct cache *a, *b;
    struct socc_error err;
    struct cache_key k;
    char got[64];

    (void)state;
    assert_int_equal(cache_open(rt.url, 0, 60, &a, &err), SOCC_OK);
    assert_int_equal(cache_open(rt.url, 0, 60, &b, &err), SOCC_OK);
    put(a, "shared", "list", "v1");
    assert_int_equal(get(b, "shared", "list", &k, got, sizeof(got)), 1);
    assert_string_equal(got, "v1");
    cache_invalidate(b, "shared");
    assert_int_equal(get(a, "shared", "list", &k, got, sizeof(got)), 0);
    cache_free(a);
    cache_free(b);
}

/* Redis going away: misses and degraded; back: a missed bump retires all. */
static void redis_down_and_back(void **state)
{
    struct cache *c;
    struct socc_error err;
    struct cache_key k;
    char got[64], detail[300];

    (void)state;
    assert_int_equal(cache_open(rt.url, 0, 60, &c, &err), SOCC_OK);
    put(c, "acme", "down", "before");
    redis_test_stop(&rt);
    assert_int_equal(get(c, "acme", "down", &k, got, sizeof(got)), 0);
    assert_int_equal(cache_status(c, detail, sizeof(detail)), 1);
    assert_non_null(strstr(detail, "unreachable"));
    cache_invalidate(c, "acme");                 /* lost: Redis is down */
    assert_int_equal(redis_test_start(&rt), 0);   /* same port */
    usleep(1100 * 1000);                          /* past the retry pause */
    assert_int_equal(cache_status(c, detail, sizeof(detail)), 0);
    /* the restarted server kept nothing (no persistence), and even if it
     * had, the epoch bumped on reconnect retires the old entries */
    assert_int_equal(get(c, "acme", "down", &k, got, sizeof(got)), 0);
    cache_free(c);
}

/* The value of a Redis key as an integer, 0 when unset. */
static long long redis_int(const char *key)
{
    redisContext *ctx = redisConnect("127.0.0.1", rt.port);
    redisReply *rep;
    long long v = -1;

    assert_non_null(ctx);
    assert_int_equal(ctx->err, 0);
    rep = redisCommand(ctx, "GET %s", key);
    assert_non_null(rep);
    v = rep->type == REDIS_REPLY_STRING ? atoll(rep->str) : 0;
    freeReplyObject(rep);
    redisFree(ctx);
    return v;
}

/*
 * Redis stalls (SIGSTOP) while a write invalidates: the bump times out and
 * counts as lost.  On reconnecting the epoch is bumped, retiring every
 * entry, and the old value is never served.
 */
static void redis_missed_bump_bumps_the_epoch(void **state)
{
    struct cache *c;
    struct socc_error err;
    struct cache_key k;
    char got[64], detail[300];
    long long epoch = redis_int("socc:epoch");

    (void)state;
    assert_int_equal(cache_open(rt.url, 0, 60, &c, &err), SOCC_OK);
    put(c, "acme", "stall", "before-write");
    kill(rt.pid, SIGSTOP);
    cache_invalidate(c, "acme");                 /* times out: lost */
    assert_int_equal(get(c, "acme", "stall", &k, got, sizeof(got)), 0);
    kill(rt.pid, SIGCONT);
    usleep(1100 * 1000);                          /* past the retry pause */
    assert_int_equal(cache_status(c, detail, sizeof(detail)), 0);
    assert_true(redis_int("socc:epoch") == epoch + 1);
    assert_int_equal(get(c, "acme", "stall", &k, got, sizeof(got)), 0);
    cache_free(c);
}

static void bad_url(void **state)
{
    struct cache *c = NULL;
    struct socc_error err;

    (void)state;
    assert_int_equal(cache_open("http://127.0.0.1:1", 0, 60, &c, &err),
                     SOCC_E_BAD_REQUEST);
    assert_null(c);
}

static int redis_up(void **state)
{
    (void)state;
    memset(&rt, 0, sizeof(rt));
    return redis_test_start(&rt);
}

static int redis_down(void **state)
{
    (void)state;
    redis_test_end(&rt);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lru_serves_and_invalidates),
        cmocka_unit_test(lru_stays_within_its_bound),
        cmocka_unit_test(redis_serves_and_invalidates),
        cmocka_unit_test(redis_instances_agree),
        cmocka_unit_test(redis_missed_bump_bumps_the_epoch),
        cmocka_unit_test(redis_down_and_back),
        cmocka_unit_test(bad_url),
    };
    return cmocka_run_group_tests(tests, redis_up, redis_down);
}
