/* test_statuscache.c: the finished tasks' status answers: kept for their
 * owner only, forgotten by id or key or all, a put made with a generation
 * taken before a forget refused (the row it holds may be gone), two ids
 * of one slot replacing each other, answers past the cap not kept. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store/statuscache.h"

#define ID1 "00000000-0000-4000-8000-000000000001"
#define ID2 "00000000-0000-4000-8000-000000000002"

/* The answer kept for id and key, compared with want (NULL: none). */
static void expect(const char *id, const char *key, const char *want)
{
    size_t n = 0;
    char *got = statuscache_get(id, key, &n);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(got, want, n);
    free(got);
}

static void put(const char *id, const char *key, const char *body)
{
    statuscache_put(id, key, body, strlen(body), statuscache_gen());
}

static void test_owner_only(void **state)
{
    (void)state;
    statuscache_forget_key(NULL);
    expect(ID1, "k", NULL);
    put(ID1, "k", "{\"a\":1}");
    expect(ID1, "k", "{\"a\":1}");
    expect(ID1, "k2", NULL);
    expect(ID1, "", NULL);
    expect(ID2, "k", NULL);
    put(ID1, "k", "{\"a\":2}"); /* a put again replaces */
    expect(ID1, "k", "{\"a\":2}");
    assert_int_equal(statuscache_count(), 1);
    statuscache_forget_key(NULL);
}

static void test_forget(void **state)
{
    (void)state;
    statuscache_forget_key(NULL);
    put(ID1, "k", "one");
    put(ID2, "other", "two");
    statuscache_forget(ID2);
    expect(ID2, "other", NULL);
    expect(ID1, "k", "one");
    put(ID2, "other", "two");
    statuscache_forget_key("k");
    expect(ID1, "k", NULL);
    expect(ID2, "other", "two");
    statuscache_forget_key(NULL);
    expect(ID2, "other", NULL);
    assert_int_equal(statuscache_count(), 0);
}

/* A reader took the generation, read the row; a deletion committed and
 * forgot the task; the reader's put must not bring the row back. */
static void test_put_after_forget_refused(void **state)
{
    (void)state;
    statuscache_forget_key(NULL);
    uint64_t g = statuscache_gen();
    statuscache_forget(ID1);
    statuscache_put(ID1, "k", "stale", 5, g);
    expect(ID1, "k", NULL);
    g = statuscache_gen();
    statuscache_forget_key("someone");
    statuscache_put(ID1, "k", "stale", 5, g);
    expect(ID1, "k", NULL);
    g = statuscache_gen();
    statuscache_put(ID1, "k", "fresh", 5, g);
    expect(ID1, "k", "fresh");
    statuscache_forget_key(NULL);
}

static void test_slot_shared_and_caps(void **state)
{
    (void)state;
    statuscache_forget_key(NULL);
    /* Fill more ids than there are slots: never more entries than slots,
     * and the last put is always there. */
    char id[40];
    for (int i = 0; i < 3 * STATUSCACHE_SLOTS; i++) {
        snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
        put(id, "k", id);
        expect(id, "k", id);
        assert_true(statuscache_count() <= STATUSCACHE_SLOTS);
    }
    assert_true(statuscache_count() < STATUSCACHE_SLOTS); /* ids shared slots */
    /* An id that was replaced in its slot is a miss, never another's body. */
    int misses = 0;
    for (int i = 0; i < 3 * STATUSCACHE_SLOTS; i++) {
        snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
        size_t n;
        char *got = statuscache_get(id, "k", &n);
        if (!got)
            misses++;
        else
            assert_memory_equal(got, id, n);
        free(got);
    }
    assert_true(misses >= 2 * STATUSCACHE_SLOTS);
    statuscache_forget_key(NULL);
    /* Too long an answer, or not a task id, is not kept. */
    char *big = calloc(1, STATUSCACHE_BODY_MAX + 2);
    assert_non_null(big);
    memset(big, 'x', STATUSCACHE_BODY_MAX + 1);
    put(ID1, "k", big);
    expect(ID1, "k", NULL);
    big[STATUSCACHE_BODY_MAX] = 0;
    put(ID1, "k", big);
    expect(ID1, "k", big);
    free(big);
    put("short", "k", "x");
    expect("short", "k", NULL);
    statuscache_forget_key(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owner_only),
        cmocka_unit_test(test_forget),
        cmocka_unit_test(test_put_after_forget_refused),
        cmocka_unit_test(test_slot_shared_and_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
