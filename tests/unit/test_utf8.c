/* test_utf8.c: the one UTF-8 decoder and the scan built on it: what is
 * well-formed (RFC 3629 table 3-7) and what is not, at every length. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/utf8.h"

static size_t dec(const char *s, size_t n, uint32_t *cp)
{
    return utf8_decode((const unsigned char *)s, n, cp);
}

static void test_decode_well_formed(void **state)
{
    (void)state;
    static const struct { const char *s; size_t len; uint32_t cp; } ok[] = {
        {"\x00", 1, 0x00},           {"A", 1, 0x41},
        {"\x7F", 1, 0x7F},           {"\xC2\x80", 2, 0x80},
        {"\xC3\xA9", 2, 0xE9},       {"\xDF\xBF", 2, 0x7FF},
        {"\xE0\xA0\x80", 3, 0x800},  {"\xE2\x82\xAC", 3, 0x20AC},
        {"\xED\x9F\xBF", 3, 0xD7FF}, {"\xEE\x80\x80", 3, 0xE000},
        {"\xEF\xBF\xBF", 3, 0xFFFF}, {"\xF0\x90\x80\x80", 4, 0x10000},
        {"\xF0\x9F\x98\x80", 4, 0x1F600}, {"\xF4\x8F\xBF\xBF", 4, 0x10FFFF},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint32_t cp = 0xFFFFFFFF;
        assert_int_equal(dec(ok[i].s, ok[i].len, &cp), ok[i].len);
        assert_int_equal(cp, ok[i].cp);
        /* more bytes after it change nothing */
        char longer[8] = {0};
        memcpy(longer, ok[i].s, ok[i].len);
        longer[ok[i].len] = 'z';
        assert_int_equal(dec(longer, ok[i].len + 1, &cp), ok[i].len);
        assert_int_equal(cp, ok[i].cp);
    }
}

static void test_decode_ill_formed(void **state)
{
    (void)state;
    static const struct { const char *s; size_t n; } bad[] = {
        {"\x80", 1},                 /* stray continuation */
        {"\xBF", 1},
        {"\xC0\x80", 2},             /* overlong NUL */
        {"\xC1\xBF", 2},             /* overlong */
        {"\xE0\x9F\xBF", 3},         /* overlong 3-byte */
        {"\xED\xA0\x80", 3},         /* surrogate D800 */
        {"\xED\xBF\xBF", 3},         /* surrogate DFFF */
        {"\xF0\x8F\xBF\xBF", 4},     /* overlong 4-byte */
        {"\xF4\x90\x80\x80", 4},     /* past U+10FFFF */
        {"\xF5\x80\x80\x80", 4},     /* F5..FF never start */
        {"\xFF", 1},
        {"\xC3", 1},                 /* cut short by n */
        {"\xE2\x82", 2},
        {"\xF0\x9F\x98", 3},
        {"\xC3\x28", 2},             /* continuation missing */
        {"\xE2\x28\xAC", 3},
        {"\xF0\x9F\x28\x80", 4},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t cp = 7;
        assert_int_equal(dec(bad[i].s, bad[i].n, &cp), 0);
        assert_int_equal(cp, 7); /* untouched */
    }
    /* a sequence longer than n is cut short even if the bytes are there */
    uint32_t cp;
    assert_int_equal(dec("\xE2\x82\xAC", 2, &cp), 0);
}

static void test_scan(void **state)
{
    (void)state;
    int nul;
    const char *good = "plain ascii text, long enough for the 8-byte path; "
                       "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 end";
    size_t n = strlen(good);
    assert_int_equal(utf8_scan((const unsigned char *)good, 0, n, &nul), n);
    assert_int_equal(nul, 0);

    char buf[64];
    memcpy(buf, "0123456789abcdef\xED\xA0\x80 tail", 24);
    assert_int_equal(utf8_scan((const unsigned char *)buf, 0, 24, &nul), 16);
    assert_int_equal(nul, 0);

    memcpy(buf, "0123456789abc\0ef", 16);
    assert_int_equal(utf8_scan((const unsigned char *)buf, 0, 16, &nul), 13);
    assert_int_equal(nul, 1);

    /* a sequence cut by the end of the range is where the scan stops */
    assert_int_equal(utf8_scan((const unsigned char *)"ab\xE2\x82\xAC", 0, 4, &nul), 2);
    assert_int_equal(utf8_scan((const unsigned char *)"ab\xE2\x82\xAC", 0, 5, &nul), 5);
    /* from an offset */
    assert_int_equal(utf8_scan((const unsigned char *)"\x80" "abc", 1, 4, &nul), 4);
}

static void test_sanitize(void **state)
{
    (void)state;
    char *s = utf8_sanitize_dup("a\xFF" "b\xC3\xA9\xED\xA0\x80", 8);
    assert_non_null(s);
    /* each ill-formed byte (and NUL) is one U+FFFD */
    assert_string_equal(s, "a\xEF\xBF\xBD" "b\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    free(s);
    s = utf8_sanitize_dup("x\0y", 3);
    assert_non_null(s);
    assert_string_equal(s, "x\xEF\xBF\xBDy");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_well_formed),
        cmocka_unit_test(test_decode_ill_formed),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_sanitize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
