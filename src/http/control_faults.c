/* control_faults.c: /__mock/faults: arm a fault (its spec checked
 * strictly), list them, read or disarm one by id, disarm all. The fault
 * engine itself is faults.c. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/messages.h"
#include "http/control.h"
#include "http/faults.h"
#include "http/resp.h"

enum MHD_Result control_faults_post(req *rq)
{
    jcheck *jc = jcheck_new();
    if (!jc)
        return resp_detail(rq, 500, MSG_INTERNAL);
    jloc body = JLOC_ROOT("body");
    json_t *j = control_body(rq, jc, &body);
    json_t *o = j ? faults_arm(rq->a->faults, j, jc, &body) : NULL;
    enum MHD_Result ret;
    log_line l;
    if (o && log_begin(&l, LOG_INFO, "fault_armed")) {
        char *spec = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        log_int(&l, "fault", json_integer_value(json_object_get(o, "id")));
        log_str(&l, "spec", spec);
        log_end(&l);
        free(spec);
    }
    if (o)
        ret = resp_queue_json(rq, 201, o);
    else if (jcheck_failed(jc))
        ret = control_refuse(rq, jc);
    else
        ret = resp_detail(rq, 500, MSG_INTERNAL);
    json_decref(j);
    jcheck_free(jc);
    return ret;
}

enum MHD_Result control_faults_get(req *rq)
{
    return resp_queue_json(rq, 200, json_pack("{s:o}", "faults", faults_json(rq->a->faults)));
}

enum MHD_Result control_faults_delete(req *rq)
{
    faults_clear(rq->a->faults, NULL);
    return resp_queue_json(rq, 200, json_pack("{s:b}", "cleared", 1));
}

/* The {id} of the path: a positive decimal int, else 0 (no fault has it). */
static int fault_id(const req *rq)
{
    const char *p = rq->param;
    if (*p < '1' || *p > '9')
        return 0;
    char *end;
    errno = 0;
    long id = strtol(p, &end, 10);
    return *end || errno || id > INT_MAX ? 0 : (int)id;
}

enum MHD_Result control_fault_get(req *rq)
{
    int found = 0, id = fault_id(rq);
    json_t *o = id ? faults_get(rq->a->faults, id, &found) : NULL;
    if (!found)
        return resp_detail(rq, 404, MSG_NO_FAULT);
    return resp_queue_json(rq, 200, o); /* NULL (out of memory) answers 500 */
}

enum MHD_Result control_fault_delete(req *rq)
{
    int id = fault_id(rq);
    if (!id || !faults_delete(rq->a->faults, id))
        return resp_detail(rq, 404, MSG_NO_FAULT);
    return resp_queue_json(rq, 200, json_pack("{s:i,s:b}", "id", id, "deleted", 1));
}
