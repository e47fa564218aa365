/* test_jcheck.c: the strict JSON checker: unknown names, each getter's
 * types and bounds, required and nullable members, every problem
 * collected with its path, the walk over an array's items, parse errors,
 * the cap on the list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/jcheck.h"

static const char *const FAULT_KEYS[] = {"match", "respond", "task", "times", NULL};
static const char *const RESPOND_KEYS[] = {"status", "delay_ms", NULL};
static const char *const NO_KEYS[] = {NULL};

/* The list as compact JSON text, for whole-entry comparisons. */
static char *dump(jcheck *jc)
{
    return json_dumps(jcheck_problems(jc), JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static json_t *parse(const char *text)
{
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(j);
    return j;
}

/* The idx-th problem's field as text ("" when absent). */
static const char *field(jcheck *jc, size_t idx, const char *name)
{
    json_t *e = json_array_get(jcheck_problems(jc), idx);
    assert_non_null(e);
    json_t *v = json_object_get(e, name);
    return json_is_string(v) ? json_string_value(v) : "";
}

static void assert_loc(jcheck *jc, size_t idx, const char *want)
{
    json_t *e = json_array_get(jcheck_problems(jc), idx);
    char *s = json_dumps(json_object_get(e, "loc"), JSON_COMPACT | JSON_ENCODE_ANY);
    assert_string_equal(s, want);
    free(s);
}

static void test_clean_object(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc body = JLOC_ROOT("body");
    json_t *j = parse("{\"times\": 2, \"respond\": {\"status\": 503}}");
    assert_ptr_equal(jcheck_object(jc, &body, j, FAULT_KEYS), j);
    json_int_t times = 0, status = 0;
    json_t *r = NULL;
    assert_int_equal(jcheck_int(jc, &body, j, "times", 0, 1, 100, &times), JC_OK);
    assert_int_equal(times, 2);
    assert_int_equal(jcheck_member_object(jc, &body, j, "respond", 0, RESPOND_KEYS, &r),
                     JC_OK);
    jloc rl = jloc_key(&body, "respond");
    assert_int_equal(jcheck_int(jc, &rl, r, "status", JC_REQUIRED, 100, 599, &status), JC_OK);
    assert_int_equal(status, 503);
    assert_int_equal(jcheck_member_object(jc, &body, j, "task", 0, NO_KEYS, &r), JC_ABSENT);
    assert_false(jcheck_failed(jc));
    assert_int_equal(jcheck_count(jc), 0);
    assert_int_equal(json_array_size(jcheck_problems(jc)), 0);
    json_decref(j);
    jcheck_free(jc);
    jcheck_free(NULL);
}

static void test_unknown_keys_name_the_allowed(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc body = JLOC_ROOT("body");
    json_t *j = parse("{\"respond\": {\"stauts\": 503}, \"apikey\": \"x\"}");
    jcheck_object(jc, &body, j, FAULT_KEYS);
    json_t *r = NULL;
    /* unknown names inside: JC_BAD, yet the object is handed out */
    assert_int_equal(jcheck_member_object(jc, &body, j, "respond", 0, RESPOND_KEYS, &r),
                     JC_BAD);
    assert_ptr_equal(r, json_object_get(j, "respond"));
    assert_int_equal(jcheck_count(jc), 2);
    char *s = dump(jc);
    assert_string_equal(s,
        "[{\"type\":\"extra_forbidden\",\"loc\":[\"body\",\"apikey\"],"
        "\"msg\":\"Extra inputs are not permitted (allowed keys: match, respond, task, times)\","
        "\"input\":\"x\",\"ctx\":{\"allowed\":[\"match\",\"respond\",\"task\",\"times\"]}},"
        "{\"type\":\"extra_forbidden\",\"loc\":[\"body\",\"respond\",\"stauts\"],"
        "\"msg\":\"Extra inputs are not permitted (allowed keys: status, delay_ms)\","
        "\"input\":503,\"ctx\":{\"allowed\":[\"status\",\"delay_ms\"]}}]");
    free(s);
    json_decref(j);
    /* an object that takes no names at all says so */
    j = parse("{\"a\": 1}");
    jcheck_object(jc, &body, j, NO_KEYS);
    assert_string_equal(field(jc, 2, "msg"),
                        "Extra inputs are not permitted (no keys are allowed)");
    /* allowed NULL: any names */
    assert_ptr_equal(jcheck_object(jc, &body, j, NULL), j);
    assert_int_equal(jcheck_count(jc), 3);
    json_decref(j);
    jcheck_free(jc);
}

static void test_not_an_object(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc body = JLOC_ROOT("body");
    json_t *j = parse("[1, 2]");
    assert_null(jcheck_object(jc, &body, j, FAULT_KEYS));
    assert_string_equal(field(jc, 0, "type"), "dict_type");
    assert_string_equal(field(jc, 0, "msg"), "Input should be a valid dictionary");
    assert_loc(jc, 0, "[\"body\"]");
    json_decref(j);
    j = parse("{\"match\": \"GET\"}");
    json_t *m = NULL;
    assert_int_equal(jcheck_member_object(jc, &body, j, "match", 0, NO_KEYS, &m), JC_BAD);
    assert_null(m);
    assert_loc(jc, 1, "[\"body\",\"match\"]");
    json_decref(j);
    jcheck_free(jc);
}

static void test_int(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc at = JLOC_ROOT("body");
    json_t *j = parse("{\"a\": 99, \"b\": 600, \"c\": \"5\", \"d\": 5.0, \"e\": true,"
                      " \"f\": null, \"g\": -9223372036854775807}");
    json_int_t out = 7;
    assert_int_equal(jcheck_int(jc, &at, j, "a", 0, 100, 599, &out), JC_BAD);
    assert_int_equal(out, 7); /* untouched */
    assert_string_equal(field(jc, 0, "type"), "greater_than_equal");
    assert_string_equal(field(jc, 0, "msg"), "Input should be greater than or equal to 100");
    assert_int_equal(jcheck_int(jc, &at, j, "b", 0, 100, 599, &out), JC_BAD);
    assert_string_equal(field(jc, 1, "type"), "less_than_equal");
    assert_string_equal(field(jc, 1, "msg"), "Input should be less than or equal to 599");
    json_t *ctx = json_object_get(json_array_get(jcheck_problems(jc), 1), "ctx");
    assert_int_equal(json_integer_value(json_object_get(ctx, "le")), 599);
    /* strict: no strings, floats or booleans for an integer */
    assert_int_equal(jcheck_int(jc, &at, j, "c", 0, 0, 10, &out), JC_BAD);
    assert_int_equal(jcheck_int(jc, &at, j, "d", 0, 0, 10, &out), JC_BAD);
    assert_int_equal(jcheck_int(jc, &at, j, "e", 0, 0, 10, &out), JC_BAD);
    for (size_t i = 2; i < 5; i++) {
        assert_string_equal(field(jc, i, "type"), "int_type");
        assert_string_equal(field(jc, i, "msg"), "Input should be a valid integer");
    }
    /* null: a type problem, unless nullable */
    assert_int_equal(jcheck_int(jc, &at, j, "f", 0, 0, 10, &out), JC_BAD);
    assert_string_equal(field(jc, 5, "type"), "int_type");
    assert_int_equal(jcheck_int(jc, &at, j, "f", JC_NULLABLE, 0, 10, &out), JC_NULL);
    assert_int_equal(jcheck_int(jc, &at, j, "g", 0, INT64_MIN, 0, &out), JC_OK);
    assert_true(out == -9223372036854775807LL);
    assert_int_equal(jcheck_count(jc), 6);
    json_decref(j);
    jcheck_free(jc);
}

static void test_required_and_absent(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc at = JLOC_ROOT("body");
    json_t *j = parse("{\"x\": 1}");
    const char *s = "unset";
    bool b = false;
    assert_int_equal(jcheck_string(jc, &at, j, "name", 0, 0, 10, &s), JC_ABSENT);
    assert_string_equal(s, "unset");
    assert_int_equal(jcheck_bool(jc, &at, j, "flag", 0, &b), JC_ABSENT);
    assert_false(jcheck_failed(jc));
    assert_int_equal(jcheck_string(jc, &at, j, "name", JC_REQUIRED, 0, 10, &s), JC_BAD);
    char *d = dump(jc);
    /* pydantic gives the enclosing object as the input of `missing` */
    assert_string_equal(d, "[{\"type\":\"missing\",\"loc\":[\"body\",\"name\"],"
                           "\"msg\":\"Field required\",\"input\":{\"x\":1}}]");
    free(d);
    json_decref(j);
    jcheck_free(jc);
}

static void test_number(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc at = JLOC_ROOT("body");
    json_t *j = parse("{\"a\": 1.5, \"b\": 3, \"c\": -0.5, \"d\": \"1\"}");
    double d = 0;
    assert_int_equal(jcheck_number(jc, &at, j, "a", 0, 0, 10, &d), JC_OK);
    assert_true(d == 1.5);
    assert_int_equal(jcheck_number(jc, &at, j, "b", 0, 0, 10, &d), JC_OK);
    assert_true(d == 3);
    assert_int_equal(jcheck_number(jc, &at, j, "c", 0, 0, 10, &d), JC_BAD);
    assert_string_equal(field(jc, 0, "msg"), "Input should be greater than or equal to 0");
    assert_int_equal(jcheck_number(jc, &at, j, "b", 0, 0, 2.5, &d), JC_BAD);
    assert_string_equal(field(jc, 1, "msg"), "Input should be less than or equal to 2.5");
    assert_int_equal(jcheck_number(jc, &at, j, "d", 0, 0, 10, &d), JC_BAD);
    assert_string_equal(field(jc, 2, "type"), "float_type");
    assert_string_equal(field(jc, 2, "msg"), "Input should be a valid number");
    json_decref(j);
    jcheck_free(jc);
}

static void test_string(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc at = JLOC_ROOT("body");
    json_t *j = parse("{\"a\": \"h\u00e9llo\", \"b\": \"\", \"c\": 5}");
    json_object_set_new(j, "nul", json_stringn("a\0b", 3));
    const char *s = NULL;
    /* characters, not bytes: "héllo" is 5 characters in 6 bytes */
    assert_int_equal(jcheck_string(jc, &at, j, "a", 0, 1, 5, &s), JC_OK);
    assert_string_equal(s, "h\xc3\xa9llo");
    assert_int_equal(jcheck_string(jc, &at, j, "a", 0, 1, 4, &s), JC_BAD);
    assert_string_equal(field(jc, 0, "type"), "string_too_long");
    assert_string_equal(field(jc, 0, "msg"), "String should have at most 4 characters");
    assert_int_equal(jcheck_string(jc, &at, j, "b", 0, 1, 4, &s), JC_BAD);
    assert_string_equal(field(jc, 1, "type"), "string_too_short");
    assert_string_equal(field(jc, 1, "msg"), "String should have at least 1 character");
    assert_int_equal(jcheck_string(jc, &at, j, "c", 0, 0, 4, &s), JC_BAD);
    assert_string_equal(field(jc, 2, "type"), "string_type");
    assert_int_equal(jcheck_string(jc, &at, j, "nul", 0, 0, 10, &s), JC_BAD);
    assert_string_equal(field(jc, 3, "msg"), "Value error, a NUL character is not allowed");
    json_decref(j);
    jcheck_free(jc);
}

static void test_literal(void **state)
{
    (void)state;
    static const char *const methods[] = {"GET", "HEAD", "POST", NULL};
    static const char *const outcomes[] = {"failed", "completed", NULL};
    jcheck *jc = jcheck_new();
    jloc at = JLOC_ROOT("body");
    json_t *j = parse("{\"m\": \"get\", \"o\": \"maybe\", \"n\": 1}");
    const char *out = NULL;
    assert_int_equal(jcheck_literal(jc, &at, j, "m", JC_NOCASE, methods, &out), JC_OK);
    assert_string_equal(out, "GET"); /* the table's spelling */
    assert_int_equal(jcheck_literal(jc, &at, j, "m", 0, methods, &out), JC_BAD);
    assert_string_equal(field(jc, 0, "type"), "literal_error");
    assert_string_equal(field(jc, 0, "msg"), "Input should be 'GET', 'HEAD' or 'POST'");
    json_t *ctx = json_object_get(json_array_get(jcheck_problems(jc), 0), "ctx");
    assert_string_equal(json_string_value(json_object_get(ctx, "expected")),
                        "'GET', 'HEAD' or 'POST'");
    assert_int_equal(jcheck_literal(jc, &at, j, "o", 0, outcomes, &out), JC_BAD);
    assert_string_equal(field(jc, 1, "msg"), "Input should be 'failed' or 'completed'");
    assert_int_equal(jcheck_literal(jc, &at, j, "n", 0, outcomes, &out), JC_BAD);
    assert_string_equal(field(jc, 2, "type"), "literal_error");
    json_decref(j);
    jcheck_free(jc);
}

static void test_bool_array_any(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc at = JLOC_ROOT("body");
    json_t *j = parse("{\"t\": true, \"one\": 1, \"arr\": [1, 2, 3], \"notarr\": {},"
                      " \"body\": null}");
    bool b = false;
    json_t *v = NULL;
    assert_int_equal(jcheck_bool(jc, &at, j, "t", 0, &b), JC_OK);
    assert_true(b);
    assert_int_equal(jcheck_bool(jc, &at, j, "one", 0, &b), JC_BAD);
    assert_string_equal(field(jc, 0, "type"), "bool_type");
    assert_string_equal(field(jc, 0, "msg"), "Input should be a valid boolean");
    assert_int_equal(jcheck_array(jc, &at, j, "arr", 0, 3, &v), JC_OK);
    assert_int_equal(json_array_size(v), 3);
    assert_int_equal(jcheck_array(jc, &at, j, "arr", 0, 2, &v), JC_BAD);
    assert_string_equal(field(jc, 1, "type"), "too_long");
    assert_string_equal(field(jc, 1, "msg"),
                        "List should have at most 2 items after validation, not 3");
    assert_int_equal(jcheck_array(jc, &at, j, "notarr", 0, 2, &v), JC_BAD);
    assert_string_equal(field(jc, 2, "type"), "list_type");
    /* any value, null included, is a value for jcheck_any */
    assert_int_equal(jcheck_any(jc, &at, j, "body", JC_REQUIRED, &v), JC_OK);
    assert_true(json_is_null(v));
    assert_int_equal(jcheck_any(jc, &at, j, "nothing", 0, &v), JC_ABSENT);
    json_decref(j);
    jcheck_free(jc);
}

static void test_nested_locs_and_indexes(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc body = JLOC_ROOT("body");
    json_t *j = parse("{\"steps\": [{\"n\": 1}, {\"n\": \"two\"}]}");
    jloc steps = jloc_key(&body, "steps");
    json_t *arr = json_object_get(j, "steps");
    json_int_t n;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        jloc item = jloc_index(&steps, i);
        jcheck_int(jc, &item, json_array_get(arr, i), "n", JC_REQUIRED, 0, 10, &n);
    }
    assert_int_equal(jcheck_count(jc), 1);
    assert_loc(jc, 0, "[\"body\",\"steps\",1,\"n\"]");
    json_t *loc = jcheck_loc(&steps);
    char *s = json_dumps(loc, JSON_COMPACT);
    assert_string_equal(s, "[\"body\",\"steps\"]");
    free(s);
    json_decref(loc);
    json_decref(j);
    jcheck_free(jc);
}

/* jcheck_items walks an array member with each item's loc; an absent or
 * refused member hands out no item. */
static void test_items(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc body = JLOC_ROOT("body");
    json_t *j = parse("{\"steps\": [{\"n\": 1}, {\"n\": \"two\"}, {\"n\": 3}],"
                      " \"bad\": {}}");
    jcheck_iter it;
    json_int_t n, sum = 0;
    size_t seen = 0;
    assert_int_equal(jcheck_items(jc, &body, j, "steps", 0, 3, &it), JC_OK);
    for (json_t *item; (item = jcheck_item(&it)); seen++) {
        assert_ptr_equal(item, json_array_get(json_object_get(j, "steps"), seen));
        if (jcheck_int(jc, &it.at, item, "n", JC_REQUIRED, 0, 10, &n) == JC_OK)
            sum += n;
    }
    assert_int_equal(seen, 3);
    assert_int_equal(sum, 4);
    assert_int_equal(jcheck_count(jc), 1);
    assert_loc(jc, 0, "[\"body\",\"steps\",1,\"n\"]");
    assert_null(jcheck_item(&it)); /* stays at the end */
    assert_int_equal(jcheck_items(jc, &body, j, "none", 0, 3, &it), JC_ABSENT);
    assert_null(jcheck_item(&it));
    assert_int_equal(jcheck_items(jc, &body, j, "bad", 0, 3, &it), JC_BAD);
    assert_null(jcheck_item(&it));
    assert_loc(jc, 1, "[\"body\",\"bad\"]");
    assert_int_equal(jcheck_items(jc, &body, j, "steps", 0, 2, &it), JC_BAD);
    assert_null(jcheck_item(&it));
    assert_string_equal(field(jc, 2, "type"), "too_long");
    json_decref(j);
    jcheck_free(jc);
}

static void test_collects_every_problem(void **state)
{
    (void)state;
    static const char *const task_keys[] = {"outcome", "processing_ms", NULL};
    static const char *const outcomes[] = {"failed", "completed", NULL};
    jcheck *jc = jcheck_new();
    jloc body = JLOC_ROOT("body");
    json_t *j = parse("{\"times\": 0, \"task\": {\"outcome\": \"maybe\", "
                      "\"processing_ms\": -1, \"oops\": 1}, \"extra\": 2}");
    json_int_t times, pm;
    const char *outcome;
    json_t *t = NULL;
    jcheck_object(jc, &body, j, FAULT_KEYS);
    jcheck_int(jc, &body, j, "times", JC_NULLABLE, 1, 1000, &times);
    jcheck_member_object(jc, &body, j, "task", 0, task_keys, &t);
    jloc tl = jloc_key(&body, "task");
    jcheck_literal(jc, &tl, t, "outcome", 0, outcomes, &outcome);
    jcheck_int(jc, &tl, t, "processing_ms", 0, 0, 3600000, &pm);
    jcheck_add(jc, &body, "value_error", "Value error, give respond or task", NULL, NULL);
    assert_int_equal(jcheck_count(jc), 6);
    const char *types[] = {"extra_forbidden", "greater_than_equal", "extra_forbidden",
                           "literal_error", "greater_than_equal", "value_error"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(field(jc, i, "type"), types[i]);
    assert_loc(jc, 5, "[\"body\"]");
    json_t *e = json_array_get(jcheck_problems(jc), 5);
    assert_true(json_is_null(json_object_get(e, "input")));
    assert_null(json_object_get(e, "ctx"));
    json_decref(j);
    jcheck_free(jc);
}

static void test_load(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc body = JLOC_ROOT("body");
    json_t *j = jcheck_load(jc, &body, "{\"a\": [1, 2]}", 13);
    assert_non_null(j);
    assert_false(jcheck_failed(jc));
    json_decref(j);
    assert_null(jcheck_load(jc, &body, "{\"a\": 1, \"a\": 2}", 16)); /* duplicate */
    assert_null(jcheck_load(jc, &body, "{nope", 5));
    assert_null(jcheck_load(jc, &body, "[\"a\\u0000b\"]", 12));    /* NUL */
    assert_null(jcheck_load(jc, &body, NULL, 0));
    assert_int_equal(jcheck_count(jc), 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(field(jc, i, "type"), "json_invalid");
        assert_string_equal(field(jc, i, "msg"), "JSON decode error");
        json_t *e = json_array_get(jcheck_problems(jc), i);
        json_t *loc = json_object_get(e, "loc");
        assert_string_equal(json_string_value(json_array_get(loc, 0)), "body");
        assert_true(json_is_integer(json_array_get(loc, 1)));
        assert_true(json_is_string(json_object_get(json_object_get(e, "ctx"), "error")));
    }
    json_t *loc = json_object_get(json_array_get(jcheck_problems(jc), 0), "loc");
    assert_int_equal(json_integer_value(json_array_get(loc, 1)), 12); /* at the second "a" */
    /* any value parses; whether it is an object is jcheck_object's question */
    j = jcheck_load(jc, &body, "5", 1);
    assert_true(json_is_integer(j));
    json_decref(j);
    jcheck_free(jc);
}

static void test_cap(void **state)
{
    (void)state;
    jcheck *jc = jcheck_new();
    jloc body = JLOC_ROOT("body");
    json_t *j = json_object();
    char k[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        json_object_set_new(j, k, json_integer(i));
    }
    jcheck_object(jc, &body, j, NO_KEYS);
    assert_int_equal(jcheck_count(jc), 1000);
    assert_int_equal(json_array_size(jcheck_problems(jc)), JCHECK_MAX_PROBLEMS);
    assert_true(jcheck_failed(jc));
    assert_false(jcheck_oom(jc));
    json_decref(j);
    jcheck_free(jc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_object),
        cmocka_unit_test(test_unknown_keys_name_the_allowed),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_required_and_absent),
        cmocka_unit_test(test_number),
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_literal),
        cmocka_unit_test(test_bool_array_any),
        cmocka_unit_test(test_nested_locs_and_indexes),
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_collects_every_problem),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
