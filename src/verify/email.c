/* email.c: address syntax, judged as the real service judges it.
 * A port of python3-email-validator 1.3.0 validate_email(...,
 * check_deliverability=False) and of the python3-idna 3.3 code it calls. */
#include "verify/email.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <uniname.h>
#include <uninorm.h>

#include "verify/idna_tables.inc"

/* Limits used by email_validator and idna (measured as they measure them). */
#define LOCAL_MAX 64    /* code points of the local part as given */
#define EMAIL_MAX 254   /* ASCII form, code points, and UTF-8 octets */
#define LABEL_MAX 63    /* octets of an ASCII (A-)label */
#define DOMAIN_MAX 253  /* octets of the ASCII domain (idna.encode) */

/* ---- reason messages: formatted into per-thread buffers ---------------- */

#define REASON_CAP 1024
static _Thread_local char tls_reason[REASON_CAP];
static _Thread_local char tls_idna[REASON_CAP];

typedef struct sbuf {
    char *p;
    size_t cap, len;
} sbuf;

static sbuf sb_init(char *p, size_t cap)
{
    sbuf b = { p, cap, 0 };
    p[0] = '\0';
    return b;
}

/* Append n bytes, truncating silently at the capacity. */
static void sb_put(sbuf *b, const char *s, size_t n)
{
    size_t room = b->cap - 1 - b->len;
    if (n > room)
        n = room;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static bool is_surrogate(uint32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

/* One code point as UTF-8. NUL becomes U+FFFD. Lone surrogates U+DC80..U+DCFF came from
 * undecodable input bytes (Python's surrogateescape) and go back as those
 * bytes; other surrogates cannot be written and become '?'. */
static void sb_cp(sbuf *b, uint32_t c)
{
    char u[4];
    size_t n;
    if (c == 0) {  /* a C string cannot hold NUL: write U+FFFD instead */
        sb_puts(b, "\xEF\xBF\xBD");
        return;
    } else if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (is_surrogate(c)) {
        u[0] = c >= 0xDC80 && c <= 0xDCFF ? (char)(c - 0xDC00) : '?';
        n = 1;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    sb_put(b, u, n);
}

static void sb_u32(sbuf *b, const uint32_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sb_cp(b, s[i]);
}

static char gc_major(uint32_t c)
{
    return uc_general_category_name(uc_general_category(c))[0];
}

/* Python's str.isprintable() for one character. */
static bool py_printable(uint32_t c)
{
    if (c == ' ')
        return true;
    char m = gc_major(c);
    return m != 'C' && m != 'Z';
}

/* repr(s) exactly as CPython writes it. */
static void sb_repr(sbuf *b, const uint32_t *s, size_t n)
{
    bool sq = false, dq = false;
    for (size_t i = 0; i < n; i++) {
        sq |= s[i] == '\'';
        dq |= s[i] == '"';
    }
    char q = sq && !dq ? '"' : '\'';
    sb_put(b, &q, 1);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (c == (uint32_t)q || c == '\\') {
            char e[2] = { '\\', (char)c };
            sb_put(b, e, 2);
        } else if (c == '\t') {
            sb_puts(b, "\\t");
        } else if (c == '\n') {
            sb_puts(b, "\\n");
        } else if (c == '\r') {
            sb_puts(b, "\\r");
        } else if (c < 0x20 || c == 0x7F) {
            sb_printf(b, "\\x%02x", c);
        } else if (c < 0x7F || py_printable(c)) {
            sb_cp(b, c);
        } else if (c <= 0xFF) {
            sb_printf(b, "\\x%02x", c);
        } else if (c <= 0xFFFF) {
            sb_printf(b, "\\u%04x", c);
        } else {
            sb_printf(b, "\\U%08x", c);
        }
    }
    sb_put(b, &q, 1);
}

/* unicodedata.name(c, repr(c)) */
static void sb_char_name(sbuf *b, uint32_t c)
{
    char name[UNINAME_MAX];
    if (unicode_character_name(c, name))
        sb_puts(b, name);
    else
        sb_repr(b, &c, 1);
}

/* "(N characters too many)" as email_validator's __get_length_reason. */
static void sb_length_reason(sbuf *b, size_t len, bool utf8, size_t limit)
{
    size_t diff = len - limit;
    sb_printf(b, "(%s%zu character%s too many)", utf8 ? "at least " : "",
              diff, diff > 1 ? "s" : "");
}

/* Not a message of email_validator (Python would raise MemoryError). */
static const char OOM[] = "The email address could not be checked (out of memory).";

/* ---- scratch memory: stack first, heap only for long input ------------- */

#define ARENA_STACK 4096

typedef struct heap_block {
    struct heap_block *next;
    uint32_t data[];
} heap_block;

typedef struct arena {
    uint32_t mem[ARENA_STACK];
    size_t used;
    heap_block *heap;
} arena;

static uint32_t *arena_alloc(arena *a, size_t n)
{
    if (n <= ARENA_STACK - a->used) {
        uint32_t *p = a->mem + a->used;
        a->used += n;
        return p;
    }
    if (n > (SIZE_MAX - sizeof(heap_block)) / sizeof(uint32_t) / 2)
        return NULL;
    heap_block *b = malloc(sizeof *b + (n ? n : 1) * sizeof(uint32_t));
    if (!b)
        return NULL;
    b->next = a->heap;
    a->heap = b;
    return b->data;
}

static void arena_release(arena *a)
{
    while (a->heap) {
        heap_block *next = a->heap->next;
        free(a->heap);
        a->heap = next;
    }
}

/* ---- decoding ----------------------------------------------------------- */

/* Strict UTF-8 to code points; every byte that is not part of a valid
 * sequence becomes U+DC00+byte, as Python's surrogateescape does. */
static size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *out)
{
    size_t i = 0, k = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b < 0x80) {
            out[k++] = b;
            i++;
            continue;
        }
        size_t need;
        uint32_t c;
        if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
            c = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
            need = 2;
            c = b & 0x0F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            need = 3;
            c = b & 0x07;
        } else {
            goto bad;
        }
        for (size_t j = 1; j <= need; j++) {
            if (i + j >= n || (s[i + j] & 0xC0) != 0x80)
                goto bad;
            c = (c << 6) | (s[i + j] & 0x3F);
        }
        if ((need == 2 && (c < 0x800 || is_surrogate(c))) ||
            (need == 3 && (c < 0x10000 || c > 0x10FFFF)))
            goto bad;
        out[k++] = c;
        i += need + 1;
        continue;
