/* run.c: one task's run from start to end (see run.h): choose the pass
 * for the upload's format (pass.h), hold the task for its delay, commit
 * the result file, then charge the account and record the outcome in one
 * transaction. */
#include "jobs/run.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/messages.h"
#include "jobs/lists.h"
#include "jobs/pass.h"
#include "jobs/prepass.h"
#include "store/accounts.h"
#include "store/files.h"

int job_progress(const job *j)
{
    int p = atomic_load(&j->progress);
    if (j->delay_ms > 0) {
        int64_t el = clock_now_ms() - j->started_at;
        if (el < 0) /* the clock was set back */
            el = 0;
        int tp = el >= j->delay_ms ? 99 : (int)(el * 100 / j->delay_ms);
        if (tp < p)
            p = tp;
    }
    return p > 100 ? 100 : p;
}

void job_init(job *j, const job_env *env, const task *t)
{
    j->t = *t;
    /* The delay runs from the submission, not from when a worker got to
     * the job: a clock moved right after the submit answer counts, however
     * late a worker is scheduled. */
    j->started_at = t->created_at;
    j->delay_ms = env->processing_delay_ms;
    if (t->fault_delay_ms > j->delay_ms)
        j->delay_ms = t->fault_delay_ms;
    pthread_mutex_init(&j->row_lock, NULL);
    pthread_cond_init(&j->row_cv, NULL);
    j->row = JOB_ROW_IN;
}

void job_hold_row(job *j)
{
    j->row = JOB_ROW_WAIT; /* before any other thread sees j */
}

void job_release_row(job *j, bool row_in)
{
    pthread_mutex_lock(&j->row_lock);
    j->row = row_in ? JOB_ROW_IN : JOB_ROW_NEVER;
    pthread_cond_broadcast(&j->row_cv);
    pthread_mutex_unlock(&j->row_lock);
}

bool job_row_held(job *j)
{
    pthread_mutex_lock(&j->row_lock);
    bool held = j->row == JOB_ROW_WAIT;
    pthread_mutex_unlock(&j->row_lock);
    return held;
}

/* Wait until the submitter says whether the row is in: true if it is. */
static bool row_in(job *j)
{
    pthread_mutex_lock(&j->row_lock);
    while (j->row == JOB_ROW_WAIT)
        pthread_cond_wait(&j->row_cv, &j->row_lock);
    bool in = j->row == JOB_ROW_IN;
    pthread_mutex_unlock(&j->row_lock);
    return in;
}

int job_borrow(job *j, int want)
{
    if (!j->spare || want <= 0)
        return 0;
    int idle = atomic_load(j->spare);
    for (;;) {
        int n = idle < want ? idle : want;
        if (n <= 0)
            return 0;
        if (atomic_compare_exchange_weak(j->spare, &idle, idle - n))
            return n;
    }
}

void job_unborrow(job *j, int n)
{
    if (j->spare && n > 0)
        atomic_fetch_add(j->spare, n);
}

/* Sleep until the job's delay has passed on the virtual clock (or it is
 * cancelled): moving the clock past it ends the wait within 20 ms. */
