#include "static.h"

#include <string.h>

#include "http/respond.h"
#include "http/web_assets.h"

static const struct web_asset *find(const char *path)
{
    size_t i;

    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (i = 0; i < web_assets_count; i++)
        if (strcmp(web_assets[i].path, path) == 0)
            return &web_assets[i];
    return NULL;
}

int static_exists(const char *path)
{
    return find(path) != NULL;
}

enum MHD_Result static_serve(struct server_req *r, const char *path)
{
    const struct web_asset *a = find(path);
    struct MHD_Response *resp;

    if (!a)
        return respond_error(r, SOCC_E_NOT_FOUND, 0, "no such page", NULL,
                             NULL);
    resp = MHD_create_response_from_buffer(a->len, (void *)a->data,
                                           MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", a->type);
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    return respond_queue(r, 200, resp, a->len);
}
