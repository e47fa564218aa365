/* rowrecs.c: one range's row records, in memory or in a file (see
 * rowrecs.h). */
#include "jobs/rowrecs.h"

#include <sys/mman.h>
#include <unistd.h>

uc_err rowrecs_open(rowrecs *rs, uint64_t most, int fd)
{
    *rs = ROWRECS_NONE;
    if (most && most < SIZE_MAX / sizeof(srec)) {
        size_t len = (size_t)most * sizeof(srec);
        /* only what is written is ever touched: room costs address space */
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
                       MAP_NORESERVE, -1, 0);
        if (m != MAP_FAILED) {
            madvise(m, len, MADV_HUGEPAGE); /* fewer page faults; only a hint */
            rs->mem = m;
            rs->cap = most;
            rs->map_len = len;
            if (fd >= 0)
                close(fd);
            return UC_OK;
        }
    }
    if (fd < 0)
        return UC_EIO;
    rs->fd = fd;
    int fd2 = dup(fd);
    if (fd2 < 0 || !(rs->out = fdopen(fd2, "w"))) {
        if (fd2 >= 0)
            close(fd2);
        return UC_EIO;
    }
    setvbuf(rs->out, NULL, _IOFBF, 1u << 20);
    return UC_OK;
}

void rowrecs_adopt(rowrecs *rs, int fd, uint32_t n)
{
    *rs = ROWRECS_NONE;
    rs->fd = fd;
    rs->n = n;
}

uc_err rowrecs_end(rowrecs *rs)
{
    if (!rs->out)
        return UC_OK;
    int rc = fclose(rs->out);
    rs->out = NULL;
    return rc == 0 ? UC_OK : UC_EIO;
}

uc_err rowrecs_read(const rowrecs *rs, uint64_t *off, srec *buf, const srec **got, size_t *n)
{
    uint64_t total = (uint64_t)rs->n * sizeof(srec);
    *n = 0;
    if (*off >= total)
        return UC_OK;
    size_t want = total - *off < ROWRECS_BUF ? (size_t)(total - *off) : ROWRECS_BUF;
    if (rs->mem) {
        *got = rs->mem + *off / sizeof(srec);
    } else {
        ssize_t k = pread(rs->fd, buf, want, (off_t)*off);
        if (k <= 0 || (size_t)k % sizeof(srec))
            return UC_EIO;
        want = (size_t)k;
        *got = buf;
    }
    *off += want;
    *n = want / sizeof(srec);
    return UC_OK;
}

void rowrecs_close(rowrecs *rs)
{
    if (rs->out)
        fclose(rs->out);
    if (rs->fd >= 0)
        close(rs->fd);
    if (rs->mem)
        munmap(rs->mem, rs->map_len);
    *rs = ROWRECS_NONE;
}
