/* health.c: GET /healthz, for load balancers and the test harness: 200
 * once the server is ready and its data dir and database are usable, else
 * 503. */
#include <stdio.h>
#include <unistd.h>

#include "http/resp.h"
#include "http/health.h"
#include "store/files.h"

enum MHD_Result health_get(req *rq)
{
    app *a = rq->a;
    int64_t v;
    char probe[FILES_PATH_MAX];
    snprintf(probe, sizeof probe, "%s/tmp", a->cfg->data_dir);
    int ok = atomic_load(&a->ready) && access(probe, W_OK) == 0 &&
             db_meta_get_i64(a->d, "clock_offset_ms", &v) != UC_EDB;
    if (!ok)
        return resp_queue_json(rq, 503, json_pack("{s:s}", "status", "unavailable"));
    return resp_queue_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}
