/* test_classify.c: every verdict is producible, the precedence holds, the
 * sandbox table fixtures/outcomes.csv is right, user lists extend/replace. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "verify/classify.h"
#include "verify/outcomes.h"

static verdict cl(const domain_lists *dl, const acct_lists *al, const char *a)
{
    verdict v;
    assert_int_equal(classify(dl, al, a, strlen(a), &v), UC_OK);
    return v;
}

static domain_lists *builtin(void)
{
    domain_lists *dl = NULL;
    char err[256];
    assert_int_equal(domain_lists_load(NULL, &dl, err, sizeof err), UC_OK);
    assert_non_null(dl);
    return dl;
}

static void test_strings(void **state)
{
    (void)state;
    static const char *const want[V_COUNT][2] = {
        { "white", "unknown" }, { "black", "invalid" }, { "black", "disposable" },
        { "grey", "multi-alias services" }, { "grey", "masked legitimate" },
        { "black", "masked legitimate" }, { "grey", "suspicious signs" },
        { "black", "suspicious signs" }, { "black", "no website" },
        { "white", "white" }, { "grey", "grey" }, { "black", "black" },
    };
    for (int v = 0; v < V_COUNT; v++) {
        assert_string_equal(verdict_category((verdict)v), want[v][0]);
        assert_string_equal(verdict_domain_type((verdict)v), want[v][1]);
    }
}

/* The global outcomes of fixtures/outcomes.scenario.json, as the server
 * loads them with --scenario, on an empty set of account lists. */
static acct_lists *scenario_lists(void)
{
    json_error_t je;
    json_t *doc = json_load_file("fixtures/outcomes.scenario.json", 0, &je);
    assert_non_null(doc);
    outcomes *o = outcomes_new();
    assert_non_null(o);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "outcomes"), i, e) {
        verdict v;
        json_t *dom = json_object_get(e, "domain");
        assert_int_equal(verdict_parse(json_string_value(json_object_get(e, "category")),
                                       json_string_value(json_object_get(e, "domain_type")),
                                       &v), 0);
        char *why = NULL;
        assert_int_equal(outcomes_add(o, NULL, dom != NULL, json_string_value(
                             dom ? dom : json_object_get(e, "email")), v, &why), UC_OK);
    }
    json_decref(doc);
    acct_lists *al = acct_lists_new();
    assert_non_null(al);
    assert_int_equal(acct_lists_use_outcomes(al, o, "k"), UC_OK);
    return al;
}

/* Each row of fixtures/outcomes.csv (tests run in the source root), the
 * last ones with their scenario's outcomes. */
static void test_outcomes_csv(void **state)
{
    (void)state;
    domain_lists *dl = builtin();
    acct_lists *al = scenario_lists();
    FILE *f = fopen("fixtures/outcomes.csv", "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "email,expected_category,expected_domain_type\n");
    int rows = 0;
    bool seen[V_COUNT] = { false };
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ',');
        assert_non_null(c1);
        char *c2 = strchr(c1 + 1, ',');
        assert_non_null(c2);
        *c1 = *c2 = '\0';
        verdict v;
        assert_int_equal(classify(dl, al, line, strlen(line), &v), UC_OK);
        if (strcmp(verdict_category(v), c1 + 1) != 0 ||
            strcmp(verdict_domain_type(v), c2 + 1) != 0)
            fail_msg("%s: got %s/%s, want %s/%s", line, verdict_category(v),
                     verdict_domain_type(v), c1 + 1, c2 + 1);
        seen[v] = true;
        rows++;
    }
    fclose(f);
    assert_true(rows >= V_COUNT);
    for (int v = 0; v < V_COUNT; v++)
        if (!seen[v])
            fail_msg("outcomes.csv has no row for %s/%s", verdict_category((verdict)v),
                     verdict_domain_type((verdict)v));
    acct_lists_free(al);
    domain_lists_free(dl);
}

