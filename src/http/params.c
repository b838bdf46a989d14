#include "http/params.h"

#include <errno.h>
#include <stdlib.h>

int params_u64(const char *s, uint64_t *v)
{
    char *end;

    if (!s || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0';
}

int params_query_num(struct server_req *r, const char *key, int64_t def,
                     int64_t lo, int64_t hi, int64_t *out)
{
    const char *s = server_query(r, key);
    uint64_t v;

    *out = def;
    if (!s || !*s)
        return 0;
    if (!params_u64(s, &v) || v > (uint64_t)hi || (int64_t)v < lo)
        return -1;
    *out = (int64_t)v;
    return 0;
}
