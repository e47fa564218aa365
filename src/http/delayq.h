/* delayq.h: one thread that runs callbacks when their deadlines come.
 *
 * The daemon's timer: every request that must wait (a fault's delay, an
 * answer given mid-upload) is one entry here, not a thread of its own.
 * Entries fire in deadline order, those with equal deadlines in the order
 * they were added. Callbacks run on the queue's thread, one at a time,
 * without the queue's lock held: they may add entries, and must be short
 * (they hold up every later deadline). */
#ifndef UC_DELAYQ_H
#define UC_DELAYQ_H

#include <stddef.h>
#include <stdint.h>

typedef struct delayq delayq;

/* cancelled is 1 when the entry fires early because the queue was
 * closed (see delayq_close), else 0. */
typedef void (*delayq_fn)(void *arg, int cancelled);

/* A queue of at most cap entries at once; starts the thread. Returns
 * NULL when out of memory or no thread. */
delayq *delayq_new(size_t cap);

/* Call fn(arg, ...) once, delay_ms from now (<= 0: as soon as possible).
 * Returns 0; -1 when the queue holds cap entries or delayq_stop has
 * begun: fn will never be called then. Any thread may add. */
int delayq_add(delayq *q, int64_t delay_ms, delayq_fn fn, void *arg);

/* Stop waiting: every entry not yet due, now and added later, fires at
 * once with cancelled = 1; entries already due fire as usual. Used when
 * the server stops, so that no request keeps it waiting. */
void delayq_close(delayq *q);

/* Close, fire what is left, and end the thread. From then on adds fail:
 * nothing waits on the queue any more. Call once; not from a callback. */
void delayq_stop(delayq *q);

/* Stop (unless stopped) and free. Accepts NULL. */
void delayq_free(delayq *q);

#endif
