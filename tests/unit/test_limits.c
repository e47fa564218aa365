/* test_limits.c: the real API's rate windows (fixed, opened by the first
 * hit, Retry-After in whole seconds) and per-IP ban counters: reset by a
 * key lifts the IPs its checks came from, bans can be off. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
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

static void test_reset_by_key_lifts_its_ips_bans(void **state)
{
    (void)state;
    limits *l = limits_new();
    /* five keys from one IP ban it together, as the real service counts */
    const char *keys[] = {"k1", "k2", "k3", "k4", "k5"};
    for (int i = 0; i < 5; i++) {
        limits_ban_touch(l, "10.0.0.1", keys[i]);
        limits_ban_hit(l, "10.0.0.1", 5);
    }
    limits_ban_touch(l, "10.0.0.1", "k1"); /* twice: remembered once */
    limits_ban_touch(l, "10.0.0.2", "k9");
    limits_ban_hit(l, "10.0.0.2", 5);
    assert_int_equal(limits_ban_left(l, "10.0.0.1", 5), 0);
    assert_int_equal(limits_ban_left(l, "10.0.0.2", 5), 4);
    json_t *j = limits_bans_json(l, 5);
    assert_int_equal(json_array_size(j), 2);
    json_t *e = json_array_get(j, 0);
    const char *ip = json_string_value(json_object_get(e, "ip"));
    if (strcmp(ip, "10.0.0.1") != 0)
        e = json_array_get(j, 1);
    assert_int_equal(json_integer_value(json_object_get(e, "black_results")), 5);
    assert_true(json_is_true(json_object_get(e, "banned")));
    assert_int_equal(json_array_size(json_object_get(e, "api_keys")), 5);
    json_decref(j);
    /* any one of those keys' reset lifts that IP, not the other */
    limits_reset(l, "k3");
    assert_int_equal(limits_ban_left(l, "10.0.0.1", 5), 5);
    assert_int_equal(limits_ban_left(l, "10.0.0.2", 5), 4);
    /* k3's pairs are gone; the others' stay and still lift it */
    limits_ban_hit(l, "10.0.0.1", 5);
    limits_reset(l, "k3");
    assert_int_equal(limits_ban_left(l, "10.0.0.1", 5), 4);
    limits_reset(l, "k1");
    assert_int_equal(limits_ban_left(l, "10.0.0.1", 5), 5);
    /* a key that never checked from an IP lifts nothing */
    limits_reset(l, "nobody");
    assert_int_equal(limits_ban_left(l, "10.0.0.2", 5), 4);
    limits_bans_clear(l);
    assert_int_equal(limits_ban_left(l, "10.0.0.2", 5), 5);
    j = limits_bans_json(l, 5);
    assert_int_equal(json_array_size(j), 0);
    json_decref(j);
    limits_free(l);
}

static void test_bans_off(void **state)
{
    (void)state;
    limits *l = limits_new();
    for (int i = 0; i < 20; i++)
        assert_int_equal(limits_ban_hit(l, "ip", 0), LIMITS_BAN_OFF_LEFT);
    assert_int_equal(limits_ban_left(l, "ip", 0), LIMITS_BAN_OFF_LEFT);
    json_t *j = limits_bans_json(l, 0);
    assert_int_equal(json_array_size(j), 0); /* nothing counted */
    json_decref(j);
    limits_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_window),
        cmocka_unit_test(test_reset_one_key_or_all),
        cmocka_unit_test(test_ban_counts_down_to_zero),
        cmocka_unit_test(test_reset_by_key_lifts_its_ips_bans),
        cmocka_unit_test(test_bans_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
