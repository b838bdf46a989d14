#ifndef SOCC_STATIC_H
#define SOCC_STATIC_H

/* The embedded web page (web/, see web_assets.h). */

#include <microhttpd.h>

#include "http/server.h"

/* 1 when path ("/" means "/index.html") names an embedded file. */
int static_exists(const char *path);
/* Answer the embedded file at path; NOT_FOUND JSON when there is none. */
enum MHD_Result static_serve(struct server_req *r, const char *path);

#endif
