/* email_domain.c: email-validator 2.3.0's syntax.py after the @-sign:
 * validate_email_domain_name (character checks, UTS 46, IDNA both ways,
 * lengths, special-use names) and validate_email_domain_literal (the
 * bracketed address, parsed as Python's ipaddress parses it). */
#include "verify/email_syntax.h"

#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <uninorm.h>

#define DOMAIN_MAX 253  /* octets "as transmitted" */
#define LABEL_MAX 63

/* ---- character classes ------------------------------------------------------ */

/* not ATEXT_HOSTNAME_INTL: [a-zA-Z0-9\-\.\u0080-\U0010FFFF] */
static bool not_hostname_intl(uint32_t c)
{
    if (c >= 0x80)
        return false;
    return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '.');
}

/* not uts46_valid_char(c) */
static bool not_uts46_valid(uint32_t c)
{
    if (c >= 0x80 && c <= 0x9F)
        return true;
    if ((c >= 0x2010 && c <= 0x2060 && !(c >= 0x2024 && c <= 0x2026) &&
         !(c >= 0x2028 && c <= 0x202E)) ||
        c == 0x00AD || c == 0x2064 || c == 0xFF0E || (c >= 0x200B && c <= 0x200D) ||
        (c >= 0x1BCA0 && c <= 0x1BCA3))
        return false;
    char m = pystr_category_major(c);
    if ((m == 'C' && !uc_is_general_category(c, UC_CONTROL)) || m == 'Z')
        return true;
    /* "002E" in unicodedata.decomposition(c).split(" ") */
    if (c < 0x80)
        return false;
    int tag;
    uint32_t d[UC_DECOMPOSITION_MAX_LENGTH];
    int dn = uc_decomposition(c, &tag, d);
    for (int i = 0; i < dn; i++)
        if (d[i] == '.')
            return true;
    return false;
}

/* DOT_ATOM_TEXT_HOSTNAME, anchored both ends: LDH labels that start and
 * end with a letter or digit, joined by dots. */
