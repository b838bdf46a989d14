#ifndef SOCC_SHA256_H
#define SOCC_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Streaming SHA-256 over OpenSSL's EVP; caller storage. */
struct sha256 {
    void *md;   /* EVP_MD_CTX, owned */
};

/* 0 or -1 (allocation failure). */
int sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *p, size_t n);
/* Write 64 lowercase hex digits and a NUL into hex; releases h. */
void sha256_final_hex(struct sha256 *h, char hex[65]);
/* Write the 32-byte digest into md; releases h. */
void sha256_final(struct sha256 *h, unsigned char md[32]);
/*
 * For many short messages: the digest into md, keeping h, which
 * sha256_restart() readies for the next message (0 or -1).
 */
void sha256_final_keep(struct sha256 *h, unsigned char md[32]);
int sha256_restart(struct sha256 *h);
void sha256_release(struct sha256 *h);
/* Hash a whole file; 0, or -1 with errno set. */
int sha256_file_hex(const char *path, char hex[65]);
/* Hash a buffer. */
void sha256_hex(const void *p, size_t n, char hex[65]);
/* 1 when s is 64 lowercase hex digits. */
int sha256_is_hex(const char *s);

#endif
