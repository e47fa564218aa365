/* test_faults.c: the fault engine without a server: spec validation and
 * its problems (every one, with its path), listing, get and delete by
 * id, the cap on armed faults, matching (method, path prefix, key; the first
 * armed wins), uses counted down, job faults, clearing by key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/faults.h"

/* Arm from JSON text; returns the listed fault (new ref) or NULL, with
 * the problems' "type loc msg" lines in msg ("" when none). */
static json_t *arm(faults *fs, const char *spec, char *msg, size_t cap)
{
    json_t *j = json_loads(spec, 0, NULL);
    assert_non_null(j);
    jcheck *jc = jcheck_new();
    jloc body = JLOC_ROOT("body");
    json_t *o = faults_arm(fs, j, jc, &body);
    json_decref(j);
    size_t used = 0;
    msg[0] = 0;
    json_t *e;
    size_t i;
    json_array_foreach(jcheck_problems(jc), i, e) {
        char *loc = json_dumps(json_object_get(e, "loc"), JSON_COMPACT);
        int w = snprintf(msg + used, cap - used, "%s%s %s %s", i ? "\n" : "",
                         json_string_value(json_object_get(e, "type")), loc,
                         json_string_value(json_object_get(e, "msg")));
        free(loc);
        if (w > 0 && (size_t)w < cap - used)
            used += (size_t)w;
    }
    assert_true(o == NULL || !jcheck_failed(jc));
    jcheck_free(jc);
    return o;
}

static void arm_ok(faults *fs, const char *spec)
{
    char msg[1024];
    json_t *o = arm(fs, spec, msg, sizeof msg);
    assert_string_equal(msg, "");
    assert_non_null(o);
    json_decref(o);
}

