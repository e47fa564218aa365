/* pystr.c: Python's str semantics for the validator ports: decoding,
 * NFC, repr(), character names and classes, scratch memory and the
 * exception text. */
#include "verify/pystr.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <uniname.h>
#include <uninorm.h>

#include "core/utf8.h"

/* ---- a growable text ------------------------------------------------------- */

void pytext_init(pytext *b, bool off)
{
    buf_init(&b->b, PYTEXT_MAX);
    b->off = off;
    b->oom = false;
}

void pytext_put(pytext *b, const char *s, size_t n)
{
    if (!b->off && !b->oom && buf_add(&b->b, s, n) != UC_OK)
        b->oom = true;
}

void pytext_puts(pytext *b, const char *s)
{
    pytext_put(b, s, strlen(s));
}

void pytext_printf(pytext *b, const char *fmt, ...)
{
    if (b->off || b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (buf_vprintf(&b->b, fmt, ap) != UC_OK)
        b->oom = true;
    va_end(ap);
}

bool pystr_is_surrogate(uint32_t c)
{
    return c >= 0xD800 && c <= 0xDFFF;
}

/* c as UTF-8 into u (4 bytes), as pytext_cp() documents; the length. */
static size_t encode_cp(uint32_t c, char *u)
{
    if (c == 0) {  /* a C string cannot hold NUL */
        memcpy(u, "\xEF\xBF\xBD", 3);
        return 3;
    }
    if (c < 0x80) {
        u[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (pystr_is_surrogate(c)) {
        u[0] = c >= 0xDC80 && c <= 0xDCFF ? (char)(c - 0xDC00) : '?';
        return 1;
    }
    if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    u[0] = (char)(0xF0 | (c >> 18));
    u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    u[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

void pytext_cp(pytext *b, uint32_t c)
{
    char u[4];
    pytext_put(b, u, encode_cp(c, u));
}

void pytext_u32(pytext *b, const uint32_t *s, size_t n)
{
    for (size_t i = 0; i < n && !b->off; i++)
        pytext_cp(b, s[i]);
}

char pystr_category_major(uint32_t c)
{
    return uc_general_category_name(uc_general_category(c))[0];
}

bool pystr_is_space_separator(uint32_t c)
{
    return uc_is_general_category(c, UC_SPACE_SEPARATOR);
}

/* Python's str.isprintable() for one character. */
static bool py_printable(uint32_t c)
{
    if (c == ' ')
        return true;
    char m = pystr_category_major(c);
    return m != 'C' && m != 'Z';
}

void pytext_repr(pytext *b, const uint32_t *s, size_t n)
{
    if (b->off)
        return;
    bool sq = false, dq = false;
    for (size_t i = 0; i < n; i++) {
        sq |= s[i] == '\'';
        dq |= s[i] == '"';
    }
    char q = sq && !dq ? '"' : '\'';
    pytext_put(b, &q, 1);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (c == (uint32_t)q || c == '\\') {
            char e[2] = { '\\', (char)c };
            pytext_put(b, e, 2);
        } else if (c == '\t') {
            pytext_puts(b, "\\t");
        } else if (c == '\n') {
            pytext_puts(b, "\\n");
        } else if (c == '\r') {
            pytext_puts(b, "\\r");
        } else if (c < 0x20 || c == 0x7F) {
            pytext_printf(b, "\\x%02x", c);
        } else if (c < 0x7F || py_printable(c)) {
            pytext_cp(b, c);
        } else if (c <= 0xFF) {
            pytext_printf(b, "\\x%02x", c);
        } else if (c <= 0xFFFF) {
            pytext_printf(b, "\\u%04x", c);
        } else {
            pytext_printf(b, "\\U%08x", c);
        }
    }
    pytext_put(b, &q, 1);
}

void pytext_wrap(pytext *b, const char *prefix, const char *suffix)
{
    size_t pn = strlen(prefix);
    if (b->off || b->oom)
        return;
    if (buf_reserve(&b->b, pn) != UC_OK) {
        b->oom = true;
        return;
    }
    memmove(b->b.data + pn, b->b.data, b->b.len);
    memcpy(b->b.data, prefix, pn);
    buf_added(&b->b, pn);
    pytext_puts(b, suffix);
}

char *pytext_take(pytext *b)
{
    char *p = b->oom ? NULL : buf_take(&b->b, NULL);
    buf_free(&b->b);
    return p;
}

void pytext_free(pytext *b)
{
    buf_free(&b->b);
}

bool pystr_char_name(uint32_t c, char name[PYSTR_NAME_MAX])
{
    return !pystr_is_surrogate(c) && unicode_character_name(c, name) != NULL;
}

bool pystr_isspace(uint32_t c)
{
    if (c < 0x80)
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* ---- one validation's context ---------------------------------------------- */

struct pyctx_block {
    struct pyctx_block *next;
    uint32_t data[];
};

void pyctx_init(pyctx *c, bool want_text)
{
    c->used = 0;
    c->heap = NULL;
    pytext_init(&c->err, !want_text);
    c->oom = false;
}

bool pyctx_nomem(pyctx *c)
{
    c->oom = true;
    return false;
}

uint32_t *pyctx_alloc(pyctx *c, size_t n)
{
    if (n <= PYCTX_STACK - c->used) {
        uint32_t *p = c->mem + c->used;
        c->used += n;
        return p;
    }
    pyctx_block *b = NULL;
    if (n <= (SIZE_MAX - sizeof *b) / sizeof(uint32_t) / 2)
        b = malloc(sizeof *b + (n ? n : 1) * sizeof(uint32_t));
    if (!b) {
        c->oom = true;
        return NULL;
    }
    b->next = c->heap;
    c->heap = b;
    return b->data;
}

void pyctx_release(pyctx *c)
{
    while (c->heap) {
        pyctx_block *next = c->heap->next;
        free(c->heap);
        c->heap = next;
    }
    pytext_free(&c->err);
}

/* ---- code-point strings ------------------------------------------------------ */

size_t pystr_decode(const uint8_t *s, size_t n, uint32_t *out)
{
    size_t i = 0, k = 0;
    while (i < n) {
        if (s[i] < 0x80) {  /* the common case, without a call */
            out[k++] = s[i++];
            continue;
        }
        size_t len = utf8_decode(s + i, n - i, &out[k]);
        if (len == 0) {  /* the byte is escaped, and decoding goes on after it */
            out[k] = 0xDC00u + s[i];
            len = 1;
        }
        k++;
        i += len;
    }
    return k;
}

bool pystr_is_ascii(const uint32_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 0x80)
            return false;
    return true;
}

size_t pystr_utf8_len(const uint32_t *s, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += s[i] < 0x80 ? 1 : s[i] < 0x800 ? 2 : s[i] < 0x10000 ? 3 : 4;
    return len;
}

size_t pystr_utf8(const uint32_t *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += encode_cp(s[i], out + k);
    return k;
}

uint32_t *pystr_nfc(pyctx *c, uint32_t *s, size_t n, size_t *outn)
{
    if (pystr_is_ascii(s, n)) {
        *outn = n;
        return s;
    }
    size_t cap = 3 * n + 4;  /* NFC grows a string at most threefold */
    uint32_t *out = pyctx_alloc(c, cap);
    if (!out)
        return NULL;
    size_t i = 0, k = 0;
    while (i < n) {  /* lone surrogates never combine: normalise between them */
        if (pystr_is_surrogate(s[i])) {
            out[k++] = s[i++];
            continue;
        }
        size_t j = i;
        while (j < n && !pystr_is_surrogate(s[j]))
            j++;
        size_t len = cap - k;
        uint32_t *r = u32_normalize(UNINORM_NFC, s + i, j - i, out + k, &len);
        if (r != out + k) {  /* NULL, or (cannot happen given cap) moved */
            free(r);
            c->oom = true;
            return NULL;
        }
        k += len;
        i = j;
    }
    *outn = k;
    return out;
}

/* Starters (ccc 0) that compose with the character before them: the
 * second half of a primary composite (Unicode 14, as Python's unicodedata
 * 14.0.0; Hangul vowels and trailing consonants apart). */
static bool composes_backward(uint32_t c)
{
    static const uint32_t second[] = {
        0x09BE, 0x09D7, 0x0B3E, 0x0B56, 0x0B57, 0x0BBE, 0x0BD7, 0x0CC2,
        0x0CD5, 0x0CD6, 0x0D3E, 0x0D57, 0x0DCF, 0x0DDF, 0x102E, 0x1B35,
        0x11127, 0x1133E, 0x11357, 0x114B0, 0x114BA, 0x114BD, 0x115AF, 0x11930,
    };
    if ((c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2))
        return true;
    for (size_t i = 0; i < sizeof second / sizeof second[0]; i++)
        if (second[i] == c)
            return true;
    return false;
}

/* The full canonical decomposition of c into d (its length; c itself
 * when it has none). */
static size_t nfd_char(uint32_t c, uint32_t d[8])
{
    uint32_t one[UC_DECOMPOSITION_MAX_LENGTH];
    int k = pystr_is_surrogate(c) ? -1 : uc_canonical_decomposition(c, one);
    if (k <= 0) {
        d[0] = c;
        return 1;
    }
    size_t n = nfd_char(one[0], d);  /* only the first part decomposes further */
    for (int j = 1; j < k && n < 8; j++)
        d[n++] = one[j];
    return n;
}

/* NFC(x + y) == NFC(x) + NFC(y) for every x when y starts with c: the
 * first character of c's decomposition is a starter that never composes
 * with what precedes it. */
static bool nfc_boundary_before(uint32_t c)
{
    if (c < 0x80 || pystr_is_surrogate(c))
        return true;
    uint32_t d[8];
    nfd_char(c, d);
    return uc_combining_class(d[0]) == 0 && !composes_backward(d[0]);
}

/* The head s[i] decomposes to non-starters: no composition can reach the
 * run of non-starters it starts, so NFC's first character is the first of
 * the run's lowest combining class (canonical ordering is a stable sort).
 * It differs from s[i] when s[i] decomposes, or when a later character of
 * the run has a lower class; memo remembers where one was found, so that a
 * walk along a long run stays linear. */
static int nonstarter_head_changes(const uint32_t *s, size_t n, size_t i, const uint32_t *d,
                                   size_t dn, pystr_nfc_memo *memo)
{
    if (dn > 1 || d[0] != s[i])
        return 1;
    int cc = uc_combining_class(s[i]);
    if (memo && memo->at > i && memo->at < n && memo->ccc < cc)
        return 1;
    for (size_t k = i + 1; k < n; k++) {
        uint32_t e[8];
        size_t en = nfd_char(s[k], e);
        if (uc_combining_class(e[0]) == 0)
            break;
        for (size_t j = 0; j < en; j++) {
            int ec = uc_combining_class(e[j]);
            if (ec < cc) {
                if (memo) {
                    memo->at = k;
                    memo->ccc = ec;
                }
                return 1;
            }
        }
    }
    return 0;
}

int pystr_nfc_head_changes(const uint32_t *s, size_t n, size_t i, pystr_nfc_memo *memo)
{
    if (pystr_is_surrogate(s[i]))
        return 0;
    if (s[i] >= 0x80) {
        uint32_t d[8];
        size_t dn = nfd_char(s[i], d);
        if (uc_combining_class(d[0]) != 0)
            return nonstarter_head_changes(s, n, i, d, dn, memo);
    }
    size_t k = i + 1;
    while (k < n && !nfc_boundary_before(s[k]))
        k++;
    if (s[i] < 0x80 && k == i + 1)
        return 0;
    uint32_t small[64];
    size_t len = sizeof small / sizeof small[0];
    uint32_t *r = u32_normalize(UNINORM_NFC, s + i, k - i, small, &len);
    if (!r)
        return -1;
    int changed = len == 0 || r[0] != s[i];
    if (r != small)
        free(r);
    return changed;
}

size_t pystr_find(const uint32_t *s, size_t n, size_t from, uint32_t c)
{
    for (size_t i = from; i < n; i++)
        if (s[i] == c)
            return i;
    return n;
}
