/* events.h: what happens to tasks (submitted, completed, failed, deleted),
 * told to whoever installed a hook.
 *
 * The jobs layer never logs; it reports each task event to the hook main
 * installs in job_env (the HTTP layer passes it on to submit() and in
 * retention_env), and main logs it, so every task event is written in one
 * place. A hook runs on the thread
 * where the event happened (a worker, a request, the sweeper): it must be
 * safe from any thread and never call back into the jobs layer. */
#ifndef UC_EVENTS_H
#define UC_EVENTS_H

#include <stdint.h>

#include "store/tasks.h"

enum task_event_kind {
    TASK_EV_SUBMITTED,
    TASK_EV_COMPLETED,
    TASK_EV_FAILED,
    TASK_EV_DELETED,
};

/* Why a task was deleted. */
enum task_deleted_why {
    TASK_DELETED_BY_HAND,   /* DELETE /__mock/tasks/{id} */
    TASK_DELETED_RETENTION, /* --retention-days passed (sweeper or clock move) */
    TASK_DELETED_RESET,     /* POST /__mock/reset */
};

typedef struct task_event {
    enum task_event_kind kind;
    const task *t;            /* the task (borrowed); its counts may predate the event */
    const task_result *res;   /* TASK_EV_COMPLETED: the run's counts */
    const char *reason;       /* TASK_EV_FAILED: the error the client sees */
    int64_t ms;               /* TASK_EV_COMPLETED/FAILED: the run's wall time */
    enum task_deleted_why why; /* TASK_EV_DELETED */
} task_event;

typedef struct task_hook {
    void (*fn)(void *ud, const task_event *ev);
    void *ud;
} task_hook;

/* Tell h about ev. h == NULL or h->fn == NULL: nobody listens. */
void task_hook_emit(const task_hook *h, const task_event *ev);

/* "submitted", "completed", "failed", "deleted". */
const char *task_event_name(enum task_event_kind k);
/* "by_hand", "retention", "reset". */
const char *task_deleted_why_name(enum task_deleted_why w);

#endif
