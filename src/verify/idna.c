/* idna.c: the parts of Python's idna package (3.3, as Debian 12 ships it)
 * that email_validator calls: UTS 46 mapping, IDNA 2008 label checks
 * (contexts, bidi), Punycode, A-labels and U-labels. */
#include "verify/idna.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>

#include "verify/idna_tables.inc"

/* Raise IDNAError(msg): the text goes to the context. */
static bool fail(pyctx *c, const char *msg)
{
    pytext_puts(&c->err, msg);
    return false;
}

static bool in_ranges(uint32_t c, const uint32_t (*r)[2], size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {  /* first range whose end is > c */
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid][1] <= c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && r[lo][0] <= c;
}

#define IN(c, tab) in_ranges((c), (tab), sizeof(tab) / sizeof((tab)[0]))

static char joining_type(uint32_t c)
{
    size_t lo = 0, hi = sizeof idna_joining_cp / sizeof idna_joining_cp[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (idna_joining_cp[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < sizeof idna_joining_cp / sizeof idna_joining_cp[0] &&
        idna_joining_cp[lo] == c)
        return idna_joining_type[lo];
    return 0;
}

/* Row of uts46data that applies to c (idna.uts46_remap's lookup). */
static size_t uts46_row(uint32_t c)
{
    if (c < 256)
        return c;
    size_t lo = 0, hi = UTS46_ROWS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (uts46_start[mid] <= c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* The mapping step of idna.uts46_remap(std3_rules=False,
 * transitional=False); out must hold the mapped text. */
static bool uts46_map(pyctx *c, const uint32_t *s, size_t n, uint32_t *out,
                      size_t *outn)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t row = uts46_row(s[i]);
        char st = uts46_status[row];
        bool rep = uts46_len[row] != 255;
        if (st == 'V' || st == 'D' || (st == '3' && !rep)) {
            out[k++] = s[i];
        } else if (rep && (st == 'M' || st == '3')) {
            memcpy(out + k, uts46_pool + uts46_off[row],
                   uts46_len[row] * sizeof *out);
            k += uts46_len[row];
        } else if (st != 'I') {
            pytext_printf(&c->err, "Codepoint U+%04X not allowed at position %zu in ",
                          s[i], i + 1);
            pytext_repr(&c->err, s, n);
            return false;
        }
    }
    *outn = k;
    return true;
}

bool idna_uts46_remap(pyctx *c, const uint32_t *s, size_t n, uint32_t **out,
                      size_t *outn)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        size_t row = uts46_row(s[i]);
        /* a kept char needs 1 even where the row has a (short) mapping */
        cap += uts46_len[row] == 255 || uts46_len[row] == 0 ? 1 : uts46_len[row];
    }
    uint32_t *m = pyctx_alloc(c, cap + 1);
    size_t mn;
    if (!m || !uts46_map(c, s, n, m, &mn))
        return false;
    *out = pystr_nfc(c, m, mn, outn);
    return *out != NULL;
}

/* Whole-label facts that idna recomputes per code point. */
typedef struct label_facts {
    bool kana_han;      /* a Hiragana/Katakana/Han char other than U+30FB */
    bool arabic_indic;  /* U+0660..U+0669 present */
    bool ext_arabic;    /* U+06F0..U+06F9 present */
} label_facts;

static bool valid_contextj(const uint32_t *l, size_t n, size_t pos)
{
    uint32_t c = l[pos];
    if (c == 0x200C) {
        if (pos > 0 && uc_combining_class(l[pos - 1]) == 9)
            return true;
        bool ok = false;
        for (size_t i = pos; i-- > 0;) {
            char jt = joining_type(l[i]);
            if (jt == 'T')
                continue;
            ok = jt == 'L' || jt == 'D';
            break;
        }
        if (!ok)
            return false;
        ok = false;
        for (size_t i = pos + 1; i < n; i++) {
            char jt = joining_type(l[i]);
            if (jt == 'T')
                continue;
            ok = jt == 'R' || jt == 'D';
            break;
        }
        return ok;
    }
    if (c == 0x200D)
        return pos > 0 && uc_combining_class(l[pos - 1]) == 9;
    return false;
}

static bool valid_contexto(const uint32_t *l, size_t n, size_t pos,
                           const label_facts *f)
{
    uint32_t c = l[pos];
    if (c == 0x00B7)
        return pos > 0 && pos < n - 1 && l[pos - 1] == 'l' && l[pos + 1] == 'l';
    if (c == 0x0375)
        return pos < n - 1 && n > 1 && IN(l[pos + 1], idna_script_greek);
    if (c == 0x05F3 || c == 0x05F4)
        return pos > 0 && IN(l[pos - 1], idna_script_hebrew);
    if (c == 0x30FB)
        return f->kana_han;
    if (c >= 0x660 && c <= 0x669)
        return !f->ext_arabic;
    if (c >= 0x6F0 && c <= 0x6F9)
        return !f->arabic_indic;
    return false;
}

