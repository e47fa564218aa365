/* utf8.c: UTF-8 well-formedness, fast for ASCII. */
#include "core/utf8.h"

#include <stdlib.h>
#include <string.h>

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
        int n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + (uint64_t)n >= b)
            return i;
        for (int k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += (uint64_t)n + 1;
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
