/* test_zip.c: the zip reader on the hand-made containers in fixtures/xlsx:
 * every layout yields the same bytes; caps, CRC, truncation, encryption and
 * unknown methods fail with the expected code and reason. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "formats/zip.h"

#define FX "fixtures/xlsx/"
#define SHEET "xl/worksheets/sheet1.xml"

typedef struct sinkbuf {
    char *p;
    size_t len, cap;
    size_t chunks;
    uc_err fail_with;  /* returned from the first call when set */
} sinkbuf;

static uc_err collect(void *ud, const void *buf, size_t len)
{
    sinkbuf *s = ud;
    if (s->fail_with)
        return s->fail_with;
    if (s->len + len + 1 > s->cap) {
        s->cap = 2 * (s->len + len + 1);
        s->p = realloc(s->p, s->cap);
        assert_non_null(s->p);
    }
    memcpy(s->p + s->len, buf, len);
    s->len += len;
    s->p[s->len] = '\0';
    s->chunks++;
    return UC_OK;
}

/* Read name from path; returns the read's error, data in *out. */
static uc_err read_entry(const char *path, const zipr_limits *lim, const char *name,
                         sinkbuf *out, char *err, size_t errcap)
{
    zipr *z = NULL;
    memset(out, 0, sizeof *out);
    uc_err e = zipr_open(path, lim, &z, err, errcap);
    if (e)
        return e;
    int idx = zipr_find(z, name);
    assert_true(idx >= 0);
    e = zipr_read(z, idx, collect, out, err, errcap);
    zipr_close(z);
    return e;
}

static void test_layouts_agree(void **state)
{
    static const char *files[] = {
        "stored.xlsx", "data_descriptor.xlsx", "zip64.xlsx",
        "no_central_dir.xlsx", "odd_names.xlsx", "crc_mismatch.xlsx",
    };
    char err[256];
    sinkbuf ref;
    assert_int_equal(read_entry(FX "stored.xlsx", NULL, SHEET, &ref, err, sizeof err),
                     UC_OK);
    assert_non_null(strstr(ref.p, "<sheetData>"));
    assert_non_null(strstr(ref.p, "</worksheet>"));
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        sinkbuf got;
        snprintf(path, sizeof path, FX "%s", files[i]);
        uc_err e = read_entry(path, NULL, SHEET, &got, err, sizeof err);
        if (!strcmp(files[i], "crc_mismatch.xlsx")) {
            /* the data streams out whole before the CRC says no */
            assert_int_equal(e, UC_EFORMAT);
            assert_string_equal(err, "Corrupt zip: CRC mismatch in " SHEET);
        } else {
            assert_int_equal(e, UC_OK);
        }
        assert_int_equal(got.len, ref.len);
        assert_memory_equal(got.p, ref.p, ref.len);
        free(got.p);
    }
    free(ref.p);
}

static void test_names(void **state)
{
    zipr *z;
    char err[256];
    assert_int_equal(zipr_open(FX "odd_names.xlsx", NULL, &z, err, sizeof err), UC_OK);
    int a = zipr_find(z, SHEET);
    assert_true(a >= 0);
    assert_int_equal(zipr_find(z, "/XL\\WORKSHEETS/sheet1.xml"), a);
    assert_true(zipr_find(z, "xl/workbook.xml") >= 0);  /* stored as /xl/Workbook.xml */
    assert_int_equal(zipr_find(z, "xl/worksheets/sheet1.xm"), -1);
    assert_int_equal(zipr_find(z, "xl/worksheets/sheet1.xml2"), -1);
    zipr_close(z);
    zipr_close(NULL);
}

static void test_large_entry_streams_in_chunks(void **state)
{
    zipr_limits lim;
    zipr_limits_default(&lim);
    char err[256];
    sinkbuf got;
    assert_int_equal(read_entry(FX "zip_bomb_honest.xlsx", &lim, SHEET, &got, err,
                                sizeof err), UC_OK);
    assert_true(got.len > 64u << 20);
    assert_true(got.chunks >= 256);  /* 256 KiB at a time, from the read-ahead */
    free(got.p);
}

/* Past a MiB an entry is inflated on a thread of its own: a sink that
 * fails stops it at once, and the inflater's own failure (a cap reached
 * inside the stream) comes back with its reason. */
static uc_err fail_after_3(void *ud, const void *buf, size_t len)
{
    sinkbuf *s = ud;
    (void)buf;
    s->len += len;
    return ++s->chunks == 3 ? UC_ECANCELED : UC_OK;
}