static void test_builtin_lists(void **state)
{
    (void)state;
    domain_lists *dl = builtin();
    assert_int_equal(cl(dl, NULL, "test@disposable.com"), V_BLACK_DISPOSABLE);
    assert_int_equal(cl(dl, NULL, "Someone@Mailinator.COM"), V_BLACK_DISPOSABLE);
    assert_int_equal(cl(dl, NULL, "x@guerrillamail.com"), V_BLACK_DISPOSABLE);
    assert_int_equal(cl(dl, NULL, "x@10minutemail.com"), V_BLACK_DISPOSABLE);
    /* subdomains match, look-alikes do not */
    assert_int_equal(cl(dl, NULL, "x@mx.mailinator.com"), V_BLACK_DISPOSABLE);
    assert_int_equal(cl(dl, NULL, "x@notmailinator.com"), V_WHITE_UNKNOWN);
    assert_int_equal(cl(dl, NULL, "x@mailinator.com.au"), V_WHITE_UNKNOWN);
    assert_int_equal(cl(dl, NULL, "test@multi-alias.com"), V_GREY_MULTI_ALIAS);
    assert_int_equal(cl(dl, NULL, "abc@duck.com"), V_GREY_MULTI_ALIAS);
    assert_int_equal(cl(dl, NULL, "abc@addy.io"), V_GREY_MULTI_ALIAS);
    assert_int_equal(cl(dl, NULL, "abc@simplelogin.com"), V_GREY_MULTI_ALIAS);
    assert_int_equal(cl(dl, NULL, "abc@privaterelay.appleid.com"), V_GREY_MASKED);
    assert_int_equal(cl(dl, NULL, "test@masked-legit.com"), V_GREY_MASKED);
    assert_int_equal(cl(dl, NULL, "test@masked-black.com"), V_BLACK_MASKED);
    assert_int_equal(cl(dl, NULL, "test@no-website.com"), V_BLACK_NO_WEBSITE);
    assert_int_equal(cl(dl, NULL, "test@gmail.com"), V_WHITE_UNKNOWN);
    assert_int_equal(cl(dl, NULL, "test@outlook.com"), V_WHITE_UNKNOWN);
    assert_int_equal(cl(dl, NULL, "test@yahoo.com"), V_WHITE_UNKNOWN);
    /* invalid syntax first, whatever the lists say */
    assert_int_equal(cl(dl, NULL, "plaintext"), V_BLACK_INVALID);
    assert_int_equal(cl(dl, NULL, "missing@tld"), V_BLACK_INVALID);
    assert_int_equal(cl(dl, NULL, "@nodomain."), V_BLACK_INVALID);
    assert_int_equal(cl(dl, NULL, "a..b@mailinator.com"), V_BLACK_INVALID);
    assert_int_equal(cl(dl, NULL, "x@mailinator.test"), V_BLACK_INVALID);
    domain_lists_free(dl);
}

static void test_suspicious(void **state)
{
    (void)state;
    domain_lists *dl = builtin();
    assert_int_equal(cl(dl, NULL, "a+b@example.com"), V_GREY_SUSPICIOUS);
    assert_int_equal(cl(dl, NULL, "john+news@gmail.com"), V_GREY_SUSPICIOUS);
    assert_int_equal(cl(dl, NULL, "a.b.c@example.com"), V_WHITE_UNKNOWN);     /* 3 dots */
    assert_int_equal(cl(dl, NULL, "a.b.c.d@example.com"), V_GREY_SUSPICIOUS); /* 4 dots */
    assert_int_equal(cl(dl, NULL, "a@b.c.d.example.com"), V_GREY_SUSPICIOUS);
    assert_int_equal(cl(dl, NULL, "a+b@c.d.e.example.com"), V_BLACK_SUSPICIOUS);
    assert_int_equal(cl(dl, NULL, "t.e.s.t+tag@example.com"), V_BLACK_SUSPICIOUS);
    /* a '+' in the domain is not possible; a list verdict beats the signs */
    assert_int_equal(cl(dl, NULL, "a+b@mailinator.com"), V_BLACK_DISPOSABLE);
    assert_int_equal(cl(dl, NULL, "a+b@duck.com"), V_GREY_MULTI_ALIAS);
    domain_lists_free(dl);
}

