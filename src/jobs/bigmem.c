/* bigmem.c: large anonymous buffers kept between tasks (see bigmem.h). */
#include "jobs/bigmem.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/clock.h"

#define KEPT_MAX 64 /* buffers kept at most */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept {
    void *p;
    size_t cap;
} kept[KEPT_MAX];
static size_t nkept, kept_bytes;
static int64_t last_use_ms; /* clock_mono_ms of the last take or give */

/* A fresh mapping of cap bytes (a multiple of BIGMEM_UNIT) aligned to
 * BIGMEM_UNIT, so that it can be backed by huge pages whole. */
static void *map_aligned(size_t cap)
{
    size_t len = cap + BIGMEM_UNIT;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uintptr_t a = ((uintptr_t)m + BIGMEM_UNIT - 1) & ~(uintptr_t)(BIGMEM_UNIT - 1);
    char *p = (char *)a;
    if (p > m)
        munmap(m, (size_t)(p - m));
    if (m + len > p + cap)
        munmap(p + cap, (size_t)(m + len - (p + cap)));
    madvise(p, cap, MADV_HUGEPAGE); /* fewer, cheaper faults; only a hint */
    return p;
}

void *bigmem_take(size_t len, size_t *cap)
{
    if (len == 0 || len > SIZE_MAX - 2 * BIGMEM_UNIT)
        return NULL;
    size_t want = (len + BIGMEM_UNIT - 1) & ~(BIGMEM_UNIT - 1);
    pthread_mutex_lock(&lock);
    last_use_ms = clock_mono_ms();
    /* only one of the same size: a task's arrays come in the same sizes
     * as the last one's when its upload does, and a larger buffer would
     * be wasted on a smaller array (or given back under the wrong size) */
    size_t best = KEPT_MAX;
    for (size_t i = nkept; i-- > 0;) /* the last given first: its pages are warmest */
        if (kept[i].cap == want) {
            best = i;
            break;
        }
    if (best != KEPT_MAX) {
        void *p = kept[best].p;
        *cap = kept[best].cap;
        kept_bytes -= *cap;
        for (size_t i = best; i + 1 < nkept; i++)
            kept[i] = kept[i + 1];
        nkept--;
        pthread_mutex_unlock(&lock);
        return p;
    }
    pthread_mutex_unlock(&lock);
    void *p = map_aligned(want);
    if (p)
        *cap = want;
    return p;
}

void bigmem_give(void *p, size_t cap)
{
    if (!p)
        return;
    pthread_mutex_lock(&lock);
    last_use_ms = clock_mono_ms();
    if (nkept < KEPT_MAX && kept_bytes + cap <= BIGMEM_KEEP) {
        kept[nkept++] = (struct kept){p, cap};
        kept_bytes += cap;
        p = NULL;
    }
    pthread_mutex_unlock(&lock);
    if (p)
        munmap(p, cap);
}

void *bigmem_alloc(size_t n, size_t *cap)
{
    *cap = 0;
    return n >= BIGMEM_MIN ? bigmem_take(n, cap) : malloc(n ? n : 1);
}

void *bigmem_resize(void *p, size_t used, size_t *cap, size_t n)
{
    if (!*cap && n < BIGMEM_MIN)
        return realloc(p, n ? n : 1); /* small stays small */
    if (*cap >= n)
        return p;
    size_t nc;
    void *q = bigmem_take(n, &nc);
    if (!q)
        return NULL;
    if (used)
        memcpy(q, p, used);
    bigmem_free(p, *cap);
    *cap = nc;
    return q;
}

void bigmem_free(void *p, size_t cap)
{
    if (cap)
        bigmem_give(p, cap);
    else
        free(p);
}

size_t bigmem_trim_idle(int64_t now_ms, int64_t idle_ms)
{
    struct kept gone[KEPT_MAX];
    size_t n = 0, bytes = 0;
    pthread_mutex_lock(&lock);
    if (now_ms - last_use_ms >= idle_ms) {
        n = nkept;
        memcpy(gone, kept, n * sizeof *kept);
        bytes = kept_bytes;
        nkept = kept_bytes = 0;
    }
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < n; i++) /* outside the lock: munmap is slow */
        munmap(gone[i].p, gone[i].cap);
    return bytes;
}

size_t bigmem_kept(void)
{
    pthread_mutex_lock(&lock);
    size_t n = kept_bytes;
    pthread_mutex_unlock(&lock);
    return n;
}