bad:
        out[k++] = 0xDC00 + b;
        i++;
    }
    return k;
}

static bool all_ascii(const uint32_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 0x80)
            return false;
    return true;
}

static size_t utf8_len(const uint32_t *s, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += s[i] < 0x80 ? 1 : s[i] < 0x800 ? 2 : s[i] < 0x10000 ? 3 : 4;
    return len;
}

/* unicodedata.normalize("NFC", s). Lone surrogates are starters that never
 * combine, so each run between them is normalised on its own. Returns s
 * itself when it is ASCII; NULL when out of memory. */
static uint32_t *nfc(arena *a, uint32_t *s, size_t n, size_t *outn)
{
    if (all_ascii(s, n)) {
        *outn = n;
        return s;
    }
    size_t cap = 3 * n + 4;  /* NFC grows a string at most threefold */
    uint32_t *out = arena_alloc(a, cap);
    if (!out)
        return NULL;
    size_t i = 0, k = 0;
    while (i < n) {
        if (is_surrogate(s[i])) {
            out[k++] = s[i++];
            continue;
        }
        size_t j = i;
        while (j < n && !is_surrogate(s[j]))
            j++;
        size_t len = cap - k;
        uint32_t *r = u32_normalize(UNINORM_NFC, s + i, j - i, out + k, &len);
        if (!r)
            return NULL;
        if (r != out + k) {  /* cannot happen given cap; be safe */
            free(r);
            return NULL;
        }
        k += len;
        i = j;
    }
    *outn = k;
    return out;
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
static const char *check_local(arena *a, uint32_t *s, size_t n,
                               uint32_t **lp, size_t *ln, bool *ascii)
{
    sbuf b = sb_init(tls_reason, REASON_CAP);
    if (n == 0)
        return "There must be something before the @-sign.";
    if (n > LOCAL_MAX) {
        sb_puts(&b, "The email address is too long before the @-sign ");
        sb_length_reason(&b, n, false, LOCAL_MAX);
        sb_puts(&b, ".");
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
        sb_puts(&b, "The email address contains invalid characters before "
                    "the @-sign: ");
        for (size_t i = 0; i < nn; i++) {
            if (i)
                sb_puts(&b, ", ");
            sb_puts(&b, names[i]);
        }
        sb_puts(&b, ".");
        return tls_reason;
    }
    size_t m;
    uint32_t *t = nfc(a, s, n, &m);
    if (!t)
        return OOM;
    for (size_t i = 0; i < m; i++) {
        char major = gc_major(t[i]);
        if (major == 'M' && i == 0) {
            sb_puts(&b, "The email address contains an initial invalid "
                        "character (");
        } else if (major == 'Z' || major == 'C') {
            sb_puts(&b, "The email address contains an invalid character (");
        } else {
            continue;
        }
        sb_char_name(&b, t[i]);
        sb_puts(&b, ").");
        return tls_reason;
    }
    *lp = t;
    *ln = m;
    *ascii = false;
    return NULL;
}

/* ---- idna 3.3 ------------------------------------------------------------ */

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

static const char *idna_fail(void) { return tls_idna; }

/* idna.uts46_remap(std3_rules=False, transitional=False) without the final
 * NFC; out must hold 18 * n code points. */
static const char *uts46_remap(const uint32_t *s, size_t n, uint32_t *out,
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
            sbuf b = sb_init(tls_idna, REASON_CAP);
            sb_printf(&b, "Codepoint U+%04X not allowed at position %zu in ",
                      s[i], i + 1);
            sb_repr(&b, s, n);
            return idna_fail();
        }
    }
    *outn = k;
    return NULL;
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

