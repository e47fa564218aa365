/* zip.c: the streaming zip reader behind the XLSX reader. Reads with pread,
 * never maps the archive; trusts no size or offset the file declares; the
 * central directory is the index, a scan of local headers the fallback.
 * Inflates with ISA-L's igzip (about 4x zlib's inflate). */
#include "formats/zip.h"
#include "formats/zip_ahead.h"
#include "core/buf.h"
#include "core/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#define CHUNK (64 * 1024)
#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define SIG_DESC 0x08074b50u
#define EOCD_LEN 22
#define LOC64_LEN 20
#define EOCD64_LEN 56
#define CEN_LEN 46
#define LOC_LEN 30

struct zipr {
    int fd;
    uint64_t fsize;
    zipr_limits lim;
    uint64_t total_out;  /* inflated bytes handed out so far */
    struct buf ents;     /* zentry records */
    uint32_t n;
};

static zentry *entry(const zipr *z, uint32_t i)
{
    return (zentry *)z->ents.data + i;
}

void zipr_limits_default(zipr_limits *lim)
{
    lim->max_entry_bytes = 1ull << 30;
    lim->max_total_bytes = 2ull << 30;
    lim->max_entries = 10000;
}

/* Reasons start with "Corrupt zip: " (damaged input) or "Zip rejected: "
 * (a cap, or a feature we refuse) so a caller may swap in its own format
 * name; see zip.h. */
static uc_err vfail(char *err, size_t errcap, uc_err code, const char *pre,
                    const char *fmt, va_list ap)
{
    if (err && errcap) {
        size_t n = (size_t)snprintf(err, errcap, "%s", pre);
        if (n < errcap)
            vsnprintf(err + n, errcap - n, fmt, ap);
    }
    return code;
}

static uc_err fail(char *err, size_t errcap, uc_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(err, errcap, code,
          code == UC_EFORMAT ? "Corrupt zip: " : code == UC_ELIMIT ? "Zip rejected: " : "",
          fmt, ap);
    va_end(ap);
    return code;
}

/* A well-formed archive using something we do not support: UC_EFORMAT. */
static uc_err reject(char *err, size_t errcap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(err, errcap, UC_EFORMAT, "Zip rejected: ", fmt, ap);
    va_end(ap);
    return UC_EFORMAT;
}


static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Read exactly len bytes at off; short reads (truncation) are EFORMAT. */
static uc_err rd(const zipr *z, uint64_t off, void *buf, size_t len)
{
    if (off > z->fsize || len > z->fsize - off)
        return UC_EFORMAT;
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(z->fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return UC_EIO;
        }
        if (r == 0)
            return UC_EFORMAT;
        got += (size_t)r;
    }
    return UC_OK;
}

/* Copy and normalise a part name: '\' -> '/', leading '/' dropped. */
static char *name_dup(const unsigned char *p, size_t len)
{
    while (len && (*p == '/' || *p == '\\'))
        p++, len--;
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < len; i++)
        s[i] = p[i] == '\\' ? '/' : (char)p[i];
    s[len] = '\0';
    return s;
}

static uc_err push(zipr *z, const zentry *ze, char *err, size_t errcap)
{
    if (z->n >= z->lim.max_entries)
        return fail(err, errcap, UC_ELIMIT, "more than %u entries in the archive",
                    z->lim.max_entries);
    uc_err e = buf_add(&z->ents, ze, sizeof *ze);
    if (e)
        return e;
    z->n++;
    return UC_OK;
}

static void drop_entries(zipr *z)
{
    for (uint32_t i = 0; i < z->n; i++)
        free(entry(z, i)->name);
    buf_reset(&z->ents);
    z->n = 0;
}

/* Apply a zip64 extended-information extra field (0x0001): each field is
 * present only when its 32-bit slot holds 0xFFFFFFFF. */
static bool zip64_extra(const unsigned char *x, size_t xlen, zentry *ze,
                        bool need_u, bool need_c, bool need_o)
{
    while (xlen >= 4) {
        uint16_t id = le16(x), sz = le16(x + 2);
        if ((size_t)sz > xlen - 4)
            return false;
        if (id == 0x0001) {
            const unsigned char *p = x + 4;
            size_t left = sz;
            if (need_u) {
                if (left < 8) return false;
                ze->usize = le64(p), p += 8, left -= 8;
            }
            if (need_c) {
                if (left < 8) return false;
                ze->csize = le64(p), p += 8, left -= 8;
            }
            if (need_o) {
                if (left < 8) return false;
                ze->lho = le64(p);
            }
            return true;
        }
        x += 4 + sz;
        xlen -= 4 + (size_t)sz;
    }
    return !(need_u || need_c || need_o);
}

