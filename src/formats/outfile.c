/* outfile.c: buffered writer (1 MiB buffer, write(2) straight through for
 * anything larger). */
#include "formats/outfile.h"

#include "core/io.h"

#include <errno.h>
#include <fcntl.h>
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

uc_err outfile_append_fd(outfile *f, int fd, int64_t len)
{
    uc_err e = f->failed ? UC_EIO : flush(f);
    loff_t in = 0;
    while (!e && in < len) {
        ssize_t n = copy_file_range(fd, &in, f->fd, NULL, (size_t)(len - in), 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        /* no copy_file_range here (an old kernel, another file system):
         * read and write through the buffer */
        while (!e && in < len) {
            size_t want = len - in < OUT_BUF ? (size_t)(len - in) : OUT_BUF;
            ssize_t got = pread(fd, f->buf, want, in);
            if (got <= 0 && !(got < 0 && errno == EINTR))
                e = UC_EIO;
            else if (got > 0 && !(e = io_write_all(f->fd, f->buf, (size_t)got)))
                in += got;
        }
    }
    if (e)
        f->failed = 1;
    else
        f->total += len;
    return e;
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
