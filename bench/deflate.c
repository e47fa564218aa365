/* deflate.c: what the result's deflate could cost, size against time, on
 * one XML file held in memory (e.g. `unzip -p RESULT.xlsx
 * xl/worksheets/sheet1.xml > sheet.xml`): zlib streaming in 256 KiB pieces
 * as ucmock's zip writer does (levels 0, 1, 6), and libdeflate over the
 * whole buffer (levels 1, 6: it has no streaming interface, so a writer
 * would have to hold the whole sheet). Each line is the median of RUNS.
 *
 * usage: deflate FILE [RUNS]   (built only where libdeflate-dev is) */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zlib.h>

static unsigned char *in;
static size_t n;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t zlib_stream(int level)
{
    static unsigned char out[256 * 1024];
    const size_t piece = 256 * 1024;
    z_stream z = {0};
    size_t total = 0;
    if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        exit(1);
    uLong crc = crc32(0, NULL, 0);
    for (size_t off = 0; off < n; off += piece) {
        size_t m = n - off < piece ? n - off : piece;
        crc = crc32(crc, in + off, (uInt)m);
        z.next_in = in + off;
        z.avail_in = (uInt)m;
        int flush = off + m == n ? Z_FINISH : Z_NO_FLUSH;
        do {
            z.next_out = out;
            z.avail_out = sizeof out;
            deflate(&z, flush);
            total += sizeof out - z.avail_out;
        } while (z.avail_out == 0);
    }
    deflateEnd(&z);
    return total + (crc & 0);
}

static size_t whole(int level)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    size_t cap = libdeflate_deflate_compress_bound(c, n);
    unsigned char *out = malloc(cap);
    if (!c || !out)
        exit(1);
    size_t r = libdeflate_deflate_compress(c, in, n, out, cap);
    volatile uint32_t crc = libdeflate_crc32(0, in, n);
    (void)crc;
    free(out);
    libdeflate_free_compressor(c);
    return r;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void row(const char *what, int level, size_t (*f)(int), int runs)
{
    double t[16];
    size_t size = 0;
    for (int i = 0; i < runs; i++) {
        double t0 = now();
        size = f(level);
        t[i] = now() - t0;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp);
    printf("| %s level %d | %.3f s | %.1f MB | %.1f%% |\n", what, level, t[runs / 2],
           (double)size / 1e6, 100.0 * (double)size / (double)n);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: deflate FILE [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    if (runs < 1 || runs > 16)
        runs = 3;
    FILE *f = fopen(argv[1], "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0) {
        perror("deflate");
        return 1;
    }
    n = (size_t)ftell(f);
    rewind(f);
    if (!(in = malloc(n)) || fread(in, 1, n, f) != n) {
        perror("deflate");
        return 1;
    }
    fclose(f);
    printf("%s: %.1f MB, median of %d runs\n\n| deflate | time | size | of the XML |\n"
           "|---|---|---|---|\n", argv[1], (double)n / 1e6, runs);
    row("zlib streaming,", 0, zlib_stream, runs);
    row("zlib streaming,", 1, zlib_stream, runs);
    row("zlib streaming,", 6, zlib_stream, runs);
    row("libdeflate whole buffer,", 1, whole, runs);
    row("libdeflate whole buffer,", 6, whole, runs);
    free(in);
    return 0;
}
