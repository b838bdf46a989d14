#include "http/idempotency.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/respond.h"

/* Keys of the requests running now: a short list, searched linearly. */
struct running {
    char key[IDEM_KEY_MAX + 1];
    struct running *next;
};

static pthread_mutex_t running_mu = PTHREAD_MUTEX_INITIALIZER;
static struct running *running_head;

int idem_key_ok(const char *key)
{
    size_t n = 0;

    for (; key[n]; n++)
        if ((unsigned char)key[n] < 0x21 || (unsigned char)key[n] > 0x7e)
            return 0;
    return n >= 1 && n <= IDEM_KEY_MAX;
}

int idem_claim(const char *key)
{
    struct running *p, *mine = calloc(1, sizeof(*mine));
    int rc = 0;

    if (!mine)
        return -1;
    strncpy(mine->key, key, IDEM_KEY_MAX);
    pthread_mutex_lock(&running_mu);
    for (p = running_head; p; p = p->next)
        if (strcmp(p->key, key) == 0)
            rc = -1;
    if (rc == 0) {
        mine->next = running_head;
        running_head = mine;
        mine = NULL;
    }
    pthread_mutex_unlock(&running_mu);
    free(mine);
    return rc;
}

void idem_release(const char *key)
{
    struct running **pp, *gone = NULL;

    pthread_mutex_lock(&running_mu);
    for (pp = &running_head; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            gone = *pp;
            *pp = gone->next;
            break;
        }
    }
    pthread_mutex_unlock(&running_mu);
    free(gone);
}

enum MHD_Result idem_replay(struct server_req *r, unsigned status,
                            const char *body, size_t len)
{
    struct MHD_Response *resp;

    resp = MHD_create_response_from_buffer(len, (void *)body,
                                           MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type",
                            "application/json; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Idempotent-Replayed", "true");
    return respond_queue(r, status, resp, len);
}
