/* test_faults.c: the fault engine without a server: spec validation and
 * its messages, listing, matching (method, path prefix, key; the first
 * armed wins), uses counted down, job faults, clearing by key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "http/faults.h"

/* Arm from JSON text; returns the listed fault (new ref) or NULL. */
static json_t *arm(faults *fs, const char *spec, char *msg, size_t cap)
{
    json_t *j = json_loads(spec, 0, NULL);
    assert_non_null(j);
    msg[0] = 0;
    json_t *o = faults_arm(fs, j, msg, cap);
    json_decref(j);
    return o;
}

static void arm_ok(faults *fs, const char *spec)
{
    char msg[160];
    json_t *o = arm(fs, spec, msg, sizeof msg);
    assert_non_null(o);
    json_decref(o);
}

static void test_invalid_specs_and_messages(void **state)
{
    (void)state;
    static const char *cases[][2] = {
        {"{}", "give exactly one of respond (an HTTP fault) or task (a job fault)"},
        {"{\"respond\":{},\"task\":{}}",
         "give exactly one of respond (an HTTP fault) or task (a job fault)"},
        {"{\"respond\":{},\"times\":0}", "times must be a positive integer"},
        {"{\"respond\":{},\"times\":\"2\"}", "times must be a positive integer"},
        {"{\"respond\":{},\"match\":[]}", "match must be an object"},
        {"{\"respond\":5}", "respond must be an object"},
        {"{\"respond\":{\"status\":99}}", "respond.status must be an HTTP status code"},
        {"{\"respond\":{\"status\":600}}", "respond.status must be an HTTP status code"},
        {"{\"respond\":{\"headers\":[]}}", "respond.headers must be an object of strings"},
        {"{\"respond\":{\"delay_ms\":-1}}", "respond.delay_ms must be 0..600000"},
        {"{\"respond\":{\"delay_ms\":600001}}", "respond.delay_ms must be 0..600000"},
        {"{\"respond\":{\"drop_after_bytes\":-1}}", "respond.drop_after_bytes must be >= 0"},
        {"{\"task\":[]}", "task must be an object"},
        {"{\"task\":{\"outcome\":\"maybe\"}}", "task.outcome must be failed or completed"},
        {"{\"task\":{\"outcome\":\"processing\"}}", "task.outcome must be failed or completed"},
        {"{\"task\":{\"processing_ms\":3600001}}", "task.processing_ms must be 0..3600000"},
    };
    faults *fs = faults_new();
    assert_non_null(fs);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char msg[160];
        assert_null(arm(fs, cases[i][0], msg, sizeof msg));
        assert_string_equal(msg, cases[i][1]);
    }
    json_t *list = faults_json(fs);
    assert_int_equal(json_array_size(list), 0); /* nothing half-armed */
    json_decref(list);
    faults_free(fs);
    faults_free(NULL);
}

static void test_listing_keeps_the_spec_with_id_and_uses(void **state)
{
    (void)state;
    faults *fs = faults_new();
    char msg[160];
    json_t *a = arm(fs, "{\"respond\":{\"status\":503},\"times\":2,\"note\":\"x\"}", msg,
                    sizeof msg);
    json_t *b = arm(fs, "{\"task\":{\"outcome\":\"failed\"}}", msg, sizeof msg);
    assert_int_equal(json_integer_value(json_object_get(a, "id")), 1);
    assert_int_equal(json_integer_value(json_object_get(a, "times_left")), 2);
    assert_string_equal(json_string_value(json_object_get(a, "note")), "x");
    assert_int_equal(json_integer_value(json_object_get(b, "id")), 2);
    assert_true(json_is_null(json_object_get(b, "times_left")));
    json_t *list = faults_json(fs);
    assert_int_equal(json_array_size(list), 2);
    assert_true(json_equal(json_array_get(list, 0), a));
    fault_action act;
    assert_int_equal(faults_take_http(fs, "GET", "/", NULL, &act), 1);
    fault_action_release(&act);
    json_decref(list);
    list = faults_json(fs);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0),
                                                        "times_left")), 1);
    json_decref(list);
    json_decref(a);
    json_decref(b);
    faults_free(fs);
}

