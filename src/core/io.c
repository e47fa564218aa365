/* io.c: write-all and size formatting (see io.h). */
#include "core/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

uc_err io_write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return UC_EIO;
        }
        s += w;
        n -= (size_t)w;
    }
    return UC_OK;
}

void io_writeback(int fd, uint64_t off, uint64_t len)
{
    (void)sync_file_range(fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
}

const char *io_size_str(uint64_t n, char *buf, size_t cap)
{
    if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(buf, cap, "%llu MiB", (unsigned long long)(n >> 20));
    else
        snprintf(buf, cap, "%llu bytes", (unsigned long long)n);
    return buf;
}
