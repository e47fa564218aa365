/* email_syntax.c: email-validator 2.3.0's syntax.py, the address as a
 * whole and its local part: split_email (display names, quoting, the
 * @-sign), validate_email_local_part, and the character checks and
 * displays every part's messages use. */
#include "verify/email_syntax.h"

#include <stdlib.h>
#include <string.h>

/* ---- characters and their messages --------------------------------------- */

/* rfc_constants.ATEXT (ASCII only). */
static bool is_atext(uint32_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c > 0 && c < 0x80 && strchr("_!#$%&'*+-/=?^`{|}~", (int)c) != NULL;
}

void ev_char_display(pytext *b, uint32_t c)
{
    if (c == '\\') {
        pytext_puts(b, "\"\\\"");
        return;
    }
    char m = pystr_category_major(c);
    if (m == 'L' || m == 'N' || m == 'P' || m == 'S') {
        pytext_repr(b, &c, 1);
        return;
    }
    char name[PYSTR_NAME_MAX];
    if (pystr_char_name(c, name))
        pytext_puts(b, name);
    else if (c < 0xFFFF)
        pytext_printf(b, "U+%04X", c);
    else
        pytext_printf(b, "U+%08X", c);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_display(const void *a, const void *b, void *text)
{
    const char *t = text;
    return strcmp(t + *(const uint32_t *)a, t + *(const uint32_t *)b);
}

/* The distinct characters of s for which bad() holds (NULL for none),
 * sorted by code point, in x's memory. */
static uint32_t *collect(pyctx *x, const uint32_t *s, size_t n, bool (*bad)(uint32_t),
                         size_t *count)
{
    size_t k = 0;
    uint32_t *set = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!bad(s[i]))
            continue;
        if (!set && !(set = pyctx_alloc(x, n)))
            return NULL;
        set[k++] = s[i];
    }
    if (!k)
        return NULL;
    qsort(set, k, sizeof *set, cmp_u32);
    size_t u = 1;
    for (size_t i = 1; i < k; i++)
        if (set[i] != set[u - 1])
            set[u++] = set[i];
    *count = u;
    return set;
}

bool ev_bad_chars(pyctx *x, const char *prefix, const uint32_t *s, size_t n,
                  bool (*bad)(uint32_t))
{
    size_t k = 0;
    uint32_t *set = collect(x, s, n, bad, &k);
    if (!set)
        return !x->oom;
    if (x->err.off)
        return false;
    /* Python sorts the displays, not the characters. */
    pytext all;
    pytext_init(&all, false);
    uint32_t *off = pyctx_alloc(x, k);
    if (!off)
        return false;  /* all holds nothing yet */
    for (size_t i = 0; i < k; i++) {
        off[i] = (uint32_t)all.b.len;
        ev_char_display(&all, set[i]);
        pytext_put(&all, "", 1);
    }
    if (all.oom) {
        pytext_free(&all);
        return pyctx_nomem(x);
    }
    qsort_r(off, k, sizeof *off, cmp_display, all.b.data);
    pytext_puts(&x->err, prefix);
    for (size_t i = 0; i < k; i++) {
        if (i)
            pytext_puts(&x->err, ", ");
        pytext_puts(&x->err, all.b.data + off[i]);
    }
    pytext_puts(&x->err, ".");
    pytext_free(&all);
    return false;
}

bool ev_unsafe_chars(pyctx *x, const uint32_t *s, size_t n, bool allow_space)
{
    uint32_t *set = NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        bool bad;
        if (c < 0x80) {
            bad = c < 0x20 || c == 0x7F || (c == ' ' && !allow_space);
        } else {
            char m = pystr_category_major(c);
            if (m == 'L' || m == 'N' || m == 'P' || m == 'S')
                bad = false;
            else if (m == 'M')
                bad = i == 0;
            else
                bad = !(allow_space && pystr_is_space_separator(c));
        }
        if (!bad)
            continue;
        if (!set && !(set = pyctx_alloc(x, n)))
            return false;
        set[k++] = c;
    }
    if (!k)
        return true;
    qsort(set, k, sizeof *set, cmp_u32);
    pytext_puts(&x->err, "The email address contains unsafe characters: ");
    for (size_t i = 0; i < k; i++) {
        if (i && set[i] == set[i - 1])
            continue;
        if (i)
            pytext_puts(&x->err, ", ");
        ev_char_display(&x->err, set[i]);
    }
    pytext_puts(&x->err, ".");
    return false;
}

