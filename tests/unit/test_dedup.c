/* test_dedup.c: the per-task address set: normalisation, stable ids across
 * table growth, last-row tracking and the per-entry tag byte. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jobs/dedup.h"

static void norm_is(const char *in, const char *want)
{
    char out[256];
    size_t n = dedup_normalise(in, strlen(in), out, sizeof out);
    if (n != strlen(want) || memcmp(out, want, n) != 0)
        fail_msg("normalise(\"%s\") = \"%.*s\", want \"%s\"", in, (int)n, out, want);
}

static void test_normalise_ascii(void **state)
{
    (void)state;
    norm_is("User@Example.COM", "user@example.com");
    norm_is("  a@b.io\t", "a@b.io");
    norm_is("\r\n\v\f a@b.io \r\n", "a@b.io");
    norm_is("a b@c.io", "a b@c.io"); /* inner space kept */
    norm_is("", "");
    norm_is(" \t\r\n ", "");
    norm_is("ABCXYZ[]@`{}", "abcxyz[]@`{}");
}

static void test_normalise_unicode(void **state)
{
    (void)state;
    norm_is("\xC3\x89LODIE@EXAMPLE.FR", "\xC3\xA9lodie@example.fr");        /* É */
    norm_is("\xD0\x98\xD0\xB2\xD0\xB0\xD0\xBD@x.ru", "\xD0\xB8\xD0\xB2\xD0\xB0\xD0\xBD@x.ru"); /* Иван */
    /* final sigma is context-sensitive, as in Python: "ΣΣ".lower() == "σς" */
    norm_is("  \xCE\xA3\xCE\xA3@X.GR ", "\xCF\x83\xCF\x82@x.gr");
    norm_is("\xCE\xA3@X.GR", "\xCF\x83@x.gr");
    norm_is("\xE2\x84\xAA@x.io", "k@x.io");                                  /* KELVIN SIGN */
    /* İ lowers to i + combining dot, as Python's str.lower() does */
    norm_is("\xC4\xB0@x.io", "i\xCC\x87@x.io");
    norm_is("\xF0\x90\x90\x80@x.io", "\xF0\x90\x90\xA8@x.io");               /* Deseret */
    norm_is("caf\xC3\xA9@x.io", "caf\xC3\xA9@x.io");
    /* invalid UTF-8: ASCII lowercase only, bytes kept */
    norm_is("AB\xFF@X.IO", "ab\xFF@x.io");
    norm_is("AB\xFE@X.IO", "ab\xFE@x.io"); /* not merged with the one above */
    norm_is("\xC3(X", "\xC3(x");
    norm_is("\xC3\x89\xED\xA0\x80", "\xC3\x89\xED\xA0\x80"); /* surrogate: no Unicode pass */
}

static void test_normalise_cap(void **state)
{
    (void)state;
    char out[8];
    memset(out, '#', sizeof out);
    size_t n = dedup_normalise("  ABCDEFGHIJ  ", 14, out, 4);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "abcd", 4);
    assert_int_equal(out[4], '#');
    /* Unicode that grows past the cap: truncated to cap, nothing beyond */
    memset(out, '#', sizeof out);
    n = dedup_normalise("\xC4\xB0\xC4\xB0\xC4\xB0", 6, out, 6); /* İİİ -> 9 bytes */
    assert_int_equal(n, 6);
    assert_memory_equal(out, "i\xCC\x87i\xCC\x87", 6);
    assert_int_equal(out[6], '#');
    n = dedup_normalise("\xC3\x89\xC3\x89", 4, out, 4);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "\xC3\xA9\xC3\xA9", 4);
}

static uint32_t put(dedup *d, const char *k, uint32_t row, int *is_new)
{
    *is_new = -1;
    uint32_t id = dedup_put(d, k, strlen(k), row, is_new);
    assert_int_not_equal(id, DEDUP_NONE);
    return id;
}

