/* email.c: address syntax, judged as the real service judges it: a port
 * of pydantic v2's validate_email wrapper around email-validator 2.3.0's
 * validate_email(..., check_deliverability=False). The library's checks
 * are in email_syntax.c, email_domain.c and email_literal.c; the idna
 * package they call is in idna.c. Common ASCII addresses never leave the
 * fast path here. */
#include "verify/email.h"

#include <stdlib.h>
#include <string.h>

#include "verify/email_syntax.h"

#define PYDANTIC_MAX 2048  /* pydantic's MAX_EMAIL_LENGTH, in code points */

/* ---- the ASCII fast path ---------------------------------------------------- */

enum { C_ATEXT = 1, C_LDH = 2, C_UPPER = 4, C_ALPHA = 8 };

/* Byte classes: atext (letters, digits, "!#$%&'*+-/=?^_`{|}~"), LDH
 * (letters, digits, '-'), upper case and letters. */
static const uint8_t cls[256] = {
    ['0' ... '9'] = C_ATEXT | C_LDH,
    ['a' ... 'z'] = C_ATEXT | C_LDH | C_ALPHA,
    ['A' ... 'Z'] = C_ATEXT | C_LDH | C_ALPHA | C_UPPER,
    ['-'] = C_ATEXT | C_LDH,
    ['!'] = C_ATEXT, ['#'] = C_ATEXT, ['$'] = C_ATEXT, ['%'] = C_ATEXT,
    ['&'] = C_ATEXT, ['\''] = C_ATEXT, ['*'] = C_ATEXT, ['+'] = C_ATEXT,
    ['/'] = C_ATEXT, ['='] = C_ATEXT, ['?'] = C_ATEXT, ['^'] = C_ATEXT,
    ['_'] = C_ATEXT, ['`'] = C_ATEXT, ['{'] = C_ATEXT, ['|'] = C_ATEXT,
    ['}'] = C_ATEXT, ['~'] = C_ATEXT,
};

/* RFC 2142 names, which the library lower-cases. */
static const char *const mailbox_names[] = {
    "info", "marketing", "sales", "support", "abuse", "noc", "security", "postmaster",
    "hostmaster", "usenet", "news", "webmaster", "www", "uucp", "ftp",
};

static bool is_mailbox_name(const char *s, size_t n)
{
    if (n < 3 || n > 10)
        return false;
    char low[10];
    for (size_t i = 0; i < n; i++)
        low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    for (size_t i = 0; i < sizeof mailbox_names / sizeof mailbox_names[0]; i++)
        if (strlen(mailbox_names[i]) == n && memcmp(mailbox_names[i], low, n) == 0)
            return true;
    return false;
}

/* The special-use names, one label each: an address under one is refused. */
static bool special_use_tld(const uint8_t *t, size_t n)
{
    static const struct { const char *name; size_t len; } tlds[] = {
        { "arpa", 4 }, { "invalid", 7 }, { "local", 5 }, { "localhost", 9 },
        { "onion", 5 }, { "test", 4 },
    };
    for (size_t i = 0; i < sizeof tlds / sizeof tlds[0]; i++)
        if (tlds[i].len == n && strncasecmp(tlds[i].name, (const char *)t, n) == 0)
            return true;
    return false;
}

