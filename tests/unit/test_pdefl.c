/* test_pdefl.c: the deflate stream made in blocks on worker threads
 * (pdefl.c) against the same stream made on the caller's thread alone:
 * the same bytes, which inflate back to the input, with the right CRC-32
 * and sizes, for streams around every block edge; several streams on one
 * pdefl (small ones that never start the workers, then large ones); a
 * sink failing in the middle of a stream stops it, and the next stream
 * works. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "formats/pdefl.h"

#define B PDEFL_BLOCK

/* The sink: deflated bytes gathered in memory; fail_at > 0 makes the
 * fail_at-th call fail. */
typedef struct sinkbuf {
    unsigned char *p;
    size_t n, cap;
    int calls, fail_at;
} sinkbuf;

static uc_err to_mem(void *ud, const void *p, size_t n)
{
    sinkbuf *s = ud;
    if (++s->calls == s->fail_at)
        return UC_EIO;
    if (s->n + n > s->cap) {
        s->cap = (s->n + n) * 2;
        s->p = realloc(s->p, s->cap);
        assert_non_null(s->p);
    }
    memcpy(s->p + s->n, p, n);
    s->n += n;
    return UC_OK;
}

/* n bytes of sheet-like XML with some noise (matches reach back across
 * block edges, some bytes do not compress). */
static unsigned char *make_input(size_t n)
{
    unsigned char *p = malloc(n ? n : 1);
    assert_non_null(p);
    uint32_t x = 12345;
    size_t i = 0;
    for (unsigned row = 1; i < n; row++) {
        char line[160];
        x = x * 1103515245u + 12345u;
        int k = snprintf(line, sizeof line,
                         "<row r=\"%u\"><c r=\"A%u\" t=\"inlineStr\"><is><t>u%u@ex%u.com"
                         "</t></is></c><c r=\"B%u\"><v>%u</v></c></row>",
                         row, row, x % 100000, x % 7, row, x >> 8);
        for (int c = 0; c < k && i < n; c++)
            p[i++] = (unsigned char)line[c];
    }
    return p;
}

/* Deflate in into s through d, handing it over in pieces of step bytes. */
static uc_err run(pdefl *d, const unsigned char *in, size_t n, size_t step, sinkbuf *s,
                  uint32_t *crc, uint64_t *usize, uint64_t *csize)
{
    pdefl_begin(d);
    for (size_t off = 0; off < n; off += step) {
        uc_err e = pdefl_write(d, in + off, n - off < step ? n - off : step);
        if (e)
            return e;
    }
    return pdefl_finish(d, crc, usize, csize);
}

/* The raw deflate stream in s inflates back to in (n bytes). */
static void expect_inflates_to(const sinkbuf *s, const unsigned char *in, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, -15), Z_OK);
    unsigned char *got = malloc(n + 1);
    assert_non_null(got);
    z.next_in = s->p;
    z.avail_in = (uInt)s->n;
    z.next_out = got;
    z.avail_out = (uInt)n + 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.avail_in, 0);  /* nothing after the final block */
    assert_int_equal(z.total_out, n);
    assert_memory_equal(got, in, n);
    inflateEnd(&z);
    free(got);
}

/* Deflate n bytes of in on worker threads (handed over step bytes at a
 * time) and on the caller's thread alone: the same bytes, the right
 * CRC-32 and sizes, inflating back to in. Returns the deflated size. */
static uint64_t expect_same_as_serial(const unsigned char *in, size_t n, size_t step)
{
    sinkbuf a = {0}, b = {0};
    uint32_t ca, cb;
    uint64_t ua, ub, za, zb;
    pdefl *par, *ser;
    assert_int_equal(pdefl_new(to_mem, &a, &par), UC_OK);
    assert_int_equal(pdefl_new(to_mem, &b, &ser), UC_OK);
    pdefl_serial(ser);
    assert_int_equal(run(par, in, n, step, &a, &ca, &ua, &za), UC_OK);
    assert_int_equal(run(ser, in, n, 4096, &b, &cb, &ub, &zb), UC_OK);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.p, b.p, a.n);
    assert_int_equal(ca, (uint32_t)crc32(0, in, (uInt)n));
    assert_int_equal(ca, cb);
    assert_int_equal(ua, n);
    assert_int_equal(za, a.n);
    expect_inflates_to(&a, in, n);
    pdefl_free(par);
    pdefl_free(ser);
    free(a.p);
    free(b.p);
    return za;
}

