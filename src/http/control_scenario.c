/* control_scenario.c: /__mock/scenario: export the mock's state as a
 * scenario document (GET), or apply one to the running mock (PUT: all or
 * nothing). The format and its checking are scenario.c's. */
#include "core/messages.h"
#include "http/control.h"
#include "http/resp.h"
#include "http/scenario.h"

enum MHD_Result control_scenario_get(req *rq)
{
    json_t *doc = scenario_export(rq->a);
    return doc ? resp_queue_json(rq, 200, doc) : resp_detail(rq, 500, MSG_INTERNAL);
}

typedef struct putting {
    scenario *s;
} putting;

static void put_check(jcheck *jc, const jloc *body, json_t *j, void *ud)
{
    putting *p = ud;
    p->s = scenario_check(j, jc, body);
}

static enum MHD_Result put_act(req *rq, void *ud)
{
    putting *p = ud;
    if (!p->s || scenario_apply(rq->a, p->s, "put") != UC_OK)
        return resp_detail(rq, 500, MSG_INTERNAL);
    return control_scenario_get(rq);
}

enum MHD_Result control_scenario_put(req *rq)
{
    putting p = {NULL};
    enum MHD_Result ret = control_json(rq, put_check, put_act, &p);
    scenario_free(p.s);
    return ret;
}
