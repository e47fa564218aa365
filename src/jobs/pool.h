/* pool.h: the worker thread pool that runs tasks.
 *
 * Contract:
 * - pool_submit() copies the task into a new job and queues it (FIFO).
 *   Workers take jobs off the queue and run job_execute(); a job's
 *   progress and outcome live in the job and the task row, never in the
 *   pool.
 * - The pool lock guards only the queue and the list of running jobs;
 *   it is never held while a job runs, and job code never calls back into
 *   the pool.
 * - pool_cancel() asks a queued or running job to stop; a running job
 *   notices within CHECK_EVERY rows, removes its files and leaves the
 *   task row alone.
 * - A running job may borrow idle workers' cores for helper threads of
 *   its own (job_borrow, through the count in job.spare: no call into
 *   the pool, no lock): one large task then uses every idle core. A
 *   queued task is never held back by it: a worker that a new task needs
 *   takes it, lent or not.
 * - nthreads == 0 is the single-threaded mode for repeatable tests
 *   (pool_start(env, 0, &p); the --workers flag starts at 1): no thread
 *   is made, pool_submit() runs the job to its end on the caller's thread
 *   before returning, so nothing is ever queued or running between calls
 *   (pool_progress and pool_cancel find nothing). */
#ifndef UC_POOL_H
#define UC_POOL_H

#include <stdbool.h>

#include "core/err.h"
#include "jobs/run.h"
#include "store/tasks.h"

typedef struct pool pool;

/* Start nthreads workers (0: the single-threaded mode above) running jobs
 * with env (borrowed: it must outlive the pool). */
uc_err pool_start(const job_env *env, int nthreads, pool **out);
/* Cancel what runs, drop the queue, join the threads, free. Tasks not
 * finished stay "processing" in the database and are resumed at the next
 * start. Accepts NULL. */
void pool_stop(pool *p);

/* The env the pool's jobs run with (borrowed, as given to pool_start). */
const job_env *pool_env(const pool *p);

/* Queue a copy of t (or, with 0 workers, run it now). UC_ENOMEM when no
 * job could be made: nothing was queued then. */
uc_err pool_submit(pool *p, const task *t);

/* A job queued before its task's row is in (see job_hold_row). */
typedef struct pool_held pool_held;

/* As pool_submit, for a task whose upload is in place but whose row is
 * not in yet: the job may start at once (it reads the upload while the
 * caller makes it durable and inserts the row) but writes no row and
 * tells no event before pool_release. With 0 workers it runs in
 * pool_release. *out is the caller's until pool_release. UC_ENOMEM: no
 * job was made. */
uc_err pool_submit_held(pool *p, const task *t, pool_held **out);

/* End the hold, exactly once: the row is in (row_in), or never will be,
 * and the job is dropped (a queued one at once; a started one removes its
 * files and ends as cancelled). */
void pool_release(pool *p, pool_held *h, bool row_in);

/* A job that runs on the caller's thread (job_execute_first), listed with
 * the running ones from pool_here_begin to pool_here_end, so that a cancel
 * (pool_cancel_all: a reset) sets its cancel flag and waits for its end
 * (its row is in by then, or never will be). *out is the caller's to run,
 * and to end with pool_here_end exactly once. UC_ENOMEM: no job. */
uc_err pool_here_begin(pool *p, const task *t, job **out);
void pool_here_end(pool *p, job *j);

/* Progress (0..100) of task id if the pool holds it: returns 1 and sets
 * *progress, else 0. */
int pool_progress(pool *p, const char *id, int *progress);

/* Cancel task id if queued or running, and wait until no worker touches
 * it any more. Returns 1 if it was found. */
int pool_cancel(pool *p, const char *id);

/* Cancel every job of api_key (NULL = all) and wait for them. */
void pool_cancel_all(pool *p, const char *api_key);

#endif
