#include "socc_test.h"

#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "http/conn_guard.h"

/* 1 when the peer of fd was shut down within ms. */
static int shut_within(int fd, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    char c;

    return poll(&p, 1, ms) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

static void over_the_maximum(void **state)
{
    struct guard_limits l = { 2, 60000, 60000, 0 };
    struct conn_guard *g;
    struct guard_conn *a, *b, *c, *d;

    (void)state;
    assert_int_equal(guard_start(&l, &g), 0);
    a = guard_open(g, -1);
    b = guard_open(g, -1);
    c = guard_open(g, -1);
    assert_false(guard_over(a));
    assert_false(guard_over(b));
    assert_true(guard_over(c));
    assert_int_equal(guard_count(g), 3);
    guard_close(g, a);
    guard_close(g, c);
    d = guard_open(g, -1);   /* a slot is free again */
    assert_false(guard_over(d));
    assert_int_equal(guard_count(g), 2);
    guard_close(g, b);
    guard_close(g, d);
    assert_int_equal(guard_count(g), 0);
    guard_stop(g);
}

/* No header block within 200 ms: the socket is shut down. */
static void header_deadline(void **state)
{
    struct guard_limits l = { 10, 200, 60000, 0 };
    struct conn_guard *g;
    struct guard_conn *slow, *quick;
    int sp1[2], sp2[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp1), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp2), 0);
    assert_int_equal(guard_start(&l, &g), 0);
    slow = guard_open(g, sp1[0]);
    quick = guard_open(g, sp2[0]);
    guard_headers_done(g, quick, 0);
    assert_true(shut_within(sp1[1], 1000));
    assert_false(shut_within(sp2[1], 400));
    /* after its answer the next request's deadline starts */
    guard_request_done(g, quick);
    assert_true(shut_within(sp2[1], 1000));
    guard_close(g, slow);
    guard_close(g, quick);
    guard_stop(g);
    close(sp1[0]); close(sp1[1]); close(sp2[0]); close(sp2[1]);
}

/* A body under 1000 B/s over 200 ms windows is cut; a fast one is not,
 * nor one whose body is complete. */
static void body_rate(void **state)
{
    struct guard_limits l = { 10, 60000, 200, 1000 };
    struct conn_guard *g;
    struct guard_conn *slow, *fast, *done;
    int s1[2], s2[2], s3[2], i;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s1), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s2), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s3), 0);
    assert_int_equal(guard_start(&l, &g), 0);
    slow = guard_open(g, s1[0]);
    fast = guard_open(g, s2[0]);
    done = guard_open(g, s3[0]);
    guard_headers_done(g, slow, 1);
    guard_headers_done(g, fast, 1);
    guard_headers_done(g, done, 1);
    guard_body_bytes(done, 10);
    guard_body_done(g, done);
    for (i = 0; i < 10; i++) {
        guard_body_bytes(slow, 10);     /* 100 B/s */
        guard_body_bytes(fast, 1000);   /* 10,000 B/s */
        usleep(100000);
    }
    assert_true(shut_within(s1[1], 10));
    assert_false(shut_within(s2[1], 10));
    assert_false(shut_within(s3[1], 10));
    guard_close(g, slow);
    guard_close(g, fast);
    guard_close(g, done);
    guard_stop(g);
    for (i = 0; i < 2; i++) {
        close(s1[i]); close(s2[i]); close(s3[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(over_the_maximum),
        cmocka_unit_test(header_deadline),
        cmocka_unit_test(body_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