/* Find the end-of-central-directory record (scanning back over a comment of
 * up to 64 KiB) and the zip64 record if there is one. */
static uc_err find_cd(zipr *z, uint64_t *cd_off, uint64_t *cd_size,
                      uint64_t *count)
{
    size_t tail = z->fsize < 0xFFFF + EOCD_LEN ? (size_t)z->fsize : 0xFFFF + EOCD_LEN;
    if (tail < EOCD_LEN)
        return UC_EFORMAT;
    unsigned char *buf = malloc(tail);
    if (!buf)
        return UC_ENOMEM;
    uint64_t base = z->fsize - tail;
    uc_err e = rd(z, base, buf, tail);
    if (e) {
        free(buf);
        return e;
    }
    /* Prefer a record whose comment length reaches exactly to the end;
     * settle for the last one found otherwise (trailing junk). */
    long found = -1;
    for (long i = (long)tail - EOCD_LEN; i >= 0; i--) {
        if (le32(buf + i) != SIG_EOCD)
            continue;
        if (found < 0)
            found = i;
        if ((size_t)i + EOCD_LEN + le16(buf + i + 20) == tail) {
            found = i;
            break;
        }
    }
    if (found < 0) {
        free(buf);
        return UC_EFORMAT;
    }
    const unsigned char *r = buf + found;
    uint64_t eocd = base + (uint64_t)found;
    *count = le16(r + 10);
    *cd_size = le32(r + 12);
    *cd_off = le32(r + 16);
    free(buf);

    if (eocd >= LOC64_LEN) {
        unsigned char loc[LOC64_LEN], rec[EOCD64_LEN];
        if (!rd(z, eocd - LOC64_LEN, loc, sizeof loc) && le32(loc) == SIG_LOC64) {
            uint64_t off = le64(loc + 8);
            if (rd(z, off, rec, sizeof rec) || le32(rec) != SIG_EOCD64)
                return UC_EFORMAT;
            *count = le64(rec + 32);
            *cd_size = le64(rec + 40);
            *cd_off = le64(rec + 48);
            eocd = off;
        }
    }
    if (*cd_off > eocd || *cd_size > eocd - *cd_off)
        return UC_EFORMAT;
    return UC_OK;
}

static uc_err read_cd(zipr *z, char *err, size_t errcap)
{
    uint64_t off, size, count;
    uc_err e = find_cd(z, &off, &size, &count);
    if (e)
        return e;
    if (count > z->lim.max_entries)
        return fail(err, errcap, UC_ELIMIT, "more than %u entries in the archive",
                    z->lim.max_entries);
    unsigned char *var = malloc(3 * 0xFFFF);
    if (!var)
        return UC_ENOMEM;
    uint64_t end = off + size;
    for (uint64_t i = 0; i < count; i++) {
        unsigned char h[CEN_LEN];
        if (off > end || end - off < CEN_LEN || (e = rd(z, off, h, sizeof h)))
            goto bad;
        if (le32(h) != SIG_CENTRAL)
            goto bad;
        size_t nlen = le16(h + 28), xlen = le16(h + 30), clen = le16(h + 32);
        if (end - off - CEN_LEN < nlen + xlen + clen)
            goto bad;
        if ((e = rd(z, off + CEN_LEN, var, nlen + xlen)))
            goto bad;
        zentry ze = {
            .flags = le16(h + 8), .method = le16(h + 10), .crc = le32(h + 16),
            .csize = le32(h + 20), .usize = le32(h + 24), .lho = le32(h + 42),
        };
        if (!zip64_extra(var + nlen, xlen, &ze, ze.usize == 0xFFFFFFFFu,
                         ze.csize == 0xFFFFFFFFu, ze.lho == 0xFFFFFFFFu))
            goto bad;
        if (ze.lho >= z->fsize)
            goto bad;
        if (!(ze.name = name_dup(var, nlen))) {
            e = UC_ENOMEM;
            goto bad;
        }
        if ((e = push(z, &ze, err, errcap))) {
            free(ze.name);
            goto bad;
        }
        off += CEN_LEN + nlen + xlen + clen;
    }
    free(var);
    return UC_OK;
bad:
    free(var);
    drop_entries(z);
    return e ? e : UC_EFORMAT;
}