static void test_put_same_and_distinct(void **state)
{
    (void)state;
    dedup *d = dedup_new();
    assert_non_null(d);
    assert_int_equal(dedup_count(d), 0);
    int is_new;
    uint32_t a = put(d, "a@x.io", 0, &is_new);
    assert_int_equal(is_new, 1);
    assert_int_equal(dedup_last(d, a), 0);
    uint32_t b = put(d, "b@x.io", 1, &is_new);
    assert_int_equal(is_new, 1);
    assert_int_not_equal(a, b);
    uint32_t a2 = put(d, "a@x.io", 7, &is_new);
    assert_int_equal(is_new, 0);
    assert_int_equal(a2, a);
    assert_int_equal(dedup_last(d, a), 7);
    assert_int_equal(dedup_last(d, b), 1);
    put(d, "a@x.io", 9, &is_new);
    assert_int_equal(dedup_last(d, a), 9);
    assert_int_equal(dedup_count(d), 2);
    /* keys differ by case are different keys (normalise first) */
    uint32_t c = put(d, "A@x.io", 10, &is_new);
    assert_int_equal(is_new, 1);
    assert_int_not_equal(c, a);
    /* the empty key and a key with a NUL byte are keys too */
    uint32_t e = put(d, "", 11, &is_new);
    assert_int_equal(is_new, 1);
    assert_int_equal(dedup_put(d, "", 0, 12, &is_new), e);
    assert_int_equal(is_new, 0);
    uint32_t z1 = dedup_put(d, "a\0b", 3, 13, &is_new);
    assert_int_equal(is_new, 1);
    uint32_t z2 = dedup_put(d, "a\0c", 3, 14, &is_new);
    assert_int_equal(is_new, 1);
    assert_int_not_equal(z1, z2);
    assert_int_equal(dedup_count(d), 6);
    /* ids are dense, in insertion order */
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    assert_int_equal(c, 2);
    assert_int_equal(e, 3);
    dedup_free(d);
    dedup_free(NULL);
}

static void test_normalised_keys_merge(void **state)
{
    (void)state;
    dedup *d = dedup_new();
    const char *forms[] = { "User@Example.com", "  user@example.com ", "USER@EXAMPLE.COM\t" };
    uint32_t first = DEDUP_NONE;
    for (int i = 0; i < 3; i++) {
        char k[64];
        size_t n = dedup_normalise(forms[i], strlen(forms[i]), k, sizeof k);
        int is_new;
        uint32_t id = dedup_put(d, k, n, (uint32_t)i, &is_new);
        assert_int_equal(is_new, i == 0);
        if (i == 0)
            first = id;
        assert_int_equal(id, first);
    }
    assert_int_equal(dedup_last(d, first), 2);
    assert_int_equal(dedup_count(d), 1);
    dedup_free(d);
}

static void test_tags(void **state)
{
    (void)state;
    dedup *d = dedup_new();
    int is_new;
    uint32_t a = put(d, "a", 0, &is_new);
    uint32_t b = put(d, "b", 1, &is_new);
    assert_int_equal(*dedup_tag(d, a), 0);
    assert_int_equal(*dedup_tag(d, b), 0);
    *dedup_tag(d, a) = 42;
    *dedup_tag(d, b) = 7;
    assert_int_equal(put(d, "a", 2, &is_new), a);
    assert_int_equal(*dedup_tag(d, a), 42); /* a re-put keeps the tag */
    /* tags survive growth and start at 0 for new entries */
    char k[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        uint32_t id = put(d, k, (uint32_t)i, &is_new);
        assert_int_equal(*dedup_tag(d, id), 0);
        *dedup_tag(d, id) = (uint8_t)(i * 31);
    }
    assert_int_equal(*dedup_tag(d, a), 42);
    assert_int_equal(*dedup_tag(d, b), 7);
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        uint32_t id = put(d, k, 0, &is_new);
        assert_int_equal(is_new, 0);
        assert_int_equal(*dedup_tag(d, id), (uint8_t)(i * 31));
    }
    dedup_free(d);
}