static void test_matching(void **state)
{
    (void)state;
    faults *fs = faults_new();
    arm_ok(fs, "{\"match\":{\"method\":\"post\",\"path_prefix\":\"/v1/\",\"api_key\":\"k\"},"
               "\"respond\":{\"status\":500,\"body\":{\"e\":1},\"headers\":{\"X\":\"y\"}}}");
    arm_ok(fs, "{\"match\":{\"path_prefix\":\"/v1/batch\"},"
               "\"respond\":{\"delay_ms\":250,\"drop_after_bytes\":10}}");
    fault_action act;
    /* method compared without case; key must be there and equal */
    assert_int_equal(faults_take_http(fs, "POST", "/v1/check", "k", &act), 1);
    assert_int_equal(act.status, 500);
    assert_int_equal(json_integer_value(json_object_get(act.body, "e")), 1);
    assert_string_equal(json_string_value(json_object_get(act.headers, "X")), "y");
    assert_int_equal(act.delay_ms, 0);
    assert_int_equal(act.drop_after, -1);
    fault_action_release(&act);
    assert_int_equal(faults_take_http(fs, "POST", "/v1/check", NULL, &act), 0);
    assert_int_equal(faults_take_http(fs, "POST", "/v1/check", "other", &act), 0);
    assert_int_equal(faults_take_http(fs, "GET", "/v1/check", "k", &act), 0);
    assert_int_equal(faults_take_http(fs, "POST", "/v2/check", "k", &act), 0);
    /* the first armed that matches wins; the second matches any key */
    assert_int_equal(faults_take_http(fs, "POST", "/v1/batch-check", "k", &act), 1);
    assert_int_equal(act.status, 500);
    fault_action_release(&act);
    assert_int_equal(faults_take_http(fs, "GET", "/v1/batch-check", NULL, &act), 1);
    assert_int_equal(act.status, 0);
    assert_int_equal(act.delay_ms, 250);
    assert_int_equal(act.drop_after, 10);
    assert_null(act.body);
    fault_action_release(&act);
    faults_free(fs);
}

static void test_uses_run_out(void **state)
{
    (void)state;
    faults *fs = faults_new();
    arm_ok(fs, "{\"respond\":{\"status\":429},\"times\":2}");
    arm_ok(fs, "{\"respond\":{\"status\":503}}");
    fault_action act;
    int seen[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(faults_take_http(fs, "GET", "/x", NULL, &act), 1);
        seen[i] = act.status;
        fault_action_release(&act);
    }
    assert_int_equal(seen[0], 429);
    assert_int_equal(seen[1], 429);
    assert_int_equal(seen[2], 503); /* the first is used up and gone */
    assert_int_equal(seen[3], 503); /* no times: until cleared */
    json_t *list = faults_json(fs);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    faults_clear(fs, NULL);
    assert_int_equal(faults_take_http(fs, "GET", "/x", NULL, &act), 0);
    faults_free(fs);
}

static void test_an_action_outlives_its_fault(void **state)
{
    (void)state;
    faults *fs = faults_new();
    arm_ok(fs, "{\"respond\":{\"status\":502,\"body\":[1,2,3]},\"times\":1}");
    fault_action act;
    assert_int_equal(faults_take_http(fs, "GET", "/x", NULL, &act), 1);
    faults_clear(fs, NULL);
    faults_free(fs);
    assert_int_equal(json_array_size(act.body), 3); /* still ours */
    fault_action_release(&act);
}

static void test_job_faults(void **state)
{
    (void)state;
    faults *fs = faults_new();
    arm_ok(fs, "{\"respond\":{\"status\":500}}"); /* HTTP faults are not taken here */
    arm_ok(fs, "{\"match\":{\"api_key\":\"a\"},\"task\":{\"outcome\":\"failed\","
               "\"error\":\"boom\"},\"times\":1}");
    arm_ok(fs, "{\"task\":{\"processing_ms\":1500},\"times\":1}");
    task t;
    memset(&t, 0, sizeof t);
    faults_take_task(fs, "b", &t); /* not a's: the any-key one */
    assert_string_equal(t.fault_fail, "");
    assert_int_equal(t.fault_delay_ms, 1500);
    memset(&t, 0, sizeof t);
    faults_take_task(fs, "b", &t); /* used up: nothing left for b */
    assert_string_equal(t.fault_fail, "");
    assert_int_equal(t.fault_delay_ms, 0);
    faults_take_task(fs, "a", &t);
    assert_string_equal(t.fault_fail, "boom");
    /* job faults never match a request */
    arm_ok(fs, "{\"task\":{\"outcome\":\"failed\"}}");
    fault_action act;
    assert_int_equal(faults_take_http(fs, "POST", "/v1/x", "a", &act), 1);
    assert_int_equal(act.status, 500);
    fault_action_release(&act);
    memset(&t, 0, sizeof t);
    faults_take_task(fs, "c", &t);
    assert_string_equal(t.fault_fail, "Error processing file"); /* the default error */
    faults_free(fs);
}

static void test_clear_by_key(void **state)
{
    (void)state;
    faults *fs = faults_new();
    arm_ok(fs, "{\"match\":{\"api_key\":\"a\"},\"respond\":{\"status\":500}}");
    arm_ok(fs, "{\"match\":{\"api_key\":\"b\"},\"respond\":{\"status\":501}}");
    arm_ok(fs, "{\"respond\":{\"status\":502}}");
    faults_clear(fs, "a");
    json_t *list = faults_json(fs);
    assert_int_equal(json_array_size(list), 2); /* b's and the any-key one stay */
    json_decref(list);
    fault_action act;
    assert_int_equal(faults_take_http(fs, "GET", "/", "a", &act), 1);
    assert_int_equal(act.status, 502);
    fault_action_release(&act);
    faults_free(fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_specs_and_messages),
        cmocka_unit_test(test_listing_keeps_the_spec_with_id_and_uses),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_uses_run_out),
        cmocka_unit_test(test_an_action_outlives_its_fault),
        cmocka_unit_test(test_job_faults),
        cmocka_unit_test(test_clear_by_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
