/* pystr.c: Python's str semantics for the validator ports: decoding,
 * NFC, repr(), character names, scratch memory and reason texts. */
#include "verify/pystr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <uniname.h>
#include <uninorm.h>

/* Not a message of email_validator (Python would raise MemoryError). */
const char pystr_oom[] = "The email address could not be checked (out of memory).";

pytext pytext_init(char *p, size_t cap)
{
    pytext b = { p, cap, 0 };
    p[0] = '\0';
    return b;
}

/* Append n bytes, truncating silently at the capacity. */
void pytext_put(pytext *b, const char *s, size_t n)
{
    size_t room = b->cap - 1 - b->len;
    if (n > room)
        n = room;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void pytext_puts(pytext *b, const char *s) { pytext_put(b, s, strlen(s)); }

void pytext_printf(pytext *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        pytext_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

bool pystr_is_surrogate(uint32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

/* One code point as UTF-8. NUL becomes U+FFFD. Lone surrogates U+DC80..U+DCFF came from
 * undecodable input bytes (Python's surrogateescape) and go back as those
 * bytes; other surrogates cannot be written and become '?'. */
void pytext_cp(pytext *b, uint32_t c)
{
    char u[4];
    size_t n;
    if (c == 0) {  /* a C string cannot hold NUL: write U+FFFD instead */
        pytext_puts(b, "\xEF\xBF\xBD");
        return;
    } else if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (pystr_is_surrogate(c)) {
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
    pytext_put(b, u, n);
}

void pytext_u32(pytext *b, const uint32_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pytext_cp(b, s[i]);
}

char pystr_category_major(uint32_t c)
{
    return uc_general_category_name(uc_general_category(c))[0];
}

/* Python's str.isprintable() for one character. */
static bool py_printable(uint32_t c)
{
    if (c == ' ')
        return true;
    char m = pystr_category_major(c);
    return m != 'C' && m != 'Z';
}

/* repr(s) exactly as CPython writes it. */
void pytext_repr(pytext *b, const uint32_t *s, size_t n)
{
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

/* unicodedata.name(c, repr(c)) */
void pytext_char_name(pytext *b, uint32_t c)
{
    char name[UNINAME_MAX];
    if (unicode_character_name(c, name))
        pytext_puts(b, name);
    else
        pytext_repr(b, &c, 1);
}

/* ---- scratch memory: stack first, heap only for long input ------------- */

struct pyarena_block {
    struct pyarena_block *next;
    uint32_t data[];
};

void pyarena_init(pyarena *a)
{
    a->used = 0;
    a->heap = NULL;
}

uint32_t *pyarena_alloc(pyarena *a, size_t n)
{
    if (n <= PYARENA_STACK - a->used) {
        uint32_t *p = a->mem + a->used;
        a->used += n;
        return p;
    }
    if (n > (SIZE_MAX - sizeof(pyarena_block)) / sizeof(uint32_t) / 2)
        return NULL;
    pyarena_block *b = malloc(sizeof *b + (n ? n : 1) * sizeof(uint32_t));
    if (!b)
        return NULL;
    b->next = a->heap;
    a->heap = b;
    return b->data;
}

void pyarena_release(pyarena *a)
{
    while (a->heap) {
        pyarena_block *next = a->heap->next;
        free(a->heap);
        a->heap = next;
    }
}

/* ---- decoding ----------------------------------------------------------- */

/* Strict UTF-8 to code points; every byte that is not part of a valid
 * sequence becomes U+DC00+byte, as Python's surrogateescape does. */
size_t pystr_decode(const uint8_t *s, size_t n, uint32_t *out)
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
        if ((need == 2 && (c < 0x800 || pystr_is_surrogate(c))) ||
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

/* unicodedata.normalize("NFC", s). Lone surrogates are starters that never
 * combine, so each run between them is normalised on its own. Returns s
 * itself when it is ASCII; NULL when out of memory. */
uint32_t *pystr_nfc(pyarena *a, uint32_t *s, size_t n, size_t *outn)
{
    if (pystr_is_ascii(s, n)) {
        *outn = n;
        return s;
    }
    size_t cap = 3 * n + 4;  /* NFC grows a string at most threefold */
    uint32_t *out = pyarena_alloc(a, cap);
    if (!out)
        return NULL;
    size_t i = 0, k = 0;
    while (i < n) {
        if (pystr_is_surrogate(s[i])) {
            out[k++] = s[i++];
            continue;
        }
        size_t j = i;
        while (j < n && !pystr_is_surrogate(s[j]))
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
