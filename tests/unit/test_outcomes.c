/* test_outcomes.c: chosen outcomes: what an entry may be, how an address
 * matches (as dedup compares; domains with their subdomains), which entry
 * wins, and that an installed table is a snapshot for its readers. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "verify/classify.h"
#include "verify/outcomes.h"

static void add_ok(outcomes *o, const char *key, bool domain, const char *text, verdict v)
{
    char *why = NULL;
    uc_err e = outcomes_add(o, key, domain, text, v, &why);
    if (e)
        fail_msg("%s: %d %s", text, e, why ? why : "");
}

/* The verdict of address a for account key through the classifier, with o
 * (a reference is taken) before the lists. */
static verdict judged(outcomes *o, const char *key, const char *a)
{
    acct_lists *al = acct_lists_new();
    assert_non_null(al);
    assert_int_equal(acct_lists_use_outcomes(al, outcomes_ref(o), key), UC_OK);
    verdict v;
    assert_int_equal(classify(NULL, al, a, strlen(a), &v), UC_OK);
    acct_lists_free(al);
    return v;
}

static void test_entries_checked(void **state)
{
    (void)state;
    outcomes *o = outcomes_new();
    char *why = NULL;
    assert_int_equal(outcomes_add(o, NULL, false, "plaintext", V_GREY_MASKED, &why),
                     UC_EINVAL);
    assert_non_null(strstr(why, "not a valid address: An email address must have an @-sign."));
    free(why);
    assert_int_equal(outcomes_add(o, NULL, true, "localhost", V_GREY_MASKED, &why), UC_EINVAL);
    assert_non_null(strstr(why, "not a valid domain"));
    free(why);
    assert_int_equal(outcomes_add(o, NULL, false, "a@b.com", V_BLACK_INVALID, &why), UC_EINVAL);
    free(why);
    add_ok(o, NULL, false, "A@B.com", V_GREY_MASKED);
    /* the same address as dedup compares it, in the same scope */
    assert_int_equal(outcomes_add(o, NULL, false, "a@b.COM", V_BLACK_LIST, &why), UC_EEXIST);
    /* another scope, or the domain, is another entry */
    add_ok(o, "k", false, "a@b.com", V_BLACK_LIST);
    add_ok(o, NULL, true, "b.com", V_BLACK_NO_WEBSITE);
    assert_int_equal(outcomes_count(o), 3);
    outcomes_unref(o);
}

static void test_matching(void **state)
{
    (void)state;
    outcomes *o = outcomes_new();
    add_ok(o, NULL, false, "alice@corp.example", V_GREY_MASKED);
    add_ok(o, NULL, true, "corp.example", V_BLACK_NO_WEBSITE);
    add_ok(o, NULL, true, "eu.corp.example", V_GREY_MULTI_ALIAS);
    add_ok(o, NULL, true, "xn--bcher-kva.de", V_BLACK_DISPOSABLE);
    add_ok(o, "k", true, "corp.example", V_WHITE_LIST);
    /* case-insensitive; a display name is unwrapped as for every rule */
    assert_int_equal(judged(o, NULL, "ALICE@Corp.Example"), V_GREY_MASKED);
    assert_int_equal(judged(o, NULL, "Alice <alice@corp.example>"), V_GREY_MASKED);
    /* an exact address beats its domain, a subdomain its parent */
    assert_int_equal(judged(o, NULL, "bob@corp.example"), V_BLACK_NO_WEBSITE);
    assert_int_equal(judged(o, NULL, "bob@x.eu.corp.example"), V_GREY_MULTI_ALIAS);
    assert_int_equal(judged(o, NULL, "bob@x.us.corp.example"), V_BLACK_NO_WEBSITE);
    assert_int_equal(judged(o, NULL, "bob@notcorp.example"), V_WHITE_UNKNOWN);
    /* either spelling of an internationalised domain */
    assert_int_equal(judged(o, NULL, "x@bücher.de"), V_BLACK_DISPOSABLE);
    assert_int_equal(judged(o, NULL, "x@XN--BCHER-KVA.de"), V_BLACK_DISPOSABLE);
    /* the account's own beats a global one, even an exact global one */
    assert_int_equal(judged(o, "k", "alice@corp.example"), V_WHITE_LIST);
    assert_int_equal(judged(o, "other", "alice@corp.example"), V_GREY_MASKED);
    /* syntax first: an invalid address stays invalid */
    assert_int_equal(judged(o, NULL, "a..b@corp.example"), V_BLACK_INVALID);
    /* outcomes come before the built-in rules (a '+' would be suspicious) */
    assert_int_equal(judged(o, NULL, "a+tag@corp.example"), V_BLACK_NO_WEBSITE);
    outcomes_unref(o);
}

static void test_slot_snapshot(void **state)
{
    (void)state;
    outcomes_slot *s = outcomes_slot_new();
    assert_non_null(s);
    outcomes *o = outcomes_new();
    add_ok(o, NULL, true, "corp.example", V_BLACK_NO_WEBSITE);
    outcomes_slot_set(s, o);
    outcomes *taken = outcomes_slot_get(s);  /* a task starts */
    outcomes_slot_set(s, outcomes_new());    /* then the outcomes are replaced */
    assert_int_equal(judged(taken, NULL, "a@corp.example"), V_BLACK_NO_WEBSITE);
    outcomes *now = outcomes_slot_get(s);
    assert_int_equal(judged(now, NULL, "a@corp.example"), V_WHITE_UNKNOWN);
    outcomes_unref(now);
    outcomes_unref(taken);
    outcomes_slot_free(s);
}

static void test_verdict_parse(void **state)
{
    (void)state;
    verdict v;
    for (int i = 0; i < V_COUNT; i++) {
        assert_int_equal(verdict_parse(verdict_category((verdict)i),
                                       verdict_domain_type((verdict)i), &v), 0);
        assert_int_equal(v, i);
    }
    assert_int_equal(verdict_parse("white", "disposable", &v), -1);
    assert_int_equal(verdict_parse("grey", "unknown", &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entries_checked),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_slot_snapshot),
        cmocka_unit_test(test_verdict_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
