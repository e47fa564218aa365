/* test_delayq.c: the daemon's timer: deadline order, ties in order of
 * adding, closing (not-yet-due entries fire at once, cancelled), stopping
 * (adds refused), callbacks that add. No assertion on speed: waits are
 * bounded only to fail instead of hanging. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "http/delayq.h"

#define MAX_FIRED 2000
#define CAP 1500    /* entries a queue holds at once */
#define WAIT_S 60 /* far past anything expected: a hang fails, never a slow run */

typedef struct record {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int n;
    int id[MAX_FIRED];
    int cancelled[MAX_FIRED];
    int64_t at[MAX_FIRED];   /* monotonic ms when it fired */
} record;

typedef struct tag {
    record *r;
    int id;
    delayq *q;       /* for callbacks that add: where to */
    struct tag *then;
} tag;

static void fired(void *arg, int cancelled)
{
    tag *t = arg;
    record *r = t->r;
    pthread_mutex_lock(&r->lock);
    r->id[r->n] = t->id;
    r->cancelled[r->n] = cancelled;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r->at[r->n] = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    r->n++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    if (t->then)
        assert_int_equal(delayq_add(t->q, 0, fired, t->then), 0);
}

static void record_init(record *r)
{
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    r->n = 0;
}

/* Wait until n entries have fired. */
static void wait_for(record *r, int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_S;
    pthread_mutex_lock(&r->lock);
    while (r->n < n)
        if (pthread_cond_timedwait(&r->cond, &r->lock, &until) != 0)
            break;
    int got = r->n;
    pthread_mutex_unlock(&r->lock);
    assert_int_equal(got, n);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_deadline_order_and_ties(void **state)
{
    (void)state;
    record r;
    record_init(&r);
    delayq *q = delayq_new(CAP);
    assert_non_null(q);
    /* Added latest-deadline first. Each entry's deadline lies in
     * [before + delay, after + delay] of its add; none may fire before
     * that, and whatever fires first must not be due later than what
     * fires next could be. A queue that ignored deadlines would fire
     * the 400 ms entry first. */
    static const int delay[] = {400, 200, -5, 200, 0};
    enum { N = 5 };
    tag t[N];
    int64_t lo[N], hi[N];
    for (int i = 0; i < N; i++) {
        t[i] = (tag){&r, i, q, NULL};
        int64_t d = delay[i] > 0 ? delay[i] : 0;
        lo[i] = mono_ms() + d;
        assert_int_equal(delayq_add(q, delay[i], fired, &t[i]), 0);
        hi[i] = mono_ms() + d;
    }
    wait_for(&r, N);
    for (int k = 0; k < N; k++) {
        int i = r.id[k];
        assert_int_equal(r.cancelled[k], 0);
        assert_true(r.at[k] >= lo[i]); /* never early */
        if (k + 1 < N)
            assert_true(lo[i] <= hi[r.id[k + 1]]);
    }
    /* equal delays fire in the order they were added */
    int pos1 = -1, pos3 = -1, pos2 = -1, pos4 = -1;
    for (int k = 0; k < N; k++) {
        pos1 = r.id[k] == 1 ? k : pos1;
        pos3 = r.id[k] == 3 ? k : pos3;
        pos2 = r.id[k] == 2 ? k : pos2;
        pos4 = r.id[k] == 4 ? k : pos4;
    }
    assert_true(pos1 < pos3);
    assert_true(pos2 < pos4); /* -5 counts as 0: "now", added first */
    delayq_free(q);
}

static void test_close_fires_pending_cancelled_in_order(void **state)
{
    (void)state;
    record r;
    record_init(&r);
    delayq *q = delayq_new(CAP);
    assert_non_null(q);
    enum { N = 1000 };
    static tag t[N];
    /* deadlines 1000 s apart, added in a shuffled order: none is due
     * before the close, and their order cannot depend on when each was
     * added */
    int perm[N];
    for (int i = 0; i < N; i++)
        perm[i] = i;
    srand(7);
    for (int i = N - 1; i > 0; i--) {
        int j = rand() % (i + 1), x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
    for (int i = 0; i < N; i++) {
        t[i] = (tag){&r, perm[i], q, NULL};
        assert_int_equal(delayq_add(q, (int64_t)(perm[i] + 1) * 1000000, fired, &t[i]), 0);
    }
    delayq_close(q);
    wait_for(&r, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(r.id[i], i);
        assert_int_equal(r.cancelled[i], 1);
    }
    /* after the close: a wait is cancelled at once, "now" fires as usual */
    tag late = {&r, N, q, NULL}, now = {&r, N + 1, q, NULL};
    assert_int_equal(delayq_add(q, 600000, fired, &late), 0);
    wait_for(&r, N + 1);
    assert_int_equal(r.cancelled[N], 1);
    assert_int_equal(delayq_add(q, 0, fired, &now), 0);
    wait_for(&r, N + 2);
    assert_int_equal(r.cancelled[N + 1], 0);
    delayq_free(q);
}

static void test_stop_fires_the_rest_and_refuses_adds(void **state)
{
    (void)state;
    record r;
    record_init(&r);
    delayq *q = delayq_new(CAP);
    assert_non_null(q);
    tag a = {&r, 1, q, NULL}, b = {&r, 2, q, NULL};
    assert_int_equal(delayq_add(q, 3600000, fired, &a), 0);
    delayq_stop(q); /* returns once the hour-long wait has fired, cancelled */
    assert_int_equal(r.n, 1);
    assert_int_equal(r.id[0], 1);
    assert_int_equal(r.cancelled[0], 1);
    assert_int_equal(delayq_add(q, 0, fired, &b), -1);
    delayq_free(q); /* after a stop */
    assert_int_equal(r.n, 1);
    delayq_free(NULL);
}

static void test_full_queue_refuses_adds(void **state)
{
    (void)state;
    record r;
    record_init(&r);
    delayq *q = delayq_new(2);
    assert_non_null(q);
    tag a = {&r, 1, q, NULL}, b = {&r, 2, q, NULL}, c = {&r, 3, q, NULL};
    assert_int_equal(delayq_add(q, 3600000, fired, &a), 0);
    assert_int_equal(delayq_add(q, 3600000, fired, &b), 0);
    assert_int_equal(delayq_add(q, 0, fired, &c), -1); /* full: c never fires */
    delayq_close(q);
    wait_for(&r, 2);
    assert_int_equal(delayq_add(q, 0, fired, &c), 0); /* room again */
    wait_for(&r, 3);
    assert_int_equal(r.id[2], 3);
    delayq_free(q);
}

static void test_callback_may_add(void **state)
{
    (void)state;
    record r;
    record_init(&r);
    delayq *q = delayq_new(CAP);
    assert_non_null(q);
    tag third = {&r, 3, q, NULL}, second = {&r, 2, q, &third}, first = {&r, 1, q, &second};
    assert_int_equal(delayq_add(q, 10, fired, &first), 0);
    wait_for(&r, 3);
    assert_int_equal(r.id[0], 1);
    assert_int_equal(r.id[1], 2);
    assert_int_equal(r.id[2], 3);
    delayq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_order_and_ties),
        cmocka_unit_test(test_close_fires_pending_cancelled_in_order),
        cmocka_unit_test(test_stop_fires_the_rest_and_refuses_adds),
        cmocka_unit_test(test_full_queue_refuses_adds),
        cmocka_unit_test(test_callback_may_add),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