static void test_same_bytes_as_serial(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, 32767, 32768, B - 1, B, B + 1, 2 * B,
                            3 * B + 12345, 7 * B + 1};
    const size_t steps[] = {1000, 65536, B / 3 + 7, 8 * B};
    unsigned char *in = make_input(7 * B + 1);
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        expect_same_as_serial(in, sizes[i], steps[i % (sizeof steps / sizeof *steps)]);
    free(in);
}

/* Streams one after another on one pdefl: small, large, small, large;
 * each the same bytes as on a fresh pdefl. */
static void test_streams_in_turn(void **state)
{
    (void)state;
    const size_t sizes[] = {100, 3 * B + 5, 2000, 0, 5 * B, B / 2};
    unsigned char *in = make_input(5 * B);
    sinkbuf s = {0};
    pdefl *d;
    assert_int_equal(pdefl_new(to_mem, &s, &d), UC_OK);
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        sinkbuf f = {0};
        pdefl *fresh;
        uint32_t c1, c2;
        uint64_t u1, u2, z1, z2;
        s.n = 0;
        assert_int_equal(pdefl_new(to_mem, &f, &fresh), UC_OK);
        assert_int_equal(run(d, in, sizes[i], 50000, &s, &c1, &u1, &z1), UC_OK);
        assert_int_equal(run(fresh, in, sizes[i], 50000, &f, &c2, &u2, &z2), UC_OK);
        assert_int_equal(s.n, f.n);
        assert_memory_equal(s.p, f.p, s.n);
        assert_int_equal(c1, c2);
        expect_inflates_to(&s, in, sizes[i]);
        pdefl_free(fresh);
        free(f.p);
    }
    pdefl_free(d);
    free(s.p);
    free(in);
}

/* Bytes that do not compress (random, then runs of one byte and random
 * again, across block edges): every block fits its room, the stream
 * inflates back, and the same bytes as on the caller's thread alone. */
static void test_incompressible(void **state)
{
    (void)state;
    size_t n = 4 * B + 777;
    unsigned char *in = malloc(n);
    assert_non_null(in);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        in[i] = (i / (B / 2)) % 3 == 1 ? 'a' : (unsigned char)(x >> 24);
    }
    /* the random part stayed random */
    assert_true(expect_same_as_serial(in, n, 100000) > n / 2);
    free(in);
}

/* The sink failing at its k-th call (a block in the middle, the last
 * one): the stream fails with its error from then on, nothing is lost or
 * leaked, and the next stream after pdefl_begin is whole. A pdefl freed
 * with blocks still queued stops its workers. */
static void test_sink_failure(void **state)
{
    (void)state;
    unsigned char *in = make_input(6 * B);
    for (int k = 1; k <= 6; k++) {
        sinkbuf s = {.fail_at = k};
        pdefl *d;
        uint32_t crc;
        uint64_t u, z;
        assert_int_equal(pdefl_new(to_mem, &s, &d), UC_OK);
        assert_int_equal(run(d, in, 6 * B, 300000, &s, &crc, &u, &z), UC_EIO);
        assert_int_equal(pdefl_write(d, in, 10), UC_EIO);  /* sticky */
        s.n = 0;
        assert_int_equal(run(d, in, 4 * B + 3, 300000, &s, &crc, &u, &z), UC_OK);
        assert_int_equal(crc, (uint32_t)crc32(0, in, 4 * B + 3));
        expect_inflates_to(&s, in, 4 * B + 3);
        /* dropped in the middle, blocks still with the workers */
        pdefl_begin(d);
        assert_int_equal(pdefl_write(d, in, 5 * B), UC_OK);
        pdefl_free(d);
        free(s.p);
    }
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_serial),
        cmocka_unit_test(test_streams_in_turn),
        cmocka_unit_test(test_incompressible),
        cmocka_unit_test(test_sink_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
