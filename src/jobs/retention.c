/* retention.c: task deletion in a safe order (see retention.h). */
#include "jobs/retention.h"

#include "store/files.h"
#include "store/tasks.h"

uc_err retention_delete(const retention_env *env, const char *id, const char *api_key)
{
    task t;
    uc_err e = task_get(env->d, id, api_key, &t);
    if (e)
        return e;
    pool_cancel(env->p, id);
    e = task_delete(env->d, id, api_key);
    if (e && e != UC_ENOTFOUND)
        return e;
    files_remove_task(env->data_dir, t.id, t.format);
    return UC_OK;
}

typedef struct sweep {
    const retention_env *env;
    int n;
    uc_err e;
} sweep;

static int delete_one(void *ud, const task *t)
{
    sweep *s = ud;
    uc_err e = retention_delete(s->env, t->id, NULL);
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

uc_err retention_delete_all(const retention_env *env, const char *api_key)
{
    pool_cancel_all(env->p, api_key);
    sweep s = {env, 0, UC_OK};
    uc_err e = task_each(env->d, api_key, TASK_STATUS_ANY, 0, delete_one, &s);
    return e ? e : s.e;
}
