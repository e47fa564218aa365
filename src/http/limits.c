/* limits.c: small mutex-guarded tables for rate windows and ban counters. */
#include "http/limits.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *name;
    int64_t window_end;  /* rate: when the window closes */
    int count;           /* rate: hits in window; ban: black results */
    struct entry *next;
} entry;

struct limits {
    pthread_mutex_t lock;
    entry *rates;
    entry *bans;
};

limits *limits_new(void)
{
    limits *l = calloc(1, sizeof *l);
    if (l)
        pthread_mutex_init(&l->lock, NULL);
    return l;
}

static void free_list(entry **head, const char *only)
{
    for (entry **pp = head; *pp;) {
        entry *e = *pp;
        if (!only || !strcmp(e->name, only)) {
            *pp = e->next;
            free(e->name);
            free(e);
        } else {
            pp = &e->next;
        }
    }
}

void limits_free(limits *l)
{
    if (!l)
        return;
    free_list(&l->rates, NULL);
    free_list(&l->bans, NULL);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static entry *get(entry **head, const char *name)
{
    for (entry *e = *head; e; e = e->next)
        if (!strcmp(e->name, name))
            return e;
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->name = strdup(name);
    if (!e->name) {
        free(e);
        return NULL;
    }
    e->next = *head;
    *head = e;
    return e;
}

int limits_rate_hit(limits *l, const char *key, int per_minute, int64_t now_ms)
{
    if (per_minute <= 0)
        return 0;
    pthread_mutex_lock(&l->lock);
    int wait = 0;
    entry *e = get(&l->rates, key);
    if (e) {
        if (now_ms >= e->window_end) {
            e->window_end = now_ms + 60000;
            e->count = 0;
        }
        if (e->count >= per_minute) {
            wait = (int)((e->window_end - now_ms + 999) / 1000);
            if (wait < 1)
                wait = 1;
        } else {
            e->count++;
        }
    }
    pthread_mutex_unlock(&l->lock);
    return wait;
}

int limits_ban_left(limits *l, const char *ip, int threshold)
{
    pthread_mutex_lock(&l->lock);
    int left = threshold;
    for (entry *e = l->bans; e; e = e->next)
        if (!strcmp(e->name, ip))
            left = threshold - e->count;
    pthread_mutex_unlock(&l->lock);
    return left < 0 ? 0 : left;
}

int limits_ban_hit(limits *l, const char *ip, int threshold)
{
    pthread_mutex_lock(&l->lock);
    entry *e = get(&l->bans, ip);
    int left = 0;
    if (e) {
        if (e->count < threshold)
            e->count++;
        left = threshold - e->count;
    }
    pthread_mutex_unlock(&l->lock);
    return left;
}

void limits_reset(limits *l, const char *key)
{
    pthread_mutex_lock(&l->lock);
    free_list(&l->rates, key);
    if (!key)
        free_list(&l->bans, NULL);
    pthread_mutex_unlock(&l->lock);
}