static void test_account_lists(void **state)
{
    (void)state;
    domain_lists *dl = builtin();
    acct_lists *al = acct_lists_new();
    assert_non_null(al);
    const char *white = "# white list\nBoss@Example.com\nmailinator.com  # we trust it\n";
    const char *grey = "\n  review.org \nshared@multi.example.net\n";
    const char *black = "spam.example\nboss@example.com\n*.evil.com\n";
    assert_int_equal(acct_lists_add(al, LIST_WHITE, white, strlen(white)), UC_OK);
    assert_int_equal(acct_lists_add(al, LIST_GREY, grey, strlen(grey)), UC_OK);
    assert_int_equal(acct_lists_add(al, LIST_BLACK, black, strlen(black)), UC_OK);
    assert_int_equal(acct_lists_add(al, LIST_GREY, "a b\n", 4), UC_EINVAL);

    /* the account's lists beat the domain lists and the signs */
    assert_int_equal(cl(dl, al, "x@mailinator.com"), V_WHITE_LIST);
    assert_int_equal(cl(dl, al, "x+y@sub.mailinator.com"), V_WHITE_LIST);
    assert_int_equal(cl(dl, al, "someone@review.org"), V_GREY_LIST);
    assert_int_equal(cl(dl, al, "a@x.review.org"), V_GREY_LIST);
    assert_int_equal(cl(dl, al, "SHARED@multi.example.net"), V_GREY_LIST);
    assert_int_equal(cl(dl, al, "other@multi.example.net"), V_WHITE_UNKNOWN);
    assert_int_equal(cl(dl, al, "x@a.evil.com"), V_BLACK_LIST);
    assert_int_equal(cl(dl, al, "x@evil.com"), V_BLACK_LIST);
    /* on white and black lists at once: black wins */
    assert_int_equal(cl(dl, al, "boss@example.com"), V_BLACK_LIST);
    assert_int_equal(cl(dl, al, "other@example.com"), V_WHITE_UNKNOWN);
    /* but never over invalid syntax */
    assert_int_equal(cl(dl, al, "x@spam.example"), V_BLACK_LIST);
    assert_int_equal(cl(dl, al, "x@@spam.example"), V_BLACK_INVALID);
    /* grey and white: grey */
    assert_int_equal(acct_lists_add(al, LIST_WHITE, "review.org", 10), UC_OK);
    assert_int_equal(cl(dl, al, "someone@review.org"), V_GREY_LIST);
    /* the sandbox domains are on every account's lists */
    assert_int_equal(cl(dl, NULL, "t@account-white.com"), V_WHITE_LIST);
    assert_int_equal(cl(dl, al, "t@account-grey.com"), V_GREY_LIST);
    assert_int_equal(cl(dl, al, "t@account-black.com"), V_BLACK_LIST);
    acct_lists_free(al);
    acct_lists_free(NULL);
    domain_lists_free(dl);
    domain_lists_free(NULL);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

static void test_user_dir(void **state)
{
    (void)state;
    char dir[] = "/tmp/ucmock-lists-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char err[512];
    domain_lists *dl = NULL;

    /* extend: built-in entries stay, new ones are added */
    write_file(dir, "disposable.txt", "# mine\nBurner.Example   # trailing comment\n");
    write_file(dir, "masking.txt", "!relay.example\n");
    assert_int_equal(domain_lists_load(dir, &dl, err, sizeof err), UC_OK);
    assert_int_equal(cl(dl, NULL, "x@burner.example"), V_BLACK_DISPOSABLE);
    assert_int_equal(cl(dl, NULL, "x@a.burner.example"), V_BLACK_DISPOSABLE);
    assert_int_equal(cl(dl, NULL, "x@mailinator.com"), V_BLACK_DISPOSABLE);
    assert_int_equal(cl(dl, NULL, "x@relay.example"), V_BLACK_MASKED);
    assert_int_equal(cl(dl, NULL, "x@masked-legit.com"), V_GREY_MASKED);
    domain_lists_free(dl);

    /* replace: the built-in list is gone, the .txt still extends */
    write_file(dir, "disposable.replace", "only.example\n");
    write_file(dir, "masking.replace", "");
    assert_int_equal(domain_lists_load(dir, &dl, err, sizeof err), UC_OK);
    assert_int_equal(cl(dl, NULL, "x@only.example"), V_BLACK_DISPOSABLE);
    assert_int_equal(cl(dl, NULL, "x@burner.example"), V_BLACK_DISPOSABLE);
    assert_int_equal(cl(dl, NULL, "x@mailinator.com"), V_WHITE_UNKNOWN);
    assert_int_equal(cl(dl, NULL, "x@disposable.com"), V_WHITE_UNKNOWN);
    assert_int_equal(cl(dl, NULL, "x@masked-legit.com"), V_WHITE_UNKNOWN);
    assert_int_equal(cl(dl, NULL, "x@masked-black.com"), V_WHITE_UNKNOWN);
    assert_int_equal(cl(dl, NULL, "x@relay.example"), V_BLACK_MASKED);
    /* lists not named in the directory are untouched */
    assert_int_equal(cl(dl, NULL, "x@duck.com"), V_GREY_MULTI_ALIAS);
    domain_lists_free(dl);

    /* well_known shields a domain from the other lists */
    write_file(dir, "well_known.txt", "only.example\n");
    assert_int_equal(domain_lists_load(dir, &dl, err, sizeof err), UC_OK);
    assert_int_equal(cl(dl, NULL, "x@only.example"), V_WHITE_UNKNOWN);
    assert_int_equal(cl(dl, NULL, "x+y@only.example"), V_GREY_SUSPICIOUS);
    domain_lists_free(dl);

    /* errors: a bad entry names the file and line; a missing directory */
    write_file(dir, "no_website.txt", "ok.example\nuser@bad.example\n");
    dl = (domain_lists *)1;
    assert_int_equal(domain_lists_load(dir, &dl, err, sizeof err), UC_EFORMAT);
    assert_null(dl);
    assert_non_null(strstr(err, "no_website.txt:2"));
    remove_file(dir, "no_website.txt");
    write_file(dir, "multi_alias.txt", "!x.example\n");
    assert_int_equal(domain_lists_load(dir, &dl, err, sizeof err), UC_EFORMAT);

    remove_file(dir, "multi_alias.txt");
    remove_file(dir, "disposable.txt");
    remove_file(dir, "disposable.replace");
    remove_file(dir, "masking.txt");
    remove_file(dir, "masking.replace");
    remove_file(dir, "well_known.txt");
    assert_int_equal(rmdir(dir), 0);
    assert_int_not_equal(domain_lists_load(dir, &dl, err, sizeof err), UC_OK);
    assert_null(dl);
}

typedef struct bad_lines {
    size_t n;
    size_t line[8];
    char why[8][200];
} bad_lines;

static void note_bad(void *ud, size_t line, const char *l, size_t n, const char *why)
{
    bad_lines *b = ud;
    (void)l;
    (void)n;
    if (b->n < 8) {
        b->line[b->n] = line;
        snprintf(b->why[b->n], sizeof b->why[0], "%s", why);
    }
    b->n++;
}

static void test_list_check(void **state)
{
    (void)state;
    static const char good[] = "# customers\nexample.org\nvip@example.net\r\nxyz\n"
                               "  *.sub.example.com  # spaced\n\n.example.io\n@example.de\n"
                               "b\xc3\xbc" "cher.de\n";
    bad_lines b = {0};
    assert_int_equal(acct_lists_check(good, strlen(good), note_bad, &b), 0);
    assert_int_equal(b.n, 0);
    static const char bad[] = "ok.example\nbad_label.com\nmissing@tld\na b.com\n!masked.com\n"
                              "fine@example.com\nx@@y.com\n";
    assert_int_equal(acct_lists_check(bad, strlen(bad), note_bad, &b), 5);
    assert_int_equal(b.line[0], 2);
    assert_true(!strncmp(b.why[0], "not a valid domain: ", 20));
    assert_int_equal(b.line[1], 3);
    assert_true(!strncmp(b.why[1], "not a valid address: ", 21));
    assert_int_equal(b.line[2], 4);
    assert_string_equal(b.why[2], "white space inside the entry");
    assert_int_equal(b.line[3], 5);
    assert_string_equal(b.why[3], "'!' entries are for the built-in masking list only");
    assert_int_equal(b.line[4], 7);
    /* a TLD is a domain; a reserved one can never be an address's */
    memset(&b, 0, sizeof b);
    static const char tlds[] = "com\nlocalhost\n-x-\n";
    assert_int_equal(acct_lists_check(tlds, strlen(tlds), note_bad, &b), 2);
    assert_int_equal(b.line[0], 2);
    assert_int_equal(b.line[1], 3);
    /* a NUL and an over-long entry */
    memset(&b, 0, sizeof b);
    char nul[] = "a\0b.com\n";
    assert_int_equal(acct_lists_check(nul, sizeof nul - 1, note_bad, &b), 1);
    assert_string_equal(b.why[0], "holds a NUL byte");
    char lng[400];
    memset(lng, 'a', sizeof lng);
    memset(&b, 0, sizeof b);
    assert_int_equal(acct_lists_check(lng, sizeof lng, note_bad, &b), 1);
    assert_string_equal(b.why[0], "longer than 320 bytes");
    /* what passes the check is read by acct_lists_add as it was checked */
    acct_lists *al = acct_lists_new();
    assert_int_equal(acct_lists_add(al, LIST_WHITE, good, strlen(good)), UC_OK);
    assert_int_equal(acct_lists_entries(al), 7);
    acct_lists_free(al);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_check),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_outcomes_csv),
        cmocka_unit_test(test_builtin_lists),
        cmocka_unit_test(test_suspicious),
        cmocka_unit_test(test_account_lists),
        cmocka_unit_test(test_user_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
