/* control.h: the /__mock control API's endpoints (control.c). They are
 * the mock's own: no API key, no journal, never faulted. */
#ifndef UC_CONTROL_H
#define UC_CONTROL_H

#include "http/req.h"

enum MHD_Result control_clock_get(req *rq);      /* GET /__mock/clock */
enum MHD_Result control_clock_post(req *rq);     /* POST /__mock/clock */
enum MHD_Result control_tasks_list(req *rq);     /* GET /__mock/tasks */
enum MHD_Result control_task_delete(req *rq);    /* DELETE /__mock/tasks/{id} */
enum MHD_Result control_reset(req *rq);          /* POST /__mock/reset */
enum MHD_Result control_account_get(req *rq);    /* GET /__mock/accounts/{key} */
enum MHD_Result control_list_get(req *rq);       /* GET .../{key}/lists/{kind} */
enum MHD_Result control_list_put(req *rq);       /* PUT .../{key}/lists/{kind} */
enum MHD_Result control_journal_get(req *rq);    /* GET /__mock/requests */
enum MHD_Result control_journal_delete(req *rq); /* DELETE /__mock/requests */
enum MHD_Result control_faults_get(req *rq);     /* GET /__mock/faults */
enum MHD_Result control_faults_post(req *rq);    /* POST /__mock/faults */
enum MHD_Result control_faults_delete(req *rq);  /* DELETE /__mock/faults */

#endif
