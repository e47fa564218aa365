/* statuscache.c: finished tasks' status answers in memory (see
 * statuscache.h): a direct-mapped table of STATUSCACHE_SLOTS entries under
 * one read-write lock, and the generation that makes a put after a forget
 * a no-op. Polls only read: the HTTP threads never wait for each other
 * here (a futex sleep on a mutex, then a wait for a core, was a tail of
 * the status endpoint's latency). */
#include "store/statuscache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/tasks.h"

typedef struct entry {
    char id[TASK_ID_LEN + 1]; /* "" when free */
    char *key;                /* the owner's API key */
    char *body;
    size_t len;
} entry;

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static entry slots[STATUSCACHE_SLOTS];
static uint64_t gen;   /* under lock: bumped by every forget */
static size_t count;   /* under lock: slots in use */

static entry *slot_of(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &slots[h % STATUSCACHE_SLOTS];
}

/* Under lock. */
static void clear(entry *e)
{
    if (!e->id[0])
        return;
    free(e->key);
    free(e->body);
    memset(e, 0, sizeof *e);
    count--;
}

uint64_t statuscache_gen(void)
{
    pthread_rwlock_rdlock(&lock);
    uint64_t g = gen;
    pthread_rwlock_unlock(&lock);
    return g;
}

char *statuscache_get(const char *id, const char *api_key, size_t *len)
{
    char *copy = NULL;
    pthread_rwlock_rdlock(&lock);
    entry *e = slot_of(id);
    if (e->id[0] && !strcmp(e->id, id) && !strcmp(e->key, api_key) &&
        (copy = malloc(e->len ? e->len : 1))) {
        memcpy(copy, e->body, e->len);
        *len = e->len;
    }
    pthread_rwlock_unlock(&lock);
    return copy;
}

void statuscache_put(const char *id, const char *api_key, const char *body,
                     size_t len, uint64_t at)
{
    if (strlen(id) != TASK_ID_LEN || len > STATUSCACHE_BODY_MAX)
        return;
    /* Copies made outside the lock; dropped if the put comes too late. */
    char *k = strdup(api_key);
    char *b = malloc(len ? len : 1);
    if (!k || !b) {
        free(k);
        free(b);
        return;
    }
    memcpy(b, body, len);
    pthread_rwlock_wrlock(&lock);
    if (at != gen) {
        pthread_rwlock_unlock(&lock);
        free(k);
        free(b);
        return;
    }
    entry *e = slot_of(id);
    clear(e);
    memcpy(e->id, id, TASK_ID_LEN + 1);
    e->key = k;
    e->body = b;
    e->len = len;
    count++;
    pthread_rwlock_unlock(&lock);
}

void statuscache_forget(const char *id)
{
    pthread_rwlock_wrlock(&lock);
    gen++;
    entry *e = slot_of(id);
    if (!strcmp(e->id, id))
        clear(e);
    pthread_rwlock_unlock(&lock);
}

void statuscache_forget_key(const char *api_key)
{
    pthread_rwlock_wrlock(&lock);
    gen++;
    for (size_t i = 0; i < STATUSCACHE_SLOTS; i++)
        if (slots[i].id[0] && (!api_key || !strcmp(slots[i].key, api_key)))
            clear(&slots[i]);
    pthread_rwlock_unlock(&lock);
}

size_t statuscache_count(void)
{
    pthread_rwlock_rdlock(&lock);
    size_t n = count;
    pthread_rwlock_unlock(&lock);
    return n;
}