static const char *check_bidi(const uint32_t *l, size_t n)
{
    bool bidi_label = false;
    for (size_t i = 0; i < n; i++) {
        int d = uc_bidi_class(l[i]);
        if (d == UC_BIDI_R || d == UC_BIDI_AL || d == UC_BIDI_AN)
            bidi_label = true;
    }
    if (!bidi_label)
        return NULL;
    sbuf b = sb_init(tls_idna, REASON_CAP);
    int d = uc_bidi_class(l[0]);
    bool rtl;
    if (d == UC_BIDI_R || d == UC_BIDI_AL) {
        rtl = true;
    } else if (d == UC_BIDI_L) {
        rtl = false;
    } else {
        sb_puts(&b, "First codepoint in label ");
        sb_repr(&b, l, n);
        sb_puts(&b, " must be directionality L, R or AL");
        return idna_fail();
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
                sb_printf(&b, "Invalid direction for codepoint at position %zu"
                          " in a right-to-left label", i + 1);
                return idna_fail();
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
                    return "Can not mix numeral types in a right-to-left label";
            }
        } else {
            if (!(d == UC_BIDI_L || d == UC_BIDI_EN || d == UC_BIDI_ES ||
                  d == UC_BIDI_CS || d == UC_BIDI_ET || d == UC_BIDI_ON ||
                  d == UC_BIDI_BN || d == UC_BIDI_NSM)) {
                sb_printf(&b, "Invalid direction for codepoint at position %zu"
                          " in a left-to-right label", i + 1);
                return idna_fail();
            }
            if (d == UC_BIDI_L || d == UC_BIDI_EN)
                valid_ending = true;
            else if (d != UC_BIDI_NSM)
                valid_ending = false;
        }
    }
    if (!valid_ending)
        return "Label ends with illegal codepoint directionality";
    return NULL;
}

