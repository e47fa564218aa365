/* test_email.c: email_validate_pydantic() and email_validate() give
 * email-validator 2.3.0's verdicts, reason texts and normalized forms, as
 * pydantic v2's EmailStr runs it (the differential test compares tens of
 * thousands more addresses with the library itself). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/torture.h"
#include "verify/classify.h"
#include "verify/email.h"

static bool valid(const char *a)
{
    return email_validate_pydantic(a, strlen(a), NULL, NULL) == EMAIL_VALID;
}

/* a is invalid (under pydantic's wrapper, or the library alone when raw)
 * for exactly the reason why. */
static void expect_reason(const char *a, size_t n, bool raw, const char *why)
{
    char *reason = NULL;
    email_addr e;
    email_verdict v = raw ? email_validate(a, n, &e, &reason)
                          : email_validate_pydantic(a, n, &e, &reason);
    if (v != EMAIL_INVALID)
        fail_msg("expected invalid: %s", a);
    assert_non_null(reason);
    assert_string_equal(reason, why);
    free(reason);
}

static void expect_invalid(const char *a, const char *why)
{
    expect_reason(a, strlen(a), false, why);
}

/* a is valid with these forms (ascii "" for Python's None). */
static void expect_forms(const char *a, bool raw, const char *normalized, const char *ascii,
                         const char *ascii_domain)
{
    email_addr e;
    char *reason = NULL;
    email_verdict v = raw ? email_validate(a, strlen(a), &e, &reason)
                          : email_validate_pydantic(a, strlen(a), &e, &reason);
    if (v != EMAIL_VALID)
        fail_msg("expected valid: %s (%s)", a, reason ? reason : "no reason");
    assert_string_equal(e.normalized, normalized);
    assert_int_equal(e.len, strlen(normalized));
    assert_int_equal(e.normalized[e.at], '@');
    assert_string_equal(e.ascii_email, ascii);
    assert_int_equal(e.ascii_len, strlen(ascii));
    assert_string_equal(e.ascii_domain, ascii_domain);
    assert_int_equal(e.ascii_domain_len, strlen(ascii_domain));
}

static void test_seed_examples(void **state)
{
    (void)state;
    expect_invalid("plaintext", "An email address must have an @-sign.");
    expect_invalid("missing@tld", "The part after the @-sign is not valid. It should have a "
                                  "period.");
    expect_invalid("@nodomain.", "There must be something before the @-sign.");
    assert_true(valid("user@example.com"));
}

/* The two examples of issue 14: where 1.3.0 and 2.3.0 disagree. */
static void test_version_2(void **state)
{
    (void)state;
    expect_invalid("UPPER@EX\xe2\x80\x8b" "AMPLE.COM",
                   "The email address contains unsafe characters: ZERO WIDTH SPACE.");
    char local[80];
    memset(local, 'a', 65);
    strcpy(local + 65, "@example.com");
    assert_true(valid(local));
    expect_invalid("a@b@c.com", "The part after the @-sign contains invalid characters: '@'.");
    expect_invalid("a..b@example.com", "An email address cannot have two periods in a row.");
    expect_invalid("a.@example.com",
                   "An email address cannot have a period immediately before the @-sign.");
    expect_invalid("a@exa_mple.com", "The part after the @-sign contains invalid characters: '_'.");
    expect_invalid("a@ab--c.com", "An email address cannot have two letters followed by two "
                   "dashes immediately after the @-sign or after a period, except Punycode.");
    expect_invalid("a\xef\xbc\xa0" "b.com", "The email address has the \"full-width\" at-sign "
                   "(@) character instead of a regular at-sign.");
}

static void test_normalized_forms(void **state)
{
    (void)state;
    expect_forms("user@example.com", false, "user@example.com", "user@example.com",
                 "example.com");
    /* RFC 2142 names are lower-cased; domains always */
    expect_forms("Info@Example.COM", false, "info@example.com", "info@example.com",
                 "example.com");
    expect_forms("Jane@Example.COM", false, "Jane@example.com", "Jane@example.com",
                 "example.com");
    /* the same through the full path (strip makes it leave the fast path) */
    expect_forms(" Info@Example.COM\t", false, "info@example.com", "info@example.com",
                 "example.com");
    /* Unicode local part: no ASCII form */
    expect_forms("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a",
                 false, "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a",
                 "", "xn--fsqu00a.xn--4rr70v");
    /* a Punycode domain comes back in Unicode */
    expect_forms("a@xn--bcher-kva.de", false, "a@b\xc3\xbc" "cher.de", "a@xn--bcher-kva.de",
                 "xn--bcher-kva.de");
    /* NFC: e + COMBINING ACUTE ACCENT becomes U+00E9 */
    expect_forms("e\xcc\x81@b.com", false, "\xc3\xa9@b.com", "", "b.com");
}

static void test_pydantic_wrapper(void **state)
{
    (void)state;
    expect_forms("John Doe <john@x.com>", false, "john@x.com", "john@x.com", "x.com");
    expect_forms("\"a b\" <c@d.com>", false, "c@d.com", "c@d.com", "d.com");
    expect_forms(" a@b.com ", false, "a@b.com", "a@b.com", "b.com");
    expect_forms("a@b.com\xc2\x85", false, "a@b.com", "a@b.com", "b.com"); /* NEL is space */
    /* the library alone refuses both */
    expect_reason("John Doe <john@x.com>", 21, true, "A display name and angle brackets "
                  "around the email address are not permitted here.");
    expect_reason(" a@b.com ", 9, true, "The email address contains invalid characters "
                  "before the @-sign: SPACE.");
    /* a display name the pattern does not take goes to the library as is */
    expect_invalid("Na.me <a@b.com>",
                   "The display name contains invalid characters when not quoted: '.'.");
    expect_invalid("Name <a@b.com", "An open angle bracket at the start of the email address "
                   "has to be followed by a close angle bracket at the end.");
    /* the 2,048-character cap counts code points, white space included */
    char buf[2100];
    memset(buf, ' ', sizeof buf);
    strcpy(buf + 2048 - 7, "a@b.com");
    assert_true(valid(buf));
    strcpy(buf + 2049 - 7, "a@b.com");
    expect_invalid(buf, "Length must not exceed 2048 characters");
}

