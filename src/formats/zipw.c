/* zipw.c: the zip archive of a result workbook, written front to back:
 * local header, data (stored, or deflated as it comes with a data
 * descriptor after it), then the central directory. A large streamed
 * entry is deflated on a thread of its own (the deflater below) while the
 * caller makes the next bytes. */
#include "formats/zipw.h"

#include "core/io.h"
#include "core/slots.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define ZOUT_BUF (256 * 1024)
#define DOS_DATE 0x0021        /* 1980-01-01: a fixed time makes output reproducible */
#define DOS_TIME 0x0000
#define MAX_NAME 64
/* A streamed entry goes to the deflater thread once this much of it has
 * come (a small workbook's parts never make a thread); the caller's bytes
 * are copied into DEFL_SLOTS slots of DEFL_SLOT bytes. */
#define DEFL_MIN (1u << 20)
#define DEFL_SLOTS 4
#define DEFL_SLOT (256 * 1024)

/* The deflater: slots (core/slots.h) filled by zipw_write and deflated in
 * order by its thread, which alone touches the z_stream and the file while
 * it runs; the writer counts the CRC and the size as it fills the slots
 * (the deflater is the slower side). */
typedef struct defl {
    pthread_t t;
    slots *ring;
    uc_err e;              /* the thread's failure: it then stops the ring */
} defl;

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
    z_stream z;
    bool z_live;
    uint32_t crc;          /* of the streamed entry so far */
    uint64_t usize;
    unsigned char *zout;
    int err_no;
    defl *d;               /* the deflater of this entry, if started */
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

uc_err zipw_open(const char *path, zipw **outp)
{
    *outp = NULL;
    zipw *z = calloc(1, sizeof *z);
    if (!z)
        return UC_ENOMEM;
    z->fd = -1;
    z->zout = malloc(ZOUT_BUF);
    if (!z->zout ||
        deflateInit2(&z->z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        zipw_abort(z);
        return UC_ENOMEM;
    }
    z->z_live = true;
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
    z->crc = 0;
    z->usize = 0;
    if (deflateReset(&z->z) != Z_OK)
        return UC_EIO;
    return local_header(z, e);
}

/* Deflate n bytes at p into the file; count them (CRC, size) unless the
 * writer already did (the deflater thread). */
static uc_err deflate_some(zipw *z, const void *p, size_t n, int flush, bool count)
{
    if (count) {
        z->crc = (uint32_t)crc32(z->crc, (const Bytef *)p, (uInt)n);
        z->usize += n;
    }
    z->z.next_in = (Bytef *)p;
    z->z.avail_in = (uInt)n;
    do {
        z->z.next_out = z->zout;
        z->z.avail_out = ZOUT_BUF;
        if (deflate(&z->z, flush) == Z_STREAM_ERROR)
            return UC_EIO;
        size_t have = ZOUT_BUF - z->z.avail_out;
        if (have) {
            uc_err e = out(z, z->zout, have);
            if (e)
                return e;
        }
    } while (z->z.avail_out == 0 || (flush == Z_FINISH && z->z.avail_in > 0));
    return UC_OK;
}

static void *defl_main(void *arg)
{
    zipw *z = arg;
    defl *d = z->d;
    const unsigned char *p;
    size_t n;
    while ((p = slots_take(d->ring, &n))) {
        uc_err e = deflate_some(z, p, n, Z_NO_FLUSH, false);
        slots_release(d->ring);
        if (e) {
            d->e = e;  /* seen by the writer after slots_claim fails */
            slots_stop(d->ring);
            break;
        }
    }
    return NULL;
}

/* Start the deflater; false (nothing started) when it cannot be made:
 * the caller deflates itself. */
static bool defl_start(zipw *z)
{
    defl *d = calloc(1, sizeof *d);
    if (!d || !(d->ring = slots_new(DEFL_SLOTS, DEFL_SLOT))) {
        free(d);
        return false;
    }
    z->d = d;
    if (pthread_create(&d->t, NULL, defl_main, z) == 0)
        return true;
    z->d = NULL;
    slots_free(d->ring);
    free(d);
    return false;
}

/* Stop the deflater after the slots it holds (or, discard, without
 * deflating them): its failure, if any. */
static uc_err defl_stop(zipw *z, bool discard)
{
    defl *d = z->d;
    if (!d)
        return UC_OK;
    if (discard)
        slots_stop(d->ring);
    else
        slots_finish(d->ring);
    pthread_join(d->t, NULL);
    uc_err e = d->e;
    slots_free(d->ring);
    free(d);
    z->d = NULL;
    return e;
}

/* Hand n bytes to the deflater, a slot at a time, counting them. */
static uc_err defl_put(zipw *z, const unsigned char *p, size_t n)
{
    defl *d = z->d;
    while (n) {
        unsigned char *slot = slots_claim(d->ring);
        if (!slot)
            return d->e ? d->e : UC_EIO;
        size_t m = n < DEFL_SLOT ? n : DEFL_SLOT;
        z->crc = (uint32_t)crc32(z->crc, p, (uInt)m);
        z->usize += m;
        memcpy(slot, p, m);
        slots_publish(d->ring, m);
        p += m;
        n -= m;
    }
    return UC_OK;
}

uc_err zipw_write(zipw *z, const void *p, size_t n)
{
    if (!z->streaming)
        return UC_EINVAL;
    if (!z->d && z->usize + n >= DEFL_MIN)
        defl_start(z);
    if (z->d)
        return defl_put(z, p, n);
    /* zlib counts in uInt: feed very large buffers in pieces */
    while (n > (1u << 30)) {
        uc_err e = deflate_some(z, p, 1u << 30, Z_NO_FLUSH, true);
        if (e)
            return e;
        p = (const char *)p + (1u << 30);
        n -= 1u << 30;
    }
    return deflate_some(z, p, n, Z_NO_FLUSH, true);
}

uc_err zipw_end(zipw *z)
{
    if (!z->streaming)
        return UC_EINVAL;
    uc_err e = defl_stop(z, false);
    if (e) {
        z->streaming = false;
        return e;
    }
    e = deflate_some(z, "", 0, Z_FINISH, true);
    z->streaming = false;
    if (e)
        return e;
    entry *ent = &z->ents[z->n - 1];
    if (z->usize > 0xFFFFFFFFu || z->z.total_out > 0xFFFFFFFFu)
        return UC_ELIMIT;
    ent->crc = z->crc;
    ent->csize = (uint32_t)z->z.total_out;
    ent->usize = (uint32_t)z->usize;
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
    defl_stop(z, true);
    if (z->z_live)
        deflateEnd(&z->z);
    if (z->fd >= 0)
        close(z->fd);
    free(z->zout);
    free(z);
}

int zipw_errno(const zipw *z)
{
    return z->err_no;
}