/* idna.core.check_label() */
static const char *check_label(arena *a, uint32_t *l, size_t n)
{
    if (n == 0)
        return "Empty Label";
    if (!all_ascii(l, n)) {
        size_t m;
        uint32_t *t = nfc(a, l, n, &m);
        if (!t || m != n || memcmp(t, l, n * sizeof *l) != 0)
            return "Label must be in Normalization Form C";
    }
    if (n >= 4 && l[2] == '-' && l[3] == '-')
        return "Label has disallowed hyphens in 3rd and 4th position";
    if (l[0] == '-' || l[n - 1] == '-')
        return "Label must not start or end with a hyphen";
    if (gc_major(l[0]) == 'M')
        return "Label begins with an illegal combining character";
    label_facts f = { false, false, false };
    bool facts = false;
    sbuf b = sb_init(tls_idna, REASON_CAP);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = l[i];
        if (c < 0x80 ? (c == '-' || (c >= '0' && c <= '9') ||
                        (c >= 'a' && c <= 'z'))
                     : IN(c, idna_pvalid))
            continue;
        if (IN(c, idna_contextj)) {
            if (!valid_contextj(l, n, i)) {
                sb_printf(&b, "Joiner U+%04X not allowed at position %zu in ",
                          c, i + 1);
                sb_repr(&b, l, n);
                return idna_fail();
            }
        } else if (IN(c, idna_contexto)) {
            if (!facts) {
                for (size_t j = 0; j < n; j++) {
                    uint32_t x = l[j];
                    if (x != 0x30FB && (IN(x, idna_script_hiragana) ||
                                        IN(x, idna_script_katakana) ||
                                        IN(x, idna_script_han)))
                        f.kana_han = true;
                    f.arabic_indic |= x >= 0x660 && x <= 0x669;
                    f.ext_arabic |= x >= 0x6F0 && x <= 0x6F9;
                }
                facts = true;
            }
            if (!valid_contexto(l, n, i, &f)) {
                sb_printf(&b, "Codepoint U+%04X not allowed at position %zu "
                          "in ", c, i + 1);
                sb_repr(&b, l, n);
                return idna_fail();
            }
        } else {
            sb_printf(&b, "Codepoint U+%04X at position %zu of ", c, i + 1);
            sb_repr(&b, l, n);
            sb_puts(&b, " not allowed");
            return idna_fail();
        }
    }
    return check_bidi(l, n);
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
static const char *ulabel(arena *a, const uint32_t *l, size_t n,
                          uint32_t **u, size_t *un)
{
    uint32_t *low = arena_alloc(a, n + 1);
    if (!low)
        return OOM;
    for (size_t i = 0; i < n; i++)
        low[i] = l[i] >= 'A' && l[i] <= 'Z' ? l[i] + 32 : l[i];
    if (n >= 4 && low[0] == 'x' && low[1] == 'n' && low[2] == '-' &&
        low[3] == '-') {
        size_t rn = n - 4;
        if (rn == 0)
            return "Malformed A-label, no Punycode eligible content found";
        if (low[n - 1] == '-')
            return "A-label must not end with a hyphen";
        size_t dn;
        uint32_t *dec = arena_alloc(a, rn);
        if (!dec)
            return OOM;
        if (!puny_decode(low + 4, rn, dec, &dn))
            return "Invalid A-label";
        const char *e = check_label(a, dec, dn);
        if (e)
            return e;
        *u = dec;
        *un = dn;
        return NULL;
    }
    const char *e = check_label(a, low, n);
    if (e)
        return e;
    *u = low;
    *un = n;
    return NULL;
}

/* idna.core.alabel(): the A-label goes to aout (room for 64 bytes). */
static const char *alabel(arena *a, uint32_t *l, size_t n, char *aout,
                          size_t *alen, uint32_t **u, size_t *un)
{
    const char *e;
    if (all_ascii(l, n)) {
        e = ulabel(a, l, n, u, un);
        if (e)
            return e;
        if (n > LABEL_MAX)
            return "Label too long";
        for (size_t i = 0; i < n; i++)
            aout[i] = (char)l[i];
        *alen = n;
        return NULL;
    }
    e = check_label(a, l, n);
    if (e)
        return e;
    /* the Punycode of n code points is at least n long */
    if (n + 4 > LABEL_MAX)
        return "Label too long";
    char p[16 * LABEL_MAX];
    size_t pn = puny_encode(l, n, p);
    if (4 + pn > LABEL_MAX)
        return "Label too long";
    memcpy(aout, "xn--", 4);
    memcpy(aout + 4, p, pn);
    *alen = 4 + pn;
    *u = l;
    *un = n;
    return NULL;
}

static bool is_dot(uint32_t c)
{
    return c == '.' || c == 0x3002 || c == 0xFF0E || c == 0xFF61;
}

/* idna.encode(d, uts46=False) together with the idna.decode() of its result
 * (which, for what encode accepted, gives back the U-labels). ascii gets up
 * to DOMAIN_MAX + 2 bytes, *alen the full length; i18n room for n + 1. */
static const char *idna_encode(arena *a, uint32_t *d, size_t n, char *ascii,
                               size_t *alen, uint32_t *i18n, size_t *in)
{
    if (n == 0)
        return "Empty domain";
    size_t end = n, total = 0, k = 0;
    bool trailing = is_dot(d[n - 1]);
    if (trailing)
        end--;
    size_t start = 0;
    for (;;) {
        size_t stop = start;
        while (stop < end && !is_dot(d[stop]))
            stop++;
        char lab[LABEL_MAX + 1];
        size_t ln, un, mark = a->used;
        uint32_t *u;
        const char *e = alabel(a, d + start, stop - start, lab, &ln, &u, &un);
        if (e)
            return e;
        if (total) {
            if (total < DOMAIN_MAX + 2)
                ascii[total] = '.';
            total++;
        }
        for (size_t i = 0; i < ln; i++, total++)
            if (total < DOMAIN_MAX + 2)
                ascii[total] = lab[i];
        if (k)
            i18n[k++] = '.';
        memcpy(i18n + k, u, un * sizeof *u);
        k += un;
        a->used = mark;  /* the label's scratch (on the stack) is done with */
        if (stop >= end)
            break;
        start = stop + 1;
    }
    if (trailing)
        total++;
    if (total > (trailing ? DOMAIN_MAX + 1 : DOMAIN_MAX))
        return "Domain too long";
    *alen = total;
    *in = k;
    return NULL;
}