static void test_literals_and_quotes(void **state)
{
    (void)state;
    expect_invalid("\"quoted\"@example.com",
                   "Quoting the part before the @-sign is not allowed here.");
    expect_invalid("a@[1.2.3.4]", "A bracketed IP address after the @-sign is not allowed here.");
    expect_invalid("a@[256.1.1.1]", "The address in brackets after the @-sign is not valid: "
                   "It is not an IPv4 address (Octet 256 (> 255) not permitted in "
                   "'256.1.1.1') or is missing an address literal tag.");
    expect_invalid("a@[IPv6:1::2::3]", "The IPv6 address in brackets after the @-sign is not "
                   "valid (At most one '::' permitted in '1::2::3').");
    expect_invalid("a@[x:y]", "The part after the @-sign contains an invalid address literal "
                   "tag in brackets.");
    expect_invalid("user@localhost",
                   "The part after the @-sign is not valid. It should have a period.");
    expect_invalid("user@x.test", "The part after the @-sign is a special-use or reserved name "
                   "that cannot be used with email.");
}

static void test_lengths(void **state)
{
    (void)state;
    char buf[600];
    size_t n = 0;
    for (int i = 0; i < 127; i++) {  /* 127 x U+00E9: 254 octets before the @ */
        buf[n++] = (char)0xC3;
        buf[n++] = (char)0xA9;
    }
    strcpy(buf + n, "@b.com");
    expect_invalid(buf, "The email address is too long (3-6 characters too many).");
    memset(buf, 'a', 200);
    buf[200] = '@';
    memset(buf + 201, 'b', 60);
    strcpy(buf + 261, ".com");
    expect_invalid(buf, "The email address is too long (11 characters too many).");
    memcpy(buf, "a@", 2);
    memset(buf + 2, 'b', 64);
    strcpy(buf + 66, ".com");
    expect_invalid(buf, "After the @-sign, periods cannot be separated by so many characters "
                   "(1 character too many).");
}

static void test_bytes(void **state)
{
    (void)state;
    /* NUL is a character like any other */
    expect_reason("a\0b@example.com", 15, false, "The email address contains invalid "
                  "characters before the @-sign: U+0000.");
    /* undecodable bytes read as Python's surrogateescape: never valid */
    expect_invalid("x@ab.c\xff", "The email address contains unsafe characters: U+DCFF.");
    assert_false(valid("a\xff@example.com"));
    assert_false(valid("a@\xed\xa0\x80.com"));
    expect_invalid("a@xn--abc.com", "The part after the @-sign is not valid IDNA (Codepoint "
                   "U+0082 at position 1 of '\\x82\\x81\\x80' not allowed).");
}

static void *thread_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        char *r = NULL;
        if (email_validate_pydantic("a@exa_mple.com", 14, NULL, &r) != EMAIL_INVALID || !r ||
            strcmp(r, "The part after the @-sign contains invalid characters: '_'.") != 0)
            return (void *)1;
        free(r);
        email_addr e;
        const char *u = "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf";
        if (email_validate_pydantic(u, strlen(u), &e, NULL) != EMAIL_VALID ||
            strcmp(e.normalized, u) != 0)
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

/* Out of memory is no verdict: the single check answers 500, a batch task
 * fails. Only the -Dtorture=true build can make our allocations fail; the
 * counter runs on from the first arming, so each arming names the next. */
static void test_out_of_memory(void **state)
{
    (void)state;
#ifdef UC_TORTURE
    char *r = NULL;
    setenv("UCMOCK_TORTURE", "alloc:1", 1);  /* the slow path's context */
    torture_arm();
    assert_int_equal(email_validate_pydantic(" a@b.com", 8, NULL, &r), EMAIL_NOMEM);
    assert_null(r);
    setenv("UCMOCK_TORTURE", "alloc:2", 1);
    torture_arm();
    verdict v = V_WHITE_UNKNOWN;
    assert_int_equal(classify(NULL, NULL, "Jane <a@b.com>", 14, &v), UC_ENOMEM);
    char big[6000];  /* past the context's own room: a heap block */
    memset(big, 'a', sizeof big);
    setenv("UCMOCK_TORTURE", "alloc:4", 1);  /* 3: the context, 4: the block */
    torture_arm();
    assert_int_equal(email_validate(big, sizeof big, NULL, NULL), EMAIL_NOMEM);
    setenv("UCMOCK_TORTURE", "alloc:6", 1);  /* 5: the context, 6: the reason */
    torture_arm();
    assert_int_equal(email_validate_pydantic("plaintext", 9, NULL, &r), EMAIL_NOMEM);
    assert_null(r);
    /* and nothing is left broken */
    assert_int_equal(email_validate_pydantic("plaintext", 9, NULL, &r), EMAIL_INVALID);
    assert_string_equal(r, "An email address must have an @-sign.");
    free(r);
#else
    skip(); /* only the -Dtorture=true build can fail our allocations */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_examples),
        cmocka_unit_test(test_version_2),
        cmocka_unit_test(test_normalized_forms),
        cmocka_unit_test(test_pydantic_wrapper),
        cmocka_unit_test(test_literals_and_quotes),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_out_of_memory), /* last: it arms the torture build */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
