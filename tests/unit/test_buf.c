/* test_buf.c: the growable buffer: growth, the hard cap, printf, take. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"

static void test_empty(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    buf_reset(&b); /* on a never-grown buffer */
    size_t n = 99;
    assert_null(buf_take(&b, &n));
    assert_int_equal(n, 0);
    buf_free(&b);
    buf_free(&b); /* twice is fine */
    buf_free(NULL);
}

static void test_add_grows_and_terminates(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, SIZE_MAX);
    assert_int_equal(buf_add(&b, NULL, 0), UC_OK); /* empty add allocates */
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    for (int i = 0; i < 10000; i++)
        assert_int_equal(buf_add(&b, "abc", 3), UC_OK);
    assert_int_equal(b.len, 30000);
    assert_true(b.alloc > b.len);
    assert_int_equal(b.data[b.len], '\0');
    assert_memory_equal(b.data + 29997, "abc", 3);
    assert_int_equal(buf_addc(&b, 'x'), UC_OK);
    assert_int_equal(buf_adds(&b, "yz"), UC_OK);
    assert_string_equal(b.data + 30000, "xyz");
    buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_cap(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 5);
    assert_int_equal(buf_add(&b, "abcd", 4), UC_OK);
    assert_int_equal(buf_add(&b, "ef", 2), UC_ELIMIT);
    assert_string_equal(b.data, "abcd"); /* unchanged by the failure */
    assert_int_equal(buf_addc(&b, 'e'), UC_OK);
    assert_string_equal(b.data, "abcde");
    assert_int_equal(buf_addc(&b, 'f'), UC_ELIMIT);
    assert_int_equal(buf_reserve(&b, 1), UC_ELIMIT);
    assert_int_equal(buf_reserve(&b, SIZE_MAX), UC_ELIMIT); /* no overflow */
    assert_int_equal(buf_printf(&b, "%d", 1), UC_ELIMIT);
    assert_int_equal(b.len, 5);
    assert_true(b.alloc <= 6); /* never allocates past the cap + NUL */
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(buf_add(&b, "12345", 5), UC_OK);
    buf_free(&b);

    buf_init(&b, 0); /* a zero cap holds nothing at all */
    assert_int_equal(buf_addc(&b, 'a'), UC_ELIMIT);
    assert_int_equal(buf_add(&b, NULL, 0), UC_OK);
    buf_free(&b);
}

static void test_printf(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(buf_printf(&b, "%s=%d;", "a", 42), UC_OK);
    assert_string_equal(b.data, "a=42;");
    /* longer than the formatter's stack buffer */
    char big[1000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(buf_printf(&b, "[%s]", big), UC_OK);
    assert_int_equal(b.len, 5 + 2 + 999);
    assert_int_equal(b.data[5], '[');
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');
    buf_free(&b);
}

static void test_reserve_added_take(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1000);
    assert_int_equal(buf_reserve(&b, 10), UC_OK);
    assert_true(b.alloc >= 11);
    assert_int_equal(b.len, 0);
    memcpy(b.data, "hello", 5);
    buf_added(&b, 5);
    assert_string_equal(b.data, "hello");
    size_t n = 0;
    char *p = buf_take(&b, &n);
    assert_int_equal(n, 5);
    assert_string_equal(p, "hello");
    assert_null(b.data); /* b is empty and reusable, with its cap */
    assert_int_equal(b.max, 1000);
    assert_int_equal(buf_adds(&b, "again"), UC_OK);
    assert_string_equal(b.data, "again");
    buf_truncate(&b, 7); /* past the end: nothing */
    assert_string_equal(b.data, "again");
    buf_truncate(&b, 2);
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "ag");
    free(p);
    buf_free(&b);
}

/* Fixed-size records, as the readers keep their arrays. */
static void test_records(void **state)
{
    (void)state;
    struct rec { uint64_t a; double d; char c; };
    struct buf b;
    buf_init(&b, SIZE_MAX);
    for (int i = 0; i < 1000; i++) {
        struct rec r = { (uint64_t)i, i * 0.5, (char)('a' + i % 26) };
        assert_int_equal(buf_add(&b, &r, sizeof r), UC_OK);
    }
    assert_int_equal(b.len / sizeof(struct rec), 1000);
    const struct rec *rs = (const struct rec *)b.data;
    assert_int_equal(rs[999].a, 999);
    assert_true(rs[10].d == 5.0);
    assert_int_equal(rs[27].c, 'b');
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_add_grows_and_terminates),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_reserve_added_take),
        cmocka_unit_test(test_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
