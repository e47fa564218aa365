/* dirsync.c: the directory-fsync thread and its batches (see dirsync.h). */
#include "store/dirsync.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIRS 16 /* directories known at once: a data dir has 3 */

/* The requests one fsync answers. Freed by whoever drops the last ref. */
struct dirsync_batch {
    int refs;   /* waiters, plus the syncer while it runs the batch */
    int done;
    int rc;     /* 0, or -1: the fsync (or the open) failed */
};

struct dir {
    char path[DIRSYNC_PATH_MAX];
    struct dirsync_batch *open; /* joined, no fsync started on it yet */
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a batch was opened */
    pthread_cond_t done; /* a batch was answered */
    struct dir dirs[DIRS];
    int ndirs;
    int running;         /* the thread is there */
} S = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
       .ndirs = 0, .running = 0};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static int sync_path(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? 0 : -1;
}

static void unref(struct dirsync_batch *b)
{
    if (--b->refs == 0)
        free(b);
}

static void *syncer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&S.lock);
    for (;;) {
        struct dir *d = NULL;
        for (int i = 0; i < S.ndirs && !d; i++)
            if (S.dirs[i].open)
                d = &S.dirs[i];
        if (!d) {
            pthread_cond_wait(&S.work, &S.lock);
            continue;
        }
        /* From here on, new requests open the next batch: this fsync
         * starts after every rename of this one. */
        struct dirsync_batch *b = d->open;
        d->open = NULL;
        b->refs++;
        pthread_mutex_unlock(&S.lock);
        int rc = sync_path(d->path);
        pthread_mutex_lock(&S.lock);
        b->rc = rc;
        b->done = 1;
        unref(b);
        pthread_cond_broadcast(&S.done);
    }
    return NULL;
}

static void start(void)
{
    pthread_t th;
    pthread_attr_t at;
    if (pthread_attr_init(&at) != 0)
        return;
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &at, syncer, NULL) == 0)
        S.running = 1;
    pthread_attr_destroy(&at);
}

/* dir's entry, added if new; NULL when the table is full. Lock held. */
static struct dir *find(const char *dir)
{
    for (int i = 0; i < S.ndirs; i++)
        if (!strcmp(S.dirs[i].path, dir))
            return &S.dirs[i];
    if (S.ndirs == DIRS)
        return NULL;
    struct dir *d = &S.dirs[S.ndirs++];
    snprintf(d->path, sizeof d->path, "%s", dir);
    d->open = NULL;
    return d;
}

void dirsync_request(const char *dir, dirsync_ticket *t)
{
    snprintf(t->dir, sizeof t->dir, "%s", dir);
    t->b = NULL;
    pthread_once(&once, start);
    pthread_mutex_lock(&S.lock);
    struct dir *d = S.running ? find(dir) : NULL;
    if (d && !d->open) {
        d->open = calloc(1, sizeof *d->open);
        if (d->open)
            pthread_cond_signal(&S.work);
    }
    if (d && d->open) {
        t->b = d->open;
        t->b->refs++;
    }
    pthread_mutex_unlock(&S.lock);
}

uc_err dirsync_wait(dirsync_ticket *t)
{
    if (!t->b)
        return sync_path(t->dir) == 0 ? UC_OK : UC_EIO;
    pthread_mutex_lock(&S.lock);
    while (!t->b->done)
        pthread_cond_wait(&S.done, &S.lock);
    int rc = t->b->rc;
    unref(t->b);
    t->b = NULL;
    pthread_mutex_unlock(&S.lock);
    return rc == 0 ? UC_OK : UC_EIO;
}

uc_err dirsync(const char *dir)
{
    dirsync_ticket t;
    dirsync_request(dir, &t);
    return dirsync_wait(&t);
}