static bool has_pair(const uint32_t *s, size_t n, uint32_t a, uint32_t b)
{
    for (size_t i = 1; i < n; i++)
        if (s[i - 1] == a && s[i] == b)
            return true;
    return false;
}

bool ev_dot_atom(pyctx *x, const uint32_t *s, size_t n, const char *start_descr,
                 const char *end_descr, bool hostname)
{
    const char *descr = NULL, *what = NULL;
    if (n && s[n - 1] == '.')
        descr = end_descr, what = "period";
    else if (n && s[0] == '.')
        descr = start_descr, what = "period";
    else if (has_pair(s, n, '.', '.'))
        descr = "An email address cannot have two periods in a row.";
    else if (hostname && n && s[n - 1] == '-')
        descr = end_descr, what = "hyphen";
    else if (hostname && n && s[0] == '-')
        descr = start_descr, what = "hyphen";
    else if (hostname && (has_pair(s, n, '.', '-') || has_pair(s, n, '-', '.')))
        descr = "An email address cannot have a period and a hyphen next to each other.";
    if (!descr)
        return true;
    if (what)
        pytext_printf(&x->err, descr, what);
    else
        pytext_puts(&x->err, descr);
    return false;
}

void ev_length_reason(pytext *b, size_t len, size_t limit)
{
    size_t diff = len - limit;
    pytext_printf(b, "(%zu character%s too many)", diff, diff > 1 ? "s" : "");
}

/* ---- split_email ------------------------------------------------------------ */

/* split_string_at_unquoted_special(): *k gets the index of the first
 * '@' (or '<' when angle) outside quotes that does not combine with what
 * follows it. */
static bool split_at_special(pyctx *x, const uint32_t *t, size_t n, bool angle,
                             size_t *k)
{
    bool inq = false, esc = false;
    pystr_nfc_memo memo = { 0, 0 };
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t c = t[i];
        /* Only these characters can change the state; the others are
         * added to the left part whatever NFC says. */
        if (inq ? !(esc || c == '\\' || c == '"')
                : !(c == '"' || c == '@' || (angle && c == '<')))
            continue;
        int changes = pystr_nfc_head_changes(t, n, i, &memo);
        if (changes < 0)
            return pyctx_nomem(x);
        if (changes)
            continue;
        if (inq) {
            if (c == '\\' && !esc)
                esc = true;
            else if (c == '"' && !esc)
                inq = esc = false;
            else
                esc = false;
        } else if (c == '"') {
            inq = true;
        } else {
            break;
        }
    }
    if (i < n) {
        *k = i;
        return true;
    }
    if (pystr_find(t, n, 0, 0xFF20) < n)
        pytext_puts(&x->err, "The email address has the \"full-width\" at-sign (@) "
                             "character instead of a regular at-sign.");
    else if (pystr_find(t, n, 0, 0xFE6B) < n)
        pytext_puts(&x->err, "The email address has the \"small commercial at\" "
                             "character instead of a regular at-sign.");
    else
        pytext_puts(&x->err, "An email address must have an @-sign.");
    return false;
}

/* unquote_quoted_string() */
static bool unquote(pyctx *x, const uint32_t *t, size_t n, uint32_t **v, size_t *vn,
                    bool *quoted)
{
    uint32_t *o = pyctx_alloc(x, n + 1);
    if (!o)
        return false;
    bool q = false, esc = false;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = t[i];
        if (!q) {
            if (i == 0 && c == '"')
                q = true;
            else
                o[k++] = c;
        } else if (esc) {
            o[k++] = c;
            esc = false;
        } else if (c == '\\') {
            esc = true;
        } else if (c != '"') {
            o[k++] = c;
        } else if (i != n - 1) {
            pytext_puts(&x->err, "Extra character(s) found after close quote: ");
            for (size_t j = i + 1; j < n; j++) {
                if (j > i + 1)
                    pytext_puts(&x->err, ", ");
                ev_char_display(&x->err, t[j]);
            }
            return false;
        } else {
            break;
        }
    }
    *v = o;
    *vn = k;
    *quoted = q;
    return true;
}

static bool display_name_bad(uint32_t c)
{
    return c == '.' || (!is_atext(c) && c != ' ');
}

