/* prepass.c: the first pass of a delimited upload while it streams (see
 * prepass.h). One thread per upload, at most max at a time; it reads in
 * steps of PREPASS_STEP bytes, each ending at a record boundary it has
 * seen whole, so that where it stands is always a true boundary. One
 * reader maps the file and is extended as the file grows. */
#include "jobs/prepass.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "formats/delimited.h"
#include "jobs/pass.h"
#include "jobs/lists.h"
#include "jobs/rowrecs.h"
#include "store/files.h"

#define PREPASS_STEP PREPASS_MIN /* bytes read per step at the most */
#define PREPASS_TAIL (64u << 10) /* a step's end is sought in its last bytes */

static atomic_int live; /* pre-pass threads running */

struct prepass {
    char path[FILES_PATH_MAX];
    job j;                  /* its format and key; never cancelled */
    pass r;
    char err[TASK_ERROR_MAX + 1];
    split_pre pre;
    int usable;             /* pre holds rows (or their first error) to give */
    rowrecs out;            /* the rows' records (a file) */
    delim_reader *rd;       /* the upload, opened once, extended as it grows */
    pthread_mutex_t lock;
    pthread_cond_t grew;
    uint64_t size;          /* bytes in the file */
    int complete;           /* the upload is whole: read on to its end */
    int stop;               /* start no more steps */
    pthread_t th;
    int running;            /* th is to be joined */
};

/* Wait until the file holds want bytes, the upload is complete or the
 * pre-pass is stopped; 0 when stopped, else the size then. */
static uint64_t wait_for(prepass *pp, uint64_t want)
{
    pthread_mutex_lock(&pp->lock);
    while (!pp->stop && !pp->complete && pp->size < want)
        pthread_cond_wait(&pp->grew, &pp->lock);
    uint64_t size = pp->stop ? 0 : pp->size;
    pthread_mutex_unlock(&pp->lock);
    return size;
}

static int is_complete(prepass *pp)
{
    pthread_mutex_lock(&pp->lock);
    int c = pp->complete;
    pthread_mutex_unlock(&pp->lock);
    return c;
}

/* The layout, from the file's first bytes; the records file. 0 when
 * either is out of reach (the whole run decides alone then). */
static int begin(prepass *pp)
{
    if (delim_extend(pp->rd) != UC_OK ||
        pass_delimited_layout(&pp->r, pp->rd, &pp->pre.lay) != UC_OK)
        return 0;
    pp->pre.end = pp->pre.lay.data_start;
    int fd = files_scratch_fd(pp->r.env->data_dir, ".rows");
    return fd >= 0 && rowrecs_open(&pp->out, 0, fd) == UC_OK;
}

/* One step: the rows from pre.end up to a record boundary about
 * PREPASS_STEP further (or as far as the file goes: to its end once the
 * upload is complete). Returns the size to wait for before the next
 * step, or 0 to end: the end of the file, an error in the rows (kept:
 * the run reports it), or nothing usable. */
static uint64_t step(prepass *pp)
{
    split_pre *pre = &pp->pre;
    delim_reader *rd = pp->rd;
    int complete = is_complete(pp); /* before the size: all of it then */
    if (delim_extend(rd) != UC_OK) {
        pp->usable = 0;
        return 0;
    }
    char d = pre->lay.d;
    uint64_t a = pre->end, size = delim_size(rd);
    if (a >= size)
        return complete ? 0 : size + 1;
    uint64_t b = delim_next_bound(rd, d, a, PREPASS_STEP, PREPASS_TAIL);
    if (!b && complete)
        b = size; /* the file's end ends its last record */
    if (!b)
        return size + 1; /* no boundary seen whole yet: more bytes */
    int clean = pass_split_read_ahead(&pp->r, d, rd, a, b, &pp->out, pre);
    if (pre->e == UC_EFORMAT || pre->e == UC_ELIMIT)
        return 0; /* the rows' own error, the first one reader meets */
    if (pre->e || !clean) {
        pp->usable = 0; /* a quote misread, or out of resources */
        return 0;
    }
    pre->end = b;
    return b + PREPASS_STEP;
}

