/* zipw.c: the zip archive of a result workbook, written front to back:
 * local header, data (stored, or deflated as it comes with a data
 * descriptor after it), then the central directory. A large streamed
 * entry is deflated in blocks on worker threads (pdefl.c) while the
 * caller makes the next bytes. */
#include "formats/zipw.h"

#include "core/io.h"
#include "formats/pdefl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define DOS_DATE 0x0021        /* 1980-01-01: a fixed time makes output reproducible */
#define DOS_TIME 0x0000
#define MAX_NAME 64

typedef struct entry {
    char name[MAX_NAME];
    uint32_t crc, csize, usize, offset;
    uint16_t method, flags;
} entry;

struct zipw {
    int fd;
    uint64_t pos;          /* bytes written to the file */
    entry ents[ZIPW_MAX_ENTRIES];
    int n;
    bool streaming;        /* inside zipw_begin .. zipw_end */
    pdefl *d;              /* deflates the streamed entries */
    int err_no;
};

static uc_err out(zipw *z, const void *p, size_t n)
{
    if (io_write_all(z->fd, p, n) != UC_OK) {
        z->err_no = errno;
        return UC_EIO;
    }
    z->pos += n;
    return UC_OK;
}

static void le16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p + 2, (uint16_t)(v >> 16));
}

/* The fields local and central headers share, from "version needed" to
 * the name's length (26 bytes). */
static void common_fields(unsigned char *h, const entry *e)
{
    le16(h, 20);
    le16(h + 2, e->flags);
    le16(h + 4, e->method);
    le16(h + 6, DOS_TIME);
    le16(h + 8, DOS_DATE);
    le32(h + 10, e->crc);
    le32(h + 14, e->csize);
    le32(h + 18, e->usize);
    le16(h + 22, (uint16_t)strlen(e->name));
}

static uc_err local_header(zipw *z, const entry *e)
{
    unsigned char h[30];
    le32(h, 0x04034b50);
    common_fields(h + 4, e);
    le16(h + 28, 0);
    uc_err err = out(z, h, sizeof h);
    return err ? err : out(z, e->name, strlen(e->name));
}

static uc_err new_entry(zipw *z, const char *name, entry **ep)
{
    if (z->n == ZIPW_MAX_ENTRIES || z->streaming || strlen(name) >= MAX_NAME)
        return UC_EINVAL;
    if (z->pos > 0xFFFFFFFFu)
        return UC_ELIMIT;
    entry *e = &z->ents[z->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->offset = (uint32_t)z->pos;
    *ep = e;
    return UC_OK;
}

/* pdefl's sink: the deflated bytes into the file. */
static uc_err sink(void *ud, const void *p, size_t n)
{
    return out(ud, p, n);
}

uc_err zipw_open(const char *path, zipw **outp)
{
    *outp = NULL;
    zipw *z = calloc(1, sizeof *z);
    if (!z)
        return UC_ENOMEM;
    z->fd = -1;
    uc_err e = pdefl_new(sink, z, &z->d);
    if (e) {
        zipw_abort(z);
        return e;
    }
    z->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (z->fd < 0) {
        zipw_abort(z);
        return UC_EIO;
    }
    *outp = z;
    return UC_OK;
}

uc_err zipw_add(zipw *z, const char *name, const void *data, size_t n)
{
    entry *e;
    uc_err err = n > 0xFFFFFFFFu ? UC_ELIMIT : new_entry(z, name, &e);
    if (err)
        return err;
    e->crc = (uint32_t)crc32(0, (const Bytef *)data, (uInt)n);
    e->csize = e->usize = (uint32_t)n;
    err = local_header(z, e);
    return err ? err : out(z, data, n);
}

uc_err zipw_begin(zipw *z, const char *name)
{
    entry *e;
    uc_err err = new_entry(z, name, &e);
    if (err)
        return err;
    e->method = 8;
    e->flags = 0x0008;  /* sizes in the data descriptor */
    z->streaming = true;
    pdefl_begin(z->d);
    return local_header(z, e);
}

uc_err zipw_write(zipw *z, const void *p, size_t n)
{
    return z->streaming ? pdefl_write(z->d, p, n) : UC_EINVAL;
}

unsigned char *zipw_room(zipw *z, size_t *room)
{
    *room = 0;
    return z->streaming ? pdefl_room(z->d, room) : NULL;
}

void zipw_commit(zipw *z, size_t n)
{
    pdefl_commit(z->d, n);
}

uc_err zipw_end(zipw *z)
{
    if (!z->streaming)
        return UC_EINVAL;
    z->streaming = false;
    uint32_t crc;
    uint64_t usize, csize;
    uc_err e = pdefl_finish(z->d, &crc, &usize, &csize);
    if (e)
        return e;
    if (usize > 0xFFFFFFFFu || csize > 0xFFFFFFFFu)
        return UC_ELIMIT;
    entry *ent = &z->ents[z->n - 1];
    ent->crc = crc;
    ent->csize = (uint32_t)csize;
    ent->usize = (uint32_t)usize;
    unsigned char dd[16];
    le32(dd, 0x08074b50);
    le32(dd + 4, ent->crc);
    le32(dd + 8, ent->csize);
    le32(dd + 12, ent->usize);
    return out(z, dd, sizeof dd);
}

static uc_err central_directory(zipw *z)
{
    uint64_t cd_start = z->pos;
    if (z->streaming)
        return UC_EINVAL;
    for (int i = 0; i < z->n; i++) {
        const entry *e = &z->ents[i];
        unsigned char h[46];
        size_t nl = strlen(e->name);
        le32(h, 0x02014b50);
        le16(h + 4, 20);   /* made by: MS-DOS, 2.0 */
        common_fields(h + 6, e);
        memset(h + 30, 0, 12); /* extra, comment, disk, attributes */
        le32(h + 42, e->offset);
        uc_err err = out(z, h, sizeof h);
        if (!err)
            err = out(z, e->name, nl);
        if (err)
            return err;
    }
    if (z->pos > 0xFFFFFFFFu)
        return UC_ELIMIT;
    unsigned char eocd[22];
    le32(eocd, 0x06054b50);
    le16(eocd + 4, 0);
    le16(eocd + 6, 0);
    le16(eocd + 8, (uint16_t)z->n);
    le16(eocd + 10, (uint16_t)z->n);
    le32(eocd + 12, (uint32_t)(z->pos - cd_start));
    le32(eocd + 16, (uint32_t)cd_start);
    le16(eocd + 20, 0);
    return out(z, eocd, sizeof eocd);
}

uc_err zipw_close(zipw *z)
{
    uc_err e = central_directory(z);
    if (!e) {
        int rc = close(z->fd);
        z->fd = -1;  /* released even when close fails */
        if (rc) {
            z->err_no = errno;
            e = UC_EIO;
        }
    }
    int saved = z->err_no;
    zipw_abort(z);
    errno = saved;
    return e;
}

void zipw_abort(zipw *z)
{
    if (!z)
        return;
    pdefl_free(z->d);  /* its workers stopped before the file closes */
    if (z->fd >= 0)
        close(z->fd);
    free(z);
}

int zipw_errno(const zipw *z)
{
    return z->err_no;
}
