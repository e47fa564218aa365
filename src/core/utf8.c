/* utf8.c: UTF-8 well-formedness, fast for ASCII. */
#include "core/utf8.h"

#include <stdlib.h>
#include <string.h>

/* The decoder itself, inlined into utf8_scan's loop (a call per
 * character costs a quarter of the scan on non-ASCII text). */
static inline __attribute__((always_inline)) size_t
decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0; /* continuation byte, C0/C1 (always overlong), F5..FF */
    }
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[k] & 0x3F);
    }
    if ((len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
        (len == 4 && (v < 0x10000 || v > 0x10FFFF)))
        return 0;
    *cp = v;
    return len;
}

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    return decode(s, n, cp);
}

uint64_t utf8_scan(const unsigned char *s, uint64_t a, uint64_t b, int *nul)
{
    uint64_t i = a;
    *nul = 0;
    while (i < b) {
        /* ASCII fast path, 8 bytes at a time. */
        while (i + 8 <= b) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            /* any zero byte? */
            if ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= b)
            break;
        unsigned char c = s[i];
        if (c == 0) {
            *nul = 1;
            return i;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        uint64_t left = b - i;
        size_t n = decode(s + i, left > 4 ? 4 : (size_t)left, &cp);
        if (!n)
            return i;
        i += n;
    }
    return b;
}


char *utf8_sanitize_dup(const char *s, size_t n)
{
    char *o = malloc(n * 3 + 1); /* each bad byte may become 3 */
    if (!o)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, k = 0;
    while (i < n) {
        int nul;
        uint64_t bad = utf8_scan(u, i, n, &nul);
        memcpy(o + k, s + i, (size_t)bad - i);
        k += (size_t)bad - i;
        if (bad == n)
            break;
        memcpy(o + k, "\xEF\xBF\xBD", 3);
        k += 3;
        i = (size_t)bad + 1;
    }
    o[k] = 0;
    return o;
}
