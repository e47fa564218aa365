/* io.h: small I/O helpers shared across layers. */
#ifndef UC_IO_H
#define UC_IO_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

/* write(2) all n bytes, retrying short writes and EINTR. UC_EIO on error
 * (errno says why). */
uc_err io_write_all(int fd, const void *p, size_t n);

/* Start writing bytes [off, off + len) of fd back to disk, without
 * waiting: a later fsync then has less left to do. A hint; never fails. */
void io_writeback(int fd, uint64_t off, uint64_t len);

/* A size for a message: "16 MiB" for whole mebibytes, else "1500 bytes".
 * Returns buf. */
const char *io_size_str(uint64_t n, char *buf, size_t cap);

#endif
