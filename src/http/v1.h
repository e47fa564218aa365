/* v1.h: the real service's endpoints under /v1/external-api-requests/
 * (v1.c), each answered with the service's exact shapes and messages. */
#ifndef UC_V1_H
#define UC_V1_H

#include "http/req.h"

enum MHD_Result v1_batch_submit(req *rq);    /* POST batch-check-emails */
enum MHD_Result v1_batch_status(req *rq);    /* GET batch-check-status/{id} */
enum MHD_Result v1_batch_download(req *rq);  /* GET batch-task-download/{id} */
enum MHD_Result v1_check_email(req *rq);     /* POST check-email */

#endif