static bool check_bidi(pyctx *c, const uint32_t *l, size_t n)
{
    bool bidi_label = false;
    for (size_t i = 0; i < n; i++) {
        int d = uc_bidi_class(l[i]);
        if (d == UC_BIDI_R || d == UC_BIDI_AL || d == UC_BIDI_AN)
            bidi_label = true;
    }
    if (!bidi_label)
        return true;
    int d = uc_bidi_class(l[0]);
    bool rtl;
    if (d == UC_BIDI_R || d == UC_BIDI_AL) {
        rtl = true;
    } else if (d == UC_BIDI_L) {
        rtl = false;
    } else {
        pytext_puts(&c->err, "First codepoint in label ");
        pytext_repr(&c->err, l, n);
        pytext_puts(&c->err, " must be directionality L, R or AL");
        return false;
    }
    bool valid_ending = false;
    int number_type = -1;
    for (size_t i = 0; i < n; i++) {
        d = uc_bidi_class(l[i]);
        if (rtl) {
            if (!(d == UC_BIDI_R || d == UC_BIDI_AL || d == UC_BIDI_AN ||
                  d == UC_BIDI_EN || d == UC_BIDI_ES || d == UC_BIDI_CS ||
                  d == UC_BIDI_ET || d == UC_BIDI_ON || d == UC_BIDI_BN ||
                  d == UC_BIDI_NSM)) {
                pytext_printf(&c->err, "Invalid direction for codepoint at position %zu"
                          " in a right-to-left label", i + 1);
                return false;
            }
            if (d == UC_BIDI_R || d == UC_BIDI_AL || d == UC_BIDI_EN ||
                d == UC_BIDI_AN)
                valid_ending = true;
            else if (d != UC_BIDI_NSM)
                valid_ending = false;
            if (d == UC_BIDI_AN || d == UC_BIDI_EN) {
                if (number_type < 0)
                    number_type = d;
                else if (number_type != d)
                    return fail(c, "Can not mix numeral types in a right-to-left label");
            }
        } else {
            if (!(d == UC_BIDI_L || d == UC_BIDI_EN || d == UC_BIDI_ES ||
                  d == UC_BIDI_CS || d == UC_BIDI_ET || d == UC_BIDI_ON ||
                  d == UC_BIDI_BN || d == UC_BIDI_NSM)) {
                pytext_printf(&c->err, "Invalid direction for codepoint at position %zu"
                          " in a left-to-right label", i + 1);
                return false;
            }
            if (d == UC_BIDI_L || d == UC_BIDI_EN)
                valid_ending = true;
            else if (d != UC_BIDI_NSM)
                valid_ending = false;
        }
    }
    if (!valid_ending)
        return fail(c, "Label ends with illegal codepoint directionality");
    return true;
}

static void label_facts_of(const uint32_t *l, size_t n, label_facts *f)
{
    for (size_t j = 0; j < n; j++) {
        uint32_t x = l[j];
        if (x != 0x30FB && (IN(x, idna_script_hiragana) || IN(x, idna_script_katakana) ||
                            IN(x, idna_script_han)))
            f->kana_han = true;
        f->arabic_indic |= x >= 0x660 && x <= 0x669;
        f->ext_arabic |= x >= 0x6F0 && x <= 0x6F9;
    }
}

