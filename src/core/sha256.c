#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <pthread.h>

#include <openssl/evp.h>

/*
 * The SHA-256 implementation, fetched once: OpenSSL 3 looks the algorithm
 * up again on every EVP_sha256() init, which costs more than hashing a
 * short record.  Never freed (one per process).
 */
static EVP_MD *fetched;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch(void)
{
    fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *algo(void)
{
    pthread_once(&fetch_once, fetch);
    return fetched ? fetched : EVP_sha256();
}

int sha256_init(struct sha256 *h)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    h->md = c;
    if (!c || EVP_DigestInit_ex2(c, algo(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        h->md = NULL;
        return -1;
    }
    return 0;
}

void sha256_update(struct sha256 *h, const void *p, size_t n)
{
    if (h->md && n)
        EVP_DigestUpdate(h->md, p, n);
}

void sha256_final_hex(struct sha256 *h, char hex[65])
{
    static const char d[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int n = 0, i;

    memset(md, 0, sizeof(md));
    if (h->md)
        EVP_DigestFinal_ex(h->md, md, &n);
    for (i = 0; i < 32; i++) {
        hex[2 * i] = d[md[i] >> 4];
        hex[2 * i + 1] = d[md[i] & 15];
    }
    hex[64] = '\0';
    sha256_release(h);
}

void sha256_final(struct sha256 *h, unsigned char md[32])
{
    sha256_final_keep(h, md);
    sha256_release(h);
}

void sha256_final_keep(struct sha256 *h, unsigned char md[32])
{
    unsigned int n = 0;

    memset(md, 0, 32);
    if (h->md)
        EVP_DigestFinal_ex(h->md, md, &n);
}

int sha256_restart(struct sha256 *h)
{
    return h->md && EVP_DigestInit_ex2(h->md, algo(), NULL) == 1 ? 0 : -1;
}

void sha256_release(struct sha256 *h)
{
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
}

int sha256_file_hex(const char *path, char hex[65])
{
    unsigned char blk[1 << 16];
    struct sha256 h;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    if (sha256_init(&h) != 0) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    while ((n = read(fd, blk, sizeof(blk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            sha256_release(&h);
            close(fd);
            return -1;
        }
        sha256_update(&h, blk, (size_t)n);
    }
    close(fd);
    sha256_final_hex(&h, hex);
    return 0;
}

void sha256_hex(const void *p, size_t n, char hex[65])
{
    struct sha256 h;

    sha256_init(&h);
    sha256_update(&h, p, n);
    sha256_final_hex(&h, hex);
}

int sha256_is_hex(const char *s)
{
    int i;

    for (i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}
