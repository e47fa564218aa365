/* rowrecs.c: one range's row records, in memory or in a file (see
 * rowrecs.h). */
#include "jobs/rowrecs.h"

#include <stdlib.h>
#include <unistd.h>

_Static_assert(BIGMEM_UNIT % sizeof(srec) == 0, "a block holds whole records");

uc_err rowrecs_grow(rowrecs *rs)
{
    if (rs->n >= rs->cap)
        return UC_EIO;
    if (rs->nblk == rs->blk_room) {
        size_t nr = rs->blk_room ? rs->blk_room * 2 : 16;
        srec **nb = realloc(rs->blk, nr * sizeof *nb);
        if (!nb)
            return UC_EIO;
        rs->blk = nb;
        rs->blk_room = nr;
    }
    size_t cap;
    srec *b = bigmem_take(ROWRECS_BLK * sizeof(srec), &cap);
    if (!b)
        return UC_EIO;
    rs->blk[rs->nblk++] = b;
    rs->at = b;
    rs->room = ROWRECS_BLK;
    return UC_OK;
}

uc_err rowrecs_open(rowrecs *rs, uint64_t most, int fd)
{
    *rs = ROWRECS_NONE;
    if (most) {
        rs->in_mem = 1;
        rs->cap = most;
        if (rowrecs_grow(rs) == UC_OK) { /* a first block, or the file */
            if (fd >= 0)
                close(fd);
            return UC_OK;
        }
        rowrecs_close(rs);
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
    /* A buffer of our own: given none, stdio takes the file's block size
     * (4 KiB: a write(2) per 128 records, 2,500 for 10 MB of them), and
     * from bigmem, where its pages stay faulted in between tasks. */
    rs->obuf = bigmem_take(BIGMEM_UNIT, &rs->obuf_cap);
    if (rs->obuf)
        setvbuf(rs->out, rs->obuf, _IOFBF, rs->obuf_cap);
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
    bigmem_give(rs->obuf, rs->obuf_cap); /* not before the fclose: stdio's */
    rs->obuf = NULL;
    return rc == 0 ? UC_OK : UC_EIO;
}

uc_err rowrecs_read(const rowrecs *rs, uint64_t *off, srec *buf, const srec **got, size_t *n)
{
    uint64_t total = (uint64_t)rs->n * sizeof(srec);
    *n = 0;
    if (*off >= total)
        return UC_OK;
    size_t want = total - *off < ROWRECS_BUF ? (size_t)(total - *off) : ROWRECS_BUF;
    if (rs->in_mem) {
        uint64_t i = *off / sizeof(srec);
        size_t k = (size_t)(i % ROWRECS_BLK); /* up to the block's end */
        if (want / sizeof(srec) > ROWRECS_BLK - k)
            want = (ROWRECS_BLK - k) * sizeof(srec);
        *got = rs->blk[i / ROWRECS_BLK] + k;
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

bool rwalk_fill(rwalk *w)
{
    w->i = 0;
    w->n = 0;
    if (!w->left || (w->e = rowrecs_read(w->rs, &w->off, w->buf, &w->at, &w->n)))
        return false;
    if (!w->n)
        w->e = UC_EIO; /* fewer records than the writer counted */
    if (w->n > w->left)
        w->n = w->left;
    w->left -= (uint32_t)w->n;
    return w->n > 0;
}

void rowrecs_close(rowrecs *rs)
{
    if (rs->out)
        fclose(rs->out);
    bigmem_give(rs->obuf, rs->obuf_cap);
    if (rs->fd >= 0)
        close(rs->fd);
    for (size_t i = 0; i < rs->nblk; i++)
        bigmem_give(rs->blk[i], ROWRECS_BLK * sizeof(srec));
    free(rs->blk);
    *rs = ROWRECS_NONE;
}
