/* dirsync.h: directory fsyncs shared between threads (group commit).
 *
 * A rename into a directory is durable once the directory is fsynced. Many
 * small tasks commit files into uploads/ and results/ at the same time;
 * each waiting for an fsync of its own would sync the same directory over
 * and over. Here one thread (started on first use, then idle on a
 * condition variable for the process's life) runs the fsyncs: a request
 * joins the batch of its directory that no fsync has started on yet, and
 * one fsync, started after every rename of the batch, answers the whole
 * batch. A failed fsync fails every request of its batch. The caller does
 * its own work (e.g. the file's fsync) while the directory's runs. */
#ifndef UC_DIRSYNC_H
#define UC_DIRSYNC_H

#include "core/err.h"

/* A request in flight: fill with dirsync_request, end with dirsync_wait
 * (exactly once, whatever the request returned). */
#define DIRSYNC_PATH_MAX 1200

typedef struct dirsync_ticket {
    struct dirsync_batch *b; /* NULL: no syncer; dirsync_wait syncs itself */
    char dir[DIRSYNC_PATH_MAX];
} dirsync_ticket;

/* Ask for an fsync of the directory dir that starts after this call. Never
 * fails: without the syncer thread (it could not start, or no memory for a
 * batch) dirsync_wait does the fsync itself. */
void dirsync_request(const char *dir, dirsync_ticket *t);

/* Wait for t's fsync: UC_OK once it succeeded, UC_EIO if it (or opening
 * the directory) failed. */
uc_err dirsync_wait(dirsync_ticket *t);

/* Request and wait: fsync dir, shared with whoever waits at the same time. */
uc_err dirsync(const char *dir);

#endif