/* Fill out from an ASCII local part and an A-label domain. */
static void fill_ascii(email_addr *out, const char *local, size_t ln, const char *dom,
                       size_t dn, bool lower_domain)
{
    memcpy(out->normalized, local, ln);
    if (is_mailbox_name(local, ln))
        for (size_t i = 0; i < ln; i++)
            if (local[i] >= 'A' && local[i] <= 'Z')
                out->normalized[i] = (char)(local[i] + 32);
    out->normalized[ln] = '@';
    char *d = out->ascii_domain;
    for (size_t i = 0; i < dn; i++) {
        char c = dom[i];
        d[i] = lower_domain && c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    d[dn] = '\0';
    out->ascii_domain_len = dn;
    memcpy(out->normalized + ln + 1, d, dn + 1);
    out->at = ln;
    out->len = ln + 1 + dn;
    memcpy(out->ascii_email, out->normalized, out->len + 1);
    out->ascii_len = out->len;
}

/* True only for an address the full check is sure to accept: a plain
 * dot-atom local part at a plain LDH domain with a letter-ending TLD, no
 * Punycode (nor any "??--" label) and no special-use name; out (if not
 * NULL) gets its forms. Anything else, every invalid address included,
 * takes the full path, which alone decides and explains. */
static bool ascii_fast(const uint8_t *s, size_t len, email_addr *out)
{
    if (len > EMAIL_OCTETS_MAX)
        return false;
    size_t i = 0, at, start, dots = 0;
    for (;;) {  /* dot-atom: atoms of atext joined by single dots, then '@' */
        size_t atom = i;
        while (i < len && (cls[s[i]] & C_ATEXT))
            i++;
        if (i == atom || i == len)
            return false;
        if (s[i] == '@')
            break;
        if (s[i++] != '.')
            return false;
    }
    at = i++;
    for (;;) {  /* LDH labels joined by single dots */
        start = i;
        while (i < len && (cls[s[i]] & C_LDH))
            i++;
        size_t ll = i - start;
        if (ll == 0 || ll > 63 || s[start] == '-' || s[i - 1] == '-' ||
            (ll >= 4 && s[start + 2] == '-' && s[start + 3] == '-'))
            return false;
        if (i == len)
            break;
        if (s[i++] != '.')
            return false;
        dots++;
    }
    if (!dots || !(cls[s[len - 1]] & C_ALPHA) || special_use_tld(s + start, len - start))
        return false;
    if (out)
        fill_ascii(out, (const char *)s, at, (const char *)s + at + 1, len - at - 1, true);
    return true;
}

/* ---- validate_email ----------------------------------------------------------- */

static bool fail(pyctx *x, const char *msg)
{
    pytext_puts(&x->err, msg);
    return false;
}

/* One form of the address for validate_email_length(): its code points,
 * UTF-8 bytes and widest character. */
typedef struct form {
    size_t len, bytes, widest;
} form;

static void form_add(form *f, const uint32_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t w = s[i] < 0x80 ? 1 : s[i] < 0x800 ? 2 : s[i] < 0x10000 ? 3 : 4;
        f->bytes += w;
        if (w > f->widest)
            f->widest = w;
    }
    f->len += n;
}

static bool too_long(pyctx *x, const form *f, const char *why)
{
    size_t diff = f->bytes - EMAIL_OCTETS_MAX;
    const char *s = diff > 1 ? "s" : "";
    pytext_puts(&x->err, "The email address is too long ");
    if (why) {
        pytext_printf(&x->err, "%s (%zu byte%s too many).", why, diff, s);
    } else if (f->len == f->bytes) {
        ev_length_reason(&x->err, f->len, EMAIL_OCTETS_MAX);
        pytext_puts(&x->err, ".");
    } else {
        size_t mchars = diff / f->widest ? diff / f->widest : 1;
        if (mchars == diff)
            pytext_printf(&x->err, "(%zu character%s too many).", diff, s);
        else
            pytext_printf(&x->err, "(%zu-%zu character%s too many).", mchars, diff, s);
    }
    return false;
}

/* validate_email_length(): the address as given, normalized, and with the
 * IDNA domain. */
static bool length_checks(pyctx *x, const ev_split *sp, const ev_local *lp,
                          const ev_domain *dm)
{
    static const uint32_t at = '@', quote = '"';
    form f = { 0, 0, 0 };
    form_add(&f, sp->local, sp->local_n);
    if (sp->quoted) {
        form_add(&f, &quote, 1);
        form_add(&f, &quote, 1);
    }
    form_add(&f, &at, 1);
    form_add(&f, sp->domain, sp->domain_n);
    if (f.bytes > EMAIL_OCTETS_MAX)
        return too_long(x, &f, NULL);
    form g = { 0, 0, 0 };
    form_add(&g, lp->s, lp->n);
    form_add(&g, &at, 1);
    form_add(&g, dm->i18n, dm->i18n_n);
    if (g.bytes > EMAIL_OCTETS_MAX)
        return too_long(x, &g, "after normalization");
    form h = { 0, 0, 0 };
    form_add(&h, lp->s, lp->n);
    h.bytes += 1 + dm->ascii_n;
    if (h.bytes > EMAIL_OCTETS_MAX)
        return too_long(x, &h, "when the part after the @-sign is converted to IDNA ASCII");
    return true;
}

