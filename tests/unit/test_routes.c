/* test_routes.c: the route table: exact paths and {param} paths, 405
 * against 404, the account-lists rewrite, params too long or holding a
 * '/'. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "http/control.h"
#include "http/routes.h"
#include "http/v1.h"

#define V1 "/v1/external-api-requests/"

static const route *m(const char *method, const char *url, char *param, int *known)
{
    return routes_match(method, url, param, 128, known);
}

static void test_exact_and_param_paths(void **state)
{
    (void)state;
    char p[128];
    int known;
    const route *r = m("POST", V1 "batch-check-emails", p, &known);
    assert_non_null(r);
    assert_ptr_equal(r->fn, v1_batch_submit);
    assert_int_equal(r->body, BODY_UPLOAD);
    assert_int_equal(r->journal, 1);
    r = m("GET", V1 "batch-check-status/abc", p, &known);
    assert_ptr_equal(r->fn, v1_batch_status);
    assert_string_equal(p, "abc");
    r = m("POST", "/__mock/faults", p, &known);
    assert_ptr_equal(r->fn, control_faults_post);
    assert_int_equal(r->body, BODY_SMALL);
    assert_int_equal(r->journal, 0);
    /* a param path without its param, and an exact path with more */
    assert_null(m("GET", V1 "batch-check-status/", p, &known));
    assert_int_equal(known, 0);
    assert_null(m("GET", "/__mock/clock/1", p, &known));
    assert_int_equal(known, 0);
    /* a collection and its members are two routes */
    r = m("DELETE", "/__mock/faults", p, &known);
    assert_ptr_equal(r->fn, control_faults_delete);
    r = m("DELETE", "/__mock/faults/7", p, &known);
    assert_ptr_equal(r->fn, control_fault_delete);
    assert_string_equal(p, "7");
    r = m("PUT", "/__mock/accounts/k", p, &known);
    assert_ptr_equal(r->fn, control_account_put);
    r = m("GET", "/__mock/accounts", p, &known);
    assert_ptr_equal(r->fn, control_accounts_list);
    r = m("GET", "/__mock", p, &known);
    assert_ptr_equal(r->fn, control_index);
}

static void test_method_not_allowed_vs_not_found(void **state)
{
    (void)state;
    char p[128];
    int known = -1;
    assert_null(m("PUT", "/__mock/faults", p, &known));
    assert_int_equal(known, 1);
    known = -1;
    assert_null(m("GET", "/nowhere", p, &known));
    assert_int_equal(known, 0);
    const route *r = m("HEAD", "/downloads/x", p, &known);
    assert_non_null(r);
    assert_string_equal(r->method, "HEAD");
}

static void test_account_lists_rewrite(void **state)
{
    (void)state;
    char p[128];
    int known;
    const route *r = m("PUT", "/__mock/accounts/key-1/lists/black", p, &known);
    assert_non_null(r);
    assert_ptr_equal(r->fn, control_list_put);
    assert_string_equal(p, "key-1/black");
    r = m("GET", "/__mock/accounts/key-1", p, &known);
    assert_ptr_equal(r->fn, control_account_get);
    assert_string_equal(p, "key-1");
    /* the internal name is not reachable from outside */
    assert_null(m("GET", "/__mock/lists/key-1/black", p, &known));
    assert_int_equal(known, 0);
    /* only the lists param may hold a '/' */
    assert_null(m("GET", V1 "batch-check-status/a/b", p, &known));
    assert_int_equal(known, 0);
}

static void test_long_param_is_cut(void **state)
{
    (void)state;
    char url[400], p[128];
    memset(url, 0, sizeof url);
    strcpy(url, V1 "batch-check-status/");
    memset(url + strlen(url), 'a', 300);
    int known;
    const route *r = m("GET", url, p, &known);
    assert_non_null(r); /* matched, and an id found nowhere */
    assert_int_equal(strlen(p), 127);
}

typedef struct seen {
    int control, documented;
} seen;

/* What the index (GET /__mock) and the strict query rule rest on. */
static void check_route(void *ud, const route *r)
{
    seen *s = ud;
    int mock = !strncmp(r->path, "/__mock", 7);
    if (r->journal) { /* the real API: FastAPI ignores unknown query names */
        assert_null(r->query);
        assert_null(r->doc);
        return;
    }
    assert_non_null(r->doc); /* every one of the mock's own routes is in the index */
    assert_true(strlen(r->doc) > 10 && !strchr(r->doc, '\n'));
    s->documented++;
    if (mock) { /* every control route says which query names it takes */
        assert_non_null(r->query);
        s->control++;
    }
    if (r->has_param) { /* a public template with a {name} where the param goes */
        assert_non_null(r->tmpl);
        assert_non_null(strchr(r->tmpl, '{'));
    } else {
        assert_null(r->tmpl);
    }
}

static void test_every_route_is_described(void **state)
{
    (void)state;
    seen s = {0, 0};
    routes_each(check_route, &s);
    assert_true(s.control >= 20);
    assert_int_equal(s.documented, s.control + 3); /* /healthz, /openapi.json, / */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_and_param_paths),
        cmocka_unit_test(test_method_not_allowed_vs_not_found),
        cmocka_unit_test(test_account_lists_rewrite),
        cmocka_unit_test(test_long_param_is_cut),
        cmocka_unit_test(test_every_route_is_described),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
