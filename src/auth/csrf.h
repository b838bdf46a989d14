#ifndef SOCC_CSRF_H
#define SOCC_CSRF_H

/*
 * CSRF tokens of cookie sessions: one random token per session, sent back
 * by the page in X-CSRF-Token on every state-changing request.
 */

#define CSRF_LEN 64   /* hex digits */

/* A fresh token: CSRF_LEN hex digits and a NUL. */
void csrf_new(char out[CSRF_LEN + 1]);
/* 1 when given (may be NULL) equals expected, compared in constant time. */
int csrf_ok(const char *expected, const char *given);

#endif
