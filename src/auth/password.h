#ifndef SOCC_PASSWORD_H
#define SOCC_PASSWORD_H

/*
 * Password hashing: Argon2id (libsodium crypto_pwhash_str with
 * crypto_pwhash_ALG_ARGON2ID13, interactive limits), and random one-time
 * passwords.
 */

#include <stddef.h>

#define PASSWORD_HASH_MAX 128   /* crypto_pwhash_STRBYTES */
#define PASSWORD_MIN 10         /* characters a password needs at least */
#define PASSWORD_MAX 1024       /* and at most */

/* Hash pw into out (PASSWORD_HASH_MAX bytes); 0, or -1 out of memory. */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);
/* 1 when pw matches the stored hash, else 0. */
int password_verify(const char *hash, const char *pw);
/*
 * Spend the time of one verification on nothing, so that a login for an
 * unknown user takes as long as one with a wrong password.
 */
void password_verify_dummy(const char *pw);
/* 1 when pw has PASSWORD_MIN to PASSWORD_MAX bytes and no control byte. */
int password_acceptable(const char *pw);
/* A random password of n - 1 characters from an unambiguous alphabet. */
void password_random(char *out, size_t n);

#endif
