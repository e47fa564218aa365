/* ui.h: the dashboard and the OpenAPI document (ui.c). */
#ifndef UC_UI_H
#define UC_UI_H

#include "http/req.h"

enum MHD_Result ui_dashboard(req *rq);  /* GET / */
enum MHD_Result ui_openapi(req *rq);    /* GET /openapi.json */

#endif
