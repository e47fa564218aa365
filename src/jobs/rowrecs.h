/* rowrecs.h: the row records of one byte range of a split upload
 * (pass_split.c): written once, in order, by the thread that reads the
 * range; read back in order by the later phases, a buffer at a time.
 *
 * In memory (an anonymous mapping with room for the most records the
 * range can hold, touched only as far as it is written) for uploads small
 * enough, so that the records are neither copied into the page cache nor
 * out of it again by every phase; in an anonymous temp file otherwise,
 * which keeps a large upload's memory flat. Internal to src/jobs. */
#ifndef UC_ROWRECS_H
#define UC_ROWRECS_H

#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

/* One row as the read phase saw it. */
typedef struct srec {
    uint64_t start;
    uint32_t len;
    uint16_t pad;          /* delimiters to add to reach the header's width */
    uint8_t term;
    uint8_t verdict;       /* the cell's own verdict */
    uint64_t h;            /* dedup_hash of the address */
    uint32_t check;
    uint32_t has_key;
} srec;

typedef struct rowrecs {
    int fd;                /* the file; -1: none (in memory, or not made) */
    FILE *out;             /* writing to the file */
    srec *mem;             /* in memory: room for cap records */
    uint64_t cap;
    size_t map_len;
    uint32_t n;            /* records written */
} rowrecs;

/* Bytes of records read back at a time (rowrecs_read's buffer). */
#define ROWRECS_BUF ((256u << 10) / sizeof(srec) * sizeof(srec))

/* An empty set, to open or adopt (closing it is a no-op). */
#define ROWRECS_NONE ((rowrecs){.fd = -1})

/* Open rs for writing: in memory with room for most records, or (when
 * that cannot be had) in the file fd (taken: closed with rs; -1: make
 * none, fail instead). */
uc_err rowrecs_open(rowrecs *rs, uint64_t most, int fd);
/* Records another writer left in fd (taken), n of them. */
void rowrecs_adopt(rowrecs *rs, int fd, uint32_t n);
/* Append one; UC_EIO past the room or on a failed write. */
static inline uc_err rowrecs_put(rowrecs *rs, const srec *s)
{
    if (rs->mem) {
        if (rs->n >= rs->cap)
            return UC_EIO;
        rs->mem[rs->n++] = *s;
        return UC_OK;
    }
    if (fwrite_unlocked(s, sizeof *s, 1, rs->out) != 1)
        return UC_EIO;
    rs->n++;
    return UC_OK;
}
/* Done writing (flushes the file). */
uc_err rowrecs_end(rowrecs *rs);
/* The next records from byte *off of them on: *got points at *n of them
 * (in memory, or read into buf, ROWRECS_BUF bytes, borrowed); *n = 0 at
 * the end; UC_EIO on a short or failed read. */
uc_err rowrecs_read(const rowrecs *rs, uint64_t *off, srec *buf, const srec **got, size_t *n);
/* Release everything. Accepts ROWRECS_NONE and a half-made set. */
void rowrecs_close(rowrecs *rs);

#endif
