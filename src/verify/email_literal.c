/* email_literal.c: email-validator 2.3.0's validate_email_domain_literal,
 * the bracketed address after the @-sign. The library refuses every such
 * address (allow_domain_literal is off), but first parses it with Python's
 * ipaddress module, whose error texts end up in the reason; so this is a
 * port of IPv4Address/IPv6Address parsing as Python 3.11 does it. */
#include "verify/email_syntax.h"

#include <string.h>

/* ValueError/AddressValueError text into err; false. */
static bool raise(pytext *err, const char *fmt, const uint32_t *s, size_t n)
{
    const char *p = strstr(fmt, "%r");
    pytext_put(err, fmt, (size_t)(p - fmt));
    pytext_repr(err, s, n);
    pytext_puts(err, p + 2);
    return false;
}

/* "<inner> in %r": wrap what err holds. */
static bool in_repr(pytext *err, const uint32_t *s, size_t n)
{
    pytext_puts(err, " in ");
    pytext_repr(err, s, n);
    return false;
}

static bool is_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

/* _BaseV4._parse_octet() */
static bool parse_octet(pytext *err, const uint32_t *s, size_t n)
{
    if (n == 0) {
        pytext_puts(err, "Empty octet not permitted");
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return raise(err, "Only decimal digits permitted in %r", s, n);
    if (n > 3)
        return raise(err, "At most 3 characters permitted in %r", s, n);
    if (n > 1 && s[0] == '0')
        return raise(err, "Leading zeros are not permitted in %r", s, n);
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    if (v > 255) {
        pytext_printf(err, "Octet %u (> 255) not permitted", v);
        return false;
    }
    return true;
}

/* IPv4Address(s) */
static bool ipv4(pytext *err, const uint32_t *s, size_t n)
{
    if (pystr_find(s, n, 0, '/') < n)
        return raise(err, "Unexpected '/' in %r", s, n);
    if (n == 0) {
        pytext_puts(err, "Address cannot be empty");
        return false;
    }
    size_t dots = 0;
    for (size_t i = 0; i < n; i++)
        dots += s[i] == '.';
    if (dots != 3)
        return raise(err, "Expected 4 octets in %r", s, n);
    for (size_t start = 0; start <= n; start++) {
        size_t stop = pystr_find(s, n, start, '.');
        if (!parse_octet(err, s + start, stop - start))
            return in_repr(err, s, n);
        start = stop;
    }
    return true;
}

/* _BaseV6._parse_hextet() */
static bool parse_hextet(pytext *err, const uint32_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return raise(err, "Only hex digits permitted in %r", s, n);
    }
    if (n > 4)
        return raise(err, "At most 4 characters permitted in %r", s, n);
    if (n == 0)
        return raise(err, "invalid literal for int() with base 16: %r", s, n);
    return true;
}

#define HEXTETS 8

/* The parts of s split at ':'; the first HEXTETS + 2 are kept, and the
 * last one always. */
typedef struct parts {
    const uint32_t *p[HEXTETS + 2];
    size_t n[HEXTETS + 2];
    size_t count;  /* all of them */
    const uint32_t *last;
    size_t last_n;
} parts;

static void split_colons(const uint32_t *s, size_t n, parts *ps)
{
    ps->count = 0;
    for (size_t start = 0; start <= n; start++) {
        size_t stop = pystr_find(s, n, start, ':');
        if (ps->count < HEXTETS + 2) {
            ps->p[ps->count] = s + start;
            ps->n[ps->count] = stop - start;
        }
        ps->last = s + start;
        ps->last_n = stop - start;
        ps->count++;
        start = stop;
    }
}

/* How many parts come before and after the '::' (_BaseV6's checks of
 * the layout), or an error. */
static bool v6_layout(pytext *err, const uint32_t *s, size_t n, const parts *ps,
                      size_t *hi, size_t *lo)
{
    size_t count = ps->count, skip = 0;
    for (size_t i = 1; i + 1 < count; i++) {
        if (ps->n[i])
            continue;
        if (skip)
            return raise(err, "At most one '::' permitted in %r", s, n);
        skip = i;
    }
    bool lead = ps->n[0] == 0, trail = ps->n[count - 1] == 0;
    if (skip) {
        *hi = skip - lead;
        *lo = count - skip - 1 - trail;
        if (lead && *hi)
            return raise(err, "Leading ':' only permitted as part of '::' in %r", s, n);
        if (trail && *lo)
            return raise(err, "Trailing ':' only permitted as part of '::' in %r", s, n);
        if (*hi + *lo >= HEXTETS)
            return raise(err, "Expected at most 7 other parts with '::' in %r", s, n);
        return true;
    }
    if (count != HEXTETS)
        return raise(err, "Exactly 8 parts expected without '::' in %r", s, n);
    if (lead)
        return raise(err, "Leading ':' only permitted as part of '::' in %r", s, n);
    if (trail)
        return raise(err, "Trailing ':' only permitted as part of '::' in %r", s, n);
    *hi = count;
    *lo = 0;
    return true;
}

