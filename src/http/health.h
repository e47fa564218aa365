/* health.h: GET /healthz (health.c). */
#ifndef UC_HEALTH_H
#define UC_HEALTH_H

#include "http/req.h"

/* 200 {"status":"ok"} once the server is ready and its data dir and
 * database are usable, else 503 {"status":"unavailable"}. */
enum MHD_Result health_get(req *rq);

#endif
