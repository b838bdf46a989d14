#ifndef SOCC_ERR_H
#define SOCC_ERR_H

#include <stddef.h>

/* One error enum for the API, the CLI and the page; see err_codes.def. */
enum socc_err {
#define SOCC_ERR(val, name, http, exitc, msg, hint) SOCC_E_##name = val,
#include "err_codes.def"
#undef SOCC_ERR
};
#define SOCC_OK SOCC_E_OK

/* Stable API name ("FILE_TOO_LARGE"); "INTERNAL" for an unknown value. */
const char *socc_err_name(enum socc_err e);
/* HTTP status, CLI exit code, human message and hint of a code. */
int socc_err_http(enum socc_err e);
int socc_err_exit(enum socc_err e);
const char *socc_err_message(enum socc_err e);
const char *socc_err_hint(enum socc_err e);
/* Parse a stable name back; returns 0 and sets *out, or -1. */
int socc_err_from_name(const char *name, enum socc_err *out);

/*
 * An error with a detail line naming the fault ("zip entry inflates past
 * 1073741824 bytes").  Caller storage; detail is always NUL-terminated.
 */
struct socc_error {
    enum socc_err code;   /* SOCC_OK when nothing failed */
    char detail[256];     /* lowercase, no final period; "" when none */
};

/* Record code and a printf-style detail in *err (may be NULL); returns code. */
enum socc_err socc_error_set(struct socc_error *err, enum socc_err code,
                             const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void socc_error_clear(struct socc_error *err);

#endif
