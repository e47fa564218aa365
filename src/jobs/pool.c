/* pool.c: worker threads over a FIFO of jobs (contract in pool.h). */
#include "jobs/pool.h"

#include "jobs/prepass.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct node {
    job j;
    struct node *next;
    int running;
} node;

struct pool {
    const job_env *env;
    pthread_mutex_t lock;
    pthread_cond_t more;     /* queue gained a job, or stopping */
    pthread_cond_t done;     /* a job left the running list */
    node *head, *tail;       /* queued */
    node *running;           /* running (linked through next) */
    int stopping;
    int nthreads;
    atomic_int spare;        /* workers idle and not lent (job_borrow) */
    pthread_t *threads;
};

static void unlink_running(pool *p, node *n)
{
    for (node **pp = &p->running; *pp; pp = &(*pp)->next)
        if (*pp == n) {
            *pp = n->next;
            return;
        }
}

static void *worker(void *arg)
{
    pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->more, &p->lock);
        if (p->stopping)
            break;
        node *n = p->head;
        p->head = n->next;
        if (!p->head)
            p->tail = NULL;
        n->running = 1;
        n->next = p->running;
        p->running = n;
        n->j.spare = &p->spare;
        atomic_fetch_sub(&p->spare, 1);
        pthread_mutex_unlock(&p->lock);

        job_execute(p->env, &n->j);

        atomic_fetch_add(&p->spare, 1);
        pthread_mutex_lock(&p->lock);
        unlink_running(p, n);
        pthread_cond_broadcast(&p->done);
        free(n);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

uc_err pool_start(const job_env *env, int nthreads, pool **out)
{
    pool *p = calloc(1, sizeof *p);
    if (!p)
        return UC_ENOMEM;
    p->env = env;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->more, NULL);
    pthread_cond_init(&p->done, NULL);
    if (nthreads > 0) {
        p->threads = calloc((size_t)nthreads, sizeof *p->threads);
        if (!p->threads) {
            pool_stop(p);
            return UC_ENOMEM;
        }
        for (int i = 0; i < nthreads; i++) {
            if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
                pool_stop(p);
                return UC_ENOMEM;
            }
            p->nthreads++;
            atomic_fetch_add(&p->spare, 1);
        }
    }
    *out = p;
    return UC_OK;
}

void pool_stop(pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    for (node *n = p->running; n; n = n->next)
        atomic_store(&n->j.cancel, 1);
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    while (p->head) {
        node *n = p->head;
        p->head = n->next;
        prepass_free(n->j.t.pre);
        free(n);
    }
    free(p->threads);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->more);
    pthread_cond_destroy(&p->done);
    free(p);
}

const job_env *pool_env(const pool *p)
{
    return p->env;
}

static void enqueue(pool *p, node *n)
{
    pthread_mutex_lock(&p->lock);
    if (p->tail)
        p->tail->next = n;
    else
        p->head = n;
    p->tail = n;
    pthread_cond_signal(&p->more);
    pthread_mutex_unlock(&p->lock);
}

uc_err pool_submit(pool *p, const task *t)
{
    node *n = calloc(1, sizeof *n);
    if (!n)
        return UC_ENOMEM;
    job_init(&n->j, p->env, t);
    if (p->nthreads == 0) {
        job_execute(p->env, &n->j);
        free(n);
        return UC_OK;
    }
    enqueue(p, n);
    return UC_OK;
}

uc_err pool_submit_held(pool *p, const task *t, pool_held **out)
{
    node *n = calloc(1, sizeof *n);
    if (!n)
        return UC_ENOMEM;
    job_init(&n->j, p->env, t);
    job_hold_row(&n->j);
    if (p->nthreads > 0)
        enqueue(p, n);
    *out = (pool_held *)n;
    return UC_OK;
}

uc_err pool_here_begin(pool *p, const task *t, job **out)
{
    node *n = calloc(1, sizeof *n);
    if (!n)
        return UC_ENOMEM;
    job_init(&n->j, p->env, t);
    n->running = 1;
    pthread_mutex_lock(&p->lock);
    n->next = p->running;
    p->running = n;
    pthread_mutex_unlock(&p->lock);
    *out = &n->j;
    return UC_OK;
}

