#include "ops/webhook.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/log.h"

#define QUEUE_MAX 64

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static char *queue[QUEUE_MAX];
static size_t q_head, q_n;
static int running, stopping;
static pthread_t thread;
static char url[512];
static unsigned timeout_ms;

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static void send_one(const char *body)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    long status = 0;
    CURLcode rc = CURLE_FAILED_INIT;

    if (c) {
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    if (rc != CURLE_OK || status < 200 || status > 299)
        log_event(LOG_WARN, "ops", "webhook_failed", NULL,
                  "status=%ld curl=%d", status, (int)rc);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static void *sender(void *arg)
{
    char *body;

    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (!stopping && q_n == 0)
            pthread_cond_wait(&cv, &mu);
        if (stopping)
            break;
        body = queue[q_head];
        q_head = (q_head + 1) % QUEUE_MAX;
        q_n--;
        pthread_mutex_unlock(&mu);
        send_one(body);
        free(body);
        pthread_mutex_lock(&mu);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

int webhook_start(const char *u, unsigned t_ms)
{
    if (running)
        return 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    snprintf(url, sizeof(url), "%s", u);
    timeout_ms = t_ms;
    stopping = 0;
    if (pthread_create(&thread, NULL, sender, NULL) != 0)
        return -1;
    running = 1;
    return 0;
}

void webhook_post(const char *body, size_t n)
{
    char *copy = malloc(n + 1);
    int queued = 0;

    if (copy) {
        memcpy(copy, body, n);
        copy[n] = '\0';
    }
    pthread_mutex_lock(&mu);
    if (copy && running && !stopping && q_n < QUEUE_MAX) {
        queue[(q_head + q_n) % QUEUE_MAX] = copy;
        q_n++;
        queued = 1;
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
    if (!queued) {
        free(copy);
        log_event(LOG_WARN, "ops", "webhook_dropped", NULL, "bytes=%zu", n);
    }
}

void webhook_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    pthread_mutex_lock(&mu);
    while (q_n) {
        free(queue[q_head]);
        q_head = (q_head + 1) % QUEUE_MAX;
        q_n--;
    }
    running = 0;
    pthread_mutex_unlock(&mu);
}
