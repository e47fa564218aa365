/* test_limits.c: the real API's rate windows (fixed, opened by the first
 * hit, Retry-After in whole seconds) and per-IP ban counters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http/limits.h"

static void test_rate_window(void **state)
{
    (void)state;
    limits *l = limits_new();
    assert_non_null(l);
    int64_t t0 = 1000000;
    assert_int_equal(limits_rate_hit(l, "k", 2, t0), 0);
    assert_int_equal(limits_rate_hit(l, "k", 2, t0 + 10000), 0);
    assert_int_equal(limits_rate_hit(l, "k", 2, t0 + 20000), 40); /* until t0 + 60 s */
    assert_int_equal(limits_rate_hit(l, "k", 2, t0 + 59500), 1);  /* rounded up */
    assert_int_equal(limits_rate_hit(l, "other", 2, t0 + 20000), 0); /* per key */
    /* the window closes at t0 + 60 s; the next hit opens a new one */
    assert_int_equal(limits_rate_hit(l, "k", 2, t0 + 60000), 0);
    assert_int_equal(limits_rate_hit(l, "k", 2, t0 + 61000), 0);
    assert_int_equal(limits_rate_hit(l, "k", 2, t0 + 62000), 58);
    /* 0 or less: no limit */
    for (int i = 0; i < 100; i++)
        assert_int_equal(limits_rate_hit(l, "k", 0, t0), 0);
    limits_free(l);
    limits_free(NULL);
}

static void test_reset_one_key_or_all(void **state)
{
    (void)state;
    limits *l = limits_new();
    assert_int_equal(limits_rate_hit(l, "a", 1, 0), 0);
    assert_int_equal(limits_rate_hit(l, "b", 1, 0), 0);
    assert_int_equal(limits_ban_hit(l, "1.2.3.4", 3), 2);
    limits_reset(l, "a");
    assert_int_equal(limits_rate_hit(l, "a", 1, 1000), 0); /* a's window is gone */
    assert_true(limits_rate_hit(l, "b", 1, 1000) > 0);     /* b's is not */
    assert_int_equal(limits_ban_left(l, "1.2.3.4", 3), 2);  /* bans stay */
    limits_reset(l, NULL);
    assert_int_equal(limits_rate_hit(l, "b", 1, 1000), 0);
    assert_int_equal(limits_ban_left(l, "1.2.3.4", 3), 3);
    limits_free(l);
}

static void test_ban_counts_down_to_zero(void **state)
{
    (void)state;
    limits *l = limits_new();
    assert_int_equal(limits_ban_left(l, "ip", 2), 2);
    assert_int_equal(limits_ban_hit(l, "ip", 2), 1);
    assert_int_equal(limits_ban_hit(l, "ip", 2), 0);
    assert_int_equal(limits_ban_hit(l, "ip", 2), 0); /* never below 0 */
    assert_int_equal(limits_ban_left(l, "ip", 2), 0);
    assert_int_equal(limits_ban_left(l, "other", 2), 2);
    limits_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_window),
        cmocka_unit_test(test_reset_one_key_or_all),
        cmocka_unit_test(test_ban_counts_down_to_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
