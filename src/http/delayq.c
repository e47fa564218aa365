/* delayq.c: a binary min-heap of deadlines (CLOCK_MONOTONIC) and the one
 * thread that sleeps until the earliest of them. */
#include "http/delayq.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"

typedef struct entry {
    int64_t due_ms;   /* monotonic */
    uint64_t seq;     /* order of adding: ties fire first-in first-out */
    delayq_fn fn;
    void *arg;
} entry;

struct delayq {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    entry *heap;      /* cap entries, allocated once */
    size_t n, cap;
    uint64_t next_seq;
    int closed;       /* fire everything now; not-yet-due ones cancelled */
    int stopping;     /* delayq_stop: refuse adds, exit when empty */
    int joined;       /* the thread has ended */
};

static int before(const entry *a, const entry *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void swap(entry *a, entry *b)
{
    entry t = *a;
    *a = *b;
    *b = t;
}

static void sift_up(entry *h, size_t i)
{
    while (i > 0 && before(&h[i], &h[(i - 1) / 2])) {
        swap(&h[i], &h[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

static void sift_down(entry *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(&h[l], &h[m]))
            m = l;
        if (r < n && before(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        swap(&h[i], &h[m]);
        i = m;
    }
}

static entry pop_min(delayq *q)
{
    entry top = q->heap[0];
    q->heap[0] = q->heap[--q->n];
    sift_down(q->heap, q->n, 0);
    return top;
}

static void *run(void *p)
{
    delayq *q = p;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (q->n == 0) {
            if (q->stopping)
                break;
            pthread_cond_wait(&q->wake, &q->lock);
            continue;
        }
        int64_t now = clock_mono_ms();
        if (q->heap[0].due_ms > now && !q->closed) {
            int64_t due = q->heap[0].due_ms;
            struct timespec ts = {(time_t)(due / 1000), (long)(due % 1000) * 1000000};
            pthread_cond_timedwait(&q->wake, &q->lock, &ts);
            continue; /* woken early by an add, or due: look again */
        }
        entry e = pop_min(q);
        pthread_mutex_unlock(&q->lock);
        e.fn(e.arg, e.due_ms > now);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

delayq *delayq_new(size_t cap)
{
    delayq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->cap = cap;
    q->heap = calloc(cap ? cap : 1, sizeof *q->heap);
    if (!q->heap) {
        free(q);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 256 * 1024);
    int rc = pthread_create(&q->thread, &at, run, q);
    pthread_attr_destroy(&at);
    if (rc != 0) {
        pthread_cond_destroy(&q->wake);
        pthread_mutex_destroy(&q->lock);
        free(q->heap);
        free(q);
        return NULL;
    }
    return q;
}

int delayq_add(delayq *q, int64_t delay_ms, delayq_fn fn, void *arg)
{
    pthread_mutex_lock(&q->lock);
    int rc = -1;
    if (q->stopping || q->n == q->cap)
        goto out;
    entry e = {clock_mono_ms() + (delay_ms > 0 ? delay_ms : 0), q->next_seq++, fn, arg};
    q->heap[q->n] = e;
    sift_up(q->heap, q->n++);
    if (q->heap[0].seq == e.seq) /* a new earliest deadline */
        pthread_cond_signal(&q->wake);
    rc = 0;
out:
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void delayq_close(delayq *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
}

void delayq_stop(delayq *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = q->stopping = 1;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    q->joined = 1;
}

void delayq_free(delayq *q)
{
    if (!q)
        return;
    if (!q->joined)
        delayq_stop(q);
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->lock);
    free(q->heap);
    free(q);
}