/* The display-name form: "name <addr>", s[k] being the '<'. */
static bool split_display(pyctx *x, uint32_t *s, size_t n, size_t k, ev_split *out)
{
    size_t ln = k;
    while (ln > 0 && pystr_isspace(s[ln - 1]))
        ln--;
    uint32_t *name;
    size_t nn;
    bool quoted;
    if (!unquote(x, s, ln, &name, &nn, &quoted))
        return false;
    if (!quoted && !ev_bad_chars(x, "The display name contains invalid characters when "
                                    "not quoted: ", name, nn, display_name_bad))
        return false;
    if (!ev_unsafe_chars(x, name, nn, true))
        return false;
    if (pystr_find(s, n, k, '>') == n) {
        pytext_puts(&x->err, "An open angle bracket at the start of the email address has "
                             "to be followed by a close angle bracket at the end.");
        return false;
    }
    size_t end = n;
    while (end > k && s[end - 1] == ' ')
        end--;
    if (s[end - 1] != '>') {
        pytext_puts(&x->err, "There can't be anything after the email address.");
        return false;
    }
    while (end > k + 1 && s[end - 1] == '>')
        end--;
    uint32_t *spec = s + k + 1;
    size_t sn = end - k - 1, at;
    if (!split_at_special(x, spec, sn, false, &at))
        return false;
    out->display = true;
    out->local = spec;
    out->local_n = at;
    out->domain = spec + at + 1;
    out->domain_n = sn - at - 1;
    return true;
}

bool ev_split_email(pyctx *x, uint32_t *s, size_t n, ev_split *out)
{
    size_t k;
    if (!split_at_special(x, s, n, true, &k))
        return false;
    if (s[k] == '<') {
        if (!split_display(x, s, n, k, out))
            return false;
    } else {
        out->display = false;
        out->local = s;
        out->local_n = k;
        out->domain = s + k + 1;
        out->domain_n = n - k - 1;
    }
    return unquote(x, out->local, out->local_n, &out->local, &out->local_n, &out->quoted);
}

/* ---- validate_email_local_part ----------------------------------------------- */

/* DOT_ATOM_TEXT (intl false) or DOT_ATOM_TEXT_INTL, anchored both ends. */
static bool dot_atom(const uint32_t *s, size_t n, bool intl)
{
    bool after_dot = true;
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

static bool not_qtext_intl(uint32_t c)
{
    return c < 0x20 || c == 0x7F;
}

static bool not_atext_intl_dot(uint32_t c)
{
    return c < 0x80 && c != '.' && !is_atext(c);
}

/* '"' + re.sub(r'(["\\])', r'\\\1', s) + '"' */
static uint32_t *requote(pyctx *x, const uint32_t *s, size_t n, size_t *outn)
{
    uint32_t *o = pyctx_alloc(x, 2 * n + 2);
    if (!o)
        return NULL;
    size_t k = 0;
    o[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            o[k++] = '\\';
        o[k++] = s[i];
    }
    o[k++] = '"';
    *outn = k;
    return o;
}

bool ev_local_part(pyctx *x, uint32_t *s, size_t n, bool quoted, ev_local *out)
{
    if (n == 0) {
        pytext_puts(&x->err, "There must be something before the @-sign.");
        return false;
    }
    out->s = s;
    out->n = n;
    out->smtputf8 = false;
    if (dot_atom(s, n, false))
        return true;
    if (dot_atom(s, n, true)) {
        out->smtputf8 = true;
        return ev_unsafe_chars(x, s, n, false);
    }
    if (quoted) {
        if (!ev_bad_chars(x, "The email address contains invalid characters in quotes "
                             "before the @-sign: ", s, n, not_qtext_intl))
            return false;
        for (size_t i = 0; i < n; i++)
            out->smtputf8 |= s[i] < 32 || s[i] > 126;
        if (!ev_unsafe_chars(x, s, n, true))
            return false;
        out->s = requote(x, s, n, &out->n);
        return out->s != NULL;
    }
    if (!ev_bad_chars(x, "The email address contains invalid characters before the "
                         "@-sign: ", s, n, not_atext_intl_dot))
        return false;
    if (!ev_dot_atom(x, s, n, "An email address cannot start with a %s.",
                     "An email address cannot have a %s immediately before the @-sign.",
                     false))
        return false;
    pytext_puts(&x->err, "The email address contains invalid characters before the "
                         "@-sign.");
    return false;
}
