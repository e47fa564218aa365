/* torture.c: the wrappers behind -Dtorture=true (see torture.h). Built
 * only in that configuration; the normal build has an empty arm. */
#include "core/torture.h"

#ifdef UC_TORTURE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
ssize_t __real_write(int fd, const void *b, size_t n);
ssize_t __real_pwrite(int fd, const void *b, size_t n, off_t off);
int __real_fsync(int fd);
int __real_fdatasync(int fd);
int __real_rename(const char *a, const char *b);

static atomic_int armed;
static atomic_long n_alloc, n_write, n_fsync;
static long want_alloc = -1, want_write = -1, want_fsync = -1;

void torture_arm(void)
{
    const char *spec = getenv("UCMOCK_TORTURE");
    long n;
    if (!spec)
        return;
    if (sscanf(spec, "alloc:%ld", &n) == 1)
        want_alloc = n;
    else if (sscanf(spec, "write:%ld", &n) == 1)
        want_write = n;
    else if (sscanf(spec, "fsync:%ld", &n) == 1)
        want_fsync = n;
    atomic_store(&armed, 1);
}

/* True exactly once: on the want-th counted call. */
static int hit(atomic_long *ctr, long want)
{
    return atomic_load(&armed) && want > 0 && atomic_fetch_add(ctr, 1) + 1 == want;
}

void *__wrap_malloc(size_t n)
{
    if (hit(&n_alloc, want_alloc)) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_malloc(n);
}

void *__wrap_calloc(size_t a, size_t b)
{
    if (hit(&n_alloc, want_alloc)) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_calloc(a, b);
}

void *__wrap_realloc(void *p, size_t n)
{
    if (hit(&n_alloc, want_alloc)) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    if (hit(&n_alloc, want_alloc)) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    if (hit(&n_alloc, want_alloc)) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_strndup(s, n);
}

ssize_t __wrap_write(int fd, const void *b, size_t n)
{
    if (hit(&n_write, want_write)) {
        errno = ENOSPC;
        return -1;
    }
    return __real_write(fd, b, n);
}

ssize_t __wrap_pwrite(int fd, const void *b, size_t n, off_t off)
{
    if (hit(&n_write, want_write)) {
        errno = ENOSPC;
        return -1;
    }
    return __real_pwrite(fd, b, n, off);
}

/* True when this fsync-like call is the one to fail: then it says the
 * file on stderr (the server's log; with fsyncs under way on several
 * threads at once, which one is the Nth is not fixed, and a test tells
 * from this line what the failure should do) and sets errno. */
static int fsync_fails(const char *call, int fd)
{
    if (!hit(&n_fsync, want_fsync))
        return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    path[n > 0 ? n : 0] = 0;
    fprintf(stderr, "torture: %s %ld failed: %s\n", call, want_fsync, n > 0 ? path : "?");
    errno = EIO;
    return 1;
}

int __wrap_fsync(int fd)
{
    return fsync_fails("fsync", fd) ? -1 : __real_fsync(fd);
}

/* Counted with fsync: a flush along the way (outfile_syncer) is one. */
int __wrap_fdatasync(int fd)
{
    return fsync_fails("fdatasync", fd) ? -1 : __real_fdatasync(fd);
}

int __wrap_rename(const char *a, const char *b)
{
    if (hit(&n_write, want_write)) {
        errno = ENOSPC;
        return -1;
    }
    return __real_rename(a, b);
}
#else
void torture_arm(void) {}
#endif
