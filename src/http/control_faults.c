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

typedef struct arming {
    faults *fs;
    json_t *armed;  /* the fault as listed, or NULL */
} arming;

static void arm_check(jcheck *jc, const jloc *body, json_t *j, void *ud)
{
    arming *a = ud;
    a->armed = faults_arm(a->fs, j, jc, body);
    log_line l;
    if (a->armed && log_begin(&l, LOG_INFO, "fault_armed")) {
        char *spec = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        log_int(&l, "fault", json_integer_value(json_object_get(a->armed, "id")));
        log_str(&l, "spec", spec);
        log_end(&l);
        free(spec);
    }
}

static enum MHD_Result arm_act(req *rq, void *ud)
{
    arming *a = ud;
    return resp_queue_json(rq, 201, a->armed); /* NULL (out of memory) answers 500 */
}

enum MHD_Result control_faults_post(req *rq)
{
    arming a = {rq->a->faults, NULL};
    return control_json(rq, arm_check, arm_act, &a);
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
