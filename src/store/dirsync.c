/* dirsync.c: directory fsyncs shared by the threads waiting for them
 * (group commit; see dirsync.h). */
#include "store/dirsync.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DIRS 16 /* directories known at once: a data dir has 3 */

/* A directory's fsyncs, numbered from 1 as they start; one runs at a
 * time, so the one numbered done and every earlier one have ended. */
struct dirsync_dir {
    char path[DIRSYNC_PATH_MAX];
    uint64_t started;
    uint64_t done;
    uint64_t failed; /* the number of the last that failed, 0: none */
    int running;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t done; /* an fsync ended (any directory's) */
    struct dirsync_dir dirs[DIRS];
    int ndirs;
} S = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, .ndirs = 0};

static int sync_path(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? 0 : -1;
}

/* dir's entry, added if new; NULL when the table is full. Lock held. */
static struct dirsync_dir *find(const char *dir)
{
    for (int i = 0; i < S.ndirs; i++)
        if (!strcmp(S.dirs[i].path, dir))
            return &S.dirs[i];
    if (S.ndirs == DIRS)
        return NULL;
    struct dirsync_dir *d = &S.dirs[S.ndirs++];
    snprintf(d->path, sizeof d->path, "%s", dir);
    d->started = d->done = d->failed = 0;
    d->running = 0;
    return d;
}

void dirsync_request(const char *dir, dirsync_ticket *t)
{
    snprintf(t->dir, sizeof t->dir, "%s", dir);
    pthread_mutex_lock(&S.lock);
    t->d = find(dir);
    if (t->d) /* the next fsync to start on it comes after this call */
        t->need = t->d->started + 1;
    pthread_mutex_unlock(&S.lock);
}

uc_err dirsync_wait(dirsync_ticket *t)
{
    struct dirsync_dir *d = t->d;
    if (!d)
        return sync_path(t->dir) == 0 ? UC_OK : UC_EIO;
    pthread_mutex_lock(&S.lock);
    while (d->done < t->need) {
        if (d->running) { /* it may have started before the request */
            pthread_cond_wait(&S.done, &S.lock);
            continue;
        }
        /* Lead the next one: it starts after every request made so far,
         * and answers all of them. */
        uint64_t n = ++d->started;
        d->running = 1;
        pthread_mutex_unlock(&S.lock);
        int rc = sync_path(d->path);
        pthread_mutex_lock(&S.lock);
        d->running = 0;
        d->done = n;
        if (rc != 0)
            d->failed = n;
        pthread_cond_broadcast(&S.done);
    }
    /* Any failure since the request fails it, even if a later fsync
     * succeeded (the error may have been reported to the failed one only). */
    uc_err e = d->failed >= t->need ? UC_EIO : UC_OK;
    pthread_mutex_unlock(&S.lock);
    t->d = NULL;
    return e;
}

uc_err dirsync(const char *dir)
{
    dirsync_ticket t;
    dirsync_request(dir, &t);
    return dirsync_wait(&t);
}
