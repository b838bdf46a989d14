#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct err_row {
    enum socc_err code;
    const char *name;
    int http;
    int exitc;
    const char *msg;
    const char *hint;
};

static const struct err_row rows[] = {
#define SOCC_ERR(val, nm, ht, ex, ms, hi) { SOCC_E_##nm, #nm, ht, ex, ms, hi },
#include "err_codes.def"
#undef SOCC_ERR
};

static const struct err_row *find(enum socc_err e)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].code == e)
            return &rows[i];
    return find(SOCC_E_INTERNAL);
}

const char *socc_err_name(enum socc_err e) { return find(e)->name; }
int socc_err_http(enum socc_err e) { return find(e)->http; }
int socc_err_exit(enum socc_err e) { return find(e)->exitc; }
const char *socc_err_message(enum socc_err e) { return find(e)->msg; }
const char *socc_err_hint(enum socc_err e) { return find(e)->hint; }

int socc_err_from_name(const char *name, enum socc_err *out)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (strcmp(rows[i].name, name) == 0) {
            *out = rows[i].code;
            return 0;
        }
    }
    return -1;
}

enum socc_err socc_error_set(struct socc_error *err, enum socc_err code,
                             const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    err->code = code;
    err->detail[0] = '\0';
    if (fmt) {
        va_start(ap, fmt);
        vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
        va_end(ap);
    }
    return code;
}

void socc_error_clear(struct socc_error *err)
{
    if (!err)
        return;
    err->code = SOCC_OK;
    err->detail[0] = '\0';
}