static void test_growth_million(void **state)
{
    (void)state;
    enum { N = 1000000 };
    dedup *d = dedup_new();
    assert_non_null(d);
    char k[48];
    int is_new;
    for (uint32_t i = 0; i < N; i++) {
        int n = snprintf(k, sizeof k, "user%u@example%u.com", i, i % 97);
        uint32_t id = dedup_put(d, k, (size_t)n, i, &is_new);
        if (id != i || is_new != 1)
            fail_msg("insert %u: id %u is_new %d", i, id, is_new);
        *dedup_tag(d, id) = (uint8_t)i;
    }
    assert_int_equal(dedup_count(d), N);
    /* every id is stable after ~10 resizes; the re-put updates last_row */
    for (uint32_t i = 0; i < N; i++) {
        int n = snprintf(k, sizeof k, "user%u@example%u.com", i, i % 97);
        uint32_t id = dedup_put(d, k, (size_t)n, N + i, &is_new);
        if (id != i || is_new != 0)
            fail_msg("lookup %u: id %u is_new %d", i, id, is_new);
        if (dedup_last(d, id) != N + i || *dedup_tag(d, id) != (uint8_t)i)
            fail_msg("entry %u: last %u tag %u", i, dedup_last(d, id), *dedup_tag(d, id));
    }
    assert_int_equal(dedup_count(d), N);
    /* near misses are new */
    int n = snprintf(k, sizeof k, "user%u@example%u.com", 5u, 6u);
    assert_int_equal(dedup_put(d, k, (size_t)n, 0, &is_new), N);
    assert_int_equal(is_new, 1);
    dedup_free(d);
}

/* dedup_reserve sizes the table up front; ids and lookups are unchanged,
 * also when reserving after keys are in, or reserving less than present. */
static void test_reserve(void **state)
{
    (void)state;
    dedup *d = dedup_new();
    int is_new;
    char k[32];
    for (uint32_t i = 0; i < 3000; i++) {
        int n = snprintf(k, sizeof k, "r%u", i);
        assert_int_equal(dedup_put(d, k, (size_t)n, i, &is_new), i);
        if (i == 100)
            dedup_reserve(d, 200000);
        if (i == 2000)
            dedup_reserve(d, 10);
    }
    for (uint32_t i = 0; i < 3000; i++) {
        int n = snprintf(k, sizeof k, "r%u", i);
        assert_int_equal(dedup_put(d, k, (size_t)n, 7, &is_new), i);
        assert_int_equal(is_new, 0);
        assert_int_equal(dedup_last(d, i), 7);
    }
    assert_int_equal(dedup_count(d), 3000);
    dedup_free(d);
}

/* A reserve of a few entries on a new table still grows past them (the
 * entries once stayed at a capacity of 1: writes past the end). */
static void test_reserve_few(void **state)
{
    (void)state;
    for (size_t few = 1; few <= 5; few++) {
        dedup *d = dedup_new();
        int is_new;
        char k[32];
        dedup_reserve(d, few);
        for (uint32_t i = 0; i < 5000; i++) {
            int n = snprintf(k, sizeof k, "f%u", i);
            assert_int_equal(dedup_put(d, k, (size_t)n, i, &is_new), i);
            assert_int_equal(is_new, 1);
        }
        for (uint32_t i = 0; i < 5000; i++) {
            int n = snprintf(k, sizeof k, "f%u", i);
            assert_int_equal(dedup_put(d, k, (size_t)n, 9, &is_new), i);
            assert_int_equal(is_new, 0);
        }
        assert_int_equal(dedup_count(d), 5000);
        dedup_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise_ascii),
        cmocka_unit_test(test_normalise_unicode),
        cmocka_unit_test(test_normalise_cap),
        cmocka_unit_test(test_put_same_and_distinct),
        cmocka_unit_test(test_normalised_keys_merge),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_growth_million),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_reserve_few),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
