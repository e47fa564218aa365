/* email.c: address syntax, judged as the real service judges it.
 * A port of python3-email-validator 1.3.0 validate_email(...,
 * check_deliverability=False); the idna package it calls is in idna.c. */
#include "verify/email.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify/idna.h"
#include "verify/pystr.h"

/* Limits used by email_validator (measured as it measures them). */
#define LOCAL_MAX 64    /* code points of the local part as given */
#define EMAIL_MAX 254   /* ASCII form, code points, and UTF-8 octets */

/* Reasons with interpolated parts are written here, one per thread. */
#define REASON_CAP 1024
static _Thread_local char tls_reason[REASON_CAP];


/* "(N characters too many)" as email_validator's __get_length_reason. */
static void sb_length_reason(pytext *b, size_t len, bool utf8, size_t limit)
{
    size_t diff = len - limit;
    pytext_printf(b, "(%s%zu character%s too many)", utf8 ? "at least " : "",
              diff, diff > 1 ? "s" : "");
}

/* ---- the local part ------------------------------------------------------ */

static bool is_atext(uint32_t c)
{
    if (c >= 0x80)
        return false;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("_!#$%&'*+-/=?^`{|}~", (int)c) != NULL;
}

/* DOT_ATOM_TEXT (intl=false) or DOT_ATOM_TEXT_INTL, anchored both ends. */
static bool dot_atom(const uint32_t *s, size_t n, bool intl)
{
    bool after_dot = true;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (after_dot)
                return false;
            after_dot = true;
        } else if (is_atext(s[i]) || (intl && s[i] >= 0x80)) {
            after_dot = false;
        } else {
            return false;
        }
    }
    return !after_dot;
}

/* unicodedata.name(c, repr(c)) of the ASCII characters outside ATEXT. */
static const char *const ascii_names[128] = {
    [0x00] = "'\\x00'",
    [0x01] = "'\\x01'",
    [0x02] = "'\\x02'",
    [0x03] = "'\\x03'",
    [0x04] = "'\\x04'",
    [0x05] = "'\\x05'",
    [0x06] = "'\\x06'",
    [0x07] = "'\\x07'",
    [0x08] = "'\\x08'",
    [0x09] = "'\\t'",
    [0x0A] = "'\\n'",
    [0x0B] = "'\\x0b'",
    [0x0C] = "'\\x0c'",
    [0x0D] = "'\\r'",
    [0x0E] = "'\\x0e'",
    [0x0F] = "'\\x0f'",
    [0x10] = "'\\x10'",
    [0x11] = "'\\x11'",
    [0x12] = "'\\x12'",
    [0x13] = "'\\x13'",
    [0x14] = "'\\x14'",
    [0x15] = "'\\x15'",
    [0x16] = "'\\x16'",
    [0x17] = "'\\x17'",
    [0x18] = "'\\x18'",
    [0x19] = "'\\x19'",
    [0x1A] = "'\\x1a'",
    [0x1B] = "'\\x1b'",
    [0x1C] = "'\\x1c'",
    [0x1D] = "'\\x1d'",
    [0x1E] = "'\\x1e'",
    [0x1F] = "'\\x1f'",
    [0x20] = "SPACE",
    [0x22] = "QUOTATION MARK",
    [0x28] = "LEFT PARENTHESIS",
    [0x29] = "RIGHT PARENTHESIS",
    [0x2C] = "COMMA",
    [0x2E] = "FULL STOP",
    [0x3A] = "COLON",
    [0x3B] = "SEMICOLON",
    [0x3C] = "LESS-THAN SIGN",
    [0x3E] = "GREATER-THAN SIGN",
    [0x40] = "COMMERCIAL AT",
    [0x5B] = "LEFT SQUARE BRACKET",
    [0x5C] = "REVERSE SOLIDUS",
    [0x5D] = "RIGHT SQUARE BRACKET",
    [0x7F] = "'\\x7f'",
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* validate_email_local_part(). On success *lp, *ln hold the normalised
 * local part and *ascii tells whether it is the ASCII form. */
static const char *check_local(pyarena *a, uint32_t *s, size_t n,
                               uint32_t **lp, size_t *ln, bool *ascii)
{
    pytext b = pytext_init(tls_reason, REASON_CAP);
    if (n == 0)
        return "There must be something before the @-sign.";
    if (n > LOCAL_MAX) {
        pytext_puts(&b, "The email address is too long before the @-sign ");
        sb_length_reason(&b, n, false, LOCAL_MAX);
        pytext_puts(&b, ".");
        return tls_reason;
    }
    if (dot_atom(s, n, false)) {
        *lp = s;
        *ln = n;
        *ascii = true;
        return NULL;
    }
    if (!dot_atom(s, n, true)) {
        bool seen[128] = { false };
        const char *names[128];
        size_t nn = 0;
        for (size_t i = 0; i < n; i++)
            if (s[i] < 0x80 && !is_atext(s[i]) && !seen[s[i]]) {
                seen[s[i]] = true;
                names[nn++] = ascii_names[s[i]];
            }
        qsort(names, nn, sizeof names[0], cmp_str);
        pytext_puts(&b, "The email address contains invalid characters before "
                    "the @-sign: ");
        for (size_t i = 0; i < nn; i++) {
            if (i)
                pytext_puts(&b, ", ");
            pytext_puts(&b, names[i]);
        }
        pytext_puts(&b, ".");
        return tls_reason;
    }
    size_t m;
    uint32_t *t = pystr_nfc(a, s, n, &m);
    if (!t)
        return pystr_oom;
    for (size_t i = 0; i < m; i++) {
        char major = pystr_category_major(t[i]);
        if (major == 'M' && i == 0) {
            pytext_puts(&b, "The email address contains an initial invalid "
                        "character (");
        } else if (major == 'Z' || major == 'C') {
            pytext_puts(&b, "The email address contains an invalid character (");
        } else {
            continue;
        }
        pytext_char_name(&b, t[i]);
        pytext_puts(&b, ").");
        return tls_reason;
    }
    *lp = t;
    *ln = m;
    *ascii = false;
    return NULL;
}

/* ---- the domain part and the whole address ------------------------------ */

static const char *const special_use[] = {
    "arpa", "invalid", "local", "localhost", "onion", "test",
};

static const char *domain_msg(const uint32_t *dom, size_t n, const char *fmt1,
                              const char *fmt2, const char *inner)
{
    if (inner == pystr_oom)
        return pystr_oom;
    pytext b = pytext_init(tls_reason, REASON_CAP);
    pytext_puts(&b, fmt1);
    pytext_u32(&b, dom, n);
    pytext_puts(&b, fmt2);
    if (inner) {
        pytext_puts(&b, inner);
        pytext_puts(&b, ").");
    }
    return tls_reason;
}

static bool hostname_ok(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            char c = s[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '-'))
                return false;
            continue;
        }
        if (i == start || s[start] == '-' || s[i - 1] == '-')
            return false;
        start = i + 1;
    }
    return true;
}