static bool hostname_ok(const uint32_t *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            uint32_t c = s[i];
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

/* ---- validate_email_domain_name ---------------------------------------------- */

static bool wrap_fail(pyctx *x, const char *prefix, const char *suffix)
{
    pytext_wrap(&x->err, prefix, suffix);
    return false;
}

static bool fail(pyctx *x, const char *msg)
{
    pytext_puts(&x->err, msg);
    return false;
}

/* The steps up to the UTS 46 mapped, dot-checked domain in *m. */
static bool mapped_domain(pyctx *x, uint32_t *d, size_t n, uint32_t **m, size_t *mn)
{
    static const char invalid[] = "The part after the @-sign contains invalid characters: ";
    if (!ev_bad_chars(x, invalid, d, n, not_hostname_intl) ||
        !ev_unsafe_chars(x, d, n, false) || !ev_bad_chars(x, invalid, d, n, not_uts46_valid))
        return false;
    if (!idna_uts46_remap(x, d, n, m, mn))
        return x->oom ? false
                      : wrap_fail(x, "The part after the @-sign contains invalid characters (",
                                  ").");
    if (!ev_bad_chars(x, "The part after the @-sign contains invalid characters after "
                         "Unicode normalization: ", *m, *mn, not_hostname_intl))
        return false;
    if (!ev_dot_atom(x, *m, *mn, "An email address cannot have a %s immediately after the "
                     "@-sign.", "An email address cannot end with a %s.", true))
        return false;
    const uint32_t *l = *m, *end = *m + *mn;
    for (const uint32_t *p = l; p <= end; p++) {
        if (p < end && *p != '.')
            continue;
        /* re.match(r"(?!xn)..--", label, re.I) */
        if (p - l >= 4 && l[2] == '-' && l[3] == '-' &&
            !((l[0] == 'x' || l[0] == 'X') && (l[1] == 'n' || l[1] == 'N')))
            return fail(x, "An email address cannot have two letters followed by two dashes "
                           "immediately after the @-sign or after a period, except Punycode.");
        l = p + 1;
    }
    return true;
}

/* The IDNA (A-label) form of the mapped domain m into out->ascii. */
static bool ascii_domain(pyctx *x, uint32_t *m, size_t mn, ev_domain *out)
{
    size_t labels = 1;
    for (size_t i = 0; i < mn; i++)
        labels += m[i] == '.';
    size_t cap = mn > labels * (LABEL_MAX + 1) ? mn : labels * (LABEL_MAX + 1);
    char *a = (char *)pyctx_alloc(x, cap / sizeof(uint32_t) + 1);
    if (!a)
        return false;
    size_t k = 0;
    if (hostname_ok(m, mn)) {
        for (size_t i = 0; i < mn; i++)
            a[k++] = (char)m[i];
    } else {
        for (size_t start = 0; start <= mn; start++) {
            size_t stop = pystr_find(m, mn, start, '.'), ln;
            if (k)
                a[k++] = '.';
            if (!idna_alabel(x, m + start, stop - start, a + k, &ln))
                return x->oom ? false
                              : wrap_fail(x, "The part after the @-sign is invalid (", ").");
            k += ln;
            start = stop;
        }
        uint32_t *w = pyctx_alloc(x, k + 1);
        if (!w)
            return false;
        for (size_t i = 0; i < k; i++)
            w[i] = (unsigned char)a[i];
        if (!hostname_ok(w, k))
            return fail(x, "The email address contains invalid characters after the @-sign "
                           "after IDNA encoding.");
    }
    a[k] = '\0';
    out->ascii = a;
    out->ascii_n = k;
    return true;
}

static bool same_text(const char *a, size_t an, const uint32_t *u, size_t un)
{
    if (an != un)
        return false;
    for (size_t i = 0; i < an; i++)
        if ((unsigned char)a[i] != u[i])
            return false;
    return true;
}

/* The length, period, top-level domain and special-use checks of the
 * ASCII form; d, n: the domain as given. */
static bool ascii_checks(pyctx *x, const char *a, size_t an, const uint32_t *d, size_t n)
{
    if (an > DOMAIN_MAX) {
        size_t diff = an - DOMAIN_MAX;
        if (same_text(a, an, d, n)) {
            pytext_puts(&x->err, "The email address is too long after the @-sign ");
            ev_length_reason(&x->err, an, DOMAIN_MAX);
            pytext_puts(&x->err, ".");
        } else {
            pytext_printf(&x->err, "The email address is too long after the @-sign (%zu "
                          "byte%s too many after IDNA encoding).", diff, diff == 1 ? "" : "s");
        }
        return false;
    }
    for (const char *l = a, *p = a; p <= a + an; p++) {
        if (p < a + an && *p != '.')
            continue;
        if (p - l > LABEL_MAX) {
            pytext_puts(&x->err, "After the @-sign, periods cannot be separated by so many "
                                 "characters ");
            ev_length_reason(&x->err, (size_t)(p - l), LABEL_MAX);
            pytext_puts(&x->err, ".");
            return false;
        }
        l = p + 1;
    }
    if (!memchr(a, '.', an))
        return fail(x, "The part after the @-sign is not valid. It should have a period.");
    char last = a[an - 1];
    if (!((last >= 'a' && last <= 'z') || (last >= 'A' && last <= 'Z')))
        return fail(x, "The part after the @-sign is not valid. It is not within a valid "
                       "top-level domain.");
    static const char *const special_use[] = {
        "arpa", "invalid", "local", "localhost", "onion", "test",
    };
    for (size_t i = 0; i < sizeof special_use / sizeof special_use[0]; i++) {
        size_t sl = strlen(special_use[i]);
        if ((an == sl || (an > sl && a[an - sl - 1] == '.')) &&
            memcmp(a + an - sl, special_use[i], sl) == 0)
            return fail(x, "The part after the @-sign is a special-use or reserved name that "
                           "cannot be used with email.");
    }
    return true;
}

/* idna.decode(ascii) into out->i18n, and the checks of what it gives. */
static bool i18n_domain(pyctx *x, ev_domain *out)
{
    uint32_t *u = pyctx_alloc(x, out->ascii_n + 1);
    if (!u)
        return false;
    size_t k = 0;
    const char *a = out->ascii;
    for (size_t start = 0; start <= out->ascii_n; start++) {
        const char *dot = memchr(a + start, '.', out->ascii_n - start);
        size_t stop = dot ? (size_t)(dot - a) : out->ascii_n, un, mark = x->used;
        uint32_t *ul;
        if (!idna_ulabel(x, a + start, stop - start, &ul, &un))
            return x->oom ? false
                          : wrap_fail(x, "The part after the @-sign is not valid IDNA (", ").");
        if (k)
            u[k++] = '.';
        memcpy(u + k, ul, un * sizeof *u);  /* a U-label is never longer */
        k += un;
        x->used = mark;
        start = stop;
    }
    out->i18n = u;
    out->i18n_n = k;
    if (!ev_bad_chars(x, "The part after the @-sign contains invalid characters: ", u, k,
                      not_hostname_intl) ||
        !ev_unsafe_chars(x, u, k, false))
        return false;
    uint32_t *w = pyctx_alloc(x, k + 1);
    if (!w)
        return false;
    memcpy(w, u, k * sizeof *u);
    if (!idna_encode(x, w, k))
        return x->oom ? false
                      : wrap_fail(x, "The part after the @-sign became invalid after "
                                     "normalizing to international characters (", ").");
    return true;
}

bool ev_domain_name(pyctx *x, uint32_t *d, size_t n, ev_domain *out)
{
    uint32_t *m;
    size_t mn;
    return mapped_domain(x, d, n, &m, &mn) && ascii_domain(x, m, mn, out) &&
           ascii_checks(x, out->ascii, out->ascii_n, d, n) && i18n_domain(x, out);
}
