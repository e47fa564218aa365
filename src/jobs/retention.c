/* retention.c: task deletion in a safe order (see retention.h). */
#include "jobs/retention.h"

#include "core/buf.h"
#include "store/accounts.h"
#include "store/files.h"
#include "store/statuscache.h"
#include "store/tasks.h"

#include <stdint.h>

static uc_err delete_task(const retention_env *env, const char *id, const char *api_key,
                          enum task_deleted_why why)
{
    task t;
    uc_err e = task_get(env->d, id, api_key, &t);
    if (e)
        return e;
    pool_cancel(env->p, id);
    e = task_delete(env->d, id, api_key);
    statuscache_forget(id); /* committed: its status answer goes too */
    if (e && e != UC_ENOTFOUND)
        return e;
    files_remove_task(env->data_dir, t.id, t.format);
    if (e == UC_OK) /* not gone meanwhile by another hand */
        task_hook_emit(env->hook, &(task_event){.kind = TASK_EV_DELETED, .t = &t, .why = why});
    return UC_OK;
}

uc_err retention_delete(const retention_env *env, const char *id, const char *api_key)
{
    return delete_task(env, id, api_key, TASK_DELETED_BY_HAND);
}

typedef struct sweep {
    const retention_env *env;
    int n;
    uc_err e;
} sweep;

static int delete_one(void *ud, const task *t)
{
    sweep *s = ud;
    uc_err e = delete_task(s->env, t->id, NULL, TASK_DELETED_RETENTION);
    if (e == UC_OK)
        s->n++;
    else if (e != UC_ENOTFOUND)
        s->e = e;
    return 0;
}

uc_err retention_sweep(const retention_env *env, int64_t cutoff_ms, int *n)
{
    sweep s = {env, 0, UC_OK};
    uc_err e = task_each(env->d, NULL, TASK_STATUS_ANY, cutoff_ms, delete_one, &s);
    if (n)
        *n = s.n;
    return e ? e : s.e;
}

/* The tasks being reset: their files go once their rows are gone. */
typedef struct gone {
    struct buf tasks;  /* task records */
    uc_err e;
} gone;

static int collect(void *ud, const task *t)
{
    gone *g = ud;
    g->e = buf_add(&g->tasks, t, sizeof *t);
    return g->e != UC_OK;
}

uc_err retention_reset(const retention_env *env, const char *api_key)
{
    /* Jobs first, outside the transaction: a job ending may write its row,
     * and the transaction holds the write lock. */
    pool_cancel_all(env->p, api_key);
    gone g = {.e = UC_OK};
    buf_init(&g.tasks, SIZE_MAX);
    uc_err e = db_begin(env->d);
    if (e)
        return e;
    e = task_each(env->d, api_key, TASK_STATUS_ANY, 0, collect, &g);
    if (!e)
        e = g.e;
    if (!e)
        e = task_delete_all(env->d, api_key);
    if (!e)
        e = account_delete_all(env->d, api_key);
    if (e)
        db_rollback(env->d);
    else
        e = db_commit(env->d);
    statuscache_forget_key(api_key); /* after the commit (statuscache.h) */
    const task *t = (const task *)g.tasks.data;
    for (size_t i = 0; !e && i < g.tasks.len / sizeof *t; i++) {
        files_remove_task(env->data_dir, t[i].id, t[i].format);
        task_hook_emit(env->hook,
                       &(task_event){.kind = TASK_EV_DELETED, .t = &t[i], .why = TASK_DELETED_RESET});
    }
    buf_free(&g.tasks);
    return e;
}
