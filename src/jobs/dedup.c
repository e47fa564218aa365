/* dedup.c: open-addressing set of address hashes (see dedup.h). */
#include "jobs/dedup.h"

#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include <unicase.h>
#include <xxhash.h>

struct dedup {
    uint32_t *slots;     /* entry id + 1; 0 = empty */
    size_t mask;         /* slots - 1 (power of two) */
    dedup_entry *e;
    uint8_t *tags;
    size_t n, cap;
};

dedup *dedup_new(void)
{
    dedup *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->mask = 1023;
    d->slots = calloc(d->mask + 1, sizeof *d->slots);
    if (!d->slots) {
        free(d);
        return NULL;
    }
    return d;
}

void dedup_free(dedup *d)
{
    if (!d)
        return;
    free(d->slots);
    free(d->e);
    free(d->tags);
    free(d);
}

static int grow_table(dedup *d)
{
    size_t nmask = d->mask * 2 + 1;
    uint32_t *ns = calloc(nmask + 1, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < d->n; i++) {
        size_t j = d->e[i].h & nmask;
        while (ns[j])
            j = (j + 1) & nmask;
        ns[j] = (uint32_t)i + 1;
    }
    free(d->slots);
    d->slots = ns;
    d->mask = nmask;
    return 0;
}

uint32_t dedup_put(dedup *d, const char *key, size_t len, uint32_t row, int *is_new)
{
    XXH128_hash_t hh = XXH3_128bits(key, len);
    uint64_t h = hh.low64;
    uint32_t check = (uint32_t)hh.high64;
    size_t j = h & d->mask;
    for (;;) {
        uint32_t s = d->slots[j];
        if (!s)
            break;
        dedup_entry *en = &d->e[s - 1];
        if (en->h == h && en->check == check) {
            en->last_row = row;
            *is_new = 0;
            return s - 1;
        }
        j = (j + 1) & d->mask;
    }
    if (d->n == UINT32_MAX - 1)
        return DEDUP_NONE;
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 1024;
        dedup_entry *ne = realloc(d->e, nc * sizeof *ne);
        if (!ne)
            return DEDUP_NONE;
        d->e = ne;
        uint8_t *nt = realloc(d->tags, nc);
        if (!nt)
            return DEDUP_NONE;
        d->tags = nt;
        d->cap = nc;
    }
    uint32_t id = (uint32_t)d->n++;
    d->e[id] = (dedup_entry){h, check, row};
    d->tags[id] = 0;
    d->slots[j] = id + 1;
    /* keep the load factor under 1/2 */
    if (d->n * 2 > d->mask + 1 && grow_table(d) != 0) {
        d->n--;
        d->slots[j] = 0;
        return DEDUP_NONE;
    }
    *is_new = 1;
    return id;
}

uint32_t dedup_last(const dedup *d, uint32_t id) { return d->e[id].last_row; }
uint8_t *dedup_tag(dedup *d, uint32_t id) { return &d->tags[id]; }
size_t dedup_count(const dedup *d) { return d->n; }

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

size_t dedup_normalise(const char *s, size_t len, char *out, size_t cap)
{
    size_t a = 0, b = len;
    while (a < b && is_ws((unsigned char)s[a]))
        a++;
    while (b > a && is_ws((unsigned char)s[b - 1]))
        b--;
    size_t n = b - a;
    int ascii = 1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[a + i] >= 0x80) {
            ascii = 0;
            break;
        }
    if (ascii || n > cap) {
        if (n > cap)
            n = cap;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[a + i];
            out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        return n;
    }
    /* Full Unicode lowercase, as Python's str.lower() would do. */
    size_t ol = cap;
    uint8_t *r = u8_tolower((const uint8_t *)s + a, n, NULL, NULL, (uint8_t *)out, &ol);
    if (!r) { /* invalid UTF-8 or no room: ASCII lowercase only */
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[a + i];
            out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        return n;
    }
    if (r != (uint8_t *)out) { /* did not fit: u8_tolower allocated */
        size_t m = ol < cap ? ol : cap;
        memcpy(out, r, m);
        free(r);
        return m;
    }
    return ol;
}