static void test_read_ahead_stops(void **state)
{
    zipr_limits lim;
    zipr *z;
    char err[256] = "untouched";
    sinkbuf s = { 0 };
    zipr_limits_default(&lim);
    assert_int_equal(zipr_open(FX "zip_bomb_honest.xlsx", &lim, &z, err, sizeof err), UC_OK);
    assert_int_equal(zipr_read(z, zipr_find(z, SHEET), fail_after_3, &s, err, sizeof err),
                     UC_ECANCELED);
    assert_string_equal(err, "untouched");
    assert_int_equal(s.chunks, 3);
    zipr_close(z);

    lim.max_total_bytes = 2u << 20;  /* met inside the stream, on the thread */
    assert_int_equal(zipr_open(FX "zip_bomb_honest.xlsx", &lim, &z, err, sizeof err), UC_OK);
    memset(&s, 0, sizeof s);
    assert_int_equal(zipr_read(z, zipr_find(z, SHEET), collect, &s, err, sizeof err),
                     UC_ELIMIT);
    assert_string_equal(err, "Zip rejected: the archive inflates past the 2 MiB total cap");
    assert_true(s.len <= 2u << 20);
    free(s.p);
    zipr_close(z);
}

static void test_caps(void **state)
{
    zipr_limits lim;
    zipr *z = NULL;
    char err[256];
    sinkbuf got;

    zipr_limits_default(&lim);
    lim.max_entries = 3;
    assert_int_equal(zipr_open(FX "stored.xlsx", &lim, &z, err, sizeof err), UC_ELIMIT);
    assert_null(z);
    assert_string_equal(err, "Zip rejected: more than 3 entries in the archive");
    /* the local-header fallback counts too */
    assert_int_equal(zipr_open(FX "no_central_dir.xlsx", &lim, &z, err, sizeof err),
                     UC_ELIMIT);

    zipr_limits_default(&lim);
    lim.max_entry_bytes = 16u << 20;
    assert_int_equal(read_entry(FX "zip_bomb_honest.xlsx", &lim, SHEET, &got, err,
                                sizeof err), UC_ELIMIT);
    assert_string_equal(err, "Zip rejected: " SHEET
                        " is larger than the 16 MiB per-entry cap");
    free(got.p);

    /* a bomb lying about its size stops at the declared size */
    zipr_limits_default(&lim);
    assert_int_equal(read_entry(FX "zip_bomb.xlsx", &lim, SHEET, &got, err, sizeof err),
                     UC_EFORMAT);
    assert_string_equal(err, "Corrupt zip: " SHEET " inflates past its declared size");
    assert_true(got.len <= 1024);
    free(got.p);

    /* total over the archive's life */
    zipr_limits_default(&lim);
    lim.max_total_bytes = 1500;
    assert_int_equal(zipr_open(FX "stored.xlsx", &lim, &z, err, sizeof err), UC_OK);
    uc_err e = UC_OK;
    for (int round = 0; round < 10 && !e; round++) {
        memset(&got, 0, sizeof got);
        e = zipr_read(z, zipr_find(z, "xl/workbook.xml"), collect, &got, err,
                      sizeof err);
        free(got.p);
    }
    assert_int_equal(e, UC_ELIMIT);
    assert_string_equal(err, "Zip rejected: the archive inflates past the 1500 bytes total cap");
    zipr_close(z);
}

static void test_bad_archives(void **state)
{
    char err[256];
    sinkbuf got;
    zipr *z = NULL;

    assert_int_equal(read_entry(FX "encrypted.xlsx", NULL, SHEET, &got, err, sizeof err),
                     UC_EFORMAT);
    assert_string_equal(err, "Zip rejected: " SHEET
                        " is encrypted (password-protected files are not supported)");
    assert_int_equal(read_entry(FX "bad_method.xlsx", NULL, SHEET, &got, err, sizeof err),
                     UC_EFORMAT);
    assert_string_equal(err, "Zip rejected: " SHEET
                        " uses unsupported compression method 12");
    assert_int_equal(read_entry(FX "truncated.xlsx", NULL, SHEET, &got, err, sizeof err),
                     UC_EFORMAT);
    assert_string_equal(err, "Corrupt zip: " SHEET " is truncated");
    free(got.p);

    assert_int_equal(zipr_open(FX "not_zip.xlsx", NULL, &z, err, sizeof err), UC_EFORMAT);
    assert_string_equal(err, "Corrupt zip: not a zip archive");
    assert_int_equal(zipr_open(FX "no_such_file.xlsx", NULL, &z, err, sizeof err),
                     UC_ENOTFOUND);
    assert_null(z);
}

