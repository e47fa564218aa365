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
typedef struct outfile_pw {
    int fd;
    int64_t at;            /* where the buffer's bytes go */
    char *buf;             /* borrowed: OUTFILE_PW_BUF bytes */
    size_t n;
    uc_err e;
} outfile_pw;
void outfile_pw_put(outfile_pw *w, const void *p, size_t len);
void outfile_pw_flush(outfile_pw *w);

/* Flush and close; *size gets the file's length. Frees f. */
uc_err outfile_close(outfile *f, int64_t *size);
/* Close and unlink the partial file. Accepts NULL. */
void outfile_abort(outfile *f);

#endif