static bool ends_with_label(const char *s, size_t n, const char *d)
{
    size_t dl = strlen(d);
    if (n == dl)
        return memcmp(s, d, dl) == 0;
    return n > dl && s[n - dl - 1] == '.' && memcmp(s + n - dl, d, dl) == 0;
}

static const char *check_addr(pyarena *a, const uint8_t *s, size_t len,
                              size_t at)
{
    uint32_t *u = pyarena_alloc(a, len + 1);
    if (!u)
        return pystr_oom;
    size_t nl = pystr_decode(s, at, u);
    uint32_t *dom = u + nl;
    size_t nd = pystr_decode(s + at + 1, len - at - 1, dom);

    uint32_t *lp;
    size_t ln;
    bool lascii;
    const char *e = check_local(a, u, nl, &lp, &ln, &lascii);
    if (e)
        return e;

    if (nd == 0)
        return "There must be something after the @-sign.";
    uint32_t *rm;
    size_t rn;
    e = idna_uts46_remap(a, dom, nd, &rm, &rn);
    if (e)
        return domain_msg(dom, nd, "The domain name ",
                          " contains invalid characters (", e);
    if (rn > 0 && rm[rn - 1] == '.')
        return "An email address cannot end with a period.";
    if (rn > 0 && rm[0] == '.')
        return "An email address cannot have a period immediately after the "
               "@-sign.";
    for (size_t i = 1; i < rn; i++)
        if (rm[i] == '.' && rm[i - 1] == '.')
            return "An email address cannot have two periods in a row.";

    char ascii[IDNA_DOMAIN_MAX + 2];
    size_t alen, in;
    uint32_t *i18n = pyarena_alloc(a, rn + 1);
    if (!i18n)
        return pystr_oom;
    e = idna_encode(a, rm, rn, ascii, &alen, i18n, &in);
    if (e && strcmp(e, "Domain too long") == 0)
        return "The email address is too long after the @-sign.";
    if (e)
        return domain_msg(rm, rn, "The domain name ",
                          " contains invalid characters (", e);
    if (!hostname_ok(ascii, alen))
        return "The email address contains invalid characters after the "
               "@-sign.";
    if (!memchr(ascii, '.', alen))
        return domain_msg(i18n, in, "The domain name ",
                          " is not valid. It should have a period.", NULL);
    char last = ascii[alen - 1];
    if (!((last >= 'a' && last <= 'z') || (last >= 'A' && last <= 'Z')))
        return domain_msg(i18n, in, "The domain name ",
                          " is not valid. It is not within a valid top-level "
                          "domain.", NULL);
    for (size_t i = 0; i < sizeof special_use / sizeof special_use[0]; i++)
        if (ends_with_label(ascii, alen, special_use[i]))
            return domain_msg(i18n, in, "The domain name ",
                              " is a special-use or reserved name that cannot "
                              "be used with email.", NULL);

    pytext b = pytext_init(tls_reason, REASON_CAP);
    size_t email_cp = ln + 1 + in;
    if (lascii && ln + 1 + alen > EMAIL_MAX) {
        bool same = alen == in;
        for (size_t i = 0; same && i < in; i++)
            same = (uint32_t)(unsigned char)ascii[i] == i18n[i];
        pytext_puts(&b, "The email address is too long ");
        if (same)
            sb_length_reason(&b, ln + 1 + alen, false, EMAIL_MAX);
        else if (email_cp > EMAIL_MAX)
            sb_length_reason(&b, email_cp, true, EMAIL_MAX);
        else
            pytext_puts(&b, "(when converted to IDNA ASCII)");
        pytext_puts(&b, ".");
        return tls_reason;
    }
    if (pystr_utf8_len(lp, ln) + 1 + pystr_utf8_len(i18n, in) > EMAIL_MAX) {
        pytext_puts(&b, "The email address is too long ");
        if (email_cp > EMAIL_MAX)
            sb_length_reason(&b, email_cp, true, EMAIL_MAX);
        else
            pytext_puts(&b, "(when encoded in bytes)");
        pytext_puts(&b, ".");
        return tls_reason;
    }
    return NULL;
}