/* ---- the domain part and the whole address ------------------------------ */

static const char *const special_use[] = {
    "arpa", "invalid", "local", "localhost", "onion", "test",
};

static const char *domain_msg(const uint32_t *dom, size_t n, const char *fmt1,
                              const char *fmt2, const char *inner)
{
    if (inner == OOM)
        return OOM;
    sbuf b = sb_init(tls_reason, REASON_CAP);
    sb_puts(&b, fmt1);
    sb_u32(&b, dom, n);
    sb_puts(&b, fmt2);
    if (inner) {
        sb_puts(&b, inner);
        sb_puts(&b, ").");
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

static const char *check_addr(arena *a, const uint8_t *s, size_t len,
                              size_t at)
{
    uint32_t *u = arena_alloc(a, len + 1);
    if (!u)
        return OOM;
    size_t nl = utf8_decode(s, at, u);
    uint32_t *dom = u + nl;
    size_t nd = utf8_decode(s + at + 1, len - at - 1, dom);

    uint32_t *lp;
    size_t ln;
    bool lascii;
    const char *e = check_local(a, u, nl, &lp, &ln, &lascii);
    if (e)
        return e;

    if (nd == 0)
        return "There must be something after the @-sign.";
    size_t rcap = 0;
    for (size_t i = 0; i < nd; i++) {
        size_t row = uts46_row(dom[i]);
        /* a kept char needs 1 even where the row has a (short) mapping */
        rcap += uts46_len[row] == 255 || uts46_len[row] == 0 ? 1 : uts46_len[row];
    }
    uint32_t *rm = arena_alloc(a, rcap + 1);
    if (!rm)
        return OOM;
    size_t rn;
    e = uts46_remap(dom, nd, rm, &rn);
    if (e)
        return domain_msg(dom, nd, "The domain name ",
                          " contains invalid characters (", e);
    rm = nfc(a, rm, rn, &rn);
    if (!rm)
        return OOM;
    if (rn > 0 && rm[rn - 1] == '.')
        return "An email address cannot end with a period.";
    if (rn > 0 && rm[0] == '.')
        return "An email address cannot have a period immediately after the "
               "@-sign.";
    for (size_t i = 1; i < rn; i++)
        if (rm[i] == '.' && rm[i - 1] == '.')
            return "An email address cannot have two periods in a row.";

    char ascii[DOMAIN_MAX + 2];
    size_t alen, in;
    uint32_t *i18n = arena_alloc(a, rn + 1);
    if (!i18n)
        return OOM;
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

    sbuf b = sb_init(tls_reason, REASON_CAP);
    size_t email_cp = ln + 1 + in;
    if (lascii && ln + 1 + alen > EMAIL_MAX) {
        bool same = alen == in;
        for (size_t i = 0; same && i < in; i++)
            same = (uint32_t)(unsigned char)ascii[i] == i18n[i];
        sb_puts(&b, "The email address is too long ");
        if (same)
            sb_length_reason(&b, ln + 1 + alen, false, EMAIL_MAX);
        else if (email_cp > EMAIL_MAX)
            sb_length_reason(&b, email_cp, true, EMAIL_MAX);
        else
            sb_puts(&b, "(when converted to IDNA ASCII)");
        sb_puts(&b, ".");
        return tls_reason;
    }
    if (utf8_len(lp, ln) + 1 + utf8_len(i18n, in) > EMAIL_MAX) {
        sb_puts(&b, "The email address is too long ");
        if (email_cp > EMAIL_MAX)
            sb_length_reason(&b, email_cp, true, EMAIL_MAX);
        else
            sb_puts(&b, "(when encoded in bytes)");
        sb_puts(&b, ".");
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
        len - at - 1 > DOMAIN_MAX)
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
    char low[DOMAIN_MAX + 1];
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
        arena a;
        a.used = 0;
        a.heap = NULL;
        r = check_addr(&a, s, len, at);
        arena_release(&a);
    }
    if (r && reason)
        *reason = r;
    return r == NULL;
}
