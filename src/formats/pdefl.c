/* pdefl.c: a raw deflate stream made in blocks on worker threads (see
 * pdefl.h). The caller fills a ring of blocks; a full block is queued for
 * the workers, each with its own ISA-L stream (igzip level 1: about 5x
 * zlib level 1's speed on sheet XML, and a little smaller); the caller
 * deflates the last block itself and writes the deflated blocks to the
 * sink in order, joining their CRCs with zlib's crc32_combine.
 *
 * Blocks are numbered from 0 in each stream (seq); block seq lives in
 * ring[seq % njob]. Below wr: written; wr .. disp-1: queued, being
 * deflated or deflated (done); disp: the one being filled. The mutex
 * guards next (the next block a worker takes), disp once the workers run,
 * the done flags and stop. */
#include "formats/pdefl.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#define DICT 32768   /* deflate's window: the dictionary a block starts from */
#define NJOB 4       /* blocks in the ring once the workers run */
#define NWORK 2      /* worker threads */
#define LEVEL 1
#define LEVEL_BUF ISAL_DEF_LVL1_DEFAULT  /* igzip's hash tables at LEVEL */
/* Room for a deflated block: igzip falls back to stored blocks for bytes
 * that do not compress, but give it twice the block whatever it does. */
#define OUT_CAP (2 * PDEFL_BLOCK + 65536)

/* One deflater: an igzip stream and its level buffer. */
typedef struct defl {
    struct isal_zstream s;
    unsigned char *level_buf;
} defl;

typedef struct job {
    unsigned char *in;   /* DICT bytes for the dictionary, then the block */
    unsigned char *out;  /* the deflated block (pdefl.out_cap bytes) */
    size_t n, out_n;     /* block bytes; deflated bytes */
    bool dict, last;     /* starts from a dictionary; ends the stream */
    bool done;           /* deflated, or failed (e) */
    uint32_t crc;
    uc_err e;
} job;

typedef struct worker {
    pdefl *d;
    defl z;
    pthread_t t;
} worker;

struct pdefl {
    pdefl_sink sink;
    void *ud;
    defl z;              /* the caller's: the last block, or all of them */
    size_t out_cap;
    job ring[NJOB];
    unsigned njob;       /* 1 until the workers run, then NJOB */
    worker w[NWORK];
    unsigned nth;        /* workers running */
    bool tried;          /* starting them was tried (or is not wanted) */
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    bool stop;
    uint64_t wr, disp, next;
    bool filling;        /* block disp has been claimed */
    uint32_t crc;        /* of the blocks written so far */
    uint64_t usize, csize;
    uc_err e;            /* the stream's failure: sticky until pdefl_begin */
};

static job *at(pdefl *d, uint64_t seq)
{
    return &d->ring[seq % d->njob];
}

static bool z_init(defl *z)
{
    z->level_buf = malloc(LEVEL_BUF);
    return z->level_buf != NULL;
}

static void z_end(defl *z)
{
    free(z->level_buf);
    z->level_buf = NULL;
}

/* Deflate block j with z into at most cap bytes. Any thread: it touches
 * j and z alone. */
static void deflate_job(defl *z, job *j, size_t cap)
{
    struct isal_zstream *s = &z->s;
    j->crc = crc32_gzip_refl(0, j->in + DICT, j->n);
    j->e = UC_EIO;
    isal_deflate_init(s);
    s->level = LEVEL;
    s->level_buf = z->level_buf;
    s->level_buf_size = LEVEL_BUF;
    if (j->dict && isal_deflate_set_dict(s, j->in, DICT) != COMP_OK)
        return;
    s->next_in = j->in + DICT;
    s->avail_in = (uint32_t)j->n;
    s->next_out = j->out;
    s->avail_out = (uint32_t)cap;
    s->end_of_stream = j->last;
    s->flush = j->last ? NO_FLUSH : SYNC_FLUSH;
    /* the room is twice the block: it always fits in one call */
    if (isal_deflate(s) != COMP_OK || s->avail_in || !s->avail_out ||
        (j->last && s->internal_state.state != ZSTATE_END))
        return;
    j->out_n = cap - s->avail_out;
    j->e = UC_OK;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pdefl *d = w->d;
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        if (d->next == d->disp) {
            pthread_cond_wait(&d->work, &d->mu);
            continue;
        }
        job *j = at(d, d->next++);
        pthread_mutex_unlock(&d->mu);
        deflate_job(&w->z, j, d->out_cap);
        pthread_mutex_lock(&d->mu);
        j->done = true;
        pthread_cond_broadcast(&d->done);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static bool job_alloc(pdefl *d, job *j)
{
    j->in = malloc(DICT + PDEFL_BLOCK + d->out_cap);
    j->out = j->in ? j->in + DICT + PDEFL_BLOCK : NULL;
    return j->in != NULL;
}

uc_err pdefl_new(pdefl_sink sink, void *ud, pdefl **out)
{
    *out = NULL;
    pdefl *d = calloc(1, sizeof *d);
    if (!d)
        return UC_ENOMEM;
    d->sink = sink;
    d->ud = ud;
    d->njob = 1;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->work, NULL);
    pthread_cond_init(&d->done, NULL);
    d->out_cap = OUT_CAP;
    if (!z_init(&d->z) || !job_alloc(d, &d->ring[0])) {
        pdefl_free(d);
        return UC_ENOMEM;
    }
    *out = d;
    return UC_OK;
}

void pdefl_serial(pdefl *d)
{
    d->tried = true;
}

/* Start the workers and the rest of the ring, when the first block of a
 * stream is queued (njob changes while ring[0] holds block 0 alone). On
 * any failure the caller deflates every block itself: same bytes. */
