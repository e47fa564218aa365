/* fsyncq.h: file fsyncs on helper threads, so that one thread can have
 * several under way at once.
 *
 * A task's upload and result are each made durable with an fsync of
 * their own (tens of microseconds to milliseconds on a busy disk). A
 * thread that needs both, or that has work to do meanwhile, asks for
 * them here and waits once: the fsyncs run at the same time on a few
 * helper threads (started on first use, idle on a condition variable for
 * the process's life), and the device can serve their flushes together. */
#ifndef UC_FSYNCQ_H
#define UC_FSYNCQ_H

#include <pthread.h>
#include "store/dirsync.h"

/* A request in flight: fill with fsyncq_request, end with fsyncq_wait
 * (exactly once). Lives with its requester (e.g. on its stack). */
typedef struct fsyncq_ticket {
    int fd;
    int queued;   /* 0: no helper, fsyncq_wait syncs itself */
    int done;
    int rc;       /* fsync's return (and the directory's: -1 if either failed) */
    dirsync_ticket *dir; /* NULL, or the directory's fsync to wait for after */
    pthread_cond_t cv;
    struct fsyncq_ticket *next;
} fsyncq_ticket;

/* Ask for fsync(fd) to start on a helper thread, then (dir not NULL: a
 * request made, dirsync_request) the directory's fsync there too, after
 * the file's (dirsync_wait, which the caller must then leave alone). Never
 * fails: without a helper (none could start) fsyncq_wait does both
 * itself. fd must stay open until fsyncq_wait returns. */
void fsyncq_request(int fd, dirsync_ticket *dir, fsyncq_ticket *t);

/* A ticket for fd that no helper takes: fsyncq_wait does the fsync on
 * the waiting thread (for a caller with nothing to do meanwhile). */
void fsyncq_here(int fd, fsyncq_ticket *t);

/* Wait for t's fsync (and its directory's): 0, or -1 if either failed
 * (errno unknown). */
int fsyncq_wait(fsyncq_ticket *t);

#endif