static int hold(job *j)
{
    while (clock_now_ms() - j->started_at < j->delay_ms) {
        if (atomic_load(&j->cancel))
            return -1;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* Do the work: the pass for the task's format writes tmp and fills *res.
 * An armed job fault fails the task without reading a byte. */
static uc_err work(const job_env *env, job *j, const char *mem, const char *tmp,
                   task_result *res, char *err, size_t errcap)
{
    const task *t = &j->t;
    if (t->fault_fail[0]) {
        snprintf(err, errcap, "%s", t->fault_fail);
        return UC_EFORMAT;
    }
    char in[FILES_PATH_MAX];
    files_upload_path(env->data_dir, t->id, t->format, in);
    pass r = {.env = env, .j = j, .err = err, .errcap = errcap, .in_mem = mem};
    if (mem)
        r.in_len = (size_t)t->upload_bytes;
    uc_err e = UC_ENOMEM;
    r.dd = dedup_new();
    if (r.dd)
        e = lists_load(env->d, env->outcomes, t->api_key, &r.al);
    int64_t t0 = clock_mono_ms();
    if (!e)
        e = t->format == TASK_XLSX ? pass_xlsx(&r, in, tmp) : pass_delimited(&r, in, tmp);
    task_phases *ms = &r.res.ms;
    if (!ms->read && !ms->merge && !ms->write) /* a pass with no phases of its own */
        ms->read = clock_mono_ms() - t0;
    files_scratch_close(r.recs, r.recs_buf);
    dedup_free(r.dd);
    acct_lists_free(r.al);
    *res = r.res;
    if (!res->threads)
        res->threads = 1;
    return e;
}

/* Charge for the result and mark the task completed, in one transaction:
 * both or neither. insert: the row is not in yet (job_execute_first) and
 * goes in in the same transaction. UC_EQUOTA (err says so) when the
 * credits do not cover it, UC_ENOTFOUND when the task was deleted
 * meanwhile (nothing charged). */
static uc_err record(const job_env *env, const task *t, const task_result *res, bool insert,
                     char *err, size_t errcap)
{
    uc_err e = db_begin(env->d);
    /* The task's row is in (or goes in), so its account must be: a reset
     * between the submission's credit check and now removed it, not this
     * task. */
    if (!e && res->charged > 0)
        e = account_make(env->d, t->api_key, env->start_credits);
    if (!e && res->charged > 0)
        e = account_charge(env->d, t->api_key, res->charged);
    if (!e)
        e = insert ? task_insert_finished(env->d, t, res, NULL) : task_complete(env->d, t->id, res);
    if (e) {
        db_rollback(env->d);
    } else {
        e = db_commit(env->d);
    }
    if (e && e != UC_ENOTFOUND)
        snprintf(err, errcap, "%s", e == UC_EQUOTA ? MSG_NO_CREDITS : MSG_ERROR_PROCESSING);
    return e;
}

/* The row of a task run before it was in, inserted failed with err (one
 * statement). */
static uc_err insert_failed(const job_env *env, const task *t, const char *err)
{
    return task_insert_finished(env->d, t, NULL, err);
}

uc_err job_execute_first(const job_env *env, job *j, const char *mem, files_pending *upload,
                         const task_hook *submitted)
{
    const task *t = &j->t;
    char err[TASK_ERROR_MAX + 1] = "";
    char final[FILES_PATH_MAX];
    task_result res = {0};

    int64_t t0 = clock_mono_ms();
    /* The result written in place: no row names the task yet, so nothing
     * reads it before it is whole and durable (files.h). */
    files_result_path(env->data_dir, t->id, t->format, final);
    uc_err e = work(env, j, mem, final, &res, err, sizeof err);
    prepass_free(j->t.pre);
    j->t.pre = NULL;
    /* Both files made durable at once: the result's fsync on this thread
     * while the upload's (begun before the run) ends on its helper, then
     * the upload's commit ended (an upload in memory has none). */
    int64_t t1 = clock_mono_ms();
    files_pending out;
    bool out_in = false;
    if (!e && files_commit_begin_here(final, final, &out) != UC_OK) {
        snprintf(err, sizeof err, MSG_ERROR_PROCESSING);
        e = UC_EIO;
    } else if (!e) {
        out_in = true;
    }
    if (out_in && files_commit_end(&out) != UC_OK) { /* final removed */
        snprintf(err, sizeof err, MSG_ERROR_PROCESSING);
        e = UC_EIO;
        out_in = false;
    }
    uc_err up = upload ? files_commit_end(upload) : UC_OK;
    res.ms.commit = clock_mono_ms() - t1;
    if (e)
        unlink(final); /* a pass that failed may have left it */
    if (up) { /* the upload is not durable: no task */
        if (out_in)
            unlink(final);
        return up;
    }
    if (!e) {
        atomic_store(&j->progress, 100);
        e = record(env, t, &res, true, err, sizeof err);
        if (e && e != UC_EQUOTA) { /* the row could not go in */
            unlink(final);
            return e;
        }
    }
    if (e) {
        if (out_in)
            unlink(final);
        if (!err[0])
            snprintf(err, sizeof err, MSG_ERROR_PROCESSING);
        uc_err ie = insert_failed(env, t, err);
        if (ie)
            return ie;
    }
    task_hook_emit(submitted, &(task_event){.kind = TASK_EV_SUBMITTED, .t = t});
    if (e)
        task_hook_emit(&env->hook, &(task_event){.kind = TASK_EV_FAILED, .t = t, .reason = err,
                                                 .ms = clock_mono_ms() - t0});
    else
        task_hook_emit(&env->hook, &(task_event){.kind = TASK_EV_COMPLETED, .t = t,
                                                 .res = &res, .ms = clock_mono_ms() - t0});
    return UC_OK;
}

uc_err job_execute(const job_env *env, job *j)
{
    const task *t = &j->t;
    char err[TASK_ERROR_MAX + 1] = "";
    char final[FILES_PATH_MAX], tmp[FILES_PATH_MAX];
    task_result res = {0};

    int64_t t0 = clock_mono_ms(); /* the run's wall time, for the events */
    int64_t waited = clock_now_ms() - t->created_at; /* the virtual clock may move */
    files_result_path(env->data_dir, t->id, t->format, final);
    files_tmp_path(env->data_dir, t->format == TASK_XLSX ? ".xlsx" : ".out", tmp);

    uc_err e = work(env, j, NULL, tmp, &res, err, sizeof err);
    res.ms.wait = waited > 0 ? waited : 0;
    prepass_free(j->t.pre); /* the pass has taken what it could use */
    j->t.pre = NULL;
    if (e != UC_ECANCELED && hold(j) != 0)
        e = UC_ECANCELED;
    if (e == UC_ECANCELED) {
        unlink(tmp);
        row_in(j); /* the submitter still holds j until it says */
        return UC_ECANCELED;
    }
    /* The result in place (durable), then charged and completed: charged
     * only once the result is safely there, and taken back out if the
     * charge fails. */
    int64_t t1 = clock_mono_ms();
    if (!e && files_commit(tmp, final) != UC_OK) {
        snprintf(err, sizeof err, MSG_ERROR_PROCESSING);
        e = UC_EIO;
    }
    res.ms.commit = clock_mono_ms() - t1;
    if (!row_in(j)) { /* the submission was undone: no row will come */
        unlink(tmp);
        if (!e)
            unlink(final);
        return UC_ECANCELED;
    }
    if (!e) {
        atomic_store(&j->progress, 100);
        e = record(env, t, &res, false, err, sizeof err);
        if (e)
            unlink(final);
        if (e == UC_ENOTFOUND) /* deleted while we worked */
            return UC_ECANCELED;
    }
    if (e) {
        unlink(tmp);
        if (!err[0])
            snprintf(err, sizeof err, MSG_ERROR_PROCESSING);
        if (task_fail(env->d, t->id, err) == UC_ENOTFOUND)
            return UC_ECANCELED;
        task_hook_emit(&env->hook, &(task_event){.kind = TASK_EV_FAILED, .t = t, .reason = err,
                                                 .ms = clock_mono_ms() - t0});
        return UC_OK;
    }
    task_hook_emit(&env->hook, &(task_event){.kind = TASK_EV_COMPLETED, .t = t, .res = &res,
                                             .ms = clock_mono_ms() - t0});
    return UC_OK;
}
