/* auth.c: X-API-Key, checked as the real service checks it: missing and
 * unknown keys get their own 401 messages. */
#include "http/auth.h"

#include <string.h>

#include "core/messages.h"
#include "http/resp.h"

int auth_require(req *rq, enum MHD_Result *ret)
{
    const char *k = req_header(rq, "X-API-Key");
    if (!k || !*k) {
        *ret = resp_detail(rq, 401, MSG_NO_AUTH);
        return 0;
    }
    const config *cfg = rq->a->cfg;
    int ok = strlen(k) <= TASK_KEY_MAX;
    if (ok && cfg->n_api_keys > 0) {
        ok = 0;
        for (size_t i = 0; i < cfg->n_api_keys; i++)
            if (!strcmp(cfg->api_keys[i], k))
                ok = 1;
    }
    if (!ok) {
        *ret = resp_detail(rq, 401, MSG_BAD_KEY);
        return 0;
    }
    rq->api_key = k;
    return 1;
}
