/* routes.h: every endpoint's handler, by module. The table that maps
 * method and path to these lives in server.c. */
#ifndef UC_ROUTES_H
#define UC_ROUTES_H

#include "http/server.h"

/* v1.c: the real service's API */
enum MHD_Result v1_batch_submit(req *rq);
enum MHD_Result v1_batch_status(req *rq);
enum MHD_Result v1_batch_download(req *rq);
enum MHD_Result v1_check_email(req *rq);

/* download.c: signed result downloads */
enum MHD_Result download_serve(req *rq);

/* control.c: the /__mock control API and health */
enum MHD_Result control_healthz(req *rq);
enum MHD_Result control_clock_get(req *rq);
enum MHD_Result control_clock_post(req *rq);
enum MHD_Result control_tasks_list(req *rq);
enum MHD_Result control_task_delete(req *rq);
enum MHD_Result control_reset(req *rq);
enum MHD_Result control_account_get(req *rq);
enum MHD_Result control_list_get(req *rq);
enum MHD_Result control_list_put(req *rq);
enum MHD_Result control_journal_get(req *rq);
enum MHD_Result control_journal_delete(req *rq);
enum MHD_Result control_faults_get(req *rq);
enum MHD_Result control_faults_post(req *rq);
enum MHD_Result control_faults_delete(req *rq);

/* ui.c: the dashboard and the OpenAPI document */
enum MHD_Result ui_dashboard(req *rq);
enum MHD_Result ui_openapi(req *rq);

#endif
