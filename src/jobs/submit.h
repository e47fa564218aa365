/* submit.h: a new batch task, from a stored upload to a queued job.
 *
 * submit() is the one operation that spans files, rows and the pool:
 * commit the upload into uploads/, insert the task row, enqueue the job.
 * When a step fails it undoes the earlier ones in reverse order, so a
 * failed submission leaves no file, no row and no job behind. The storage
 * quota rule lives here as well, for every place that applies it (the
 * HTTP layer applies it as an upload streams in, and again just before it
 * submits, since other tasks may have grown meanwhile). */
#ifndef UC_SUBMIT_H
#define UC_SUBMIT_H

#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"
#include "jobs/events.h"
#include "jobs/pool.h"
#include "store/db.h"
#include "store/tasks.h"

/* Bytes key may still store under limit: limit minus what its tasks hold
 * (uploads and results), negative when already over; at most INT64_MAX.
 * UC_EDB when the sum cannot be read (*room is then untouched). */
uc_err submit_room(db *d, const char *key, uint64_t limit, int64_t *room);

/* The quota rule: whether bytes more fit in room (from submit_room). */
bool submit_fits(int64_t room, uint64_t bytes);

/* Submit t (its fields filled by the caller, faults included): give it an
 * id and creation time (written into t), move the closed upload file at
 * upload_tmp (borrowed) to its place in uploads/ (an upload already there,
 * files_upload_new_path, keeps its path and its id becomes the task's), queue its job on p (pool_submit_held: it may start reading the
 * upload at once), make the upload durable, insert the row (status
 * processing) and let the job go on to write it. UC_OK: the task now
 * belongs to the database and the pool (with a pool of 0 workers the job
 * has already run); t->pre is the job's then, as soon as the job exists
 * (NULL in t). On failure nothing of it is left in the database or the
 * pool, nor in uploads/ but upload_tmp itself, which may still exist and
 * stays the caller's (to remove). UC_EIO
 * (the file could not be made durable), UC_EDB (the row), UC_ENOMEM (the
 * job). hook (NULL: none) is told TASK_EV_SUBMITTED once the row is in,
 * before the job may end.
 *
 * A small delimited upload with no delay (up to 64 KiB, no processing or
 * fault delay) runs on the calling thread instead (job_execute_first):
 * upload and result made durable together, then the row inserted already
 * completed (or failed) and charged, in one transaction; the task is never
 * seen processing. The same undo applies: on failure nothing is left. */
uc_err submit(db *d, pool *p, const char *data_dir, const char *upload_tmp, task *t,
              const task_hook *hook);

/* submit() for an upload held in memory: the t->upload_bytes bytes at
 * mem (borrowed). A task that runs on the calling thread runs on them and
 * its upload is never written anywhere: nothing reads a task's upload
 * once it has run (the row still counts its bytes towards the storage
 * quota). Any other is first written to its place in uploads/ under a new
 * id, then submitted as above. On failure nothing of it is left (no file,
 * row or job); UC_EIO when the file could not be written. */
uc_err submit_mem(db *d, pool *p, const char *data_dir, const char *mem, task *t,
                  const task_hook *hook);

#endif
