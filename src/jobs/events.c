/* events.c: the task event hook and its name tables (see events.h). */
#include "jobs/events.h"

#include <stddef.h>

void task_hook_emit(const task_hook *h, const task_event *ev)
{
    if (h && h->fn)
        h->fn(h->ud, ev);
}

const char *task_event_name(enum task_event_kind k)
{
    static const char *const names[] = {
        [TASK_EV_SUBMITTED] = "submitted",
        [TASK_EV_COMPLETED] = "completed",
        [TASK_EV_FAILED] = "failed",
        [TASK_EV_DELETED] = "deleted",
    };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

const char *task_deleted_why_name(enum task_deleted_why w)
{
    static const char *const names[] = {
        [TASK_DELETED_BY_HAND] = "by_hand",
        [TASK_DELETED_RETENTION] = "retention",
        [TASK_DELETED_RESET] = "reset",
    };
    return (unsigned)w < sizeof names / sizeof names[0] ? names[w] : "unknown";
}
