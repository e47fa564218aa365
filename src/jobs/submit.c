/* submit.c: a new task: commit the upload, insert the row, enqueue; undone
 * in reverse order when a step fails (see submit.h). */
#include "jobs/submit.h"

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

uc_err submit(db *d, pool *p, const char *data_dir, const char *upload_tmp, task *t,
              const task_hook *hook)
{
    char path[FILES_PATH_MAX];
    task_new_id(t->id);
    t->created_at = clock_now_ms();
    files_upload_path(data_dir, t->id, t->format, path);

    /* The upload in place, its job started on it, then the upload made
     * durable and the row inserted while the job reads it: a small task
     * is mostly done when the answer leaves. The job writes nothing of
     * its own to the row before pool_release. */
    files_pending up;
    pool_held *held;
    uc_err e = files_commit_begin(upload_tmp, path, &up);
    if (e)
        goto fail; /* nothing at path */
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
