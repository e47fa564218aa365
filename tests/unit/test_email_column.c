/* test_email_column.c: which header names an address column, the ranking
 * among several, the failure reason, and the headerless probe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "jobs/email_column.h"

static int rank(const char *s)
{
    return email_column_rank(s, strlen(s));
}

static void test_ranks(void **state)
{
    (void)state;
    const char *plain[] = {"email", "E-mail", "EMAIL", "Email Address", "E-mail Address",
                           "E-Mail Address", "Email_Address", "mail", "Emails", " e-mail ",
                           "Email Addresses", "email_addr"};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        assert_int_equal(rank(plain[i]), 0);
    assert_int_equal(rank("E-mail 1 - Value"), 1);
    assert_int_equal(rank("Email 1"), 1);
    assert_int_equal(rank("Contact Email"), 2);
    assert_int_equal(rank("Primary Email"), 2);
    assert_int_equal(rank("Email (work)"), 2);
    assert_int_equal(rank("E-mail 2 Address"), 3);
    assert_int_equal(rank("E-mail 2 - Value"), 3);
    const char *not[] = {"", "name", "E-mail Display Name", "E-mail Type", "E-mail 1 - Label",
                         "Email Domain", "Mailing Address", "HasOptedOutOfEmail",
                         "EmailBouncedReason", "Email Opt Out", "gmail", "email (work",
                         "email 1 - x", "emailx", "Courriel",
                         "email address address address address address"};
    for (size_t i = 0; i < sizeof not / sizeof *not; i++)
        assert_int_equal(rank(not[i]), -1);
}

#define S(t) {CELL_STRING, t, sizeof t - 1, 0}

static void test_find_picks_best_rank_then_leftmost(void **state)
{
    (void)state;
    email_column ec;
    cell row[] = {S("E-mail 2 Address"), S("Work Email"), S("E-mail 1 - Value"), S("Email")};
    assert_int_equal(email_column_find(row, 4, &ec), UC_OK);
    assert_int_equal(ec.col, 3);
    assert_int_equal(ec.has_header, 1);
    assert_int_equal(email_column_find(row, 3, &ec), UC_OK);
    assert_int_equal(ec.col, 2);
    cell twins[] = {S("name"), S("Email Address"), S("email")};
    assert_int_equal(email_column_find(twins, 3, &ec), UC_OK);
    assert_int_equal(ec.col, 1);
    /* a number cell is never a header */
    cell num[] = {{CELL_NUMBER, "1", 1, 0}, S("a@b.example")};
    assert_int_equal(email_column_find(num, 2, &ec), UC_ENOTFOUND);
}

static void test_headerless_first_cell(void **state)
{
    (void)state;
    email_column ec;
    cell row[] = {S("a@example.com"), S("Ann")};
    assert_int_equal(email_column_find(row, 2, &ec), UC_OK);
    assert_int_equal(ec.col, 0);
    assert_int_equal(ec.has_header, 0);
}

static void test_reason_lists_ten_then_counts(void **state)
{
    (void)state;
    email_column ec;
    cell row[12];
    char names[12][8];
    for (int i = 0; i < 12; i++) {
        snprintf(names[i], sizeof names[i], "c%d", i);
        row[i] = (cell){CELL_STRING, names[i], strlen(names[i]), 0};
    }
    row[1] = (cell){CELL_EMPTY, NULL, 0, 0};
    assert_int_equal(email_column_find(row, 12, &ec), UC_ENOTFOUND);
    assert_string_equal(ec.reason,
                        "No email column found in the headers: \"c0\", \"\", \"c2\", \"c3\", "
                        "\"c4\", \"c5\", \"c6\", \"c7\", \"c8\", \"c9\" and 2 more. Name the "
                        "address column email, e-mail or email address, or put the addresses "
                        "in the first column");
    assert_int_equal(email_column_find(row, 0, &ec), UC_ENOTFOUND);
    assert_string_equal(ec.reason, "No email column found: the first row is empty");
    /* a long name is cut on a UTF-8 boundary */
    char longname[100];
    memset(longname, 'x', 39);
    memcpy(longname + 39, "\xc3\xa9tail", 7);
    cell one[] = {{CELL_STRING, longname, 46, 0}};
    assert_int_equal(email_column_find(one, 1, &ec), UC_ENOTFOUND);
    assert_non_null(strstr(ec.reason, "xxx...\""));
    assert_null(strstr(ec.reason, "\xc3\""));
}

static void test_probe(void **state)
{
    (void)state;
    email_probe p = {0};
    assert_false(email_probe_headerless(&p)); /* nothing seen: no */
    cell a = S("a@example.com"), n = S("Ann");
    email_probe_row(&p, &a);
    assert_true(email_probe_headerless(&p));
    email_probe_row(&p, &n);
    assert_false(email_probe_headerless(&p)); /* half is not most */
    email_probe_row(&p, NULL);
    email_probe_row(&p, &a);
    email_probe_row(&p, &a);
    assert_true(email_probe_headerless(&p)); /* 3 of 5 */
    for (int i = 0; i < 4; i++) {
        assert_false(email_probe_done(&p));
        email_probe_row(&p, &a);
    }
    assert_false(email_probe_done(&p));
    email_probe_row(&p, &a);
    assert_true(email_probe_done(&p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranks),
        cmocka_unit_test(test_find_picks_best_rank_then_leftmost),
        cmocka_unit_test(test_headerless_first_cell),
        cmocka_unit_test(test_reason_lists_ten_then_counts),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
