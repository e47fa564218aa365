/* test_journal.c: the request journal's ring: oldest first, the oldest
 * dropped past the cap, clearing one key keeps the others in order (also
 * across the ring's wrap), filters, the last N of the matching, a zero
 * cap; entries listed by arrival when they complete out of order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "http/journal.h"

static void add_seq(journal *j, uint64_t seq, const char *path, const char *key,
                    const char *task_id)
{
    journal_entry e;
    memset(&e, 0, sizeof e);
    e.seq = seq;
    e.at_ms = 1000;
    snprintf(e.method, sizeof e.method, "GET");
    snprintf(e.path, sizeof e.path, "%s", path);
    snprintf(e.key, sizeof e.key, "%s", key);
    snprintf(e.task_id, sizeof e.task_id, "%s", task_id);
    e.status = 200;
    e.duration_ms = 5;
    journal_add(j, &e);
}

/* A request that arrives and completes before the next one arrives. */
static void add(journal *j, const char *path, const char *key, const char *task_id)
{
    add_seq(j, journal_arrival(j), path, key, task_id);
}

/* The paths listed, joined with ',' */
static void paths(journal *j, const journal_filter *f, char *out, size_t cap)
{
    journal_filter all = {NULL, NULL, NULL, 0};
    json_t *arr = journal_json(j, f ? f : &all, NULL);
    assert_non_null(arr);
    out[0] = 0;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", i ? "," : "",
                 json_string_value(json_object_get(e, "path")));
    }
    json_decref(arr);
}

static void expect(journal *j, const journal_filter *f, const char *want)
{
    char got[256];
    paths(j, f, got, sizeof got);
    assert_string_equal(got, want);
}

static void test_ring_keeps_the_newest(void **state)
{
    (void)state;
    journal *j = journal_new(3);
    assert_non_null(j);
    expect(j, NULL, "");
    add(j, "/a", "k", "");
    add(j, "/b", "k", "");
    expect(j, NULL, "/a,/b");
    add(j, "/c", "k", "");
    add(j, "/d", "k", "");
    add(j, "/e", "k", "");
    expect(j, NULL, "/c,/d,/e");
    journal_free(j);
    journal_free(NULL);
}

static void test_entry_json(void **state)
{
    (void)state;
    journal *j = journal_new(2);
    add(j, "/x", "key-a", "");
    add(j, "/y", "", "00000000-0000-4000-8000-000000000000");
    journal_filter all = {NULL, NULL, NULL, 0};
    json_t *arr = journal_json(j, &all, NULL);
    json_t *e0 = json_array_get(arr, 0), *e1 = json_array_get(arr, 1);
    assert_string_equal(json_string_value(json_object_get(e0, "method")), "GET");
    assert_string_equal(json_string_value(json_object_get(e0, "api_key")), "key-a");
    assert_int_equal(json_integer_value(json_object_get(e0, "status")), 200);
    assert_int_equal(json_integer_value(json_object_get(e0, "duration_ms")), 5);
    assert_true(json_is_null(json_object_get(e0, "task_id")));
    assert_non_null(json_string_value(json_object_get(e0, "time")));
    assert_string_equal(json_string_value(json_object_get(e1, "task_id")),
                        "00000000-0000-4000-8000-000000000000");
    json_decref(arr);
    journal_free(j);
}

static void test_clear_one_key_keeps_order_across_the_wrap(void **state)
{
    (void)state;
    journal *j = journal_new(4);
    /* six adds into four slots: the ring has wrapped, oldest is /3 */
    add(j, "/1", "a", "");
    add(j, "/2", "b", "");
    add(j, "/3", "a", "");
    add(j, "/4", "b", "");
    add(j, "/5", "a", "");
    add(j, "/6", "b", "");
    expect(j, NULL, "/3,/4,/5,/6");
    journal_clear(j, "a");
    expect(j, NULL, "/4,/6");
    add(j, "/7", "a", "");
    add(j, "/8", "a", "");
    add(j, "/9", "a", "");
    expect(j, NULL, "/6,/7,/8,/9");
    journal_clear(j, NULL);
    expect(j, NULL, "");
    add(j, "/10", "a", "");
    expect(j, NULL, "/10");
    journal_free(j);
}

