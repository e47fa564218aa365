/* dirsync.h: directory fsyncs shared between threads (group commit).
 *
 * A new file (or a rename) in a directory is durable once the directory is
 * fsynced. Many small tasks commit files into uploads/ and results/ at the
 * same time; each running an fsync of its own would sync the same
 * directory over and over. Here the waiters share them, with no thread of
 * their own (a hand-off to one cost two context switches a commit): a
 * waiter whose request no ended fsync answers runs the next fsync of the
 * directory itself, unless one is running (then it waits for that one to
 * end, and looks again); an fsync answers every request made before it
 * started. A failed fsync fails every request it would have answered. */
#ifndef UC_DIRSYNC_H
#define UC_DIRSYNC_H

#include <stdint.h>
#include "core/err.h"

/* A request in flight: fill with dirsync_request, end with dirsync_wait
 * (exactly once, whatever the request returned). */
#define DIRSYNC_PATH_MAX 1200

typedef struct dirsync_ticket {
    struct dirsync_dir *d;  /* NULL: not shared (the table is full); wait syncs itself */
    uint64_t need;  /* the first of d's fsyncs that answers it */
    char dir[DIRSYNC_PATH_MAX];
} dirsync_ticket;

/* Ask for an fsync of the directory dir that starts after this call. Never
 * fails; starts nothing (the fsync runs in dirsync_wait, here or on another
 * waiter's thread). */
void dirsync_request(const char *dir, dirsync_ticket *t);

/* Wait for t's fsync, running it on this thread when no other waiter
 * does: UC_OK once it succeeded, UC_EIO if it (or opening the directory)
 * failed. */
uc_err dirsync_wait(dirsync_ticket *t);

/* Request and wait: fsync dir, shared with whoever waits at the same time. */
uc_err dirsync(const char *dir);

#endif