static void test_sink_error_passes_through(void **state)
{
    zipr *z;
    char err[256] = "untouched";
    sinkbuf s = { .fail_with = UC_ECANCELED };
    assert_int_equal(zipr_open(FX "data_descriptor.xlsx", NULL, &z, NULL, 0), UC_OK);
    strcpy(err, "untouched");
    assert_int_equal(zipr_read(z, zipr_find(z, SHEET), collect, &s, err, sizeof err),
                     UC_ECANCELED);
    assert_string_equal(err, "untouched");
    assert_int_equal(zipr_read(z, 999, collect, &s, err, sizeof err), UC_ENOTFOUND);
    zipr_close(z);
}

static void le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A zip with no central directory: "a.xml" deflated (level) with its
 * sizes in a data descriptor after the data (signed when sig), then
 * "b.xml" stored. Written to a temp file; its path in path. */
static void write_descriptor_zip(char *path, const unsigned char *a, size_t n, int level,
                                 bool sig, const char *b)
{
    size_t cap = compressBound((uLong)n) + 256 + strlen(b);
    unsigned char *z = malloc(cap), *p = z;
    assert_non_null(z);
    memset(p, 0, 30);
    le(p, 0x04034b50u, 4);
    le(p + 4, 20, 2);
    le(p + 6, 8, 2);  /* sizes follow the data */
    le(p + 8, 8, 2);
    le(p + 26, 5, 2);
    memcpy(p + 30, "a.xml", 5);
    p += 35;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)a;
    zs.avail_in = (uInt)n;
    zs.next_out = p;
    zs.avail_out = (uInt)(cap - (size_t)(p - z));
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t csize = zs.total_out;
    deflateEnd(&zs);
    p += csize;
    if (sig) {
        le(p, 0x08074b50u, 4);
        p += 4;
    }
    le(p, crc32(0, a, (uInt)n), 4);
    le(p + 4, csize, 4);
    le(p + 8, n, 4);
    p += 12;
    size_t bl = strlen(b);
    memset(p, 0, 30);
    le(p, 0x04034b50u, 4);
    le(p + 4, 20, 2);
    le(p + 14, crc32(0, (const unsigned char *)b, (uInt)bl), 4);
    le(p + 18, bl, 4);
    le(p + 22, bl, 4);
    le(p + 26, 5, 2);
    memcpy(p + 30, "b.xml", 5);
    memcpy(p + 35, b, bl);
    p += 35 + bl;
    strcpy(path, "/tmp/test_zip_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, z, (size_t)(p - z)), (ssize_t)(p - z));
    close(fd);
    free(z);
}

/* An entry whose sizes follow its data is measured by inflating it (the
 * local-header scan): its deflate stream must end at its exact last
 * byte, whatever the inflater read past it, wherever the end falls
 * against the reader's 64 KiB input chunks, for random and for text-like
 * data; the entry after it is found and reads whole. */
static void test_descriptor_ends_exactly(void **state)
{
    static const int levels[] = {1, 6, 9};
    size_t max = 150000;
    unsigned char *a = malloc(max);
    assert_non_null(a);
    uint32_t x = 7;
    for (int kind = 0; kind < 2; kind++) {
        for (size_t i = 0; i < max; i++) {
            x = x * 1103515245u + 12345u;
            a[i] = kind ? (unsigned char)"<c r=\"A1\"><v>123</v></c>"[(x >> 16) % 25]
                        : (unsigned char)(x >> 24);
        }
        size_t lo = kind ? 60000 : 65300, hi = kind ? 150000 : 65700;
        size_t step = kind ? 2311 : 7;
        for (size_t n = lo; n < hi; n += step) {
            char path[64], err[256];
            int level = levels[n % 3];
            write_descriptor_zip(path, a, n, level, n % 2, "<b>after</b>");
            zipr *z = NULL;
            assert_int_equal(zipr_open(path, NULL, &z, err, sizeof err), UC_OK);
            int ia = zipr_find(z, "a.xml"), ib = zipr_find(z, "b.xml");
            assert_true(ia >= 0);
            assert_true(ib >= 0);
            sinkbuf ga = {0}, gb = {0};
            assert_int_equal(zipr_read(z, ia, collect, &ga, err, sizeof err), UC_OK);
            assert_int_equal(ga.len, n);
            assert_memory_equal(ga.p, a, n);
            assert_int_equal(zipr_read(z, ib, collect, &gb, err, sizeof err), UC_OK);
            assert_string_equal(gb.p, "<b>after</b>");
            zipr_close(z);
            unlink(path);
            free(ga.p);
            free(gb.p);
        }
    }
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts_agree),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_large_entry_streams_in_chunks),
        cmocka_unit_test(test_read_ahead_stops),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_bad_archives),
        cmocka_unit_test(test_sink_error_passes_through),
        cmocka_unit_test(test_descriptor_ends_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
