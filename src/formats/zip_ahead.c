/* zip_ahead.c: the read-ahead of a large zip entry. A thread inflates (and
 * checks the CRC-32) into a ring of slots (core/slots.h) while the caller's
 * thread hands the filled ones to the sink, so inflating and parsing use two
 * cores. The sink still runs on the caller's thread, in order. */
#include "formats/zip_ahead.h"
#include "core/slots.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* AHEAD_SLOTS slots of AHEAD_SLOT bytes ahead of the sink. */
#define AHEAD_SLOTS 4
#define AHEAD_SLOT (256 * 1024)

typedef struct ahead {
    zipr *z;
    const zentry *ze;
    uint64_t off;
    zrun run;
    slots *ring;
    unsigned char *cur;   /* the slot being filled, if any */
    size_t fill;          /* bytes in it */
    uc_err e;             /* the inflater's result, read after the join */
    char err[256];        /* and its reason */
} ahead;

/* zip_pump's sink on the inflater thread: copy into the slot being filled,
 * handing it over when full. UC_ECANCELED once the reader stopped. */
static uc_err ahead_put(void *ud, const void *p, size_t n)
{
    ahead *a = ud;
    const unsigned char *b = p;
    size_t size = slots_size(a->ring);
    while (n) {
        if (!a->cur && !(a->cur = slots_claim(a->ring)))
            return UC_ECANCELED;
        size_t m = size - a->fill < n ? size - a->fill : n;
        memcpy(a->cur + a->fill, b, m);
        a->fill += m;
        b += m;
        n -= m;
        if (a->fill == size) {
            slots_publish(a->ring, a->fill);
            a->cur = NULL;
            a->fill = 0;
        }
    }
    return UC_OK;
}

static void *ahead_main(void *arg)
{
    ahead *a = arg;
    a->e = zip_pump(a->z, a->ze, a->off, true, ahead_put, a, &a->run, a->err, sizeof a->err);
    if (!a->e && a->cur)
        slots_publish(a->ring, a->fill);
    slots_finish(a->ring);
    return NULL;
}

uc_err zip_ahead(zipr *z, const zentry *ze, uint64_t off, zipr_sink sink,
                 void *ud, zrun *run, char *err, size_t errcap, bool *started)
{
    ahead a = {.z = z, .ze = ze, .off = off};
    pthread_t t;
    uc_err e = UC_OK;
    *started = false;
    if (!(a.ring = slots_new(AHEAD_SLOTS, AHEAD_SLOT))) {
        if (err && errcap)
            snprintf(err, errcap, "out of memory");
        return UC_ENOMEM;
    }
    if (pthread_create(&t, NULL, ahead_main, &a) != 0) {
        slots_free(a.ring);
        return UC_OK;
    }
    *started = true;
    const unsigned char *p;
    size_t n;
    while (!e && (p = slots_take(a.ring, &n))) {
        e = sink(ud, p, n);
        slots_release(a.ring);
    }
    if (e)
        slots_stop(a.ring);
    pthread_join(t, NULL);
    if (!e && a.e) { /* the inflater's own failure, with its reason */
        e = a.e;
        snprintf(err, errcap, "%s", a.err);
    }
    *run = a.run;
    slots_free(a.ring);
    return e;
}
