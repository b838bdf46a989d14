#ifndef SOCC_API_OPS_H
#define SOCC_API_OPS_H

/*
 * Operations endpoints: GET /api/health, /livez, /readyz, /metrics,
 * /api/alerts, /api/summary.  See docs/OPERATIONS.md.
 */

#include <microhttpd.h>

#include "http/server.h"

enum MHD_Result api_ops_health(struct server_req *r);
enum MHD_Result api_ops_livez(struct server_req *r);
enum MHD_Result api_ops_readyz(struct server_req *r);
enum MHD_Result api_ops_metrics(struct server_req *r);
enum MHD_Result api_ops_alerts(struct server_req *r);
enum MHD_Result api_ops_summary(struct server_req *r);

#endif
