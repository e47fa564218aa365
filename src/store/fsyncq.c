/* fsyncq.c: the file-fsync helper threads and their queue (see fsyncq.h). */
#include "store/fsyncq.h"

#include <stddef.h>
#include <unistd.h>

/* Helpers: fsyncs under way at once. 16 clients committing small tasks
 * have at most two files each in flight. */
#define HELPERS 8

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;        /* a request was queued */
    fsyncq_ticket *head, *tail; /* queued, not started */
    int running;                /* helpers started */
} Q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *helper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&Q.lock);
    for (;;) {
        fsyncq_ticket *t = Q.head;
        if (!t) {
            pthread_cond_wait(&Q.work, &Q.lock);
            continue;
        }
        Q.head = t->next;
        if (!Q.head)
            Q.tail = NULL;
        pthread_mutex_unlock(&Q.lock);
        int rc = fsync(t->fd);
        if (t->dir && dirsync_wait(t->dir) != UC_OK)
            rc = -1;
        pthread_mutex_lock(&Q.lock);
        t->rc = rc;
        t->done = 1;
        pthread_cond_signal(&t->cv);
    }
    return NULL;
}

static void start(void)
{
    pthread_attr_t at;
    if (pthread_attr_init(&at) != 0)
        return;
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 64 << 10); /* an fsync call needs little */
    for (int i = 0; i < HELPERS; i++) {
        pthread_t th;
        if (pthread_create(&th, &at, helper, NULL) == 0)
            Q.running++;
    }
    pthread_attr_destroy(&at);
}

void fsyncq_here(int fd, fsyncq_ticket *t)
{
    t->fd = fd;
    t->queued = t->done = 0;
    t->rc = 0;
    t->dir = NULL;
    t->next = NULL;
}

void fsyncq_request(int fd, dirsync_ticket *dir, fsyncq_ticket *t)
{
    fsyncq_here(fd, t);
    t->dir = dir;
    pthread_once(&once, start);
    if (!Q.running || pthread_cond_init(&t->cv, NULL) != 0)
        return;
    t->queued = 1;
    pthread_mutex_lock(&Q.lock);
    if (Q.tail)
        Q.tail->next = t;
    else
        Q.head = t;
    Q.tail = t;
    pthread_cond_signal(&Q.work);
    pthread_mutex_unlock(&Q.lock);
}

int fsyncq_wait(fsyncq_ticket *t)
{
    if (!t->queued) {
        int rc = fsync(t->fd) == 0 ? 0 : -1;
        if (t->dir && dirsync_wait(t->dir) != UC_OK)
            rc = -1;
        return rc;
    }
    pthread_mutex_lock(&Q.lock);
    while (!t->done)
        pthread_cond_wait(&t->cv, &Q.lock);
    pthread_mutex_unlock(&Q.lock);
    pthread_cond_destroy(&t->cv);
    return t->rc == 0 ? 0 : -1;
}
