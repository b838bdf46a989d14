#ifndef SOCC_WEB_ASSETS_H
#define SOCC_WEB_ASSETS_H

#include <stddef.h>

/* The files of web/, embedded at build time by scripts/embed.sh. */
struct web_asset {
    const char *path;            /* "/index.html" */
    const char *type;            /* Content-Type */
    const unsigned char *data;   /* static */
    size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

#endif
