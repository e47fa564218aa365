/* outfile.c: buffered writer (1 MiB buffer, write(2) straight through for
 * anything larger), and the positional writers that fill its regions. */
#include "formats/outfile.h"

#include "core/io.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_BUF (1u << 20)

struct outfile {
    int fd;
    char *path;
    char *buf;
    size_t n;
    int64_t total;
    int failed;
};

uc_err outfile_open(const char *path, outfile **out)
{
    outfile *f = calloc(1, sizeof *f);
    if (!f)
        return UC_ENOMEM;
    f->path = strdup(path);
    f->buf = malloc(OUT_BUF);
    f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (!f->path || !f->buf || f->fd < 0) {
        uc_err e = f->fd < 0 ? UC_EIO : UC_ENOMEM;
        if (f->fd >= 0)
            close(f->fd);
        else
            f->fd = -1;
        free(f->path);
        free(f->buf);
        free(f);
        return e;
    }
    *out = f;
    return UC_OK;
}

static uc_err flush(outfile *f)
{
    if (f->n == 0)
        return UC_OK;
    uc_err e = io_write_all(f->fd, f->buf, f->n);
    f->n = 0;
    if (e)
        f->failed = 1;
    return e;
}

uc_err outfile_write(outfile *f, const void *buf, size_t len)
{
    if (f->failed)
        return UC_EIO;
    f->total += (int64_t)len;
    if (f->n + len <= OUT_BUF) {
        memcpy(f->buf + f->n, buf, len);
        f->n += len;
        return UC_OK;
    }
    uc_err e = flush(f);
    if (e)
        return e;
    if (len >= OUT_BUF / 2) {
        e = io_write_all(f->fd, buf, len);
        if (e)
            f->failed = 1;
        return e;
    }
    memcpy(f->buf, buf, len);
    f->n = len;
    return UC_OK;
}

uc_err outfile_region(outfile *f, int64_t len, int *fd, int64_t *at)
{
    uc_err e = f->failed ? UC_EIO : flush(f);
    if (!e && lseek(f->fd, f->total + len, SEEK_SET) < 0)
        e = UC_EIO;
    if (e) {
        f->failed = 1;
        return e;
    }
    *fd = f->fd;
    *at = f->total;
    f->total += len;
    return UC_OK;
}

void outfile_pw_flush(outfile_pw *w)
{
    for (size_t done = 0; done < w->n && !w->e;) {
        ssize_t k = pwrite(w->fd, w->buf + done, w->n - done, (off_t)(w->at + (int64_t)done));
        if (k > 0)
            done += (size_t)k;
        else if (!(k < 0 && errno == EINTR))
            w->e = UC_EIO;
    }
    if (!w->e && w->n) {
        io_writeback(w->fd, (uint64_t)w->at, w->n);
        if (w->sync)
            outfile_syncer_add(w->sync, w->n);
    }
    w->at += (int64_t)w->n;
    w->n = 0;
}

void outfile_pw_put(outfile_pw *w, const void *p, size_t len)
{
    while (len && !w->e) {
        if (w->n == OUTFILE_PW_BUF)
            outfile_pw_flush(w);
        size_t k = OUTFILE_PW_BUF - w->n < len ? OUTFILE_PW_BUF - w->n : len;
        memcpy(w->buf + w->n, p, k);
        w->n += k;
        p = (const char *)p + k;
        len -= k;
    }
}

struct outfile_syncer {
    int fd;
    uint64_t step;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    uint64_t written;      /* bytes the writers reported */
    uint64_t synced;       /* of them, written before the last flush began */
    int done;
    int failed;
    pthread_t th;
};

static void *syncer_run(void *arg)
{
    outfile_syncer *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->done && s->written - s->synced < s->step)
            pthread_cond_wait(&s->cv, &s->lock);
        if (s->done)
            break;
        uint64_t upto = s->written;
        pthread_mutex_unlock(&s->lock);
        int rc = fdatasync(s->fd);
        pthread_mutex_lock(&s->lock);
        s->synced = upto;
        if (rc != 0)
            s->failed = 1;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

outfile_syncer *outfile_syncer_start(int fd, uint64_t step)
{
    outfile_syncer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = fd;
    s->step = step ? step : 1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->th, NULL, syncer_run, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cv);
        free(s);
        return NULL;
    }
    return s;
}

void outfile_syncer_add(outfile_syncer *s, uint64_t bytes)
{
    pthread_mutex_lock(&s->lock);
    s->written += bytes;
    if (s->written - s->synced >= s->step)
        pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->lock);
}

uc_err outfile_syncer_stop(outfile_syncer *s)
{
    if (!s)
        return UC_OK;
    pthread_mutex_lock(&s->lock);
    s->done = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->th, NULL);
    int failed = s->failed;
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cv);
    free(s);
    return failed ? UC_EIO : UC_OK;
}

static void release(outfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    free(f->path);
    free(f->buf);
    free(f);
}

uc_err outfile_close(outfile *f, int64_t *size)
{
    uc_err e = flush(f);
    if (!e && f->failed)
        e = UC_EIO;
    if (size)
        *size = f->total;
    if (close(f->fd) != 0 && !e)
        e = UC_EIO;
    f->fd = -1;
    release(f);
    return e;
}

void outfile_abort(outfile *f)
{
    if (!f)
        return;
    unlink(f->path);
    release(f);
}
