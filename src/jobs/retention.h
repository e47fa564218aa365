/* retention.h: deleting projects: by hand, at the end of their retention,
 * or all of an account's at a reset. Cancels a running job first, then
 * removes the row, then the files, so nothing is ever served half gone. */
#ifndef UC_RETENTION_H
#define UC_RETENTION_H

#include <stdint.h>
#include "core/err.h"
#include "jobs/events.h"
#include "jobs/pool.h"
#include "store/db.h"

typedef struct retention_env {
    db *d;
    pool *p;
    const char *data_dir;
    const task_hook *hook;   /* told of each deletion; NULL = nobody */
} retention_env;

/* Delete task id (of api_key, or any owner if NULL). UC_ENOTFOUND if
 * there is no such task for that key. */
uc_err retention_delete(const retention_env *env, const char *id, const char *api_key);

/* Delete every task created before cutoff_ms. *n gets how many. */
uc_err retention_sweep(const retention_env *env, int64_t cutoff_ms, int *n);

/* Reset api_key's account (NULL = every account): cancel its jobs, then
 * delete its task rows, its account row and its lists in one transaction,
 * then the tasks' files. */
uc_err retention_reset(const retention_env *env, const char *api_key);

#endif
