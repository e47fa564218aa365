/* control.h: the /__mock control API's endpoints. They are the mock's
 * own: no API key (but DELETE of a task), no journal, never faulted.
 *
 * The control API refuses what it does not understand: every JSON body is
 * checked strictly (core/jcheck.h: unknown names, wrong types, values out
 * of range) and every query name not in the route's list is refused, each
 * with 400 {"detail": [problem, ...]}, one entry per problem, and nothing
 * changed. control.c holds the index, clock, tasks, reset, bans, journal
 * and what the handlers share; control_accounts.c the accounts and their
 * lists; control_faults.c the faults; control_scenario.c the scenario
 * (scenario.c). */
#ifndef UC_CONTROL_H
#define UC_CONTROL_H

#include "core/jcheck.h"
#include "http/req.h"

enum MHD_Result control_index(req *rq);          /* GET /__mock */
enum MHD_Result control_clock_get(req *rq);      /* GET /__mock/clock */
enum MHD_Result control_clock_post(req *rq);     /* POST /__mock/clock */
enum MHD_Result control_clock_delete(req *rq);   /* DELETE /__mock/clock */
enum MHD_Result control_tasks_list(req *rq);     /* GET /__mock/tasks */
enum MHD_Result control_task_delete(req *rq);    /* DELETE /__mock/tasks/{id} */
enum MHD_Result control_reset(req *rq);          /* POST /__mock/reset */
enum MHD_Result control_bans_get(req *rq);       /* GET /__mock/bans */
enum MHD_Result control_bans_delete(req *rq);    /* DELETE /__mock/bans */
enum MHD_Result control_journal_get(req *rq);    /* GET /__mock/requests */
enum MHD_Result control_journal_delete(req *rq); /* DELETE /__mock/requests */

/* control_accounts.c */
enum MHD_Result control_accounts_list(req *rq);  /* GET /__mock/accounts */
enum MHD_Result control_account_get(req *rq);    /* GET /__mock/accounts/{key} */
enum MHD_Result control_account_put(req *rq);    /* PUT /__mock/accounts/{key} */
enum MHD_Result control_list_get(req *rq);       /* GET .../{key}/lists/{kind} */
enum MHD_Result control_list_put(req *rq);       /* PUT .../{key}/lists/{kind} */

/* control_faults.c */
enum MHD_Result control_faults_get(req *rq);     /* GET /__mock/faults */
enum MHD_Result control_faults_post(req *rq);    /* POST /__mock/faults */
enum MHD_Result control_faults_delete(req *rq);  /* DELETE /__mock/faults */
enum MHD_Result control_fault_get(req *rq);      /* GET /__mock/faults/{id} */
enum MHD_Result control_fault_delete(req *rq);   /* DELETE /__mock/faults/{id} */

/* control_scenario.c */
enum MHD_Result control_scenario_get(req *rq);   /* GET /__mock/scenario */
enum MHD_Result control_scenario_put(req *rq);   /* PUT /__mock/scenario */

/* ---- what the handlers share ---- */

/* After the clock moved from offset was_ms to the one set now (and
 * stored): log it, and apply retention at once. */
void control_clock_moved(app *a, int64_t was_ms);

/* Before a route with a query list (route.query) runs: when the query
 * holds a name the route does not take, queue 400 with one problem per
 * such name (loc ["query", name]) and return 0 (*ret set); else 1. */
int control_query_ok(req *rq, enum MHD_Result *ret);

/* A JSON body's handling in two steps: check reads the parsed body j
 * (borrowed; loc root `body`), records every problem in jc and keeps what
 * act needs in ud; act then does the work and answers. */
typedef void (*control_check_fn)(jcheck *jc, const jloc *body, json_t *j, void *ud);
typedef enum MHD_Result (*control_act_fn)(req *rq, void *ud);

/* Parse rq's body (an empty body reads as {}), run check on it, and answer
 * 400 with every problem found (parse errors at ["body", byte offset]),
 * or act(rq, ud) when there is none. j stays alive until act returns, so
 * ud may point into it. */
enum MHD_Result control_json(req *rq, control_check_fn check, control_act_fn act, void *ud);

/* Queue 400 {"detail": problems of jc} (500 when jc ran out of memory). */
enum MHD_Result control_refuse(req *rq, jcheck *jc);

#endif