/* ASCII fast path: true only for an address the full check below is
 * sure to accept (plain dot-atom local part, plain LDH domain with a
 * letter-ending TLD, no IDNA or special-use names). Anything else,
 * including every invalid address, takes the full path, which alone
 * decides and explains. Most real addresses end here, without decoding,
 * NFC or IDNA. */
static bool ascii_fast_ok(const uint8_t *s, size_t len, size_t at)
{
    static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
    if (len > EMAIL_MAX || at == 0 || at > LOCAL_MAX || at + 1 >= len ||
        len - at - 1 > IDNA_DOMAIN_MAX)
        return false;
    for (size_t i = 0; i < at; i++) {
        uint8_t c = s[i];
        if (c == '.') {
            if (i == 0 || i == at - 1 || s[i - 1] == '.')
                return false;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || (c && strchr(atext, c)))) {
            return false;
        }
    }
    const uint8_t *d = s + at + 1;
    size_t n = len - at - 1, start = 0, dots = 0;
    char low[IDNA_DOMAIN_MAX + 1];
    for (size_t i = 0; i <= n; i++) {
        if (i < n && d[i] != '.') {
            uint8_t c = d[i];
            if (c >= 'A' && c <= 'Z')
                c = (uint8_t)(c + 32);
            else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                return false;
            low[i] = (char)c;
            continue;
        }
        size_t ll = i - start;
        if (ll == 0 || ll > 63 || d[start] == '-' || d[i - 1] == '-')
            return false;
        if (ll >= 4 && d[start + 2] == '-' && d[start + 3] == '-')
            return false; /* xn-- and other hyphen-3-4 labels: IDNA rules */
        if (i < n) {
            low[i] = '.';
            dots++;
        }
        start = i + 1;
    }
    char last = low[n - 1];
    if (!dots || !(last >= 'a' && last <= 'z'))
        return false;
    for (size_t i = 0; i < sizeof special_use / sizeof special_use[0]; i++)
        if (ends_with_label(low, n, special_use[i]))
            return false;
    return true;
}

bool email_valid(const char *addr, size_t len, const char **reason)
{
    const uint8_t *s = (const uint8_t *)addr;
    size_t at = 0, nat = 0;
    const char *r;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '@') {
            nat++;
            at = i;
        }
    if (nat != 1) {
        r = "The email address is not valid. It must have exactly one @-sign.";
    } else if (ascii_fast_ok(s, len, at)) {
        return true;
    } else {
        pyarena a;
        pyarena_init(&a);
        r = check_addr(&a, s, len, at);
        pyarena_release(&a);
    }
    if (r && reason)
        *reason = r;
    return r == NULL;
}