/* _BaseV6._ip_int_from_string(s) */
static bool ipv6_parts(pytext *err, const uint32_t *s, size_t n)
{
    if (n == 0) {
        pytext_puts(err, "Address cannot be empty");
        return false;
    }
    parts ps;
    split_colons(s, n, &ps);
    if (ps.count < 3)
        return raise(err, "At least 3 parts expected in %r", s, n);
    if (pystr_find(ps.last, ps.last_n, 0, '.') < ps.last_n) {
        if (!ipv4(err, ps.last, ps.last_n))
            return in_repr(err, s, n);
        /* the IPv4 suffix stands for two hextets, both well formed */
        static const uint32_t zero[1] = { '0' };
        size_t last = ps.count - 1;
        if (last + 1 < HEXTETS + 2) {
            ps.p[last] = ps.p[last + 1] = zero;
            ps.n[last] = ps.n[last + 1] = 1;
        }
        ps.count++;
    }
    if (ps.count > HEXTETS + 1)
        return raise(err, "At most 8 colons permitted in %r", s, n);
    size_t hi, lo;
    if (!v6_layout(err, s, n, &ps, &hi, &lo))
        return false;
    for (size_t i = 0; i < hi; i++)
        if (!parse_hextet(err, ps.p[i], ps.n[i]))
            return in_repr(err, s, n);
    for (size_t i = ps.count - lo; i < ps.count; i++)
        if (!parse_hextet(err, ps.p[i], ps.n[i]))
            return in_repr(err, s, n);
    return true;
}

/* IPv6Address(s) */
static bool ipv6(pytext *err, const uint32_t *s, size_t n)
{
    if (pystr_find(s, n, 0, '/') < n)
        return raise(err, "Unexpected '/' in %r", s, n);
    size_t pct = pystr_find(s, n, 0, '%');
    if (pct < n && (pct + 1 == n || pystr_find(s, n, pct + 1, '%') < n)) {
        pytext_puts(err, "Invalid IPv6 address: \"");
        pytext_repr(err, s, n);
        pytext_puts(err, "\"");
        return false;
    }
    return ipv6_parts(err, s, pct);
}

static bool not_literal_char(uint32_t c)
{
    return c < 0x21 || c > 0xFA;
}

static bool fail(pyctx *x, const char *msg)
{
    pytext_puts(&x->err, msg);
    return false;
}

/* re.match(r"^[0-9\.]+$", s): '$' also matches before a final newline. */
static bool ipv4_like(const uint32_t *s, size_t n)
{
    if (n >= 2 && s[n - 1] == '\n')
        n--;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]) && s[i] != '.')
            return false;
    return true;
}

bool ev_domain_literal(pyctx *x, const uint32_t *lit, size_t n)
{
    static const uint32_t tag[] = { 'I', 'P', 'v', '6', ':' };
    if (ipv4_like(lit, n)) {
        if (ipv4(&x->err, lit, n))
            return true;
        pytext_wrap(&x->err, "The address in brackets after the @-sign is not valid: It "
                             "is not an IPv4 address (", ") or is missing an address "
                             "literal tag.");
        return false;
    }
    if (n >= 5 && memcmp(lit, tag, sizeof tag) == 0) {
        if (ipv6(&x->err, lit + 5, n - 5))
            return true;
        pytext_wrap(&x->err, "The IPv6 address in brackets after the @-sign is not valid (",
                    ").");
        return false;
    }
    if (pystr_find(lit, n, 0, ':') == n)
        return fail(x, "The part after the @-sign in brackets is not an IPv4 address and "
                       "has no address literal tag.");
    if (!ev_bad_chars(x, "The part after the @-sign contains invalid characters in "
                         "brackets: ", lit, n, not_literal_char))
        return false;
    return fail(x, "The part after the @-sign contains an invalid address literal tag in "
                   "brackets.");
}