/* idna.core.check_label() */
static bool check_label(pyctx *c, uint32_t *l, size_t n)
{
    if (n == 0)
        return fail(c, "Empty Label");
    if (!pystr_is_ascii(l, n)) {
        size_t m;
        uint32_t *t = pystr_nfc(c, l, n, &m);
        if (!t)
            return false;
        if (m != n || memcmp(t, l, n * sizeof *l) != 0)
            return fail(c, "Label must be in Normalization Form C");
    }
    if (n >= 4 && l[2] == '-' && l[3] == '-')
        return fail(c, "Label has disallowed hyphens in 3rd and 4th position");
    if (l[0] == '-' || l[n - 1] == '-')
        return fail(c, "Label must not start or end with a hyphen");
    if (pystr_category_major(l[0]) == 'M')
        return fail(c, "Label begins with an illegal combining character");
    label_facts f = { false, false, false };
    bool facts = false;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = l[i];
        if (x < 0x80 ? (x == '-' || (x >= '0' && x <= '9') ||
                        (x >= 'a' && x <= 'z'))
                     : IN(x, idna_pvalid))
            continue;
        if (IN(x, idna_contextj)) {
            if (!valid_contextj(l, n, i)) {
                pytext_printf(&c->err, "Joiner U+%04X not allowed at position %zu in ",
                              x, i + 1);
                pytext_repr(&c->err, l, n);
                return false;
            }
        } else if (IN(x, idna_contexto)) {
            if (!facts) {
                label_facts_of(l, n, &f);
                facts = true;
            }
            if (!valid_contexto(l, n, i, &f)) {
                pytext_printf(&c->err, "Codepoint U+%04X not allowed at position %zu "
                              "in ", x, i + 1);
                pytext_repr(&c->err, l, n);
                return false;
            }
        } else {
            pytext_printf(&c->err, "Codepoint U+%04X at position %zu of ", x, i + 1);
            pytext_repr(&c->err, l, n);
            pytext_puts(&c->err, " not allowed");
            return false;
        }
    }
    return check_bidi(c, l, n);
}

/* Python's encodings.punycode, encoder side. out: room for 16*n+16. */
static int64_t puny_t(int64_t j, int64_t bias)
{
    int64_t r = 36 * (j + 1) - bias;
    return r < 1 ? 1 : r > 26 ? 26 : r;
}

static int64_t puny_adapt(int64_t delta, bool first, int64_t numchars)
{
    delta = first ? delta / 700 : delta / 2;
    delta += delta / numchars;
    int64_t divisions = 0;
    while (delta > 35 * 26 / 2) {
        delta /= 35;
        divisions += 36;
    }
    return divisions + (36 * delta / (delta + 38));
}

static size_t puny_encode(const uint32_t *s, size_t n, char *out)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    size_t k = 0, nbase = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x80) {
            out[k++] = (char)s[i];
            nbase++;
        }
    if (nbase)
        out[k++] = '-';
    int64_t oldchar = 0x80, oldindex = -1, bias = 72, points = 0;
    uint32_t prev = 0;
    bool first = true;
    for (;;) {  /* each distinct non-basic char, in increasing order */
        uint32_t c = 0;
        bool found = false;
        for (size_t i = 0; i < n; i++)
            if (s[i] >= 0x80 && (first || s[i] > prev) && (!found || s[i] < c)) {
                c = s[i];
                found = true;
            }
        if (!found)
            break;
        first = false;
        prev = c;
        int64_t curlen = 0;
        for (size_t i = 0; i < n; i++)
            curlen += s[i] < c;
        int64_t delta = (curlen + 1) * ((int64_t)c - oldchar);
        int64_t index = -1;
        for (size_t pos = 0; pos < n; pos++) {
            if (s[pos] < c) {
                index++;
                continue;
            }
            if (s[pos] != c)
                continue;
            index++;
            delta += index - oldindex;
            int64_t d = delta - 1;
            for (int64_t j = 0;; j++) {  /* generate_generalized_integer */
                int64_t t = puny_t(j, bias);
                if (d < t) {
                    out[k++] = digits[d];
                    break;
                }
                out[k++] = digits[t + ((d - t) % (36 - t))];
                d = (d - t) / (36 - t);
            }
            bias = puny_adapt(delta - 1, points == 0, (int64_t)nbase + points + 1);
            points++;
            oldindex = index;
            delta = 0;
        }
        oldchar = c;
    }
    return k;
}

/* Python's encodings.punycode decoder (errors="strict"). in is ASCII; out
 * must hold n code points. False where Python raises UnicodeError. Python's
 * integers are unbounded: a delta above PUNY_BIG always ends in an error
 * there (the code point leaves the Unicode range), so stopping early is
 * the same verdict. */
#define PUNY_BIG ((int64_t)1 << 52)

