#include "json.h"

static void skip_ws(struct json_iter *it)
{
    while (it->pos < it->n &&
           (it->p[it->pos] == ' ' || it->p[it->pos] == '\n' ||
            it->p[it->pos] == '\r' || it->p[it->pos] == '\t'))
        it->pos++;
}

int json_iter_init(struct json_iter *it, const char *p, size_t n)
{
    it->p = p;
    it->n = n;
    it->pos = 0;
    skip_ws(it);
    if (it->pos >= n || p[it->pos] != '[')
        return -1;
    it->pos++;
    return 0;
}

/* Index just past the element starting at i, or n on malformed text. */
static size_t elem_end(const char *p, size_t n, size_t i)
{
    int depth = 0, in_str = 0;

    for (; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            if (!in_str && depth == 0)
                return i + 1;
            continue;
        }
        if (c == '"')
            in_str = 1;
        else if (c == '[' || c == '{')
            depth++;
        else if (c == ']' || c == '}') {
            if (depth == 0)
                return i;
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && c == ',')
            return i;
    }
    return n;
}

int json_iter_next(struct json_iter *it, const char **elem, size_t *len)
{
    size_t start, end;

    skip_ws(it);
    if (it->pos < it->n && it->p[it->pos] == ',') {
        it->pos++;
        skip_ws(it);
    }
    if (it->pos >= it->n || it->p[it->pos] == ']')
        return 0;
    start = it->pos;
    end = elem_end(it->p, it->n, start);
    /* an empty element (a stray '}' in an array, "{"a":}") is malformed:
     * without this an array walk never moved on past it (found by
     * fuzz_json; the arrays walked today are socc's own stored JSON) */
    if (end >= it->n || end == start)
        return 0;
    while (end > start && (it->p[end - 1] == ' ' || it->p[end - 1] == '\n'))
        end--;
    *elem = it->p + start;
    *len = end - start;
    it->pos = end;
    return 1;
}

int json_iter_init_object(struct json_iter *it, const char *p, size_t n)
{
    it->p = p;
    it->n = n;
    it->pos = 0;
    skip_ws(it);
    if (it->pos >= n || p[it->pos] != '{')
        return -1;
    it->pos++;
    return 0;
}

int json_iter_next_member(struct json_iter *it, const char **key,
                          size_t *klen, const char **val, size_t *vlen)
{
    size_t end;

    skip_ws(it);
    if (it->pos < it->n && it->p[it->pos] == ',') {
        it->pos++;
        skip_ws(it);
    }
    if (it->pos >= it->n || it->p[it->pos] != '"')
        return 0;
    end = elem_end(it->p, it->n, it->pos);
    if (end >= it->n || end < it->pos + 2)
        return 0;
    *key = it->p + it->pos + 1;
    *klen = end - it->pos - 2;
    it->pos = end;
    skip_ws(it);
    if (it->pos >= it->n || it->p[it->pos] != ':')
        return 0;
    it->pos++;
    skip_ws(it);
    return json_iter_next(it, val, vlen);
}