static void test_filters(void **state)
{
    (void)state;
    journal *j = journal_new(10);
    add(j, "/v1/status/1", "a", "t1");
    add(j, "/v1/download/1", "b", "t1");
    add(j, "/v1/status/2", "b", "t2");
    journal_filter byprefix = {"/v1/status", NULL, NULL, 0};
    expect(j, &byprefix, "/v1/status/1,/v1/status/2");
    journal_filter bykey = {NULL, "b", NULL, 0};
    expect(j, &bykey, "/v1/download/1,/v1/status/2");
    journal_filter bytask = {NULL, NULL, "t1", 0};
    expect(j, &bytask, "/v1/status/1,/v1/download/1");
    journal_filter all3 = {"/v1/status", "b", "t2", 0};
    expect(j, &all3, "/v1/status/2");
    journal_filter none = {NULL, "", NULL, 0}; /* "" is a key of its own */
    expect(j, &none, "");
    journal_free(j);
}

/* The listing under f is want, and matched says n entries matched. */
static void expect_matched(journal *j, const journal_filter *f, const char *want, size_t n)
{
    expect(j, f, want);
    size_t got = 99;
    json_decref(journal_json(j, f, &got));
    assert_int_equal(got, n);
}

/* ?last=N: the last N of the matching entries, still in arrival order, and
 * how many matched before the cut (also across the ring's wrap). */
static void test_last_n_of_the_matching(void **state)
{
    (void)state;
    journal *j = journal_new(5);
    add(j, "/s/1", "a", "");
    add(j, "/d/1", "a", "");
    add(j, "/s/2", "b", "");
    add(j, "/s/3", "a", "");
    add(j, "/d/2", "a", "");
    add(j, "/s/4", "a", ""); /* wrapped: /s/1 is gone */
    journal_filter s2 = {"/s/", NULL, NULL, 2};
    expect_matched(j, &s2, "/s/3,/s/4", 3);
    journal_filter a1 = {NULL, "a", NULL, 1};
    expect_matched(j, &a1, "/s/4", 4);
    journal_filter more = {NULL, NULL, NULL, 50}; /* more than there are */
    expect_matched(j, &more, "/d/1,/s/2,/s/3,/d/2,/s/4", 5);
    journal_filter none = {"/x", NULL, NULL, 3};
    expect_matched(j, &none, "", 0);
    journal_free(j);
}

static void test_zero_cap_records_nothing(void **state)
{
    (void)state;
    journal *j = journal_new(0);
    assert_non_null(j);
    add(j, "/a", "k", "");
    journal_clear(j, "k");
    expect(j, NULL, "");
    journal_free(j);
}

static void test_listed_by_arrival_not_completion(void **state)
{
    (void)state;
    journal *j = journal_new(4);
    uint64_t post = journal_arrival(j), get = journal_arrival(j);
    assert_true(get > post);
    /* the GET completes first (its connection ended sooner) */
    add_seq(j, get, "/get", "k", "");
    add_seq(j, post, "/post", "k", "");
    expect(j, NULL, "/post,/get");
    uint64_t a = journal_arrival(j), b = journal_arrival(j), c = journal_arrival(j);
    add_seq(j, c, "/c", "k", "");
    add_seq(j, a, "/a", "k", "");
    add_seq(j, b, "/b", "k", "");
    /* full: the first arrived went, the rest in arrival order */
    expect(j, NULL, "/get,/a,/b,/c");
    /* an entry older than everything kept, into a full ring: dropped */
    add_seq(j, post, "/late", "k", "");
    expect(j, NULL, "/get,/a,/b,/c");
    add(j, "/d", "k", "");
    expect(j, NULL, "/a,/b,/c,/d");
    /* across the ring's wrap */
    uint64_t e = journal_arrival(j), f = journal_arrival(j);
    add_seq(j, f, "/f", "k", "");
    add_seq(j, e, "/e", "k", "");
    expect(j, NULL, "/c,/d,/e,/f");
    journal_clear(j, NULL);
    add(j, "/g", "k", "");
    expect(j, NULL, "/g");
    journal_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_keeps_the_newest),
        cmocka_unit_test(test_entry_json),
        cmocka_unit_test(test_clear_one_key_keeps_order_across_the_wrap),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_last_n_of_the_matching),
        cmocka_unit_test(test_zero_cap_records_nothing),
        cmocka_unit_test(test_listed_by_arrival_not_completion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
