/* submit.c: a new task: commit the upload, insert the row, enqueue; undone
 * in reverse order when a step fails (see submit.h). */
#include "jobs/submit.h"

#include <stdio.h>
#include <unistd.h>

#include "core/clock.h"
#include "store/files.h"

uc_err submit_room(db *d, const char *key, uint64_t limit, int64_t *room)
{
    int64_t used = 0;
    uc_err e = task_storage_used(d, key, &used);
    if (e)
        return e;
    if (used < 0) /* a sum of sizes: never, but keep the arithmetic sound */
        used = 0;
    if ((uint64_t)used > limit)
        *room = -(int64_t)((uint64_t)used - limit);
    else if (limit - (uint64_t)used > (uint64_t)INT64_MAX)
        *room = INT64_MAX;
    else
        *room = (int64_t)(limit - (uint64_t)used);
    return UC_OK;
}

bool submit_fits(int64_t room, uint64_t bytes)
{
    return room >= 0 && bytes <= (uint64_t)room;
}

/* Uploads up to this size run on the submitting thread (runs_here): the
 * run of a 64 KiB upload (about 1,500 rows) takes a millisecond or two. */
#define SUBMIT_HERE_MAX (64 << 10)

/* Whether t runs on the submitting thread (job_execute_first): a small
 * delimited upload with nothing to wait for. Its run takes less than the
 * fsyncs both paths wait for; on a worker it would cost a second write
 * transaction, two thread hand-offs, a second round of fsyncs after the
 * first, and the client a status poll or more while it runs. */
static bool runs_here(const job_env *env, const task *t)
{
    return t->format != TASK_XLSX && !t->pre && t->upload_bytes >= 0 &&
           t->upload_bytes <= SUBMIT_HERE_MAX && (uint64_t)t->upload_bytes < env->split_min &&
           env->processing_delay_ms <= 0 && t->fault_delay_ms <= 0;
}

/* submit() for a task that runs here: its job listed with the pool's
 * running ones (a reset waits for it), the upload's commit begun (an
 * upload in memory, mem, has none), the job run, the row in finished; on
 * failure the upload taken back out. */
static uc_err submit_here(pool *p, const char *upload_tmp, const char *path, const char *mem,
                          const task *t, const task_hook *hook)
{
    job *j;
    uc_err e = pool_here_begin(p, t, &j);
    if (e)
        return e;
    files_pending up;
    e = mem ? UC_OK : files_commit_begin(upload_tmp, path, &up);
    if (e) { /* nothing moved: upload_tmp is still the caller's */
        pool_here_end(p, j);
        return e;
    }
    e = job_execute_first(pool_env(p), j, mem, mem ? NULL : &up, hook);
    pool_here_end(p, j);
    if (e && !mem) {
        unlink(path);
        files_sync_dir(path);
    }
    return e;
}

uc_err submit_mem(db *d, pool *p, const char *data_dir, const char *mem, task *t,
                  const task_hook *hook)
{
    task_new_id(t->id);
    t->created_at = clock_now_ms();
    if (runs_here(pool_env(p), t))
        return submit_here(p, NULL, NULL, mem, t, hook);
    /* Stored after all, under the new id: submit keeps a placed upload's
     * path and id. */
    char path[FILES_PATH_MAX];
    files_upload_path(data_dir, t->id, t->format, path);
    uc_err e = files_write_new(path, mem, (size_t)t->upload_bytes);
    if (e)
        return e;
    e = submit(d, p, data_dir, path, t, hook);
    if (e) /* the file is still ours: submit took nothing */
        unlink(path);
    return e;
}

uc_err submit(db *d, pool *p, const char *data_dir, const char *upload_tmp, task *t,
              const task_hook *hook)
{
    char path[FILES_PATH_MAX];
    /* An upload written in place (files_upload_new_path) keeps its id;
     * any other is renamed to a new one's place. */
    if (files_upload_placed(data_dir, upload_tmp, t->format, t->id)) {
        snprintf(path, sizeof path, "%s", upload_tmp);
    } else {
        task_new_id(t->id);
        files_upload_path(data_dir, t->id, t->format, path);
    }
    t->created_at = clock_now_ms();
    if (runs_here(pool_env(p), t))
        return submit_here(p, upload_tmp, path, NULL, t, hook);

    /* The upload in place, its job started on it, then the upload made
     * durable and the row inserted while the job reads it: a small task
     * is mostly done when the answer leaves. The job writes nothing of
     * its own to the row before pool_release. */
    files_pending up;
    pool_held *held;
    uc_err e = files_commit_begin(upload_tmp, path, &up);
    if (e)
        goto fail; /* nothing moved: upload_tmp is still the caller's */
    e = pool_submit_held(p, t, &held);
    if (e) {
        if (files_commit_end(&up) == UC_OK) /* never half done: end it, then undo */
            goto fail_file;
        goto fail;
    }
    t->pre = NULL; /* the job's now */
    e = files_commit_end(&up);
    if (e)
        goto fail_job; /* files_commit_end leaves nothing at path */
    e = task_insert(d, t);
    if (e)
        goto fail_file_job;
    /* Told before the job may end, so that its end is never told first. */
    task_hook_emit(hook, &(task_event){.kind = TASK_EV_SUBMITTED, .t = t});
    pool_release(p, held, true);
    return UC_OK;

fail_file_job:
    unlink(path);
    files_sync_dir(path);
fail_job:
    pool_release(p, held, false);
    return e;
fail_file:
    unlink(path);
    files_sync_dir(path);
fail:
    return e;
}