static void test_invalid_specs_and_messages(void **state)
{
    (void)state;
    static const char *cases[][2] = {
        {"{}", "value_error [\"body\"] Value error, give exactly one of respond (an HTTP "
               "fault) or task (a job fault)"},
        {"{\"respond\":{},\"task\":{}}", "value_error [\"body\"] Value error, give exactly "
               "one of respond (an HTTP fault) or task (a job fault)"},
        {"{\"respond\":{},\"times\":0}", "greater_than_equal [\"body\",\"times\"] Input "
               "should be greater than or equal to 1"},
        {"{\"respond\":{},\"times\":\"2\"}", "int_type [\"body\",\"times\"] Input should "
               "be a valid integer"},
        {"{\"respond\":{},\"match\":[]}", "dict_type [\"body\",\"match\"] Input should be a "
               "valid dictionary"},
        {"{\"respond\":5}", "dict_type [\"body\",\"respond\"] Input should be a valid "
               "dictionary"},
        {"{\"respond\":{\"status\":99}}", "greater_than_equal [\"body\",\"respond\","
               "\"status\"] Input should be greater than or equal to 100"},
        {"{\"respond\":{\"status\":600}}", "less_than_equal [\"body\",\"respond\","
               "\"status\"] Input should be less than or equal to 599"},
        {"{\"respond\":{\"headers\":[]}}", "dict_type [\"body\",\"respond\",\"headers\"] "
               "Input should be a valid dictionary"},
        {"{\"respond\":{\"headers\":{\"X\":1}}}", "string_type [\"body\",\"respond\","
               "\"headers\",\"X\"] Input should be a valid string"},
        {"{\"respond\":{\"headers\":{\"X\":\"a\\r\\nB: c\"}}}", "value_error [\"body\","
               "\"respond\",\"headers\",\"X\"] Value error, a header value holds no control "
               "characters (line breaks included)"},
        {"{\"respond\":{\"headers\":{\"A B\":\"x\"}}}", "value_error [\"body\","
               "\"respond\",\"headers\",\"A B\"] Value error, a header name is a token: "
               "letters, digits and !#$%&'*+-.^_`|~"},
        {"{\"respond\":{\"headers\":{\"content-length\":\"1\"}}}", "value_error [\"body\","
               "\"respond\",\"headers\",\"content-length\"] Value error, Content-Length, "
               "Transfer-Encoding and Connection are the server's own"},
        {"{\"respond\":{\"delay_ms\":-1}}", "greater_than_equal [\"body\",\"respond\","
               "\"delay_ms\"] Input should be greater than or equal to 0"},
        {"{\"respond\":{\"delay_ms\":600001}}", "less_than_equal [\"body\",\"respond\","
               "\"delay_ms\"] Input should be less than or equal to 600000"},
        {"{\"respond\":{\"drop_after_bytes\":-1}}", "greater_than_equal [\"body\","
               "\"respond\",\"drop_after_bytes\"] Input should be greater than or equal to 0"},
        {"{\"respond\":{\"drop_connection\":1}}", "bool_type [\"body\",\"respond\","
               "\"drop_connection\"] Input should be a valid boolean"},
        {"{\"respond\":{\"status\":500,\"drop_connection\":true}}", "value_error [\"body\","
               "\"respond\"] Value error, status and drop_connection exclude each other: a "
               "dropped connection has no answer"},
        {"{\"respond\":{\"status\":500,\"drop_after_bytes\":5}}", "value_error [\"body\","
               "\"respond\"] Value error, status and drop_after_bytes exclude each other: "
               "drop_after_bytes cuts a real answer's body"},
        {"{\"respond\":{\"stauts\":503}}", "extra_forbidden [\"body\",\"respond\","
               "\"stauts\"] Extra inputs are not permitted (allowed keys: status, body, "
               "headers, delay_ms, drop_connection, drop_after_bytes)"},
        {"{\"match\":{\"path\":\"/v1/x\"},\"respond\":{\"status\":503}}",
               "extra_forbidden [\"body\",\"match\",\"path\"] Extra inputs are not "
               "permitted (allowed keys: method, path_prefix, api_key)"},
        {"{\"match\":{\"method\":\"PUT\"},\"respond\":{}}", "literal_error [\"body\","
               "\"match\",\"method\"] Input should be 'GET', 'HEAD' or 'POST'"},
        {"{\"match\":{\"path_prefix\":\"v1\"},\"respond\":{}}", "value_error [\"body\","
               "\"match\",\"path_prefix\"] Value error, a path prefix starts with /"},
        {"{\"match\":{\"path_prefix\":\"/__mock/clock\"},\"respond\":{}}", "value_error "
               "[\"body\",\"match\",\"path_prefix\"] Value error, the control API and "
               "/healthz are never faulted"},
        {"{\"match\":{\"api_key\":\"\"},\"respond\":{}}", "string_too_short [\"body\","
               "\"match\",\"api_key\"] String should have at least 1 character"},
        {"{\"task\":[]}", "dict_type [\"body\",\"task\"] Input should be a valid dictionary"},
        {"{\"task\":{\"outcome\":\"maybe\"}}", "literal_error [\"body\",\"task\","
               "\"outcome\"] Input should be 'failed' or 'completed'"},
        {"{\"task\":{\"outcome\":\"processing\"}}", "literal_error [\"body\",\"task\","
               "\"outcome\"] Input should be 'failed' or 'completed'"},
        {"{\"task\":{\"processing_ms\":3600001}}", "less_than_equal [\"body\",\"task\","
               "\"processing_ms\"] Input should be less than or equal to 3600000"},
        {"{\"task\":{\"error\":\"x\"}}", "value_error [\"body\",\"task\"] Value error, "
               "error goes with outcome failed (a completed task has none)"},
        {"{\"task\":{},\"match\":{\"method\":\"POST\"}}", "value_error [\"body\","
               "\"match\"] Value error, a job fault matches submissions by api_key only (no "
               "method or path_prefix)"},
        {"[]", "dict_type [\"body\"] Input should be a valid dictionary"},
    };
    faults *fs = faults_new();
    assert_non_null(fs);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char msg[1024];
        assert_null(arm(fs, cases[i][0], msg, sizeof msg));
        assert_string_equal(msg, cases[i][1]);
    }
    json_t *list = faults_json(fs);
    assert_int_equal(json_array_size(list), 0); /* nothing half-armed */
    json_decref(list);
    faults_free(fs);
    faults_free(NULL);
}

static void test_every_problem_at_once(void **state)
{
    (void)state;
    faults *fs = faults_new();
    char msg[2048];
    assert_null(arm(fs, "{\"match\":{\"path\":\"/v1\",\"method\":5},\"times\":-1,"
                        "\"respond\":{\"stauts\":503,\"delay_ms\":\"1\"},\"x\":1}",
                    msg, sizeof msg));
    assert_string_equal(msg,
        "extra_forbidden [\"body\",\"x\"] Extra inputs are not permitted (allowed keys: "
        "match, respond, task, times)\n"
        "greater_than_equal [\"body\",\"times\"] Input should be greater than or equal to 1\n"
        "extra_forbidden [\"body\",\"match\",\"path\"] Extra inputs are not permitted "
        "(allowed keys: method, path_prefix, api_key)\n"
        "extra_forbidden [\"body\",\"respond\",\"stauts\"] Extra inputs are not permitted "
        "(allowed keys: status, body, headers, delay_ms, drop_connection, drop_after_bytes)\n"
        "literal_error [\"body\",\"match\",\"method\"] Input should be 'GET', 'HEAD' or "
        "'POST'\n"
        "int_type [\"body\",\"respond\",\"delay_ms\"] Input should be a valid integer");
    faults_free(fs);
}

