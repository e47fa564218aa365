/* test_email.c: email_valid() gives email_validator 1.3.0's verdicts and
 * reason texts (the differential test covers thousands more addresses). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "verify/email.h"

static bool valid(const char *a)
{
    return email_valid(a, strlen(a), NULL);
}

static void expect_invalid(const char *a, const char *why)
{
    const char *reason = NULL;
    bool ok = email_valid(a, strlen(a), &reason);
    if (ok)
        fail_msg("expected invalid: %s", a);
    assert_non_null(reason);
    assert_string_equal(reason, why);
}

static void test_seed_examples(void **state)
{
    (void)state;
    expect_invalid("plaintext",
                   "The email address is not valid. It must have exactly one @-sign.");
    expect_invalid("missing@tld",
                   "The domain name tld is not valid. It should have a period.");
    expect_invalid("@nodomain.", "There must be something before the @-sign.");
    assert_true(valid("user@example.com"));
}

static void test_at_sign(void **state)
{
    (void)state;
    const char *one = "The email address is not valid. It must have exactly one @-sign.";
    expect_invalid("", one);
    expect_invalid("a@b@c.com", one);
    expect_invalid("a@@b.com", one);
    expect_invalid("\"a@b\"@example.com", one);
    expect_invalid("a@", "There must be something after the @-sign.");
    expect_invalid("@b.com", "There must be something before the @-sign.");
}

static void test_local_part(void **state)
{
    (void)state;
    assert_true(valid("a!#$%&'*+/=?^_`{|}~-b@example.com"));
    assert_true(valid("first.last@example.com"));
    expect_invalid("a..b@example.com",
                   "The email address contains invalid characters before the @-sign: FULL STOP.");
    expect_invalid(".a@example.com",
                   "The email address contains invalid characters before the @-sign: FULL STOP.");
    expect_invalid("a.@example.com",
                   "The email address contains invalid characters before the @-sign: FULL STOP.");
    expect_invalid("a b,c@example.com",
                   "The email address contains invalid characters before the @-sign: COMMA, SPACE.");
    /* quoted local parts are rejected by 1.3.0 */
    expect_invalid("\"quoted\"@example.com",
                   "The email address contains invalid characters before the @-sign: QUOTATION MARK.");
    expect_invalid("a\tb@example.com",
                   "The email address contains invalid characters before the @-sign: '\\t'.");
    expect_invalid("a(b)@example.com",
                   "The email address contains invalid characters before the @-sign: "
                   "LEFT PARENTHESIS, RIGHT PARENTHESIS.");
}

static void test_lengths(void **state)
{
    (void)state;
    char buf[600];
    /* local part: 64 characters allowed, 65 not */
    memset(buf, 'a', 64);
    strcpy(buf + 64, "@example.com");
    assert_true(valid(buf));
    memset(buf, 'a', 66);
    strcpy(buf + 66, "@example.com");
    expect_invalid(buf, "The email address is too long before the @-sign (2 characters too many).");
    memset(buf, 'a', 65);
    strcpy(buf + 65, "@example.com");
    expect_invalid(buf, "The email address is too long before the @-sign (1 character too many).");
    /* labels: 63 octets allowed, 64 not */
    strcpy(buf, "a@");
    memset(buf + 2, 'b', 63);
    strcpy(buf + 65, ".com");
    assert_true(valid(buf));
    memset(buf + 2, 'b', 64);
    strcpy(buf + 66, ".com");
    expect_invalid(buf, "The domain name bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.com"
                        " contains invalid characters (Label too long).");
    /* whole address: 254 allowed, 255 not (64 + 1 + 63.63.59.com) */
    size_t n = 0;
    memset(buf, 'l', 64);
    n = 64;
    buf[n++] = '@';
    for (int i = 0; i < 3; i++) {
        memset(buf + n, 'd', 61);
        n += 61;
        buf[n++] = '.';
    }
    memcpy(buf + n, "abc", 3);
    n += 3;
    buf[n] = '\0';
    assert_int_equal(n, 254);
    assert_true(valid(buf));
    buf[n++] = 'd';
    buf[n] = '\0';
    expect_invalid(buf, "The email address is too long (1 character too many).");
    /* domain over 253 octets */
    strcpy(buf, "a@");
    n = 2;
    for (int i = 0; i < 5; i++) {
        memset(buf + n, 'd', 50);
        n += 50;
        buf[n++] = '.';
    }
    strcpy(buf + n, "com");
    expect_invalid(buf, "The email address is too long after the @-sign.");
}

