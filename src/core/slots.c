/* slots.c: the ring of byte slots between two threads (see slots.h): one
 * mutex and one condition variable, woken on every hand-over. */
#include "core/slots.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct slots {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned n;
    size_t size;
    unsigned head, full;  /* oldest filled slot, filled slots */
    bool finished, stopped;
    size_t *len;
    unsigned char *mem;   /* n * size bytes */
};

slots *slots_new(unsigned n, size_t size)
{
    slots *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->len = calloc(n, sizeof *s->len);
    s->mem = malloc((size_t)n * size);
    if (!s->len || !s->mem) {
        free(s->len);
        free(s->mem);
        free(s);
        return NULL;
    }
    s->n = n;
    s->size = size;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    return s;
}

void slots_free(slots *s)
{
    if (!s)
        return;
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->len);
    free(s->mem);
    free(s);
}

size_t slots_size(const slots *s)
{
    return s->size;
}

unsigned char *slots_claim(slots *s)
{
    pthread_mutex_lock(&s->mu);
    while (s->full == s->n && !s->stopped)
        pthread_cond_wait(&s->cv, &s->mu);
    /* head + full stays put while the consumer releases: the slot is ours */
    unsigned char *p = s->stopped ? NULL : s->mem + (size_t)((s->head + s->full) % s->n) * s->size;
    pthread_mutex_unlock(&s->mu);
    return p;
}

void slots_publish(slots *s, size_t len)
{
    pthread_mutex_lock(&s->mu);
    s->len[(s->head + s->full) % s->n] = len;
    s->full++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void slots_finish(slots *s)
{
    pthread_mutex_lock(&s->mu);
    s->finished = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

const unsigned char *slots_take(slots *s, size_t *len)
{
    pthread_mutex_lock(&s->mu);
    while (!s->full && !s->finished && !s->stopped)
        pthread_cond_wait(&s->cv, &s->mu);
    const unsigned char *p = NULL;
    if (s->full && !s->stopped) {
        p = s->mem + (size_t)s->head * s->size;
        *len = s->len[s->head];
    }
    pthread_mutex_unlock(&s->mu);
    return p;
}

void slots_release(slots *s)
{
    pthread_mutex_lock(&s->mu);
    s->head = (s->head + 1) % s->n;
    s->full--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void slots_stop(slots *s)
{
    pthread_mutex_lock(&s->mu);
    s->stopped = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}
