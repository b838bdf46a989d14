#include "socc_test.h"

#include <time.h>

#include <openssl/evp.h>

#include "core/sha256.h"
#include "ingest/tus_store.h"

#define MAX_SIZE 1000u

static char dir[256];

static int setup(void **state)
{
    (void)state;
    st_tmpdir(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    st_rmtree(dir);
    return 0;
}

static struct tus_store *open_store(long expire_s)
{
    struct tus_store *ts = NULL;

    assert_int_equal(tus_store_open(dir, expire_s, MAX_SIZE, &ts, NULL),
                     SOCC_OK);
    return ts;
}

/* A new upload of length bytes (deferred when length is 0). */
static void create(struct tus_store *ts, uint64_t length, struct tus_meta *m)
{
    memset(m, 0, sizeof(*m));
    m->length = length;
    m->deferred = length == 0;
    snprintf(m->filename, sizeof(m->filename), "a.csv");
    snprintf(m->company, sizeof(m->company), "Acme");
    snprintf(m->tool_type, sizeof(m->tool_type), "siem");
    assert_int_equal(tus_store_create(ts, m, NULL), SOCC_OK);
    assert_true(tus_store_id_ok(m->id));
}

/* Send data as one chunk of upload id; the result of chunk_end. */
static enum socc_err chunk(struct tus_store *ts, const char *id,
                           const char *data, enum tus_sum sum,
                           const unsigned char *digest, size_t dlen)
{
    struct tus_upload *u;
    enum socc_err e;

    assert_int_equal(tus_store_acquire(ts, id, &u, NULL), SOCC_OK);
    assert_int_equal(tus_upload_chunk_begin(u, sum, NULL), SOCC_OK);
    e = tus_upload_write(u, data, strlen(data), NULL);
    if (e == SOCC_OK)
        e = tus_upload_chunk_end(u, digest, dlen, NULL);
    tus_upload_release(u);
    return e;
}

static uint64_t offset_of(struct tus_store *ts, const char *id)
{
    struct tus_meta m;

    assert_int_equal(tus_store_peek(ts, id, &m, NULL), SOCC_OK);
    return m.offset;
}

/* Chunks add up; the state and the hash survive closing the store. */
static void resumes_after_reopen(void **state)
{
    static const char part1[] = "col_a,col_b\n1,2\n", part2[] = "3,4\n5,6\n";
    struct tus_store *ts = open_store(3600);
    struct tus_upload *u;
    struct tus_meta m;
    char want[65], got[65], all[64];

    (void)state;
    create(ts, strlen(part1) + strlen(part2), &m);
    assert_int_equal(chunk(ts, m.id, part1, TUS_SUM_NONE, NULL, 0), SOCC_OK);
    assert_int_equal(offset_of(ts, m.id), strlen(part1));
    tus_store_close(ts);

    ts = open_store(3600);   /* a restart: no hash state in memory */
    assert_int_equal(offset_of(ts, m.id), strlen(part1));
    assert_int_equal(chunk(ts, m.id, part2, TUS_SUM_NONE, NULL, 0), SOCC_OK);
    assert_int_equal(tus_store_acquire(ts, m.id, &u, NULL), SOCC_OK);
    assert_true(tus_upload_complete(u));
    assert_int_equal(tus_upload_hash(u, got, NULL), SOCC_OK);
    snprintf(all, sizeof(all), "%s%s", part1, part2);
    sha256_hex(all, strlen(all), want);
    assert_string_equal(got, want);
    assert_int_equal(tus_upload_finish(u, "OK", 7, got, NULL), SOCC_OK);
    tus_upload_release(u);

    assert_int_equal(tus_store_peek(ts, m.id, &m, NULL), SOCC_OK);
    assert_true(m.done);
    assert_int_equal(m.result_id, 7);
    assert_string_equal(m.result, "OK");
    assert_string_equal(m.sha256, want);
    assert_string_equal(m.company, "Acme");
    assert_string_equal(m.filename, "a.csv");
    tus_store_close(ts);
}

/* The incremental hash equals one over the whole file, chunk by chunk. */
static void hash_over_many_chunks(void **state)
{
    struct tus_store *ts = open_store(3600);
    struct tus_upload *u;
    struct tus_meta m;
    char all[301], piece[31], want[65], got[65];
    int i;

    (void)state;
    for (i = 0; i < 300; i++)
        all[i] = (char)('a' + i % 26);
    all[300] = '\0';
    create(ts, 300, &m);
    for (i = 0; i < 10; i++) {
        memcpy(piece, all + 30 * i, 30);
        piece[30] = '\0';
        assert_int_equal(chunk(ts, m.id, piece, TUS_SUM_NONE, NULL, 0),
                         SOCC_OK);
    }
    assert_int_equal(tus_store_acquire(ts, m.id, &u, NULL), SOCC_OK);
    assert_int_equal(tus_upload_hash(u, got, NULL), SOCC_OK);
    sha256_hex(all, 300, want);
    assert_string_equal(got, want);
    tus_upload_release(u);
    tus_store_close(ts);
}

static void digest_of(const char *data, const EVP_MD *md, unsigned char *out,
                      size_t *len)
{
    unsigned int n = 0;

    EVP_Digest(data, strlen(data), out, &n, md, NULL);
    *len = n;
}

/* A chunk whose checksum differs is discarded; a matching one is kept. */
static void checksum_mismatch_discards(void **state)
{
    struct tus_store *ts = open_store(3600);
    unsigned char d[64];
    struct tus_meta m;
    size_t dlen;

    (void)state;
    create(ts, 12, &m);
    digest_of("abcdef", EVP_sha1(), d, &dlen);
    assert_int_equal(chunk(ts, m.id, "abcdeX", TUS_SUM_SHA1, d, dlen),
                     SOCC_E_CHECKSUM_MISMATCH);
    assert_int_equal(offset_of(ts, m.id), 0);
    assert_int_equal(chunk(ts, m.id, "abcdef", TUS_SUM_SHA1, d, dlen),
                     SOCC_OK);
    assert_int_equal(offset_of(ts, m.id), 6);
    digest_of("ghijkl", EVP_sha256(), d, &dlen);
    assert_int_equal(chunk(ts, m.id, "ghijkl", TUS_SUM_SHA256, d, 20),
                     SOCC_E_CHECKSUM_MISMATCH);   /* wrong digest length */
    assert_int_equal(chunk(ts, m.id, "ghijkl", TUS_SUM_SHA256, d, dlen),
                     SOCC_OK);
    assert_int_equal(offset_of(ts, m.id), 12);
    tus_store_close(ts);
}

/* A cut-short chunk keeps its bytes, unless it carried a checksum. */
static void abort_keeps_or_discards(void **state)
{
    struct tus_store *ts = open_store(3600);
    struct tus_upload *u;
    struct tus_meta m;

    (void)state;
    create(ts, 100, &m);
    assert_int_equal(tus_store_acquire(ts, m.id, &u, NULL), SOCC_OK);
    assert_int_equal(tus_upload_chunk_begin(u, TUS_SUM_NONE, NULL), SOCC_OK);
    assert_int_equal(tus_upload_write(u, "hello", 5, NULL), SOCC_OK);
    tus_upload_release(u);   /* the connection dropped */
    assert_int_equal(offset_of(ts, m.id), 5);

    assert_int_equal(tus_store_acquire(ts, m.id, &u, NULL), SOCC_OK);
    assert_int_equal(tus_upload_chunk_begin(u, TUS_SUM_SHA1, NULL), SOCC_OK);
    assert_int_equal(tus_upload_write(u, "world", 5, NULL), SOCC_OK);
    tus_upload_release(u);
    assert_int_equal(offset_of(ts, m.id), 5);
    tus_store_close(ts);
}

/* One holder at a time; the lock goes with the release. */
static void second_taker_is_locked_out(void **state)
{
    struct tus_store *ts = open_store(3600);
    struct tus_upload *u, *v;
    struct socc_error err;
    struct tus_meta m;

    (void)state;
    create(ts, 10, &m);
    assert_int_equal(tus_store_acquire(ts, m.id, &u, NULL), SOCC_OK);
    assert_int_equal(tus_store_acquire(ts, m.id, &v, &err),
                     SOCC_E_UPLOAD_LOCKED);
    assert_null(v);
    tus_upload_release(u);
    assert_int_equal(tus_store_acquire(ts, m.id, &v, NULL), SOCC_OK);
    tus_upload_release(v);
    assert_int_equal(tus_store_acquire(ts, "0123456789abcdef0123456789abcdef",
                                       &v, NULL), SOCC_E_NOT_FOUND);
    assert_int_equal(tus_store_acquire(ts, "../../etc/passwd", &v, NULL),
                     SOCC_E_NOT_FOUND);
    tus_store_close(ts);
}

/* Lengths: past Upload-Length, past the maximum, and deferred. */
static void lengths(void **state)
{
    struct tus_store *ts = open_store(3600);
    struct tus_upload *u;
    struct tus_meta m;

    (void)state;
    m.length = MAX_SIZE + 1;
    m.deferred = 0;
    assert_int_equal(tus_store_create(ts, &m, NULL), SOCC_E_FILE_TOO_LARGE);
    create(ts, 4, &m);
    assert_int_equal(chunk(ts, m.id, "12345", TUS_SUM_NONE, NULL, 0),
                     SOCC_E_BAD_REQUEST);
    assert_int_equal(offset_of(ts, m.id), 0);

    create(ts, 0, &m);   /* deferred */
    assert_int_equal(chunk(ts, m.id, "abc", TUS_SUM_NONE, NULL, 0), SOCC_OK);
    assert_int_equal(tus_store_acquire(ts, m.id, &u, NULL), SOCC_OK);
    assert_false(tus_upload_complete(u));
    assert_int_equal(tus_upload_set_length(u, 2, NULL), SOCC_E_BAD_REQUEST);
    assert_int_equal(tus_upload_set_length(u, MAX_SIZE + 1, NULL),
                     SOCC_E_FILE_TOO_LARGE);
    assert_int_equal(tus_upload_set_length(u, 3, NULL), SOCC_OK);
    assert_true(tus_upload_complete(u));
    assert_int_equal(tus_upload_set_length(u, 3, NULL), SOCC_E_BAD_REQUEST);
    tus_upload_release(u);
    tus_store_close(ts);
}

/* Expired uploads go at a sweep, unless held; termination removes. */
static void expiry_and_termination(void **state)
{
    struct tus_store *ts = open_store(60);
    struct tus_upload *u;
    struct tus_meta a, b, c;
    int64_t now = (int64_t)time(NULL);

    (void)state;
    create(ts, 10, &a);
    create(ts, 10, &b);
    create(ts, 10, &c);
    assert_int_equal(tus_store_sweep(ts, now), 0);
    assert_int_equal(tus_store_acquire(ts, b.id, &u, NULL), SOCC_OK);
    assert_int_equal(tus_store_sweep(ts, now + 61), 2);   /* a and c */
    tus_upload_release(u);
    assert_int_equal(tus_store_peek(ts, a.id, &a, NULL), SOCC_E_NOT_FOUND);
    assert_int_equal(tus_store_peek(ts, b.id, &b, NULL), SOCC_OK);

    assert_int_equal(tus_store_acquire(ts, b.id, &u, NULL), SOCC_OK);
    tus_upload_remove(u);
    assert_int_equal(tus_store_peek(ts, b.id, &b, NULL), SOCC_E_NOT_FOUND);
    assert_int_equal(tus_store_acquire(ts, b.id, &u, NULL), SOCC_E_NOT_FOUND);
    tus_store_close(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(resumes_after_reopen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(hash_over_many_chunks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(checksum_mismatch_discards, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(abort_keeps_or_discards, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(second_taker_is_locked_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(expiry_and_termination, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