static void test_domain(void **state)
{
    (void)state;
    assert_true(valid("a@sub.example.co.uk"));
    assert_true(valid("a@EXAMPLE.COM"));
    assert_true(valid("a@123.com"));
    expect_invalid("a@example.com.", "An email address cannot end with a period.");
    expect_invalid("a@.example.com",
                   "An email address cannot have a period immediately after the @-sign.");
    expect_invalid("a@example..com", "An email address cannot have two periods in a row.");
    expect_invalid("a@-example.com", "The domain name -example.com contains invalid characters "
                                     "(Label must not start or end with a hyphen).");
    expect_invalid("a@ab--cd.com", "The domain name ab--cd.com contains invalid characters "
                                   "(Label has disallowed hyphens in 3rd and 4th position).");
    expect_invalid("a@exa_mple.com", "The domain name exa_mple.com contains invalid characters "
                                     "(Codepoint U+005F at position 4 of 'exa_mple' not allowed).");
    expect_invalid("a@1.2.3.4", "The domain name 1.2.3.4 is not valid. It is not within a valid "
                                "top-level domain.");
    expect_invalid("a@[1.2.3.4]", "The domain name [1.2.3.4] contains invalid characters "
                                  "(Codepoint U+005B at position 1 of '[1' not allowed).");
    expect_invalid("a@[IPv6:::1]", "The domain name [ipv6:::1] contains invalid characters "
                                   "(Codepoint U+005B at position 1 of '[ipv6:::1]' not allowed).");
}

static void test_special_use(void **state)
{
    (void)state;
    static const char *const names[] = {
        "x.test", "x.local", "localhost.localdomain.local", "x.invalid",
        "abc.onion", "1.in-addr.arpa", "x.y.test",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char a[128], why[256];
        snprintf(a, sizeof a, "a@%s", names[i]);
        snprintf(why, sizeof why, "The domain name %s is a special-use or reserved "
                                  "name that cannot be used with email.", names[i]);
        expect_invalid(a, why);
    }
    expect_invalid("a@localhost", "The domain name localhost is not valid. It should have a period.");
    assert_true(valid("a@testing.com"));
    assert_true(valid("a@test.com"));
    assert_true(valid("a@local.example"));
    assert_true(valid("a@example.com"));
}

static void test_international(void **state)
{
    (void)state;
    assert_true(valid("用户@例子.广告"));
    assert_true(valid("δοκιμή@παράδειγμα.δοκιμή"));
    assert_true(valid("user@bücher.de"));
    assert_true(valid("user@xn--bcher-kva.de"));
    assert_true(valid("user@BÜCHER.de"));
    assert_true(valid("a@ｅｘａｍｐｌｅ．ｃｏｍ"));         /* UTS 46 mapping */
    assert_true(valid("a@example。com"));              /* ideographic stop */
    assert_true(valid("a@ex\xc2\xadmple.com"));        /* soft hyphen ignored */
    assert_true(valid("ß@straße.de"));
    expect_invalid("\xcc\x81" "a@example.com",
                   "The email address contains an initial invalid character "
                   "(COMBINING ACUTE ACCENT).");
    expect_invalid("a\xe2\x80\x8b" "b@example.com",
                   "The email address contains an invalid character (ZERO WIDTH SPACE).");
    expect_invalid("a\xc2\x85" "b@example.com",
                   "The email address contains an invalid character ('\\x85').");
    expect_invalid("a\xee\x80\x80@example.com",
                   "The email address contains an invalid character ('\\ue000').");
    expect_invalid("a@xn--abc-.com", "The domain name xn--abc-.com contains invalid characters "
                                     "(A-label must not end with a hyphen).");
    expect_invalid("a@a\xe2\x80\x8d.com", "The domain name a\xe2\x80\x8d.com contains invalid "
                   "characters (Joiner U+200D not allowed at position 2 in 'a\\u200d').");
    expect_invalid("a@a\xe2\x92\x88.com", "The domain name a\xe2\x92\x88.com contains invalid "
                   "characters (Codepoint U+2488 not allowed at position 2 in 'a\xe2\x92\x88.com').");
    /* undecodable bytes are invalid characters, never valid */
    assert_false(valid("a\xff@example.com"));
    assert_false(valid("a@exa\xc3mple.com"));
    assert_false(valid("a@\xed\xa0\x80.com"));
    /* NUL is a character like any other */
    assert_false(email_valid("a\0b@example.com", 15, NULL));
}

static void test_length_limits_utf8(void **state)
{
    (void)state;
    /* 62 x U+00E9 (2 octets each) + @ + 63.63.5.com: < 254 characters but
     * more than 254 octets */
    char buf[600];
    size_t n = 0;
    for (int i = 0; i < 62; i++) {
        buf[n++] = (char)0xC3;
        buf[n++] = (char)0xA9;
    }
    buf[n++] = '@';
    for (int i = 0; i < 2; i++) {
        memset(buf + n, 'd', 63);
        n += 63;
        buf[n++] = '.';
    }
    strcpy(buf + n, "ddddd.com");
    expect_invalid(buf, "The email address is too long (when encoded in bytes).");
}

static void *thread_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        const char *r = NULL;
        if (email_valid("a@exa_mple.com", 14, &r) || !r ||
            strcmp(r, "The domain name exa_mple.com contains invalid characters "
                      "(Codepoint U+005F at position 4 of 'exa_mple' not allowed).") != 0)
            return (void *)1;
        if (!email_valid("用户@例子.广告", strlen("用户@例子.广告"), NULL))
            return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        assert_null(rv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_examples),
        cmocka_unit_test(test_at_sign),
        cmocka_unit_test(test_local_part),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_domain),
        cmocka_unit_test(test_special_use),
        cmocka_unit_test(test_international),
        cmocka_unit_test(test_length_limits_utf8),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
