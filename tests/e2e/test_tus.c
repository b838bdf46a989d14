/*
 * tus 1.0.0 against the real server, raw over HTTP: creation, chunks,
 * offsets, checksums, termination, expiry, restarts, locks, and the
 * pipeline's answer at the last byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "socc_test.h"
#include "tus.h"

#include "core/sha256.h"

static struct e2e_server srv;

static const char csv[] = "host,severity\nweb1,high\nweb2,low\ndb1,medium\n";

static int setup(void **state)
{
    static const char *const env[] = { "MAX_FILE_SIZE", "1048576", NULL };

    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return e2e_start(&srv, env);
}

static int teardown(void **state)
{
    (void)state;
    e2e_stop(&srv);
    curl_global_cleanup();
    return 0;
}

static void assert_code(const struct tus_resp *r, long status,
                        const char *code)
{
    char pat[80];

    if (r->status != status)
        print_message("got %ld: %s\n", r->status, r->body);
    assert_int_equal(r->status, status);
    snprintf(pat, sizeof(pat), "\"code\":\"%s\"", code);
    assert_non_null(strstr(r->body, pat));
    assert_non_null(strstr(r->body, "\"request_id\":"));
}

/* OPTIONS lists the version, extensions, limit and checksum algorithms. */
static void test_options(void **state)
{
    struct tus_resp r;
    char v[256];

    (void)state;
    assert_int_equal(tus_req(srv.base, "OPTIONS", "/api/tus/", NULL, NULL, 0,
                             &r), CURLE_OK);
    assert_int_equal(r.status, 204);
    assert_int_equal(tus_header(&r, "Tus-Version", v, sizeof(v)), 0);
    assert_string_equal(v, "1.0.0");
    assert_int_equal(tus_header(&r, "Tus-Max-Size", v, sizeof(v)), 0);
    assert_string_equal(v, "1048576");
    assert_int_equal(tus_header(&r, "Tus-Checksum-Algorithm", v, sizeof(v)),
                     0);
    assert_string_equal(v, "sha1,sha256");
    assert_int_equal(tus_header(&r, "Tus-Extension", v, sizeof(v)), 0);
    assert_non_null(strstr(v, "creation-with-upload"));
    assert_non_null(strstr(v, "termination"));
    assert_non_null(strstr(v, "checksum"));
    assert_non_null(strstr(v, "expiration"));
    tus_resp_free(&r);
}

