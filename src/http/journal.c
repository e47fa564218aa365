/* journal.c: a fixed ring of entries kept in arrival order, behind one
 * (adaptive) mutex. */
#include "http/journal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

struct journal {
    pthread_mutex_t lock;
    atomic_uint_fast64_t arrivals; /* journal_arrival's count */
    journal_entry *ring;
    size_t cap, head, n;   /* ring of cap; first arrived at head */
};

journal *journal_new(size_t cap)
{
    journal *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->cap = cap;
    if (cap && !(j->ring = calloc(cap, sizeof *j->ring))) {
        free(j);
        return NULL;
    }
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&j->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    atomic_init(&j->arrivals, 0);
    return j;
}

void journal_free(journal *j)
{
    if (!j)
        return;
    pthread_mutex_destroy(&j->lock);
    free(j->ring);
    free(j);
}

uint64_t journal_arrival(journal *j)
{
    return (uint64_t)atomic_fetch_add(&j->arrivals, 1) + 1;
}

#define AT(j, i) (&(j)->ring[((j)->head + (i)) % (j)->cap])

void journal_add(journal *j, const journal_entry *e)
{
    if (!j->cap)
        return;
    pthread_mutex_lock(&j->lock);
    if (j->n == j->cap) { /* full: the first arrived goes, unless e is older */
        if (e->seq < AT(j, 0)->seq) {
            pthread_mutex_unlock(&j->lock);
            return;
        }
        j->head = (j->head + 1) % j->cap;
        j->n--;
    }
    /* Requests complete about in the order they arrive: shift the few
     * that arrived after e, from the newest end. */
    size_t i = j->n;
    for (; i > 0 && AT(j, i - 1)->seq > e->seq; i--)
        *AT(j, i) = *AT(j, i - 1);
    *AT(j, i) = *e;
    j->n++;
    pthread_mutex_unlock(&j->lock);
}

void journal_clear(journal *j, const char *key)
{
    pthread_mutex_lock(&j->lock);
    if (!key) {
        j->head = j->n = 0;
    } else {
        size_t w = 0;
        for (size_t i = 0; i < j->n; i++) {
            journal_entry *e = AT(j, i);
            if (strcmp(e->key, key) != 0)
                *AT(j, w++) = *e;
        }
        j->n = w;
    }
    pthread_mutex_unlock(&j->lock);
}

static int matches(const journal_entry *e, const journal_filter *f)
{
    return (!f->path_prefix || !strncmp(e->path, f->path_prefix, strlen(f->path_prefix))) &&
           (!f->api_key || !strcmp(e->key, f->api_key)) &&
           (!f->task_id || !strcmp(e->task_id, f->task_id));
}

json_t *journal_json(journal *j, const journal_filter *f, size_t *matched)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    pthread_mutex_lock(&j->lock);
    size_t n = 0;
    for (size_t i = 0; i < j->n; i++)
        n += matches(AT(j, i), f);
    if (matched)
        *matched = n;
    size_t skip = f->last && n > f->last ? n - f->last : 0; /* the older ones */
    for (size_t i = 0; i < j->n; i++) {
        journal_entry *e = AT(j, i);
        if (!matches(e, f))
            continue;
        if (skip) {
            skip--;
            continue;
        }
        char at[32];
        clock_format(e->at_ms, at, sizeof at);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:s?}", "time", at,
                                             "method", e->method, "path", e->path,
                                             "api_key", e->key, "status", (int)e->status,
                                             "duration_ms", (json_int_t)e->duration_ms,
                                             "task_id", e->task_id[0] ? e->task_id : NULL));
    }
    pthread_mutex_unlock(&j->lock);
    return arr;
}
