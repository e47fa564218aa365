/* outfile.h: a buffered, append-only output file for result writers.
 * Large writes; the caller makes it durable and renames it into place
 * (files_commit: one fsync, not one here and another there). */
#ifndef UC_OUTFILE_H
#define UC_OUTFILE_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

typedef struct outfile outfile;

uc_err outfile_open(const char *path, outfile **out);   /* creates, 0600 */
uc_err outfile_write(outfile *f, const void *buf, size_t len);
/* The next len bytes of the file, for other threads to fill with
 * pwrite(2) on *fd (borrowed until outfile_close) from offset *at on:
 * how parts of a result written in parallel land in place, with no copy.
 * Whatever is written after goes after them; all of them must be filled
 * before the close. */
uc_err outfile_region(outfile *f, int64_t len, int *fd, int64_t *at);
/* One thread's writer of (part of) a region: buffered positional writes
 * in place, each buffer's writeback started as it goes (the commit's
 * fsync then has less left to wait for):
 *     outfile_pw w = {.fd = fd, .at = at, .buf = OUTFILE_PW_BUF bytes};
 *     outfile_pw_put(&w, ...) ...; outfile_pw_flush(&w); then w.e
 * (the first failure, UC_EIO; the puts after it do nothing). */
#define OUTFILE_PW_BUF (256u << 10)
struct outfile_syncer;
typedef struct outfile_pw {
    int fd;
    int64_t at;            /* where the buffer's bytes go */
    char *buf;             /* borrowed: OUTFILE_PW_BUF bytes */
    size_t n;
    uc_err e;
    struct outfile_syncer *sync; /* told of each buffer written; NULL: none */
} outfile_pw;
void outfile_pw_put(outfile_pw *w, const void *p, size_t len);
void outfile_pw_flush(outfile_pw *w);

/* A thread that makes a region durable behind its writers, while they
 * write: fdatasync(fd) each time another step bytes were written. Writing
 * back (io_writeback) is not enough on a virtual disk: the device's
 * cache flush at the commit's fsync costs about 0.75 ms a MB still
 * unflushed (56 MB: 45 ms after the last byte), while flushes made along
 * the way leave it the last step's. NULL when the thread cannot start
 * (nothing is lost: the commit's fsync does it all). */
typedef struct outfile_syncer outfile_syncer;
outfile_syncer *outfile_syncer_start(int fd, uint64_t step);
/* bytes more were written (outfile_pw_flush calls it). Thread-safe. */
void outfile_syncer_add(outfile_syncer *s, uint64_t bytes);
/* The writers are done: wait for the flush under way, free s. UC_EIO if
 * any flush failed (the error is then this writer's to report: a later
 * fsync on the file may no longer see it). Accepts NULL (UC_OK). */
uc_err outfile_syncer_stop(outfile_syncer *s);

/* Flush and close; *size gets the file's length. Frees f. */
uc_err outfile_close(outfile *f, int64_t *size);
/* Close and unlink the partial file. Accepts NULL. */
void outfile_abort(outfile *f);

#endif
