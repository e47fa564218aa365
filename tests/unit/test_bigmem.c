/* test_bigmem.c: large buffers kept between tasks. A buffer given back
 * comes back (its contents with it: its pages were never let go) for the
 * same size only; what passes BIGMEM_KEEP is unmapped; bigmem_alloc keeps
 * small arrays on the heap; a dedup table's arrays go back when it is
 * freed; all of it is unmapped once unused for the idle time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/clock.h"
#include "jobs/bigmem.h"
#include "jobs/dedup.h"

static void test_sizes_are_whole_units(void **state)
{
    (void)state;
    size_t cap;
    char *p = bigmem_take(1, &cap);
    assert_non_null(p);
    assert_int_equal(cap, BIGMEM_UNIT);
    assert_int_equal((uintptr_t)p % BIGMEM_UNIT, 0);
    memset(p, 1, cap); /* all of it is there */
    char *q = bigmem_take(BIGMEM_UNIT + 1, &cap);
    assert_non_null(q);
    assert_int_equal(cap, 2 * BIGMEM_UNIT);
    memset(q, 2, cap);
    assert_null(bigmem_take(0, &cap));
    bigmem_give(p, BIGMEM_UNIT);
    bigmem_give(q, 2 * BIGMEM_UNIT);
    bigmem_give(NULL, 0);
}

static void test_a_buffer_given_back_comes_back_whole(void **state)
{
    (void)state;
    size_t cap, cap2, before = bigmem_kept();
    char *p = bigmem_take(3 * BIGMEM_UNIT, &cap);
    assert_non_null(p);
    memset(p, 0x5a, cap);
    bigmem_give(p, cap);
    assert_int_equal(bigmem_kept(), before + cap);
    /* another size does not get it */
    char *q = bigmem_take(5 * BIGMEM_UNIT, &cap2);
    assert_ptr_not_equal(q, p);
    /* the same size does, with what was left in it */
    char *r = bigmem_take(3 * BIGMEM_UNIT - 7, &cap2);
    assert_ptr_equal(r, p);
    assert_int_equal(cap2, cap);
    assert_int_equal(r[0], 0x5a);
    assert_int_equal(r[cap - 1], 0x5a);
    assert_int_equal(bigmem_kept(), before);
    bigmem_give(q, 5 * BIGMEM_UNIT);
    bigmem_give(r, cap2);
}

static void test_no_more_than_the_cap_is_kept(void **state)
{
    (void)state;
    enum { N = BIGMEM_KEEP / BIGMEM_UNIT + 8 };
    static void *p[N];
    size_t cap;
    for (size_t i = 0; i < N; i++)
        assert_non_null(p[i] = bigmem_take(BIGMEM_UNIT, &cap));
    for (size_t i = 0; i < N; i++)
        bigmem_give(p[i], BIGMEM_UNIT);
    assert_true(bigmem_kept() <= BIGMEM_KEEP);
    assert_true(bigmem_kept() > 0);
}

static void test_alloc_keeps_small_arrays_on_the_heap(void **state)
{
    (void)state;
    size_t cap = 99;
    char *p = bigmem_alloc(100, &cap);
    assert_non_null(p);
    assert_int_equal(cap, 0);
    memcpy(p, "0123456789", 10);
    p = bigmem_resize(p, 10, &cap, 1000);
    assert_non_null(p);
    assert_int_equal(cap, 0);
    /* past BIGMEM_MIN: into a kept-sized buffer, the bytes in use copied */
    p = bigmem_resize(p, 10, &cap, BIGMEM_MIN + 1);
    assert_non_null(p);
    assert_int_equal(cap, BIGMEM_UNIT);
    assert_memory_equal(p, "0123456789", 10);
    /* room already: the same buffer */
    assert_ptr_equal(bigmem_resize(p, 10, &cap, BIGMEM_UNIT), p);
    bigmem_free(p, cap);
    bigmem_free(NULL, 0);
}

static void test_a_freed_dedup_table_is_kept(void **state)
{
    (void)state;
    size_t before = bigmem_kept();
    dedup *d = dedup_new();
    assert_non_null(d);
    dedup_reserve(d, 1u << 20); /* large: its arrays from bigmem */
    int is_new;
    char key[32];
    for (uint32_t i = 0; i < 100000; i++) {
        int n = snprintf(key, sizeof key, "u%u@x.com", i % 50000);
        uint32_t id = dedup_put(d, key, (size_t)n, i, &is_new);
        assert_int_equal(is_new, i < 50000);
        assert_int_equal(dedup_last(d, id), i);
    }
    assert_int_equal(dedup_count(d), 50000);
    dedup_free(d);
    assert_true(bigmem_kept() > before);
    /* a second table of the same size reuses them, emptied */
    d = dedup_new();
    dedup_reserve(d, 1u << 20);
    assert_true(bigmem_kept() <= before + BIGMEM_UNIT);
    uint32_t id = dedup_put(d, "u1@x.com", 8, 7, &is_new);
    assert_true(is_new);
    assert_int_equal(dedup_count(d), 1);
    assert_int_equal(dedup_last(d, id), 7);
    dedup_free(d);
}

static void test_kept_buffers_go_back_when_idle(void **state)
{
    (void)state;
    size_t cap;
    char *p = bigmem_take(BIGMEM_UNIT, &cap);
    assert_non_null(p);
    bigmem_give(p, cap);
    assert_true(bigmem_kept() >= cap);
    /* used just now: kept */
    assert_int_equal(bigmem_trim_idle(clock_mono_ms(), 60000), 0);
    assert_true(bigmem_kept() >= cap);
    /* a minute later with no take or give: all of it given back */
    size_t kept = bigmem_kept();
    assert_int_equal(bigmem_trim_idle(clock_mono_ms() + 60000, 60000), kept);
    assert_int_equal(bigmem_kept(), 0);
    assert_int_equal(bigmem_trim_idle(clock_mono_ms() + 60000, 60000), 0);
    /* and the next task maps afresh */
    p = bigmem_take(BIGMEM_UNIT, &cap);
    assert_non_null(p);
    memset(p, 3, cap);
    bigmem_give(p, cap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_are_whole_units),
        cmocka_unit_test(test_a_buffer_given_back_comes_back_whole),
        cmocka_unit_test(test_alloc_keeps_small_arrays_on_the_heap),
        cmocka_unit_test(test_a_freed_dedup_table_is_kept),
        cmocka_unit_test(test_no_more_than_the_cap_is_kept),
        cmocka_unit_test(test_kept_buffers_go_back_when_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
