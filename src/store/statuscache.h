/* statuscache.h: the status answers of finished tasks, kept in memory so
 * that a client polling a completed or failed task costs no database
 * read (no SQLite lock, no row copy, no formatting).
 *
 * A finished task's row never changes again (task_complete and task_fail
 * only finish a processing one); it only goes away. So an entry stays
 * right until its task is deleted, and every deletion forgets it once
 * the deletion is committed (jobs/retention.c: by hand, by retention, by
 * reset). The caller stores the bytes it would answer: the cache knows
 * nothing of their format.
 *
 * One cache per process (task ids are random UUIDs), thread-safe, with a
 * fixed number of entries (STATUSCACHE_SLOTS, the newest put wins a slot)
 * and a cap on each entry's bytes: its memory is bounded.
 *
 * A reader that fills the cache takes statuscache_gen() BEFORE it reads
 * the row and passes it to statuscache_put: a deletion committed in
 * between (its forget bumps the generation) makes the put a no-op, so a
 * row read just before its deletion is never cached after it. */
#ifndef UC_STATUSCACHE_H
#define UC_STATUSCACHE_H

#include <stddef.h>
#include <stdint.h>

#define STATUSCACHE_SLOTS 1024
#define STATUSCACHE_BODY_MAX 8192 /* longer answers are not kept */

/* The current generation, for a later statuscache_put. */
uint64_t statuscache_gen(void);

/* The answer kept for task id when it belongs to api_key: a malloc'd copy
 * (the caller's to free) and its length in *len. NULL when none is kept
 * for that id and key (or out of memory): read the database. */
char *statuscache_get(const char *id, const char *api_key, size_t *len);

/* Keep body (len bytes, copied) as the answer for finished task id of
 * api_key, unless the generation moved past gen (a task was forgotten
 * since gen was taken), body is too long, or memory is short: a cache
 * that misses is still right. */
void statuscache_put(const char *id, const char *api_key, const char *body,
                     size_t len, uint64_t gen);

/* Forget task id (it was deleted: call after the deletion's commit). */
void statuscache_forget(const char *id);

/* Forget every task of api_key, or every task (api_key NULL): after a
 * reset's commit. */
void statuscache_forget_key(const char *api_key);

/* Entries kept now (tests). */
size_t statuscache_count(void);

#endif