void pool_here_end(pool *p, job *j)
{
    node *n = (node *)j; /* j is its node's first member */
    pthread_mutex_lock(&p->lock);
    unlink_running(p, n);
    pthread_cond_broadcast(&p->done);
    pthread_mutex_unlock(&p->lock);
    free(n);
}

/* The queue's tail again, after nodes were taken out of it. Caller
 * holds the lock. */
static void retail(pool *p)
{
    p->tail = NULL;
    for (node *n = p->head; n; n = n->next)
        p->tail = n;
}

/* Take n off the queue if no worker has taken it yet: 1 if it was. */
static int unqueue(pool *p, node *n)
{
    pthread_mutex_lock(&p->lock);
    int found = 0;
    for (node **pp = &p->head; *pp; pp = &(*pp)->next)
        if (*pp == n) {
            *pp = n->next;
            found = 1;
            break;
        }
    retail(p);
    pthread_mutex_unlock(&p->lock);
    return found;
}

void pool_release(pool *p, pool_held *h, bool row_in)
{
    node *n = (node *)h;
    if (p->nthreads == 0 && row_in) { /* the single-threaded mode runs it now */
        job_release_row(&n->j, true);
        job_execute(p->env, &n->j);
        free(n);
    } else if (!row_in && (p->nthreads == 0 || unqueue(p, n))) {
        prepass_free(n->j.t.pre); /* never started: nothing else to undo */
        free(n);
    } else {
        job_release_row(&n->j, row_in); /* n is the worker's from here */
    }
    pthread_mutex_lock(&p->lock); /* a canceller may wait for the release */
    pthread_cond_broadcast(&p->done);
    pthread_mutex_unlock(&p->lock);
}

static node *find(node *list, const char *id)
{
    for (node *n = list; n; n = n->next)
        if (!strcmp(n->j.t.id, id))
            return n;
    return NULL;
}

int pool_progress(pool *p, const char *id, int *progress)
{
    pthread_mutex_lock(&p->lock);
    node *n = find(p->running, id);
    int found = 1;
    if (n)
        *progress = job_progress(&n->j);
    else if (find(p->head, id))
        *progress = 0;
    else
        found = 0;
    pthread_mutex_unlock(&p->lock);
    return found;
}

/* A job named by id, else by key (NULL key: every job). */
static int matches(const node *n, const char *id, const char *key)
{
    if (id)
        return !strcmp(n->j.t.id, id);
    return !key || !strcmp(n->j.t.api_key, key);
}

/* Remove the queued jobs matching (id or key) that are not held: 1 if
 * any was. A held one (pool_submit_held) is its submitter's until
 * pool_release; *held is set if one matches. Caller holds the lock. */
static int unqueue_matching(pool *p, const char *id, const char *key, int *held)
{
    int found = 0;
    for (node **pp = &p->head; *pp;) {
        node *n = *pp;
        if (matches(n, id, key) && job_row_held(&n->j)) {
            *held = 1;
            pp = &n->next;
        } else if (matches(n, id, key)) {
            *pp = n->next;
            prepass_free(n->j.t.pre);
            free(n);
            found = 1;
        } else {
            pp = &n->next;
        }
    }
    retail(p);
    return found;
}

/* Remove queued jobs matching (id or key) and cancel running ones; wait
 * until none of them runs. Caller holds the lock. A held job (its row not
 * in yet) is waited for until its submitter releases it (a moment: the
 * upload's fsync and the insert), then cancelled like the others: its row,
 * in by then, is the canceller's, as a task submitted just before. */
static int cancel_locked(pool *p, const char *id, const char *key)
{
    int found = 0;
    for (;;) {
        int waiting = 0;
        if (unqueue_matching(p, id, key, &waiting))
            found = 1;
        for (node *n = p->running; n; n = n->next)
            if (matches(n, id, key)) {
                atomic_store(&n->j.cancel, 1);
                waiting = found = 1;
            }
        if (!waiting)
            break;
        pthread_cond_wait(&p->done, &p->lock);
    }
    return found;
}

int pool_cancel(pool *p, const char *id)
{
    pthread_mutex_lock(&p->lock);
    int found = cancel_locked(p, id, NULL);
    pthread_mutex_unlock(&p->lock);
    return found;
}

void pool_cancel_all(pool *p, const char *api_key)
{
    pthread_mutex_lock(&p->lock);
    cancel_locked(p, NULL, api_key);
    pthread_mutex_unlock(&p->lock);
}
