#include "http/export_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "http/body.h"
#include "http/respond.h"

#define PAGE 500   /* records fetched per refill */

struct csv_stream {
    struct store *store;   /* borrowed */
    int64_t id;
    int sheet;
    int64_t next;          /* position of the next record */
    int done;              /* the last page was read */
    struct buf out;        /* rendered, not yet sent */
    size_t sent;           /* bytes of out already sent */
};

static int needs_quotes(const char *s, size_t n)
{
    size_t i;

    if (n && (s[0] == ' ' || s[n - 1] == ' '))
        return 1;
    for (i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            return 1;
    return 0;
}

static void add_text(struct buf *b, const char *s, size_t n)
{
    int formula = n && strchr("=+-@\t\r", s[0]) != NULL;
    size_t i;

    if (!formula && !needs_quotes(s, n)) {
        buf_add(b, s, n);
        return;
    }
    buf_addc(b, '"');
    if (formula)
        buf_addc(b, '\'');
    for (i = 0; i < n; i++) {
        if (s[i] == '"')
            buf_addc(b, '"');
        buf_addc(b, s[i]);
    }
    buf_addc(b, '"');
}

void export_csv_field(struct buf *b, const char *v, size_t n)
{
    struct buf tmp;

    if (n >= 2 && v[0] == '"') {
        buf_init(&tmp);
        if (body_json_unescape(v + 1, n - 2, &tmp) == 0)
            add_text(b, tmp.data ? tmp.data : "", tmp.len);
        buf_release(&tmp);
        return;
    }
    if (n == 4 && memcmp(v, "null", 4) == 0)
        return;
    buf_add(b, v, n);
}

/* One JSON array (a header or a record's cells) as a CSV line. */
static void add_line(struct buf *b, const char *json, size_t n)
{
    struct json_iter it;
    const char *v;
    size_t vn;
    int first = 1;

    if (json_iter_init(&it, json, n) == 0)
        while (json_iter_next(&it, &v, &vn)) {
            if (!first)
                buf_addc(b, ',');
            first = 0;
            export_csv_field(b, v, vn);
        }
    buf_adds(b, "\r\n");
}

static int on_record(void *ctx, int64_t row, const char *cells, size_t len)
{
    struct csv_stream *cs = ctx;

    (void)row;
    add_line(&cs->out, cells, len);
    return 0;
}

static ssize_t on_read(void *cls, uint64_t pos, char *to, size_t max)
{
    struct csv_stream *cs = cls;
    int64_t before;
    size_t n;

    (void)pos;
    while (cs->sent == cs->out.len && !cs->done) {
        buf_reset(&cs->out);
        cs->sent = 0;
        before = cs->next;
        if (store_records_each(cs->store, cs->id, cs->sheet, cs->next, PAGE,
                               on_record, cs, &cs->next, NULL) != SOCC_OK ||
            !buf_ok(&cs->out))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        cs->done = cs->next - before < PAGE;
    }
    if (cs->sent == cs->out.len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    n = cs->out.len - cs->sent < max ? cs->out.len - cs->sent : max;
    memcpy(to, cs->out.data + cs->sent, n);
    cs->sent += n;
    return (ssize_t)n;
}

static void on_free(void *cls)
{
    struct csv_stream *cs = cls;

    buf_release(&cs->out);
    free(cs);
}

static int sheet_param(struct server_req *r, int *sheet)
{
    const char *s = server_query(r, "sheet");
    char *end;
    long v;

    *sheet = 0;
    if (!s || !*s)
        return 0;
    v = strtol(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || v > 65535)
        return -1;
    *sheet = (int)v;
    return 0;
}

enum MHD_Result export_csv_records(struct server_req *r, int64_t id)
{
    struct MHD_Response *resp;
    struct csv_stream *cs;
    struct socc_error err;
    struct buf cols;
    char cd[96];
    int sheet;

    if (sheet_param(r, &sheet) != 0)
        return respond_error(r, SOCC_E_BAD_REQUEST, 0, "sheet must be an "
                             "integer in the range 0-65535", NULL, NULL);
    cs = calloc(1, sizeof(*cs));
    if (!cs)
        return MHD_NO;
    cs->store = r->app->store;
    cs->id = id;
    cs->sheet = sheet;
    buf_init(&cs->out);
    socc_error_clear(&err);
    buf_init(&cols);
    if (store_sheet_columns(cs->store, id, sheet, &cols, &err) != SOCC_OK) {
        buf_release(&cols);
        on_free(cs);
        return respond_error(r, err.code, 0, err.detail, NULL, NULL);
    }
    add_line(&cs->out, cols.data ? cols.data : "[]", cols.len);
    buf_release(&cols);
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                             on_read, cs, on_free);
    if (!resp) {
        on_free(cs);
        return MHD_NO;
    }
    snprintf(cd, sizeof(cd), "attachment; filename=\"upload-%lld-sheet-%d"
             ".csv\"", (long long)id, sheet);
    MHD_add_response_header(resp, "Content-Type", "text/csv; charset=utf-8");
    MHD_add_response_header(resp, "Content-Disposition", cd);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return respond_queue(r, 200, resp, 0);
}
