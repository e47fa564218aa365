/* auth.h: the API key check of the real API's endpoints. */
#ifndef UC_AUTH_H
#define UC_AUTH_H

#include "http/req.h"

/* Checks X-API-Key: present, not longer than a key may be, and one of
 * --api-key when any is set. Returns 1 when the request may go on
 * (rq->api_key set); else queues the 401 and returns 0 (*ret set). */
int auth_require(req *rq, enum MHD_Result *ret);

#endif