static void workers_start(pdefl *d)
{
    d->tried = true;
    unsigned k = 1;
    while (k < NJOB && job_alloc(d, &d->ring[k]))
        k++;
    for (unsigned i = 0; k == NJOB && i < NWORK; i++) {
        worker *w = &d->w[d->nth];
        w->d = d;
        if (!z_init(&w->z))
            break;
        if (pthread_create(&w->t, NULL, worker_main, w)) {
            z_end(&w->z);
            break;
        }
        d->nth++;
    }
    if (d->nth) {
        d->njob = NJOB;  /* seen by the workers under the mutex */
        return;
    }
    for (unsigned i = 1; i < k; i++) {
        free(d->ring[i].in);
        d->ring[i].in = NULL;
    }
}

/* Hand deflated block j to the sink and count it. */
static uc_err emit(pdefl *d, const job *j)
{
    uc_err e = j->e ? j->e : d->sink(d->ud, j->out, j->out_n);
    if (e)
        return d->e = e;
    d->crc = (uint32_t)crc32_combine(d->crc, j->crc, (z_off_t)j->n);
    d->usize += j->n;
    d->csize += j->out_n;
    return UC_OK;
}

/* Write block wr, waiting for a worker to finish it. */
static uc_err write_one(pdefl *d)
{
    job *j = at(d, d->wr);
    pthread_mutex_lock(&d->mu);
    while (d->nth && !j->done)
        pthread_cond_wait(&d->done, &d->mu);
    j->done = false;
    pthread_mutex_unlock(&d->mu);
    d->wr++;  /* taken, whether the sink takes it or not */
    return emit(d, j);
}

/* Queue the full block being filled: for the workers, or deflated and
 * written here when they do not run. */
static uc_err dispatch(pdefl *d)
{
    job *j = at(d, d->disp);
    j->last = false;
    d->filling = false;
    if (!d->tried)
        workers_start(d);
    if (!d->nth) {
        deflate_job(&d->z, j, d->out_cap);
        d->disp++;
        return write_one(d);
    }
    pthread_mutex_lock(&d->mu);
    d->disp++;
    pthread_cond_signal(&d->work);
    pthread_mutex_unlock(&d->mu);
    return UC_OK;
}

/* Claim block disp for filling once its place in the ring is free; it
 * starts from the previous block's last DICT bytes. */
static uc_err claim(pdefl *d)
{
    while (d->disp - d->wr >= d->njob) {
        uc_err e = write_one(d);
        if (e)
            return e;
    }
    job *j = at(d, d->disp);
    j->dict = d->disp > 0;
    if (j->dict) {  /* p is j when serial: memmove, before n is reset */
        const job *p = at(d, d->disp - 1);
        memmove(j->in, p->in + DICT + p->n - DICT, DICT);
    }
    j->n = 0;
    d->filling = true;
    return UC_OK;
}

unsigned char *pdefl_room(pdefl *d, size_t *room)
{
    *room = 0;
    if (d->e)
        return NULL;
    uc_err e = UC_OK;
    if (d->filling && at(d, d->disp)->n == PDEFL_BLOCK)
        e = dispatch(d);
    if (!e && !d->filling)
        e = claim(d);
    if (e) {
        d->e = e;
        return NULL;
    }
    job *j = at(d, d->disp);
    *room = PDEFL_BLOCK - j->n;
    return j->in + DICT + j->n;
}

void pdefl_commit(pdefl *d, size_t n)
{
    at(d, d->disp)->n += n;
}

uc_err pdefl_write(pdefl *d, const void *p, size_t n)
{
    const unsigned char *s = p;
    while (n) {
        size_t room;
        unsigned char *to = pdefl_room(d, &room);
        if (!to)
            return d->e;
        size_t m = room < n ? room : n;
        memcpy(to, s, m);
        pdefl_commit(d, m);
        s += m;
        n -= m;
    }
    return d->e;
}

uc_err pdefl_finish(pdefl *d, uint32_t *crc, uint64_t *usize, uint64_t *csize)
{
    if (!d->e && !d->filling)
        d->e = claim(d);  /* an empty stream still ends with a block */
    if (d->e)
        return d->e;
    /* the last block here, while the workers deflate the ones before;
     * it stays out of their reach (past disp) */
    job *j = at(d, d->disp);
    j->last = true;
    d->filling = false;
    deflate_job(&d->z, j, d->out_cap);
    uc_err e = UC_OK;
    while (!e && d->wr < d->disp)
        e = write_one(d);
    if (!e)
        e = emit(d, j);
    if (e)
        return e;
    *crc = d->crc;
    *usize = d->usize;
    *csize = d->csize;
    pdefl_begin(d);
    return UC_OK;
}

void pdefl_begin(pdefl *d)
{
    /* a dropped stream's blocks may still be with the workers */
    pthread_mutex_lock(&d->mu);
    for (uint64_t s = d->wr; s < d->disp; s++) {
        job *j = at(d, s);
        while (d->nth && !j->done)
            pthread_cond_wait(&d->done, &d->mu);
        j->done = false;
    }
    d->wr = d->disp = d->next = 0;
    pthread_mutex_unlock(&d->mu);
    d->filling = false;
    d->crc = 0;
    d->usize = d->csize = 0;
    d->e = UC_OK;
}

void pdefl_free(pdefl *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stop = true;
    pthread_cond_broadcast(&d->work);
    pthread_mutex_unlock(&d->mu);
    for (unsigned i = 0; i < d->nth; i++) {
        pthread_join(d->w[i].t, NULL);
        z_end(&d->w[i].z);
    }
    z_end(&d->z);
    for (unsigned i = 0; i < NJOB; i++)
        free(d->ring[i].in);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->work);
    pthread_cond_destroy(&d->done);
    free(d);
}