static void *run(void *arg)
{
    prepass *pp = arg;
    pp->usable = lists_load(pp->r.env->d, pp->r.env->outcomes, pp->j.t.api_key, &pp->r.al) ==
                     UC_OK &&
                 wait_for(pp, PREPASS_STEP) && begin(pp);
    for (uint64_t want = pp->pre.end + PREPASS_STEP; pp->usable && want;) {
        if (!wait_for(pp, want))
            break;
        int64_t t0 = clock_mono_ms();
        want = step(pp);
        pp->pre.ms += clock_mono_ms() - t0;
    }
    return NULL;
}

prepass *prepass_start(const job_env *env, const char *path, enum task_format fmt,
                       const char *key, int max)
{
    if (fmt == TASK_XLSX)
        return NULL;
    if (atomic_fetch_add(&live, 1) >= max) {
        atomic_fetch_sub(&live, 1);
        return NULL;
    }
    prepass *pp = calloc(1, sizeof *pp);
    if (!pp) {
        atomic_fetch_sub(&live, 1);
        return NULL;
    }
    snprintf(pp->path, sizeof pp->path, "%s", path);
    char err[TASK_ERROR_MAX + 1];
    /* opened here, on the upload's thread: the file is renamed once the
     * upload is whole, and the reader must not lose it */
    if (delim_open(path, NULL, &pp->rd, err, sizeof err) != UC_OK) {
        atomic_fetch_sub(&live, 1);
        free(pp);
        return NULL;
    }
    pp->j.t.format = fmt;
    snprintf(pp->j.t.api_key, sizeof pp->j.t.api_key, "%s", key);
    pp->r = (pass){.env = env, .j = &pp->j, .err = pp->err, .errcap = sizeof pp->err};
    pp->pre.fd = -1;
    pp->out = ROWRECS_NONE;
    pthread_mutex_init(&pp->lock, NULL);
    pthread_cond_init(&pp->grew, NULL);
    if (pthread_create(&pp->th, NULL, run, pp) != 0) {
        atomic_fetch_sub(&live, 1);
        prepass_free(pp);
        return NULL;
    }
    pp->running = 1;
    return pp;
}

void prepass_grow(prepass *pp, uint64_t size)
{
    pthread_mutex_lock(&pp->lock);
    pp->size = size;
    pthread_cond_signal(&pp->grew);
    pthread_mutex_unlock(&pp->lock);
}

void prepass_complete(prepass *pp, int quote_free)
{
    if (!pp)
        return;
    pthread_mutex_lock(&pp->lock);
    pp->complete = 1;
    pp->pre.quote_free = quote_free;
    pthread_cond_signal(&pp->grew);
    pthread_mutex_unlock(&pp->lock);
}

/* Start no more steps (the one under way ends on its own). */
static void stop(prepass *pp)
{
    pthread_mutex_lock(&pp->lock);
    pp->stop = 1;
    pthread_cond_signal(&pp->grew);
    pthread_mutex_unlock(&pp->lock);
}

/* Stopped: wait for the thread, and put the records on an fd of their
 * own for pass_split. */
static void finish(prepass *pp)
{
    if (!pp->running)
        return;
    pthread_join(pp->th, NULL);
    pp->running = 0;
    atomic_fetch_sub(&live, 1);
    if (rowrecs_end(&pp->out) != UC_OK)
        pp->usable = 0;
    pp->pre.fd = pp->out.fd; /* handed over */
    pp->out.fd = -1;
    /* lent to the run (its pages are faulted in already); closed with pp */
    pp->pre.rd = pp->rd;
}

split_pre *prepass_rows(prepass *pp)
{
    if (!pp)
        return NULL;
    stop(pp);
    finish(pp);
    if (!pp->usable || pp->pre.fd < 0)
        return NULL;
    if (pp->pre.nrows == 0 && !pp->pre.e)
        return NULL; /* nothing read: no use */
    return &pp->pre;
}

void prepass_free(prepass *pp)
{
    if (!pp)
        return;
    stop(pp);
    finish(pp);
    rowrecs_close(&pp->out);
    if (pp->pre.fd >= 0)
        close(pp->pre.fd);
    delim_close(pp->rd);
    acct_lists_free(pp->r.al);
    pthread_mutex_destroy(&pp->lock);
    pthread_cond_destroy(&pp->grew);
    free(pp);
}
