/* run.h: one task, start to finish: read -> dedup -> verify -> write.
 *
 * job_execute() reads the task's stored upload, writes the result file
 * atomically (temp file, fsync, rename), charges the account and records
 * the outcome in the task row. It never knows about HTTP. */
#ifndef UC_RUN_H
#define UC_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"
#include "jobs/events.h"
#include "store/db.h"
#include "store/files.h"
#include "store/tasks.h"
#include "verify/classify.h"

struct outcomes_slot; /* verify/outcomes.h */

typedef struct job_env {
    db *d;
    const char *data_dir;
    const domain_lists *dl;
    int processing_delay_ms;     /* every task stays processing this long */
    uint64_t xlsx_max_inflated;
    uint32_t xlsx_max_entries;
    task_hook hook;              /* told when a run completes or fails */
    struct outcomes_slot *outcomes; /* chosen outcomes (a scenario's), taken
                                       once at a run's start; NULL: none */
    uint64_t split_min;          /* delimited uploads this large borrow idle
                                    workers (pass_split); 0: every upload
                                    is split, even on one thread (tests) */
    uint64_t split_mem_max;      /* a split upload up to this size keeps its
                                    row records in memory, a larger one in
                                    temp files (jobs/rowrecs.h); 0: always
                                    in files (tests) */
    int64_t start_credits;       /* of an account made for a task's charge
                                    (-1 = unlimited): a reset may have
                                    removed the account after the task's
                                    submission was let in */
} job_env;

/* split_mem_max for a server: at most 40 bytes of records a row, about
 * 70 MB at 96 MiB of short rows. */
#define JOB_SPLIT_MEM_MAX (96u << 20)

typedef struct job {
    task t;                      /* the row as it was when the job started */
    atomic_int progress;         /* work done, 0..100 */
    atomic_int cancel;           /* set by another thread: stop soon */
    int64_t started_at;          /* where the delay starts: the task's
                                    created_at (virtual clock); set by
                                    job_init, read-only after */
    int64_t delay_ms;            /* how long it must stay processing, on
                                    the virtual clock; likewise */
    atomic_int *spare;           /* set by the pool: its idle workers, which
                                    a job may borrow (job_borrow); NULL: none */
    pthread_mutex_t row_lock;    /* guards row, with row_cv */
    pthread_cond_t row_cv;
    int row;                     /* JOB_ROW_*: may the job write its row? */
} job;

/* job.row; 0 so that a zeroed job never waits */
enum { JOB_ROW_IN = 0, JOB_ROW_WAIT, JOB_ROW_NEVER };

/* Take up to want of the pool's idle workers for this job's own helper
 * threads; returns how many (0 when none is idle). Hand them back with
 * job_unborrow. A worker taken by a new task while lent is not stopped:
 * the count only keeps two large tasks from counting the same idle core. */
int job_borrow(job *j, int want);
void job_unborrow(job *j, int n);

/* Make j (zeroed) the job of task t (copied), with its delay, before any
 * other thread can see it: job_progress reads the delay from any thread
 * while the job runs, so it never changes once the job is queued. */
void job_init(job *j, const job_env *env, const task *t);

/* A job may start before its task's row is in (submit.c queues it as soon
 * as the upload is in place, and makes the upload durable and inserts the
 * row while the job reads it). job_hold_row, before the job is queued,
 * makes it wait before its first write to the row (and before any event);
 * job_release_row (exactly once, from the submitting thread) says whether
 * the row is in (row_in) or never will be: the job then removes its files
 * and ends as cancelled. A job made by job_init alone never waits. */
void job_hold_row(job *j);
void job_release_row(job *j, bool row_in);
/* Whether j still waits for job_release_row. */
bool job_row_held(job *j);

/* Run j (made by job_init) to its end and record the outcome in the
 * database. Returns UC_OK when the task row now says completed or failed,
 * UC_ECANCELED when the job was cancelled (its files are removed; the row
 * is the canceller's). */
uc_err job_execute(const job_env *env, job *j);

/* Run j (made by job_init, its task's row not in yet) on the calling
 * thread, for a small task with no delay (jobs/submit.c): write its result,
 * then make the result and the upload durable at the same time (upload:
 * the caller's files_commit_begin, ended here exactly once, whatever
 * happens), then insert the row already finished, completed and charged
 * (or failed, as job_execute would fail it) in one transaction. The task's
 * first status read then finds it finished. UC_OK: the row is in, and
 * submitted (NULL: none) was told TASK_EV_SUBMITTED, then env's hook the
 * end. Otherwise no row went in and the result is removed: UC_EIO when
 * the upload could not be made durable (files_commit_end removed it), or
 * the database's error; what is left of the upload is the caller's.
 *
 * mem not NULL: the upload is the task's upload_bytes bytes at mem
 * (borrowed), never written to a file; upload is NULL then. Nothing reads
 * a task's upload once it has run, so one run here needs no file of it:
 * the result and the row are all that is made durable. */
uc_err job_execute_first(const job_env *env, job *j, const char *mem, files_pending *upload,
                         const task_hook *submitted);

/* Progress as a client should see it: the work done, held back so that
 * the task takes at least its delay. */
int job_progress(const job *j);

#endif
