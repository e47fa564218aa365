/* delim_open.c: where a delimited reader's bytes come from (see
 * delimited.h): a file read whole when small or mapped, a caller's
 * buffer, another reader's mapping; the mapping grown as an upload
 * streams in (delim_extend); the checks made before the first row. */
#include "formats/delim_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A reader with no file yet; NULL on ENOMEM. */
static delim_reader *reader_new(const delim_limits *lim)
{
    delim_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->fd = -1;
    buf_init(&r->field, SIZE_MAX);
    buf_init(&r->cells, SIZE_MAX);
    buf_init(&r->offs, SIZE_MAX);
    if (lim)
        r->lim = *lim;
    else
        delim_limits_default(&r->lim);
    return r;
}

/* Files up to this size are read into memory rather than mapped: for a
 * 10-row upload the mapping's page fault and its munmap (which flushes
 * the TLBs of the process's other cores) cost more than the copy. */
#define COPY_MAX (64u << 10)

/* The file's first size bytes, in a malloc'd buffer; NULL on failure. */
static char *read_copy(int fd, uint64_t size)
{
    char *m = malloc(size);
    for (uint64_t got = 0; m && got < size;) {
        ssize_t n = pread(fd, m + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) { /* an error, or the file shrank */
            free(m);
            m = NULL;
        } else {
            got += (uint64_t)n;
        }
    }
    return m;
}

/* The checks every reader makes of its bytes (r->data, r->size) before
 * its first row: the reasons a file cannot be read as text. */
static uc_err check_start(delim_reader *r, char *err, size_t errcap)
{
    const unsigned char *u = (const unsigned char *)r->data;
    if (r->size == 0) {
        snprintf(err, errcap, "The file is empty");
        return UC_EFORMAT;
    }
    if (r->size >= 4 && ((u[0] == 0xFF && u[1] == 0xFE && u[2] == 0 && u[3] == 0) ||
                         (u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF))) {
        snprintf(err, errcap, "The file is UTF-32 encoded; save it as UTF-8");
        return UC_EFORMAT;
    }
    if (r->size >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        snprintf(err, errcap, "The file is UTF-16 encoded; save it as UTF-8");
        return UC_EFORMAT;
    }
    if (r->size >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
        r->bom = 3;
    delim_rewind(r, ',');
    return UC_OK;
}

uc_err delim_open(const char *path, const delim_limits *lim, delim_reader **out,
                  char *err, size_t errcap)
{
    delim_reader *r = reader_new(lim);
    if (!r)
        return UC_ENOMEM;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) != 0) {
        snprintf(err, errcap, "Cannot read the uploaded file");
        delim_close(r);
        return UC_EIO;
    }
    r->size = (uint64_t)st.st_size;
    if (r->size == 0) {
        snprintf(err, errcap, "The file is empty");
        delim_close(r);
        return UC_EFORMAT;
    }
    void *m;
    if (r->size <= COPY_MAX) {
        m = read_copy(r->fd, r->size);
        r->copied = m != NULL;
    } else {
        m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, r->fd, 0);
        if (m != MAP_FAILED)
            madvise(m, r->size, MADV_SEQUENTIAL);
        else
            m = NULL;
    }
    if (!m) {
        snprintf(err, errcap, "Cannot read the uploaded file");
        delim_close(r);
        return UC_EIO;
    }
    r->data = m;
    uc_err e = check_start(r, err, errcap);
    if (e) {
        delim_close(r);
        return e;
    }
    *out = r;
    return UC_OK;
}

uc_err delim_open_mem(const char *data, size_t size, const delim_limits *lim,
                      delim_reader **out, char *err, size_t errcap)
{
    delim_reader *r = reader_new(lim);
    if (!r)
        return UC_ENOMEM;
    r->data = data;
    r->size = size;
    r->borrowed = 1; /* the caller's bytes: delim_close leaves them */
    uc_err e = check_start(r, err, errcap);
    if (e) {
        delim_close(r);
        return e;
    }
    *out = r;
    return UC_OK;
}

uc_err delim_open_shared(const delim_reader *base, delim_reader **out)
{
    delim_reader *r = reader_new(&base->lim);
    if (!r)
        return UC_ENOMEM;
    r->data = base->data;
    r->size = base->size;
    r->bom = base->bom;
    r->borrowed = 1;
    delim_rewind(r, ',');
    *out = r;
    return UC_OK;
}

void delim_close(delim_reader *r)
{
    if (!r)
        return;
    if (r->p_live)
        csv_free(&r->p);
    if (r->data && r->copied)
        free((void *)r->data);
    else if (r->data && !r->borrowed)
        munmap((void *)r->data, r->size);
    if (r->fd >= 0)
        close(r->fd);
    buf_free(&r->field);
    buf_free(&r->cells);
    buf_free(&r->offs);
    free(r);
}

uc_err delim_extend(delim_reader *r)
{
    struct stat st;
    if (r->borrowed)
        return UC_EINVAL; /* another reader's mapping: that one extends */
    if (fstat(r->fd, &st) != 0 || (uint64_t)st.st_size < r->size)
        return UC_EIO;
    uint64_t size = (uint64_t)st.st_size;
    if (size == r->size)
        return UC_OK;
    void *m;
    if (r->copied) { /* a small file read whole: map it now */
        m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, r->fd, 0);
        if (m == MAP_FAILED)
            return UC_EIO;
        free((void *)r->data);
        r->copied = 0;
    } else {
        m = mremap((void *)r->data, r->size, size, MREMAP_MAYMOVE);
        if (m == MAP_FAILED)
            return UC_EIO;
    }
    madvise(m, size, MADV_SEQUENTIAL);
    if (r->end == r->size)
        r->end = size;
    r->data = m;
    r->size = size;
    return UC_OK;
}