/* Count n more inflated bytes against the entry and archive caps. */
static uc_err account(zipr *z, const zentry *ze, zrun *run, uint64_t n,
                      bool size_known, char *err, size_t errcap)
{
    if (size_known && n > ze->usize - run->out)
        return fail(err, errcap, UC_EFORMAT,
                    "%s inflates past its declared size", ze->name);
    char sz[32];
    if (n > z->lim.max_entry_bytes - run->out)
        return fail(err, errcap, UC_ELIMIT, "%s inflates past the %s per-entry cap",
                    ze->name, io_size_str(z->lim.max_entry_bytes, sz, sizeof sz));
    if (n > z->lim.max_total_bytes - z->total_out)
        return fail(err, errcap, UC_ELIMIT, "the archive inflates past the %s total cap",
                    io_size_str(z->lim.max_total_bytes, sz, sizeof sz));
    run->out += n;
    z->total_out += n;
    return UC_OK;
}

/* Inflate the n bytes at in with st, handing what comes out to the sink;
 * *ended once the deflate stream's final block is done. *used is the
 * input igzip took: all of it, unless the stream ended inside it (then
 * its bit buffer may still hold bytes past the end: see zip_pump). */
static uc_err inflate_in(zipr *z, const zentry *ze, struct inflate_state *st,
                         unsigned char *in, size_t n, unsigned char *out, bool csize_known,
                         zipr_sink sink, void *ud, zrun *run, bool *ended, size_t *used,
                         char *err, size_t errcap)
{
    st->next_in = in;
    st->avail_in = (uint32_t)n;
    do {
        st->next_out = out;
        st->avail_out = CHUNK;
        if (isal_inflate(st) < 0)
            return fail(err, errcap, UC_EFORMAT, "bad deflate data in %s", ze->name);
        *ended = st->block_state == ISAL_BLOCK_FINISH;
        size_t got = CHUNK - st->avail_out;
        /* input left, room left, not ended: igzip made no progress */
        if (!*ended && got == 0 && st->avail_in > 0)
            return fail(err, errcap, UC_EFORMAT, "bad deflate data in %s", ze->name);
        uc_err e = account(z, ze, run, got, csize_known, err, errcap);
        if (e)
            return e;
        run->crc = crc32_gzip_refl(run->crc, out, got);
        if (got && sink && (e = sink(ud, out, got)))
            return e;
    } while (!*ended && (st->avail_in > 0 || st->avail_out == 0));
    *used = n - st->avail_in;
    return UC_OK;
}

uc_err zip_pump(zipr *z, const zentry *ze, uint64_t off, bool csize_known,
                zipr_sink sink, void *ud, zrun *run, char *err, size_t errcap)
{
    unsigned char *in = malloc(CHUNK), *out = malloc(CHUNK);
    struct inflate_state *st = NULL;
    uc_err e = UC_OK;
    memset(run, 0, sizeof *run);
    if (!in || !out) {
        e = fail(err, errcap, UC_ENOMEM, "out of memory");
        goto done;
    }
    if (ze->method == 8) {
        if (!(st = malloc(sizeof *st))) {
            e = fail(err, errcap, UC_ENOMEM, "out of memory");
            goto done;
        }
        isal_inflate_init(st);
        st->crc_flag = ISAL_DEFLATE;  /* raw deflate: the zip has the CRC */
    }
    uint64_t left = csize_known ? ze->csize : z->fsize - off;
    if (left > z->fsize - off)
        left = z->fsize - off;
    bool ended = ze->method == 0 && left == 0;  /* empty stored entry */
    while (!ended) {
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        if (n == 0) {
            e = fail(err, errcap, UC_EFORMAT, "%s is truncated", ze->name);
            goto done;
        }
        if ((e = rd(z, off + run->consumed, in, n))) {
            if (e == UC_EFORMAT)
                fail(err, errcap, e, "%s is truncated", ze->name);
            else
                fail(err, errcap, e, "read error: %s", strerror(errno));
            goto done;
        }
        if (ze->method == 0) {
            run->consumed += n;
            left -= n;
            ended = left == 0;
            if ((e = account(z, ze, run, n, csize_known, err, errcap)))
                goto done;
            run->crc = crc32_gzip_refl(run->crc, in, n);
            if (sink && (e = sink(ud, in, n)))
                goto done;
            continue;
        }
        size_t used = 0;
        if ((e = inflate_in(z, ze, st, in, n, out, csize_known, sink, ud, run, &ended, &used,
                            err, errcap)))
            goto done;
        run->consumed += used;
        left -= used;
        /* igzip ends holding up to 8 bytes read past the stream's end in
         * its bit buffer (read_in_length bits, whole bytes of them not
         * its own); the local-header scan needs the exact end. */
        if (ended && st->read_in_length > 0)
            run->consumed -= (uint64_t)st->read_in_length / 8 < run->consumed
                                 ? (uint64_t)st->read_in_length / 8
                                 : run->consumed;
        if (!ended && left == 0 && csize_known) {
            e = fail(err, errcap, UC_EFORMAT, "%s is truncated", ze->name);
            goto done;
        }
    }
done:
    free(st);
    free(in);
    free(out);
    return e;
}

