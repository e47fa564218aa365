/* xfloor.c: the XLSX benchmark's floor: inflate the input's worksheet
 * (zlib, 256 KiB at a time, the XML thrown away) and deflate an XML of the
 * result's size (the input sheet's own bytes, each chunk once and then its
 * beginning again until the result's size is reached), no parsing, no
 * dedup, no validation. ucmock's XLSX figures are reported as ratios to it.
 *
 * usage: xfloor IN.xlsx RESULT_XML_BYTES [LEVEL [SHEET]]
 *   LEVEL: zlib level of the deflate (default 6, zlib's default and what
 *          common XLSX writers use); SHEET: the entry (default
 *          xl/worksheets/sheet1.xml). Prints inflated and deflated sizes. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK (256 * 1024)

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* The sheet's compressed data in the mapped archive (central directory). */
static const unsigned char *find_entry(const unsigned char *z, size_t n, const char *name,
                                       size_t *csize)
{
    size_t nl = strlen(name);
    for (size_t i = n >= 22 ? n - 22 : 0; i > 0 && i + 65557 > n; i--) {
        if (le32(z + i) != 0x06054b50)
            continue;
        size_t cd = le32(z + i + 16), count = le16(z + i + 10);
        for (size_t k = 0; k < count && cd + 46 <= n; k++) {
            const unsigned char *h = z + cd;
            size_t fl = le16(h + 28), xl = le16(h + 30), cl = le16(h + 32);
            if (fl == nl && memcmp(h + 46, name, nl) == 0 && le16(h + 10) == 8) {
                size_t lho = le32(h + 42);
                *csize = le32(h + 20);
                return z + lho + 30 + le16(z + lho + 26) + le16(z + lho + 28);
            }
            cd += 46 + fl + xl + cl;
        }
        break;
    }
    return NULL;
}

static int deflate_out(z_stream *d, const unsigned char *p, size_t n, int flush,
                       unsigned char *buf)
{
    d->next_in = (Bytef *)p;
    d->avail_in = (uInt)n;
    do {
        d->next_out = buf;
        d->avail_out = CHUNK;
        if (deflate(d, flush) == Z_STREAM_ERROR)
            return -1;
    } while (d->avail_out == 0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: xfloor IN.xlsx RESULT_XML_BYTES [LEVEL [SHEET]]\n");
        return 2;
    }
    uint64_t want = strtoull(argv[2], NULL, 10);
    int level = argc > 3 ? atoi(argv[3]) : 6;
    const char *sheet = argc > 4 ? argv[4] : "xl/worksheets/sheet1.xml";
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror("xfloor");
        return 1;
    }
    const unsigned char *z = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    size_t csize = 0;
    const unsigned char *data = z == MAP_FAILED ? NULL
                                                : find_entry(z, (size_t)st.st_size, sheet, &csize);
    if (!data) {
        fprintf(stderr, "xfloor: no deflated %s in %s\n", sheet, argv[1]);
        return 1;
    }
    static unsigned char in[CHUNK], out[CHUNK];
    z_stream inf = {0}, def = {0};
    if (inflateInit2(&inf, -15) != Z_OK ||
        deflateInit2(&def, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 1;
    inf.next_in = (Bytef *)data;
    inf.avail_in = (uInt)csize;
    uint64_t inflated = 0, deflated = 0;
    int zr = Z_OK;
    while (zr != Z_STREAM_END) {
        inf.next_out = in;
        inf.avail_out = CHUNK;
        zr = inflate(&inf, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END) {
            fprintf(stderr, "xfloor: bad deflate data\n");
            return 1;
        }
        size_t got = CHUNK - inf.avail_out;
        inflated += got;
        /* deflate this chunk, then its beginning again while the result's
         * size runs ahead of the input's (the ratio is known only at the
         * end, so the extra is spread by the bytes still owed) */
        size_t n = got;
        if (deflated + n > want)
            n = want > deflated ? (size_t)(want - deflated) : 0;
        if (deflate_out(&def, in, n, Z_NO_FLUSH, out))
            return 1;
        deflated += n;
        if (zr != Z_STREAM_END && st.st_size > 0) {
            /* owed so far: want * (compressed bytes read / csize) */
            uint64_t owed = (uint64_t)((double)want * (double)(csize - inf.avail_in) / (double)csize);
            while (deflated < owed && got) {
                size_t m = owed - deflated < got ? (size_t)(owed - deflated) : got;
                if (deflate_out(&def, in, m, Z_NO_FLUSH, out))
                    return 1;
                deflated += m;
            }
        }
    }
    while (deflated < want && inflated) { /* whatever is still owed */
        size_t m = want - deflated < CHUNK ? (size_t)(want - deflated) : CHUNK;
        if (deflate_out(&def, in, m, Z_NO_FLUSH, out))
            return 1;
        deflated += m;
    }
    if (deflate_out(&def, in, 0, Z_FINISH, out))
        return 1;
    printf("inflated %llu bytes, deflated %llu bytes to %lu at level %d\n",
           (unsigned long long)inflated, (unsigned long long)deflated, def.total_out, level);
    inflateEnd(&inf);
    deflateEnd(&def);
    return 0;
}
