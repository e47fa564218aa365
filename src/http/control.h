/* control.h: state behind the /__mock control API: the request journal,
 * armed faults, rate and ban counters. */
#ifndef UC_CONTROL_H
#define UC_CONTROL_H

#include "http/limits.h"
#include "http/server.h"

typedef struct control control;

control *control_new(const config *cfg);
void control_free(control *c);  /* accepts NULL */

limits *control_limits(app *a);

/* Before a request is handled: apply the first armed HTTP fault that
 * matches it (delay, canned response, dropped connection, cut download).
 * Returns 1 when the fault answered the request (*ret set). */
int control_fault_apply(req *rq, enum MHD_Result *ret);

/* At submission: take a job fault armed for key, if any, into t. */
void control_task_fault_take(app *a, const char *key, task *t);

/* After a request: record it in the journal. */
void control_journal_add(req *rq, int64_t duration_ms);

#endif