/* Fallback index: walk local headers from the start of the file. Entries
 * with a data descriptor and no sizes are measured by inflating them. */
static uc_err scan_local(zipr *z, char *err, size_t errcap)
{
    unsigned char h[LOC_LEN];
    unsigned char *var = malloc(2 * 0xFFFF);
    uint64_t off = 0;
    uc_err e = UC_OK;
    if (!var)
        return UC_ENOMEM;
    while (off <= z->fsize && z->fsize - off >= LOC_LEN) {
        if (rd(z, off, h, sizeof h) || le32(h) != SIG_LOCAL)
            break;
        size_t nlen = le16(h + 26), xlen = le16(h + 28);
        if (rd(z, off + LOC_LEN, var, nlen + xlen))
            break;
        zentry ze = {
            .flags = le16(h + 6), .method = le16(h + 8), .crc = le32(h + 14),
            .csize = le32(h + 18), .usize = le32(h + 22), .lho = off,
        };
        bool z64 = ze.csize == 0xFFFFFFFFu || ze.usize == 0xFFFFFFFFu;
        if (z64 && !zip64_extra(var + nlen, xlen, &ze, true, true, false))
            break;
        uint64_t data = off + LOC_LEN + nlen + xlen;
        if (!(ze.name = name_dup(var, nlen))) {
            e = UC_ENOMEM;
            break;
        }
        if ((ze.flags & 8) && ze.csize == 0) {
            /* Sizes follow the data; only deflate knows its own end. */
            zrun run;
            uint64_t total = z->total_out;
            bool bad = ze.method != 8 || (ze.flags & 1) ||
                       zip_pump(z, &ze, data, false, NULL, NULL, &run, NULL, 0);
            z->total_out = total;
            if (bad) {
                free(ze.name);
                break;
            }
            uint64_t d = data + run.consumed;
            unsigned char desc[24];
            size_t dl = z64 ? 20 : 12;
            if (rd(z, d, desc, 4)) {
                free(ze.name);
                break;
            }
            size_t skip = le32(desc) == SIG_DESC ? 4 : 0;
            if (rd(z, d + skip, desc, dl)) {
                free(ze.name);
                break;
            }
            ze.crc = le32(desc);
            ze.csize = z64 ? le64(desc + 4) : le32(desc + 4);
            ze.usize = z64 ? le64(desc + 12) : le32(desc + 8);
            off = d + skip + dl;
        } else {
            if (data > z->fsize || ze.csize > z->fsize - data) {
                /* cut short: index it so reading it says "truncated" */
                if ((e = push(z, &ze, err, errcap)))
                    free(ze.name);
                break;
            }
            off = data + ze.csize;
            if (ze.flags & 8) {
                unsigned char sig[4];
                if (!rd(z, off, sig, 4) && le32(sig) == SIG_DESC)
                    off += 4;
                off += z64 ? 16 : 12;
            }
        }
        if ((e = push(z, &ze, err, errcap))) {
            free(ze.name);
            break;
        }
    }
    free(var);
    return e;
}