static bool puny_decode(const uint32_t *in, size_t n, uint32_t *out,
                        size_t *outn)
{
    size_t dash = n, blen = 0, ext = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i] == '-')
            dash = i;
    if (dash < n) {
        memcpy(out, in, dash * sizeof *in);
        blen = dash;
        ext = dash + 1;
    }
    int64_t ch = 0x80, pos = -1, bias = 72;
    size_t extpos = ext;
    while (extpos < n) {
        int64_t result = 0, w = 1;
        bool big = false;
        size_t e = extpos;
        for (int64_t j = 0;; j++) {  /* decode_generalized_number */
            if (e >= n)
                return false;
            uint32_t c = in[e++];
            int64_t digit;
            if (c >= 'a' && c <= 'z')
                c -= 32;
            if (c >= 'A' && c <= 'Z')
                digit = c - 'A';
            else if (c >= '0' && c <= '9')
                digit = (int64_t)c - 22;
            else
                return false;
            int64_t t = puny_t(j, bias);
            if (digit) {
                if (big)
                    return false;
                result += digit * w;
                if (result > PUNY_BIG)
                    return false;
            }
            if (digit < t)
                break;
            w *= 36 - t;
            if (w > PUNY_BIG)
                big = true, w = PUNY_BIG;
        }
        pos += result + 1;
        ch += pos / (int64_t)(blen + 1);
        if (ch > 0x10FFFF)
            return false;
        pos %= (int64_t)(blen + 1);
        memmove(out + pos + 1, out + pos, (blen - (size_t)pos) * sizeof *out);
        out[pos] = (uint32_t)ch;
        blen++;
        bias = puny_adapt(result, extpos == ext, (int64_t)blen);
        extpos = e;
    }
    *outn = blen;
    return true;
}

/* idna.core.ulabel() of an ASCII label; *u gets the U-label. */
static bool ulabel(pyctx *c, const uint32_t *l, size_t n, uint32_t **u, size_t *un)
{
    uint32_t *low = pyctx_alloc(c, n + 1);
    if (!low)
        return false;
    for (size_t i = 0; i < n; i++)
        low[i] = l[i] >= 'A' && l[i] <= 'Z' ? l[i] + 32 : l[i];
    if (n >= 4 && low[0] == 'x' && low[1] == 'n' && low[2] == '-' && low[3] == '-') {
        size_t rn = n - 4;
        if (rn == 0)
            return fail(c, "Malformed A-label, no Punycode eligible content found");
        if (low[n - 1] == '-')
            return fail(c, "A-label must not end with a hyphen");
        size_t dn;
        uint32_t *dec = pyctx_alloc(c, rn);
        if (!dec)
            return false;
        if (!puny_decode(low + 4, rn, dec, &dn))
            return fail(c, "Invalid A-label");
        low = dec;
        n = dn;
    }
    if (!check_label(c, low, n))
        return false;
    *u = low;
    *un = n;
    return true;
}

bool idna_ulabel(pyctx *c, const char *l, size_t n, uint32_t **u, size_t *un)
{
    uint32_t *w = pyctx_alloc(c, n + 1);
    if (!w)
        return false;
    for (size_t i = 0; i < n; i++)
        w[i] = (unsigned char)l[i];
    return ulabel(c, w, n, u, un);
}

bool idna_alabel(pyctx *c, uint32_t *l, size_t n, char *out, size_t *outn)
{
    if (pystr_is_ascii(l, n)) {
        uint32_t *u;
        size_t un;
        if (!ulabel(c, l, n, &u, &un))
            return false;
        if (n > IDNA_LABEL_MAX)
            return fail(c, "Label too long");
        for (size_t i = 0; i < n; i++)
            out[i] = (char)l[i];
        *outn = n;
        return true;
    }
    if (!check_label(c, l, n))
        return false;
    /* the Punycode of n code points is at least n long */
    if (n + 4 > IDNA_LABEL_MAX)
        return fail(c, "Label too long");
    char p[16 * IDNA_LABEL_MAX];
    size_t pn = puny_encode(l, n, p);
    if (4 + pn > IDNA_LABEL_MAX)
        return fail(c, "Label too long");
    memcpy(out, "xn--", 4);
    memcpy(out + 4, p, pn);
    *outn = 4 + pn;
    return true;
}

static bool is_dot(uint32_t c)
{
    return c == '.' || c == 0x3002 || c == 0xFF0E || c == 0xFF61;
}

bool idna_encode(pyctx *c, uint32_t *d, size_t n)
{
    if (n == 0)
        return fail(c, "Empty domain");
    size_t end = n, total = 0;
    bool trailing = is_dot(d[n - 1]);
    if (trailing)
        end--;
    for (size_t start = 0;; start++) {
        size_t stop = start;
        while (stop < end && !is_dot(d[stop]))
            stop++;
        char lab[IDNA_LABEL_MAX + 1];
        size_t ln, mark = c->used;
        if (!idna_alabel(c, d + start, stop - start, lab, &ln))
            return false;
        c->used = mark;  /* the label's scratch (in the context) is done with */
        total += (total ? 1 : 0) + ln;
        if (stop >= end)
            break;
        start = stop;
    }
    if (total + trailing > (trailing ? IDNA_DOMAIN_MAX + 1 : IDNA_DOMAIN_MAX))
        return fail(c, "Domain too long");
    return true;
}