static void test_get_and_delete_by_id(void **state)
{
    (void)state;
    faults *fs = faults_new();
    arm_ok(fs, "{\"respond\":{\"status\":500},\"times\":3}");
    arm_ok(fs, "{\"respond\":{\"status\":501}}");
    int found = 0;
    json_t *o = faults_get(fs, 2, &found);
    assert_int_equal(found, 1);
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 2);
    assert_true(json_is_null(json_object_get(o, "times_left")));
    json_decref(o);
    assert_null(faults_get(fs, 3, &found));
    assert_int_equal(found, 0);
    assert_int_equal(faults_delete(fs, 1), 1);
    assert_int_equal(faults_delete(fs, 1), 0); /* gone */
    fault_action act;
    assert_int_equal(faults_take_http(fs, "GET", "/", NULL, &act), 1);
    assert_int_equal(act.status, 501); /* only the other one is left */
    fault_action_release(&act);
    /* ids are never reused */
    arm_ok(fs, "{\"respond\":{\"status\":502}}");
    o = faults_get(fs, 3, &found);
    assert_int_equal(found, 1);
    json_decref(o);
    faults_free(fs);
}

static void test_armed_faults_are_capped(void **state)
{
    (void)state;
    faults *fs = faults_new();
    for (int i = 0; i < 10000; i++)
        arm_ok(fs, "{\"respond\":{\"status\":500}}");
    char msg[1024];
    assert_null(arm(fs, "{\"respond\":{\"status\":500}}", msg, sizeof msg));
    assert_string_equal(msg, "value_error [\"body\"] Value error, 10000 faults are armed "
                             "(the most there can be): delete some first");
    assert_int_equal(faults_delete(fs, 77), 1);
    arm_ok(fs, "{\"respond\":{\"status\":500}}"); /* room again */
    faults_free(fs);
}

static void test_listing_keeps_the_spec_with_id_and_uses(void **state)
{
    (void)state;
    faults *fs = faults_new();
    char msg[1024];
    json_t *a = arm(fs, "{\"respond\":{\"status\":503},\"times\":2}", msg, sizeof msg);
    json_t *b = arm(fs, "{\"task\":{\"outcome\":\"failed\"}}", msg, sizeof msg);
    assert_int_equal(json_integer_value(json_object_get(a, "id")), 1);
    assert_int_equal(json_integer_value(json_object_get(a, "times_left")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "respond"),
                                                        "status")), 503);
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

/* A scenario's faults: armed in a table of their own, then moved in at
 * once in place of every armed one, with fresh ids. */
static void test_replace(void **state)
{
    (void)state;
    faults *fs = faults_new(), *staged = faults_new();
    arm_ok(fs, "{\"respond\":{\"status\":500}}");
    arm_ok(fs, "{\"respond\":{\"status\":501}}");
    arm_ok(staged, "{\"respond\":{\"status\":502},\"times\":2}");
    arm_ok(staged, "{\"respond\":{\"status\":503}}");
    faults_replace(fs, staged);
    json_t *l = faults_json(fs);
    assert_int_equal(json_array_size(l), 2);
    json_t *f0 = json_array_get(l, 0), *f1 = json_array_get(l, 1);
    assert_int_equal(json_integer_value(json_object_get(f0, "id")), 3);
    assert_int_equal(json_integer_value(json_object_get(f0, "times_left")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(f1, "respond"),
                                                        "status")), 503);
    json_decref(l);
    l = faults_json(staged);
    assert_int_equal(json_array_size(l), 0);
    json_decref(l);
    faults_free(staged);
    faults_free(fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_specs_and_messages),
        cmocka_unit_test(test_every_problem_at_once),
        cmocka_unit_test(test_get_and_delete_by_id),
        cmocka_unit_test(test_armed_faults_are_capped),
        cmocka_unit_test(test_listing_keeps_the_spec_with_id_and_uses),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_uses_run_out),
        cmocka_unit_test(test_an_action_outlives_its_fault),
        cmocka_unit_test(test_job_faults),
        cmocka_unit_test(test_clear_by_key),
        cmocka_unit_test(test_replace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