uc_err zipr_open(const char *path, const zipr_limits *lim, zipr **out,
                 char *err, size_t errcap)
{
    uc_err e;
    *out = NULL;
    zipr *z = calloc(1, sizeof *z);
    if (!z)
        return fail(err, errcap, UC_ENOMEM, "out of memory");
    buf_init(&z->ents, SIZE_MAX); /* lim.max_entries bounds it */
    z->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (lim)
        z->lim = *lim;
    else
        zipr_limits_default(&z->lim);
    struct stat st;
    if (z->fd < 0 || fstat(z->fd, &st) < 0) {
        e = fail(err, errcap, errno == ENOENT ? UC_ENOTFOUND : UC_EIO,
                 "cannot open the file: %s", strerror(errno));
        goto fail;
    }
    z->fsize = (uint64_t)st.st_size;
    e = read_cd(z, err, errcap);
    if (e == UC_EFORMAT) {
        e = scan_local(z, err, errcap);
        if (!e && z->n == 0)
            e = fail(err, errcap, UC_EFORMAT, "not a zip archive");
    } else if (e == UC_ENOMEM) {
        fail(err, errcap, e, "out of memory");
    } else if (e == UC_EIO) {
        fail(err, errcap, e, "read error: %s", strerror(errno));
    }
    if (e)
        goto fail;
    *out = z;
    return UC_OK;
fail:
    zipr_close(z);
    return e;
}

void zipr_close(zipr *z)
{
    if (!z)
        return;
    drop_entries(z);
    buf_free(&z->ents);
    if (z->fd >= 0)
        close(z->fd);
    free(z);
}

/* ASCII case-insensitive compare of a normalised entry name with a query
 * that may still carry '\' or a leading '/'. */
static bool name_eq(const char *entry, const char *q)
{
    while (*q == '/' || *q == '\\')
        q++;
    for (;; entry++, q++) {
        unsigned char a = (unsigned char)*entry, b = (unsigned char)*q;
        if (b == '\\')
            b = '/';
        if (a >= 'A' && a <= 'Z') a += 32;
        if (b >= 'A' && b <= 'Z') b += 32;
        if (a != b)
            return false;
        if (!a)
            return true;
    }
}

int zipr_find(const zipr *z, const char *name)
{
    for (uint32_t i = 0; i < z->n; i++)
        if (name_eq(entry(z, i)->name, name))
            return (int)i;
    return -1;
}

uc_err zipr_read(zipr *z, int idx, zipr_sink sink, void *ud, char *err,
                 size_t errcap)
{
    if (idx < 0 || (uint32_t)idx >= z->n)
        return fail(err, errcap, UC_ENOTFOUND, "no such zip entry");
    const zentry *ze = entry(z, (uint32_t)idx);
    if ((ze->flags & 1) || ze->method == 99)
        return reject(err, errcap,
                      "%s is encrypted (password-protected files are not supported)",
                      ze->name);
    if (ze->method != 0 && ze->method != 8)
        return reject(err, errcap, "%s uses unsupported compression method %u",
                      ze->name, ze->method);
    char sz[32];
    if (ze->usize > z->lim.max_entry_bytes)
        return fail(err, errcap, UC_ELIMIT, "%s is larger than the %s per-entry cap",
                    ze->name, io_size_str(z->lim.max_entry_bytes, sz, sizeof sz));
    unsigned char h[LOC_LEN];
    uc_err e = rd(z, ze->lho, h, sizeof h);
    if (e || le32(h) != SIG_LOCAL)
        return e == UC_EIO ? fail(err, errcap, e, "read error: %s", strerror(errno))
                           : fail(err, errcap, UC_EFORMAT,
                                  "bad local header for %s", ze->name);
    uint64_t data = ze->lho + LOC_LEN + le16(h + 26) + le16(h + 28);
    if (data > z->fsize || ze->csize > z->fsize - data)
        return fail(err, errcap, UC_EFORMAT, "%s is truncated", ze->name);
    if (ze->method == 0 && ze->csize != ze->usize)
        return fail(err, errcap, UC_EFORMAT, "size mismatch in stored entry %s",
                    ze->name);
    zrun run;
    bool started = false;
    if (ze->usize >= ZIP_AHEAD_MIN && sink)
        e = zip_ahead(z, ze, data, sink, ud, &run, err, errcap, &started);
    if (!started && !e)
        e = zip_pump(z, ze, data, true, sink, ud, &run, err, errcap);
    if (e)
        return e;
    if (run.out != ze->usize)
        return fail(err, errcap, UC_EFORMAT, "size mismatch in %s", ze->name);
    if (run.crc != ze->crc)
        return fail(err, errcap, UC_EFORMAT, "CRC mismatch in %s", ze->name);
    return UC_OK;
}
