/* fuzz_file.h: hand fuzz input to readers that take a path.
 *
 * The project's readers open files by name (mmap or pread), so each input
 * goes into an anonymous memfd and is passed as /proc/self/fd/N. Nothing
 * touches the disk and nothing is left behind. */
#ifndef UC_FUZZ_FILE_H
#define UC_FUZZ_FILE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct fuzz_file {
    int fd;
    char path[64];
} fuzz_file;

/* Write data into a fresh memfd; returns 0 on success. */
static inline int fuzz_file_open(fuzz_file *f, const unsigned char *data, size_t size)
{
    f->fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (f->fd < 0)
        abort();
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(f->fd, data + off, size - off);
        if (w <= 0)
            abort();
        off += (size_t)w;
    }
    snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
    return 0;
}

static inline void fuzz_file_close(fuzz_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

/* Touch every byte of a borrowed buffer so ASan sees a bad pointer or
 * length at the reader's door rather than somewhere later. */
static inline unsigned fuzz_touch(const void *p, size_t n)
{
    const volatile unsigned char *b = p;
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s += b[i];
    return s;
}

#endif