/* Two chunks, HEAD between them, a wrong offset refused; then the upload. */
static void test_chunks_offsets_and_result(void **state)
{
    char loc[128], id_path[64], want[65], got[65];
    struct tus_resp r;
    struct e2e_resp g;
    size_t half = 20, n = strlen(csv);

    (void)state;
    assert_int_equal(tus_create(srv.base, n, "hosts.csv", "Acme", "siem", loc,
                                sizeof(loc)), 201);
    assert_int_equal(strncmp(loc, "/api/tus/", 9), 0);
    assert_int_equal(tus_head(srv.base, loc), 0);

    assert_int_equal(tus_patch(srv.base, loc, 0, csv, half, NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 204);
    assert_int_equal(tus_offset(&r), (long long)half);
    assert_int_equal(tus_header(&r, "Upload-Expires", got, sizeof(got)), 0);
    tus_resp_free(&r);
    assert_int_equal(tus_head(srv.base, loc), (long long)half);

    /* a client that lost track: 409 with the true offset */
    assert_int_equal(tus_patch(srv.base, loc, 5, csv + 5, n - 5, NULL, &r),
                     CURLE_OK);
    assert_code(&r, 409, "OFFSET_MISMATCH");
    assert_int_equal(tus_offset(&r), (long long)half);
    tus_resp_free(&r);
    assert_int_equal(tus_head(srv.base, loc), (long long)half);

    assert_int_equal(tus_patch(srv.base, loc, half, csv + half, n - half,
                               NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_int_equal(tus_offset(&r), (long long)n);
    assert_int_equal(e2e_json_int(r.body, "record_count", -1), 3);
    assert_int_equal(e2e_json_str(r.body, "file_hash", got, sizeof(got)), 0);
    sha256_hex(csv, n, want);
    assert_string_equal(got, want);
    snprintf(id_path, sizeof(id_path), "/api/uploads/%lld",
             e2e_json_int(r.body, "id", -1));
    tus_resp_free(&r);

    assert_int_equal(e2e_get(&srv, id_path, NULL, &g), CURLE_OK);
    assert_int_equal(g.status, 200);
    assert_non_null(strstr(g.body, "\"filename\":\"hosts.csv\""));
    e2e_resp_free(&g);
    /* finished: HEAD says complete; asking again repeats the answer */
    assert_int_equal(tus_head(srv.base, loc), (long long)n);
    assert_int_equal(tus_patch(srv.base, loc, n, NULL, 0, NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_int_equal(e2e_json_int(r.body, "record_count", -1), 3);
    tus_resp_free(&r);
}

/* A chunk whose checksum differs: 460, discarded; the right one passes. */
static void test_checksum_mismatch(void **state)
{
    char loc[128], sum[200];
    struct tus_resp r;
    size_t n = strlen(csv);

    (void)state;
    assert_int_equal(tus_create(srv.base, n, "sum.csv", "SumCo", "edr", loc,
                                sizeof(loc)), 201);
    tus_checksum("sha1", "something else", 14, sum, sizeof(sum));
    assert_int_equal(tus_patch(srv.base, loc, 0, csv, 10, sum, &r), CURLE_OK);
    assert_code(&r, 460, "CHECKSUM_MISMATCH");
    tus_resp_free(&r);
    assert_int_equal(tus_head(srv.base, loc), 0);

    tus_checksum("sha1", csv, 10, sum, sizeof(sum));
    assert_int_equal(tus_patch(srv.base, loc, 0, csv, 10, sum, &r), CURLE_OK);
    assert_int_equal(r.status, 204);
    tus_resp_free(&r);
    tus_checksum("sha256", csv + 10, n - 10, sum, sizeof(sum));
    assert_int_equal(tus_patch(srv.base, loc, 10, csv + 10, n - 10, sum, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 201);
    tus_resp_free(&r);

    assert_int_equal(tus_create(srv.base, n, "sum2.csv", "SumCo", "edr", loc,
                                sizeof(loc)), 201);
    assert_int_equal(tus_patch(srv.base, loc, 0, csv, 10, "Upload-Checksum: "
                               "md5 AAAA", &r), CURLE_OK);
    assert_code(&r, 400, "BAD_REQUEST");
    tus_resp_free(&r);
}

/* Without Tus-Resumable: 412, with the version the server speaks. */
static void test_missing_tus_resumable(void **state)
{
    const char *patch[] = { "Content-Type: application/offset+octet-stream",
                            "Upload-Offset: 0", NULL };
    const char *post[] = { "Upload-Length: 10", NULL };
    const char *old[] = { "Tus-Resumable: 0.2.2", "Upload-Length: 10", NULL };
    char loc[128], v[32];
    struct tus_resp r;

    (void)state;
    assert_int_equal(tus_create(srv.base, 10, "v.csv", "V", "edr", loc,
                                sizeof(loc)), 201);
    assert_int_equal(tus_req(srv.base, "PATCH", loc, patch, "abc", 3, &r),
                     CURLE_OK);
    assert_code(&r, 412, "UNSUPPORTED_VERSION");
    assert_int_equal(tus_header(&r, "Tus-Version", v, sizeof(v)), 0);
    assert_string_equal(v, "1.0.0");
    tus_resp_free(&r);
    assert_int_equal(tus_head(srv.base, loc), 0);   /* nothing written */
    assert_int_equal(tus_req(srv.base, "POST", "/api/tus/", post, NULL, 0,
                             &r), CURLE_OK);
    assert_code(&r, 412, "UNSUPPORTED_VERSION");
    tus_resp_free(&r);
    assert_int_equal(tus_req(srv.base, "POST", "/api/tus/", old, NULL, 0,
                             &r), CURLE_OK);
    assert_code(&r, 412, "UNSUPPORTED_VERSION");
    tus_resp_free(&r);
}

/* Creation is refused early, like POST /api/uploads would refuse it. */
static void test_creation_refusals(void **state)
{
    const char *bad_b64[] = { "Tus-Resumable: 1.0.0", "Upload-Length: 5",
                              "Upload-Metadata: company !!!,tool_type c2llbQ==,"
                              "filename YS5jc3Y=", NULL };
    const char *no_len[] = { "Tus-Resumable: 1.0.0", NULL };
    char loc[128];
    struct tus_resp r;

    (void)state;
    assert_int_equal(tus_create(srv.base, 1048577, "big.csv", "A", "siem",
                                loc, sizeof(loc)), 413);
    assert_int_equal(loc[0], '\0');
    assert_int_equal(tus_create(srv.base, 5, "a.csv", "", "siem", loc,
                                sizeof(loc)), 400);
    assert_int_equal(tus_create(srv.base, 5, "a.csv", "A", "nosuchtool", loc,
                                sizeof(loc)), 400);
    assert_int_equal(tus_create(srv.base, 5, "a.txt", "A", "siem", loc,
                                sizeof(loc)), 415);
    assert_int_equal(tus_req(srv.base, "POST", "/api/tus/", bad_b64, NULL, 0,
                             &r), CURLE_OK);
    assert_code(&r, 400, "BAD_REQUEST");
    tus_resp_free(&r);
    assert_int_equal(tus_req(srv.base, "POST", "/api/tus/", no_len, NULL, 0,
                             &r), CURLE_OK);
    assert_code(&r, 400, "BAD_REQUEST");
    tus_resp_free(&r);
    assert_int_equal(tus_req(srv.base, "GET", "/api/tus/", NULL, NULL, 0, &r),
                     CURLE_OK);
    assert_code(&r, 405, "METHOD_NOT_ALLOWED");
    tus_resp_free(&r);
}

/* DELETE ends an upload: its offset and its PATCHes are gone. */
static void test_termination(void **state)
{
    const char *del[] = { "Tus-Resumable: 1.0.0", NULL };
    char loc[128];
    struct tus_resp r;

    (void)state;
    assert_int_equal(tus_create(srv.base, 50, "t.csv", "T", "mdm", loc,
                                sizeof(loc)), 201);
    assert_int_equal(tus_patch(srv.base, loc, 0, csv, 10, NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 204);
    tus_resp_free(&r);
    assert_int_equal(tus_req(srv.base, "DELETE", loc, del, NULL, 0, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 204);
    tus_resp_free(&r);
    assert_int_equal(tus_head(srv.base, loc), -404);
    assert_int_equal(tus_patch(srv.base, loc, 10, csv, 10, NULL, &r),
                     CURLE_OK);
    assert_code(&r, 404, "NOT_FOUND");
    tus_resp_free(&r);
    assert_int_equal(tus_req(srv.base, "DELETE", loc, del, NULL, 0, &r),
                     CURLE_OK);
    assert_code(&r, 404, "NOT_FOUND");
    tus_resp_free(&r);
}

/* creation-with-upload: the whole file in the POST gives the upload. */
static void test_creation_with_upload(void **state)
{
    char meta[1400], len[64], loc[128];
    const char *hdrs[5] = { "Tus-Resumable: 1.0.0", len, meta,
                            "Content-Type: application/offset+octet-stream",
                            NULL };
    struct tus_resp r;
    size_t n = strlen(csv);

    (void)state;
    snprintf(len, sizeof(len), "Upload-Length: %zu", n);
    tus_metadata("one-shot.csv", "OneShot", "gsuite", meta, sizeof(meta));
    assert_int_equal(tus_req(srv.base, "POST", "/api/tus/", hdrs, csv, n, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_int_equal(tus_header(&r, "Location", loc, sizeof(loc)), 0);
    assert_int_equal(tus_offset(&r), (long long)n);
    assert_int_equal(e2e_json_int(r.body, "record_count", -1), 3);
    assert_non_null(strstr(r.body, "\"company\":\"OneShot\""));
    tus_resp_free(&r);
    assert_int_equal(tus_head(srv.base, loc), (long long)n);

    /* a part only: 201 with the offset reached, no upload yet */
    tus_metadata("part.csv", "OneShot", "gsuite", meta, sizeof(meta));
    assert_int_equal(tus_req(srv.base, "POST", "/api/tus/", hdrs, csv, 7, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_int_equal(tus_offset(&r), 7);
    assert_int_equal(r.len, 0);
    tus_resp_free(&r);
}

/* A PATCH tagged with X-Upload-Token is followed like a POST. */
static void test_progress_token(void **state)
{
    const char *hdrs[5] = { "Tus-Resumable: 1.0.0",
                            "Content-Type: application/offset+octet-stream",
                            "Upload-Offset: 0", "X-Upload-Token: tus_tok-1",
                            NULL };
    char loc[128], stage[32];
    struct tus_resp r;
    struct e2e_resp g;
    size_t n = strlen(csv);

    (void)state;
    assert_int_equal(tus_create(srv.base, n, "prog.csv", "Prog", "siem", loc,
                                sizeof(loc)), 201);
    assert_int_equal(tus_req(srv.base, "PATCH", loc, hdrs, csv, n, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 201);
    tus_resp_free(&r);
    assert_int_equal(e2e_get(&srv, "/api/uploads/progress/tus_tok-1", NULL,
                             &g), CURLE_OK);
    assert_int_equal(g.status, 200);
    assert_int_equal(e2e_json_str(g.body, "stage", stage, sizeof(stage)), 0);
    assert_string_equal(stage, "done");
    assert_int_equal(e2e_json_int(g.body, "rows", -1), 3);
    assert_int_equal(e2e_json_int(g.body, "bytes", -1), (long long)n);
    assert_int_equal(e2e_json_int(g.body, "total", -1), (long long)n);
    e2e_resp_free(&g);
}

/* A zero-byte upload finishes at creation with the pipeline's EMPTY_FILE. */
static void test_empty_upload(void **state)
{
    char loc[128];

    (void)state;
    assert_int_equal(tus_create(srv.base, 0, "empty.csv", "E", "siem", loc,
                                sizeof(loc)), 422);
}

/* Upload file (path) in chunks of step bytes; the final answer in *r. */
static void upload_in_chunks(const char *path, const char *company,
                             size_t step, struct tus_resp *r)
{
    char loc[128], name[256];
    size_t len, off = 0, k;
    char *data = e2e_slurp(path, &len);
    const char *slash = strrchr(path, '/');

    assert_non_null(data);
    snprintf(name, sizeof(name), "%s", slash ? slash + 1 : path);
    assert_int_equal(tus_create(srv.base, len, name, company, "siem", loc,
                                sizeof(loc)), 201);
    memset(r, 0, sizeof(*r));
    while (off < len) {
        k = len - off < step ? len - off : step;
        tus_resp_free(r);
        assert_int_equal(tus_patch(srv.base, loc, off, data + off, k, NULL,
                                   r), CURLE_OK);
        off += k;
        if (off < len) {
            assert_int_equal(r->status, 204);
            assert_int_equal(tus_offset(r), (long long)off);
        }
    }
    free(data);
}

/*
 * A corpus file in 64 KiB chunks gives what POST /api/uploads gives for
 * it; the same file again by tus is a DUPLICATE_FILE with the existing.
 */
static void test_corpus_file_like_post(void **state)
{
    const char *rel[] = { "security/defectdojo_nessus_new.csv",
                          "security/defectdojo_dsop_many_vuln.xlsx" };
    const char *shared = st_shared();
    struct e2e_upload up;
    struct e2e_resp p;
    struct tus_resp r;
    char path[4300];
    long long id;
    size_t i;

    (void)state;
    if (!shared)
        skip();
    for (i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/corpus/%s", shared, rel[i]);
        upload_in_chunks(path, "CorpusTus", 65536, &r);
        assert_int_equal(r.status, 201);
        id = e2e_json_int(r.body, "id", -1);
        memset(&up, 0, sizeof(up));
        up.company = "CorpusPost";
        up.tool_type = "siem";
        up.path = path;
        assert_int_equal(e2e_post(&srv, &up, &p), CURLE_OK);
        assert_int_equal(p.status, 201);
        assert_int_equal(e2e_json_int(r.body, "record_count", -1),
                         e2e_json_int(p.body, "record_count", -2));
        assert_int_equal(e2e_json_int(r.body, "sheet_count", -1),
                         e2e_json_int(p.body, "sheet_count", -2));
        assert_true(e2e_json_int(r.body, "record_count", -1) > 0);
        e2e_resp_free(&p);
        tus_resp_free(&r);

        upload_in_chunks(path, "CorpusTus", 100000, &r);
        assert_code(&r, 409, "DUPLICATE_FILE");
        assert_int_equal(e2e_json_int(strstr(r.body, "\"existing\""), "id",
                                      -1), id);
        tus_resp_free(&r);
    }
}

/* While one PATCH writes, a second one on the same upload gets 423. */
static void test_concurrent_patch_locked(void **state)
{
    char loc[128], req[512], resp[2048];
    struct tus_resp r;
    struct e2e_resp g;
    int fd, held;
    long until;

    (void)state;
    assert_int_equal(tus_create(srv.base, 40, "lock.csv", "L", "siem", loc,
                                sizeof(loc)), 201);
    fd = e2e_connect(&srv);
    assert_true(fd >= 0);
    snprintf(req, sizeof(req), "PATCH %s HTTP/1.1\r\nHost: x\r\n%s"
             "Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: "
             "application/offset+octet-stream\r\nContent-Length: 20\r\n"
             "X-Upload-Token: lock_tok\r\n\r\nhost,severity\n", loc,
             srv.auth);
    assert_int_equal(e2e_send_all(fd, req, strlen(req)), 0);
    /* the chunk is registered once the first PATCH holds the upload */
    until = e2e_now_ms() + 5000;
    do {
        assert_int_equal(e2e_get(&srv, "/api/uploads/progress/lock_tok",
                                 NULL, &g), CURLE_OK);
        held = g.status == 200;
        e2e_resp_free(&g);
    } while (!held && e2e_now_ms() < until && usleep(20000) == 0);
    assert_true(held);
    assert_int_equal(tus_patch(srv.base, loc, 0, "abc", 3, NULL, &r),
                     CURLE_OK);
    assert_code(&r, 423, "UPLOAD_LOCKED");
    tus_resp_free(&r);
    assert_int_equal(e2e_send_all(fd, "web1,h", 6), 0);
    assert_true(e2e_read_until(fd, resp, sizeof(resp), "\r\n\r\n", 5000) > 0);
    assert_non_null(strstr(resp, "HTTP/1.1 204"));
    assert_non_null(strstr(resp, "Upload-Offset: 20"));
    close(fd);
    assert_int_equal(tus_head(srv.base, loc), 20);
}

/* A client that vanishes mid-chunk keeps what arrived (no checksum). */
static void test_cut_chunk_keeps_bytes(void **state)
{
    char loc[128], req[512];
    int fd;
    long until;
    long long off = 0;

    (void)state;
    assert_int_equal(tus_create(srv.base, 100, "cut.csv", "C", "siem", loc,
                                sizeof(loc)), 201);
    fd = e2e_connect(&srv);
    assert_true(fd >= 0);
    snprintf(req, sizeof(req), "PATCH %s HTTP/1.1\r\nHost: x\r\n%s"
             "Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: "
             "application/offset+octet-stream\r\nContent-Length: 100\r\n\r\n"
             "0123456789012345678901234567890", loc, srv.auth);
    assert_int_equal(e2e_send_all(fd, req, strlen(req)), 0);
    usleep(200000);
    close(fd);
    until = e2e_now_ms() + 5000;
    while (e2e_now_ms() < until && (off = tus_head(srv.base, loc)) != 31)
        usleep(50000);
    assert_int_equal(off, 31);
}

/* Stop and start the server (same data dir and port). */
static void restart(void)
{
    int status;
    long until = e2e_now_ms() + 10000;

    kill(srv.pid, SIGTERM);
    waitpid(srv.pid, &status, 0);
    srv.pid = fork();
    if (srv.pid == 0)
        e2e_exec(&srv, getenv("SOCC_BIN") ? getenv("SOCC_BIN")
                                          : "build/san/socc", NULL);
    while (!e2e_healthy(&srv) && e2e_now_ms() < until)
        usleep(50000);
    assert_true(e2e_healthy(&srv));
}

/* The server restarts between two PATCHes: the upload resumes. */
static void test_resume_after_restart(void **state)
{
    char loc[128], want[65], got[65];
    struct tus_resp r;
    size_t n = strlen(csv);

    (void)state;
    assert_int_equal(tus_create(srv.base, n, "restart.csv", "R", "siem", loc,
                                sizeof(loc)), 201);
    assert_int_equal(tus_patch(srv.base, loc, 0, csv, 17, NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 204);
    tus_resp_free(&r);
    restart();
    assert_int_equal(tus_head(srv.base, loc), 17);
    assert_int_equal(tus_patch(srv.base, loc, 17, csv + 17, n - 17, NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_int_equal(e2e_json_str(r.body, "file_hash", got, sizeof(got)), 0);
    sha256_hex(csv, n, want);
    assert_string_equal(got, want);   /* the hash rebuilt after the restart */
    assert_int_equal(e2e_json_int(r.body, "record_count", -1), 3);
    tus_resp_free(&r);
}

/* Upload-Defer-Length: the length comes with a later PATCH. */
static void test_deferred_length(void **state)
{
    char meta[1400], loc[128], off[64], len[64];
    const char *create[] = { "Tus-Resumable: 1.0.0", "Upload-Defer-Length: 1",
                             meta, NULL };
    const char *last[] = { "Tus-Resumable: 1.0.0", off, len,
                           "Content-Type: application/offset+octet-stream",
                           NULL };
    struct tus_resp r;
    size_t n = strlen(csv);

    (void)state;
    tus_metadata("defer.csv", "D", "siem", meta, sizeof(meta));
    assert_int_equal(tus_req(srv.base, "POST", "/api/tus/", create, NULL, 0,
                             &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_int_equal(tus_header(&r, "Location", loc, sizeof(loc)), 0);
    tus_resp_free(&r);
    assert_int_equal(tus_patch(srv.base, loc, 0, csv, 10, NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 204);
    tus_resp_free(&r);
    snprintf(off, sizeof(off), "Upload-Offset: 10");
    snprintf(len, sizeof(len), "Upload-Length: %zu", n);
    assert_int_equal(tus_req(srv.base, "PATCH", loc, last, csv + 10, n - 10,
                             &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_int_equal(e2e_json_int(r.body, "record_count", -1), 3);
    tus_resp_free(&r);
}

/* An abandoned upload is swept after SOCC_TUS_EXPIRE, files and all. */
static void test_expiry(void **state)
{
    static const char *const env[] = { "SOCC_TUS_EXPIRE", "1", NULL };
    struct e2e_server s2;
    char loc[128], path[512];
    struct tus_resp r;
    long long off = 0;
    long until;

    (void)state;
    assert_int_equal(e2e_start(&s2, env), 0);
    assert_int_equal(tus_create(s2.base, 50, "old.csv", "X", "siem", loc,
                                sizeof(loc)), 201);
    assert_int_equal(tus_patch(s2.base, loc, 0, csv, 5, NULL, &r), CURLE_OK);
    tus_resp_free(&r);
    snprintf(path, sizeof(path), "%s/tmp/tus/%s.bin", s2.dir, loc + 9);
    assert_int_equal(access(path, F_OK), 0);
    until = e2e_now_ms() + 8000;
    while (e2e_now_ms() < until && (off = tus_head(s2.base, loc)) != -404)
        usleep(200000);
    assert_int_equal(off, -404);
    until = e2e_now_ms() + 5000;
    while (e2e_now_ms() < until && access(path, F_OK) == 0)
        usleep(200000);
    assert_int_not_equal(access(path, F_OK), 0);   /* the sweep removed it */
    e2e_stop(&s2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_chunks_offsets_and_result),
        cmocka_unit_test(test_checksum_mismatch),
        cmocka_unit_test(test_missing_tus_resumable),
        cmocka_unit_test(test_creation_refusals),
        cmocka_unit_test(test_termination),
        cmocka_unit_test(test_creation_with_upload),
        cmocka_unit_test(test_progress_token),
        cmocka_unit_test(test_empty_upload),
        cmocka_unit_test(test_corpus_file_like_post),
        cmocka_unit_test(test_concurrent_patch_locked),
        cmocka_unit_test(test_cut_chunk_keeps_bytes),
        cmocka_unit_test(test_resume_after_restart),
        cmocka_unit_test(test_deferred_length),
        cmocka_unit_test(test_expiry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
