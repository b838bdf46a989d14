#include "api_lookup.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "http/authz.h"
#include "http/respond.h"
#include "http/upload.h"

/* hex (64 hex digits, either case) into out as lowercase; 0 or -1. */
static int sha256_arg(const char *hex, char out[65])
{
    size_t i;

    if (!hex || strlen(hex) != 64)
        return -1;
    for (i = 0; i < 64; i++) {
        char c = hex[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
        out[i] = c;
    }
    out[64] = '\0';
    return 0;
}

enum MHD_Result api_uploads_lookup(struct server_req *r)
{
    const char *company_q = server_query(r, "company");
    struct store_upload u;
    struct socc_error err;
    char company[UPLOAD_COMPANY_MAX * 4 + 1], hash[65];
    struct buf b;
    enum socc_err e;

    if (!company_q || strlen(company_q) >= sizeof(company))
        return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                             "company must be 1-128 printable characters",
                             "send ?company=NAME&sha256=HEX", NULL);
    snprintf(company, sizeof(company), "%s", company_q);
    if (upload_company_ok(company) != 0)
        return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                             "company must be 1-128 printable characters",
                             "send ?company=NAME&sha256=HEX", NULL);
    if (sha256_arg(server_query(r, "sha256"), hash) != 0)
        return respond_error(r, SOCC_E_BAD_REQUEST, 0,
                             "sha256 must be 64 hexadecimal digits",
                             "send the file's SHA-256 as hex", NULL);
    socc_error_clear(&err);
    if (!authz_company(r, company, PRINCIPAL_ANALYST))
        return MHD_YES;
    /* only this company's uploads are searched: others' stay unknown */
    e = store_find_hash(r->app->store, company, hash, &u, &err);
    if (e != SOCC_OK)
        return respond_error(r, e, 0,
                             e == SOCC_E_NOT_FOUND
                                 ? "this company holds no file with this "
                                   "SHA-256"
                                 : err.detail,
                             e == SOCC_E_NOT_FOUND ? "upload the file" : NULL,
                             NULL);
    buf_init(&b);
    respond_existing_json(&b, &u);
    return respond_json(r, 200, &b);
}

enum MHD_Result api_uploads_companies(struct server_req *r)
{
    struct socc_error err;
    struct buf b;
    enum socc_err e;

    buf_init(&b);
    socc_error_clear(&err);
    /* only the companies the caller may see */
    e = store_companies_json(r->app->store,
                             r->who.all_companies ? NULL
                                                  : r->who.companies_json,
                             &b, &err);
    if (e != SOCC_OK) {
        buf_release(&b);
        return respond_error(r, e, 0, err.detail, NULL, NULL);
    }
    return respond_json(r, 200, &b);
}
