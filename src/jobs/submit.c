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

    uc_err e = files_commit(upload_tmp, path);
    if (e)
        goto fail; /* files_commit leaves nothing at path */
    e = task_insert(d, t);
    if (e)
        goto fail_file;
    /* Told before the job is queued, so that its end is never told first. */
    task_hook_emit(hook, &(task_event){.kind = TASK_EV_SUBMITTED, .t = t});
    e = pool_submit(p, t);
    if (e)
        goto fail_row;
    return UC_OK;

fail_row:
    /* Not queued: take it back whole rather than leave it waiting for the
     * next start. If the row cannot be deleted, its file must stay too
     * (a row without its upload would fail at the next start). */
    if (task_delete(d, t->id, NULL) == UC_EDB)
        return e;
fail_file:
    unlink(path);
    files_sync_dir(path);
fail:
    return e;
}