/* The local part after validate_email_local_part(): NFC applied (and
 * checked again), quoting refused, RFC 2142 names lower-cased. */
static bool local_normalized(pyctx *x, const ev_split *sp, ev_local *lp)
{
    size_t fn;
    uint32_t *f = pystr_nfc(x, lp->s, lp->n, &fn);
    if (!f)
        return false;
    if (fn != lp->n || memcmp(f, lp->s, fn * sizeof *f) != 0) {
        ev_local again;
        if (!ev_local_part(x, f, fn, sp->quoted, &again)) {
            pytext_wrap(&x->err, "After Unicode normalization: ", "");
            return false;
        }
        lp->s = f;
        lp->n = fn;
    }
    if (sp->quoted)
        return fail(x, "Quoting the part before the @-sign is not allowed here.");
    char low[10];
    if (!lp->smtputf8 && lp->n <= sizeof low) {
        for (size_t i = 0; i < lp->n; i++)
            low[i] = (char)lp->s[i];
        if (is_mailbox_name(low, lp->n))
            for (size_t i = 0; i < lp->n; i++)
                if (lp->s[i] >= 'A' && lp->s[i] <= 'Z')
                    lp->s[i] += 32;
    }
    return true;
}

static void fill(email_addr *out, const ev_local *lp, const ev_domain *dm)
{
    size_t k = pystr_utf8(lp->s, lp->n, out->normalized);
    out->at = k;
    out->normalized[k++] = '@';
    k += pystr_utf8(dm->i18n, dm->i18n_n, out->normalized + k);
    out->normalized[k] = '\0';
    out->len = k;
    memcpy(out->ascii_domain, dm->ascii, dm->ascii_n + 1);
    out->ascii_domain_len = dm->ascii_n;
    out->ascii_len = 0;
    out->ascii_email[0] = '\0';
    if (!lp->smtputf8) {
        k = pystr_utf8(lp->s, lp->n, out->ascii_email);
        out->ascii_email[k++] = '@';
        memcpy(out->ascii_email + k, dm->ascii, dm->ascii_n + 1);
        out->ascii_len = k + dm->ascii_n;
    }
}

/* validate_email(s, check_deliverability=False) */
static bool validate(pyctx *x, uint32_t *s, size_t n, email_addr *out)
{
    ev_split sp;
    ev_local lp;
    if (!ev_split_email(x, s, n, &sp) || !ev_local_part(x, sp.local, sp.local_n, sp.quoted, &lp) ||
        !local_normalized(x, &sp, &lp))
        return false;
    if (sp.domain_n == 0)
        return fail(x, "There must be something after the @-sign.");
    if (sp.domain[0] == '[' && sp.domain[sp.domain_n - 1] == ']' && sp.domain_n >= 2) {
        if (!ev_domain_literal(x, sp.domain + 1, sp.domain_n - 2))
            return false;
        return fail(x, "A bracketed IP address after the @-sign is not allowed here.");
    }
    ev_domain dm;
    if (!ev_domain_name(x, sp.domain, sp.domain_n, &dm) || !length_checks(x, &sp, &lp, &dm))
        return false;
    if (sp.display)
        return fail(x, "A display name and angle brackets around the email address are "
                       "not permitted here.");
    if (out)
        fill(out, &lp, &dm);
    return true;
}

/* ---- pydantic's wrapper --------------------------------------------------------- */

/* \w (str.isalnum() or '_') and the other characters pydantic's pattern
 * allows in an unquoted display name. */
