/* limits.c: small mutex-guarded tables for rate windows, ban counters and
 * the (key, IP) pairs of single checks (see limits.h). */
#include "http/limits.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* (key, IP) pairs remembered for reset by key; past this many, new pairs
 * are not recorded (a reset by key then lifts less, nothing breaks). */
#define TOUCHES_MAX 65536

typedef struct entry {
    char *name;          /* rate: the key; ban and touch: the IP */
    char *key;           /* touch: the key */
    int64_t window_end;  /* rate: when the window closes */
    int count;           /* rate: hits in window; ban: black results */
    struct entry *next;
} entry;

struct limits {
    pthread_mutex_t lock;
    entry *rates;
    entry *bans;
    entry *touches;
    size_t n_touches;
};

limits *limits_new(void)
{
    limits *l = calloc(1, sizeof *l);
    if (l)
        pthread_mutex_init(&l->lock, NULL);
    return l;
}

static void entry_free(entry *e)
{
    free(e->name);
    free(e->key);
    free(e);
}

/* Remove the entries named `name` (all when NULL) and, when key is not
 * NULL, only those with that key. Returns how many went. */
static size_t free_list(entry **head, const char *name, const char *key)
{
    size_t n = 0;
    for (entry **pp = head; *pp;) {
        entry *e = *pp;
        if ((!name || !strcmp(e->name, name)) && (!key || !strcmp(e->key, key))) {
            *pp = e->next;
            entry_free(e);
            n++;
        } else {
            pp = &e->next;
        }
    }
    return n;
}

void limits_free(limits *l)
{
    if (!l)
        return;
    free_list(&l->rates, NULL, NULL);
    free_list(&l->bans, NULL, NULL);
    free_list(&l->touches, NULL, NULL);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static entry *find(entry *head, const char *name)
{
    for (entry *e = head; e; e = e->next)
        if (!strcmp(e->name, name))
            return e;
    return NULL;
}

static entry *get(entry **head, const char *name)
{
    entry *e = find(*head, name);
    if (e)
        return e;
    e = calloc(1, sizeof *e);
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
    if (threshold <= 0)
        return LIMITS_BAN_OFF_LEFT;
    pthread_mutex_lock(&l->lock);
    entry *e = find(l->bans, ip);
    int left = threshold - (e ? e->count : 0);
    pthread_mutex_unlock(&l->lock);
    return left < 0 ? 0 : left;
}

int limits_ban_hit(limits *l, const char *ip, int threshold)
{
    if (threshold <= 0)
        return LIMITS_BAN_OFF_LEFT;
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

void limits_ban_touch(limits *l, const char *ip, const char *key)
{
    pthread_mutex_lock(&l->lock);
    entry *e = l->touches;
    while (e && (strcmp(e->name, ip) || strcmp(e->key, key)))
        e = e->next;
    if (!e && l->n_touches < TOUCHES_MAX && (e = calloc(1, sizeof *e))) {
        e->name = strdup(ip);
        e->key = strdup(key);
        if (e->name && e->key) {
            e->next = l->touches;
            l->touches = e;
            l->n_touches++;
        } else {
            entry_free(e);
        }
    }
    pthread_mutex_unlock(&l->lock);
}

void limits_reset(limits *l, const char *key)
{
    pthread_mutex_lock(&l->lock);
    if (!key) {
        free_list(&l->rates, NULL, NULL);
        free_list(&l->bans, NULL, NULL);
        free_list(&l->touches, NULL, NULL);
        l->n_touches = 0;
    } else {
        free_list(&l->rates, key, NULL);
        for (entry *t = l->touches; t; t = t->next)
            if (!strcmp(t->key, key))
                free_list(&l->bans, t->name, NULL);
        l->n_touches -= free_list(&l->touches, NULL, key);
    }
    pthread_mutex_unlock(&l->lock);
}

void limits_bans_clear(limits *l)
{
    pthread_mutex_lock(&l->lock);
    free_list(&l->bans, NULL, NULL);
    free_list(&l->touches, NULL, NULL);
    l->n_touches = 0;
    pthread_mutex_unlock(&l->lock);
}

/* The keys seen from ip, as a JSON array. Caller holds the lock. */
static json_t *keys_of(const limits *l, const char *ip)
{
    json_t *arr = json_array();
    for (const entry *t = l->touches; arr && t; t = t->next)
        if (!strcmp(t->name, ip) && json_array_append_new(arr, json_string(t->key)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    return arr;
}

json_t *limits_bans_json(limits *l, int threshold)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&l->lock);
    for (const entry *e = l->bans; arr && e; e = e->next) {
        int left = threshold - e->count;
        json_t *o = json_pack("{s:s,s:i,s:i,s:b,s:o}", "ip", e->name, "black_results",
                              e->count, "remaining_attempts_before_ban", left < 0 ? 0 : left,
                              "banned", left <= 0, "api_keys", keys_of(l, e->name));
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    pthread_mutex_unlock(&l->lock);
    return arr;
}
