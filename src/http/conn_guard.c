#include "http/conn_guard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "core/log.h"

/* How often the watchdog looks (ms). */
#define TICK_MS 100

struct guard_conn {
    int fd;                        /* borrowed from libmicrohttpd */
    int over;                      /* opened past max_conns */
    int kicked;                    /* the watchdog shut it down */
    int64_t header_due;            /* ms; 0: no header deadline */
    int64_t window_start;          /* ms; 0: no body being read */
    uint64_t window_base;          /* body bytes at window_start */
    _Atomic uint64_t body;         /* body bytes of the current request */
    struct guard_conn *prev, *next;
};

struct conn_guard {
    struct guard_limits lim;
    pthread_mutex_t mu;            /* guards the list and deadlines */
    pthread_cond_t cv;             /* wakes the watchdog to stop */
    struct guard_conn *head;
    unsigned count;
    int stop;
    pthread_t thread;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * LIMIT: a cut connection gets no answer (no 408): libmicrohttpd owns the
 * socket, and only shutdown(2) from outside its thread is safe.
 */
static void kick(struct guard_conn *c, const char *why)
{
    c->kicked = 1;
    shutdown(c->fd, SHUT_RDWR);
    log_event(LOG_WARN, "http", "slow_client", NULL, "phase=%s", why);
}

/* Under mu: shut down connections past a deadline. */
static void check_all(struct conn_guard *g, int64_t now)
{
    struct guard_conn *c;
    uint64_t got, need;

    for (c = g->head; c; c = c->next) {
        if (c->kicked)
            continue;
        if (c->header_due && now >= c->header_due) {
            kick(c, "headers");
            continue;
        }
        if (!c->window_start || g->lim.body_min_rate == 0 ||
            now - c->window_start < (int64_t)g->lim.body_window_ms)
            continue;
        got = atomic_load(&c->body) - c->window_base;
        need = (uint64_t)g->lim.body_min_rate * g->lim.body_window_ms / 1000;
        if (got < need) {
            kick(c, "body");
            continue;
        }
        c->window_start = now;
        c->window_base += got;
    }
}

static void *watch(void *arg)
{
    struct conn_guard *g = arg;
    struct timespec ts;

    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
        if (!g->stop)
            check_all(g, now_ms());
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

int guard_start(const struct guard_limits *l, struct conn_guard **out)
{
    struct conn_guard *g = calloc(1, sizeof(*g));

    *out = NULL;
    if (!g)
        return -1;
    g->lim = *l;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    if (pthread_create(&g->thread, NULL, watch, g) != 0) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
        free(g);
        return -1;
    }
    *out = g;
    return 0;
}

void guard_stop(struct conn_guard *g)
{
    struct guard_conn *c;

    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    while ((c = g->head) != NULL) {
        g->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

struct guard_conn *guard_open(struct conn_guard *g, int fd)
{
    struct guard_conn *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->fd = fd;
    atomic_init(&c->body, 0);
    pthread_mutex_lock(&g->mu);
    c->header_due = now_ms() + g->lim.header_ms;
    c->next = g->head;
    if (g->head)
        g->head->prev = c;
    g->head = c;
    c->over = ++g->count > g->lim.max_conns;
    pthread_mutex_unlock(&g->mu);
    return c;
}

void guard_close(struct conn_guard *g, struct guard_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&g->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    g->count--;
    pthread_mutex_unlock(&g->mu);
    free(c);
}

int guard_over(const struct guard_conn *c)
{
    return c && c->over;
}

unsigned guard_count(struct conn_guard *g)
{
    unsigned n;

    pthread_mutex_lock(&g->mu);
    n = g->count;
    pthread_mutex_unlock(&g->mu);
    return n;
}

void guard_headers_done(struct conn_guard *g, struct guard_conn *c,
                        int has_body)
{
    if (!c)
        return;
    pthread_mutex_lock(&g->mu);
    c->header_due = 0;
    atomic_store(&c->body, 0);
    c->window_base = 0;
    c->window_start = has_body ? now_ms() : 0;
    pthread_mutex_unlock(&g->mu);
}

void guard_body_bytes(struct guard_conn *c, size_t n)
{
    if (c)
        atomic_fetch_add(&c->body, (uint64_t)n);
}

void guard_body_done(struct conn_guard *g, struct guard_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&g->mu);
    c->window_start = 0;
    pthread_mutex_unlock(&g->mu);
}

void guard_request_done(struct conn_guard *g, struct guard_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&g->mu);
    c->window_start = 0;
    c->header_due = now_ms() + g->lim.header_ms;
    pthread_mutex_unlock(&g->mu);
}