static bool is_name_char(uint32_t c)
{
    if (c < 0x80)
        return (cls[c] & C_ATEXT) != 0;
    char m = pystr_category_major(c);
    return m == 'L' || m == 'N';
}

/* The rest of pydantic's pretty-email pattern after the '<' (at r):
 * \s*(.+)\s*>\s* to the end, tried in the order Python's backtracking
 * tries it; [*ga, *gb) gets the group. */
static bool pretty_tail(const uint32_t *s, size_t n, size_t r, size_t *ga, size_t *gb)
{
    size_t last = n;  /* the last character that is not white space */
    while (last > r && pystr_isspace(s[last - 1]))
        last--;
    if (last == r || s[--last] != '>')
        return false;
    size_t amax = r;
    while (amax < n && pystr_isspace(s[amax]))
        amax++;
    for (size_t a = amax + 1; a-- > r;) {
        size_t b = pystr_find(s, n, a, '\n');  /* '.' stops at a newline */
        if (b > last)
            b = last;
        if (b <= a)
            continue;
        size_t i = b;
        while (i < last && pystr_isspace(s[i]))
            i++;
        if (i == last) {
            *ga = a;
            *gb = b;
            return true;
        }
    }
    return false;
}

/* pydantic's pretty_email_regex.fullmatch(s): the address group. */
static bool pretty_match(const uint32_t *s, size_t n, size_t *ga, size_t *gb)
{
    size_t p = 0;
    while (p < n && pystr_isspace(s[p]))
        p++;
    if (p == n)
        return false;
    if (is_name_char(s[p])) {  /* an unquoted name: words and spaces up to '<' */
        size_t q = p;
        while (q < n && (is_name_char(s[q]) || pystr_isspace(s[q])))
            q++;
        return q < n && s[q] == '<' && pretty_tail(s, n, q + 1, ga, gb);
    }
    if (s[p] == '"') {  /* a quoted name, its closing quote the last that fits */
        for (size_t k = n; k-- > p + 1;) {
            if (s[k] != '"' || k < p + 2)
                continue;
            size_t m = k + 1;
            while (m < n && pystr_isspace(s[m]))
                m++;
            if (m < n && s[m] == '<' && pretty_tail(s, n, m + 1, ga, gb))
                return true;
        }
        return false;
    }
    return s[p] == '<' && pretty_tail(s, n, p + 1, ga, gb);
}

static email_verdict run(const char *value, size_t len, bool pydantic, email_addr *out,
                         char **reason)
{
    if (reason)
        *reason = NULL;
    if (ascii_fast((const uint8_t *)value, len, out))
        return EMAIL_VALID;
    pyctx *x = malloc(sizeof *x);
    if (!x)
        return EMAIL_NOMEM;
    pyctx_init(x, reason != NULL);
    bool ok = false;
    uint32_t *s = pyctx_alloc(x, len + 1);
    if (s) {
        size_t n = pystr_decode((const uint8_t *)value, len, s), a = 0, b;
        if (pydantic && n > PYDANTIC_MAX) {
            fail(x, "Length must not exceed 2048 characters");
        } else {
            if (pydantic) {
                b = n;
                if (pretty_match(s, n, &a, &b))
                    n = b;
                while (a < n && pystr_isspace(s[a]))
                    a++;
                while (n > a && pystr_isspace(s[n - 1]))
                    n--;
            }
            ok = validate(x, s + a, n - a, out);
        }
    }
    email_verdict v = ok ? EMAIL_VALID : EMAIL_INVALID;
    if (x->oom)
        v = EMAIL_NOMEM;
    else if (!ok && reason && !(*reason = pytext_take(&x->err)))
        v = EMAIL_NOMEM;  /* the reason itself did not fit */
    pyctx_release(x);
    free(x);
    return v;
}

email_verdict email_validate_pydantic(const char *value, size_t len, email_addr *out,
                                      char **reason)
{
    return run(value, len, true, out, reason);
}

email_verdict email_validate(const char *addr, size_t len, email_addr *out, char **reason)
{
    return run(addr, len, false, out, reason);
}
