/* rowrecs.h: the row records of one byte range of a split upload
 * (pass_split.c): written once, in order, by the thread that reads the
 * range; read back in order by the later phases, a buffer at a time.
 *
 * In memory (blocks of ROWRECS_BLK records from bigmem.h, taken as the
 * records come and given back at the end, so that the next task finds
 * them faulted in) for uploads small enough, so that the records are
 * neither copied into the page cache nor out of it again by every phase;
 * in an anonymous temp file otherwise, which keeps a large upload's memory
 * flat. Internal to src/jobs. */
#ifndef UC_ROWRECS_H
#define UC_ROWRECS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "jobs/bigmem.h"

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

/* Records in one block in memory. */
#define ROWRECS_BLK (BIGMEM_UNIT / sizeof(srec))

typedef struct rowrecs {
    int fd;                /* the file; -1: none (in memory, or not made) */
    FILE *out;             /* writing to the file */
    char *obuf;            /* out's buffer (bigmem), NULL: stdio's own */
    size_t obuf_cap;
    int in_mem;            /* in memory: in blk */
    srec **blk;            /* nblk blocks of ROWRECS_BLK records */
    size_t nblk, blk_room;
    srec *at;              /* the next record's place in the last block */
    size_t room;           /* records left in the last block */
    uint64_t cap;          /* records at most */
    uint32_t n;            /* records written */
} rowrecs;

/* Bytes of records read back at a time (rowrecs_read's buffer). */
#define ROWRECS_BUF ((256u << 10) / sizeof(srec) * sizeof(srec))

/* An empty set, to open or adopt (closing it is a no-op). */
#define ROWRECS_NONE ((rowrecs){.fd = -1})

/* Open rs for writing: in memory for at most most records, or (most 0,
 * or no memory to be had) in the file fd (taken: closed with rs; -1: make
 * none, fail instead). */
uc_err rowrecs_open(rowrecs *rs, uint64_t most, int fd);
/* In memory: another block; UC_EIO past the room, or without memory. */
uc_err rowrecs_grow(rowrecs *rs);
/* Records another writer left in fd (taken), n of them. */
void rowrecs_adopt(rowrecs *rs, int fd, uint32_t n);
/* Append one; UC_EIO past the room or on a failed write. */
static inline uc_err rowrecs_put(rowrecs *rs, const srec *s)
{
    if (rs->in_mem) {
        if (!rs->room && rowrecs_grow(rs) != UC_OK)
            return UC_EIO;
        *rs->at++ = *s;
        rs->room--;
        rs->n++;
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
/* Records [from, from + n) of rs with their rows (first: from's), a
 * buffer at a time:
 *     rwalk walk = rowrecs_walk(rs, from, n, first, buf);
 *     while (rwalk_fill(&walk))
 *         while ((s = rwalk_next(&walk, &row))) ...
 * and walk.e afterwards (UC_EIO on a short or failed read). */
typedef struct rwalk {
    const rowrecs *rs;
    srec *buf;             /* borrowed: ROWRECS_BUF bytes */
    const srec *at;        /* the records at hand: buf, or rs's own */
    uint64_t off;          /* the next byte of rs's records to read */
    uint32_t left;         /* the records not yet at hand */
    size_t i, n;           /* the next record at hand, records at hand */
    uint32_t row;          /* the row of at[i] */
    uc_err e;
} rwalk;
static inline rwalk rowrecs_walk(const rowrecs *rs, uint32_t from, uint32_t n, uint32_t first,
                                 srec *buf)
{
    return (rwalk){.rs = rs, .buf = buf, .off = (uint64_t)from * sizeof(srec), .left = n,
                   .row = first};
}
/* The next records at hand: false at the end or on an error. */
bool rwalk_fill(rwalk *w);
/* The next record at hand and its row, or NULL when they are used up. */
static inline const srec *rwalk_next(rwalk *w, uint32_t *row)
{
    if (w->i == w->n)
        return NULL;
    *row = w->row++;
    return &w->at[w->i++];
}

/* Release everything (blocks back to bigmem). Accepts ROWRECS_NONE and
 * a half-made set. */
void rowrecs_close(rowrecs *rs);

#endif
