/* dedup.c: open-addressing set of address hashes (see dedup.h). */
#include "jobs/dedup.h"

#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include <unicase.h>
#include <xxhash.h>

#include "jobs/bigmem.h"

/* A slot holds the entry id and 32 bits of its hash, so a probe touches
 * the entry array only on a likely match: one cache miss per new key. */
typedef struct slot {
    uint32_t id1;        /* entry id + 1; 0 = empty */
    uint32_t hbits;      /* bits 32..63 of the hash */
} slot;

/* The arrays come from bigmem_alloc: a large table lies on 2 MiB pages
 * (a probe at random costs no TLB miss, the table fills with a few
 * hundred page faults instead of hundreds of thousands) and goes back for
 * the next task, faulted in already. */
struct dedup {
    slot *slots;
    size_t mask;         /* slots - 1 (power of two) */
    dedup_entry *e;
    uint8_t *tags;
    size_t n, cap;
    size_t slots_cap, e_cap, tags_cap; /* bigmem_alloc's */
};

dedup *dedup_new(void)
{
    dedup *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->mask = 1023;
    d->slots = calloc(d->mask + 1, sizeof *d->slots); /* under BIGMEM_MIN */
    if (!d->slots) {
        free(d);
        return NULL;
    }
    return d;
}

static int rehash(dedup *d, size_t nmask)
{
    size_t cap, bytes = (nmask + 1) * sizeof(slot);
    slot *ns = bigmem_alloc(bytes, &cap);
    if (!ns)
        return -1;
    memset(ns, 0, bytes);
    for (size_t i = 0; i < d->n; i++) {
        size_t j = d->e[i].h & nmask;
        while (ns[j].id1)
            j = (j + 1) & nmask;
        ns[j] = (slot){(uint32_t)i + 1, (uint32_t)(d->e[i].h >> 32)};
    }
    bigmem_free(d->slots, d->slots_cap);
    d->slots = ns;
    d->slots_cap = cap;
    d->mask = nmask;
    return 0;
}

/* Room for nc entries (nc > d->cap): -1 on ENOMEM. */
static int entries_grow(dedup *d, size_t nc)
{
    dedup_entry *ne = bigmem_resize(d->e, d->n * sizeof *ne, &d->e_cap, nc * sizeof *ne);
    if (!ne)
        return -1;
    d->e = ne;
    uint8_t *nt = bigmem_resize(d->tags, d->n, &d->tags_cap, nc);
    if (!nt)
        return -1;
    d->tags = nt;
    d->cap = nc;
    return 0;
}

void dedup_reserve(dedup *d, size_t n)
{
    size_t want = d->mask + 1;
    while (want * 3 < n * 4 && want < ((size_t)1 << 31))
        want *= 2;
    if (want > d->mask + 1)
        rehash(d, want - 1); /* on ENOMEM the table just grows later */
    /* The entries too: growing them by copying costs a copy of every
     * entry and the page faults of fresh memory, each time (a third of
     * the dedup time at 10M rows); pages reserved but never used cost
     * nothing. */
    if (n > d->cap && n < UINT32_MAX)
        entries_grow(d, n);
}

void dedup_free(dedup *d)
{
    if (!d)
        return;
    /* slots_cap 0: from calloc (dedup_new), freed alike */
    bigmem_free(d->slots, d->slots_cap);
    bigmem_free(d->e, d->e_cap);
    bigmem_free(d->tags, d->tags_cap);
    free(d);
}

static int grow_table(dedup *d) { return rehash(d, d->mask * 2 + 1); }

dedup_hash dedup_hash_of(const char *key, size_t len)
{
    XXH128_hash_t hh = XXH3_128bits(key, len);
    return (dedup_hash){hh.low64, (uint32_t)hh.high64};
}

void dedup_prefetch(const dedup *d, dedup_hash hh)
{
    __builtin_prefetch(&d->slots[hh.h & d->mask]);
}

uint32_t dedup_put(dedup *d, const char *key, size_t len, uint32_t row, int *is_new)
{
    return dedup_put_hash(d, dedup_hash_of(key, len), row, is_new);
}

uint32_t dedup_put_hash(dedup *d, dedup_hash hh, uint32_t row, int *is_new)
{
    uint64_t h = hh.h;
    uint32_t check = hh.check;
    uint32_t hbits = (uint32_t)(h >> 32);
    size_t j = h & d->mask;
    for (;;) {
        slot sl = d->slots[j];
        if (!sl.id1)
            break;
        if (sl.hbits == hbits) {
            dedup_entry *en = &d->e[sl.id1 - 1];
            if (en->h == h && en->check == check) {
                en->last_row = row;
                *is_new = 0;
                return sl.id1 - 1;
            }
        }
        j = (j + 1) & d->mask;
    }
    if (d->n == UINT32_MAX - 1)
        return DEDUP_NONE;
    if (d->n == d->cap && entries_grow(d, d->cap < 1024 ? 1024 : d->cap + d->cap / 2) != 0)
        return DEDUP_NONE; /* 1.5x: less slack at 10M */
    uint32_t id = (uint32_t)d->n++;
    d->e[id] = (dedup_entry){h, check, row};
    d->tags[id] = 0;
    d->slots[j] = (slot){id + 1, hbits};
    /* keep the load factor under 3/4 (a slot is 8 bytes; probes stay
     * short with 32 hash bits checked in the slot itself) */
    if (d->n * 4 > (d->mask + 1) * 3 && grow_table(d) != 0) {
        d->n--;
        d->slots[j] = (slot){0, 0};
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
    /* u8_tolower does not fail on invalid UTF-8: it turns every bad byte
     * into U+FFFD, which would merge distinct addresses. Check first. */
    uint8_t *r = NULL;
    if (!u8_check((const uint8_t *)s + a, n))
        r = u8_tolower((const uint8_t *)s + a, n, NULL, NULL, (uint8_t *)out, &ol);
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
