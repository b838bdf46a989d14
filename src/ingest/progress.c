#include "progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct progress {
    struct progress *prev, *next;
    struct progress_view v;
    int64_t ended_ms;
};

/* In flight, newest first; and finished ones that carry a token. */
static struct progress *live, *done;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int progress_token_ok(const char *s)
{
    size_t n;

    if (!s)
        return 0;
    for (n = 0; s[n]; n++) {
        char c = s[n];
        if (n >= PROGRESS_TOKEN_MAX ||
            !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return n > 0;
}

static void unlink_from(struct progress **head, struct progress *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        *head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
}

static void push(struct progress **head, struct progress *p)
{
    p->prev = NULL;
    p->next = *head;
    if (*head)
        (*head)->prev = p;
    *head = p;
}

/* Drop finished entries older than PROGRESS_KEEP_MS; mu held. */
static void prune(int64_t now)
{
    struct progress *p = done, *next;

    for (; p; p = next) {
        next = p->next;
        if (now - p->ended_ms > PROGRESS_KEEP_MS) {
            unlink_from(&done, p);
            free(p);
        }
    }
}

static void copy(char *dst, size_t n, const char *src)
{
    size_t k = src ? strlen(src) : 0;

    if (k >= n)
        k = n - 1;
    if (k)
        memcpy(dst, src, k);
    dst[k] = '\0';
}

struct progress *progress_begin(const char *token, const char *req_id)
{
    struct progress *p = calloc(1, sizeof(*p));
    int64_t now = wall_ms();

    if (!p)
        return NULL;
    if (progress_token_ok(token))
        copy(p->v.token, sizeof(p->v.token), token);
    copy(p->v.req_id, sizeof(p->v.req_id), req_id);
    copy(p->v.stage, sizeof(p->v.stage), "receiving");
    p->v.started_ms = p->v.stage_ms = now;
    pthread_mutex_lock(&mu);
    prune(now);
    push(&live, p);
    pthread_mutex_unlock(&mu);
    return p;
}

void progress_user(struct progress *p, const char *user)
{
    if (!p)
        return;
    pthread_mutex_lock(&mu);
    copy(p->v.user, sizeof(p->v.user), user);
    pthread_mutex_unlock(&mu);
}

void progress_meta(struct progress *p, const char *company,
                   const char *tool_type, const char *filename)
{
    if (!p)
        return;
    pthread_mutex_lock(&mu);
    copy(p->v.company, sizeof(p->v.company), company);
    copy(p->v.tool_type, sizeof(p->v.tool_type), tool_type);
    copy(p->v.filename, sizeof(p->v.filename), filename);
    pthread_mutex_unlock(&mu);
}

void progress_stage(struct progress *p, const char *stage)
{
    if (!p)
        return;
    pthread_mutex_lock(&mu);
    copy(p->v.stage, sizeof(p->v.stage), stage);
    p->v.stage_ms = wall_ms();
    pthread_mutex_unlock(&mu);
}

void progress_bytes(struct progress *p, uint64_t bytes, uint64_t total)
{
    if (!p)
        return;
    pthread_mutex_lock(&mu);
    p->v.bytes = bytes;
    p->v.total = total;
    pthread_mutex_unlock(&mu);
}

void progress_rows(struct progress *p, int64_t rows)
{
    if (!p)
        return;
    pthread_mutex_lock(&mu);
    p->v.rows = rows;
    pthread_mutex_unlock(&mu);
}

void progress_end(struct progress *p, const char *outcome)
{
    int64_t now = wall_ms();

    if (!p)
        return;
    pthread_mutex_lock(&mu);
    unlink_from(&live, p);
    if (p->v.token[0]) {
        copy(p->v.stage, sizeof(p->v.stage), outcome ? outcome : "done");
        p->v.stage_ms = p->ended_ms = now;
        push(&done, p);
        p = NULL;
    }
    prune(now);
    pthread_mutex_unlock(&mu);
    free(p);
}

int progress_find(const char *token, struct progress_view *out)
{
    struct progress *lists[2], *p;
    int i, rc = -1;

    if (!progress_token_ok(token))
        return -1;
    pthread_mutex_lock(&mu);
    prune(wall_ms());
    lists[0] = live;   /* newest first in each list; in flight wins */
    lists[1] = done;
    for (i = 0; i < 2 && rc != 0; i++)
        for (p = lists[i]; p; p = p->next)
            if (strcmp(p->v.token, token) == 0) {
                *out = p->v;
                rc = 0;
                break;
            }
    pthread_mutex_unlock(&mu);
    return rc;
}

size_t progress_active(int64_t *oldest_ms)
{
    struct progress *p;
    size_t n = 0;
    int64_t oldest = 0;

    pthread_mutex_lock(&mu);
    for (p = live; p; p = p->next) {
        n++;
        if (oldest == 0 || p->v.started_ms < oldest)
            oldest = p->v.started_ms;
    }
    pthread_mutex_unlock(&mu);
    if (oldest_ms)
        *oldest_ms = oldest;
    return n;
}
