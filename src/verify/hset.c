/* hset.c: an open-addressing set of byte strings with bitmask values (see
 * hset.h). */
#include "verify/hset.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

void hset_init(hset *s)
{
    memset(s, 0, sizeof *s);
    buf_init(&s->pool, UINT32_MAX);
}

static uint64_t key_hash(const char *k, size_t n)
{
    uint64_t h = XXH3_64bits(k, n);
    return h ? h : 1;
}

void hset_free(hset *s)
{
    free(s->hash);
    free(s->off);
    free(s->len);
    free(s->val);
    buf_free(&s->pool);
    memset(s, 0, sizeof *s);
}

static uc_err hset_grow(hset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 256;
    hset n = { 0 };
    n.cap = ncap;
    n.hash = calloc(ncap, sizeof *n.hash);
    n.off = malloc(ncap * sizeof *n.off);
    n.len = malloc(ncap * sizeof *n.len);
    n.val = malloc(ncap * sizeof *n.val);
    if (!n.hash || !n.off || !n.len || !n.val) {
        hset_free(&n);
        return UC_ENOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->hash[i])
            continue;
        size_t j = s->hash[i] & (ncap - 1);
        while (n.hash[j])
            j = (j + 1) & (ncap - 1);
        n.hash[j] = s->hash[i];
        n.off[j] = s->off[i];
        n.len[j] = s->len[i];
        n.val[j] = s->val[i];
    }
    free(s->hash);
    free(s->off);
    free(s->len);
    free(s->val);
    s->hash = n.hash;
    s->off = n.off;
    s->len = n.len;
    s->val = n.val;
    s->cap = ncap;
    return UC_OK;
}

/* Value bits of key (already lower-case), 0 when absent. No allocation. */
uint8_t hset_get(const hset *s, const char *k, size_t n)
{
    if (!s->cap)
        return 0;
    uint64_t h = key_hash(k, n);
    for (size_t j = h & (s->cap - 1); s->hash[j]; j = (j + 1) & (s->cap - 1))
        if (s->hash[j] == h && s->len[j] == n &&
            memcmp(s->pool.data + s->off[j], k, n) == 0)
            return s->val[j];
    return 0;
}

/* OR bits into key's value, adding key (copied) when new. */
uc_err hset_or(hset *s, const char *k, size_t n, uint8_t bits)
{
    if ((s->count + 1) * 2 > s->cap && hset_grow(s) != UC_OK)
        return UC_ENOMEM;
    uint64_t h = key_hash(k, n);
    size_t j = h & (s->cap - 1);
    for (; s->hash[j]; j = (j + 1) & (s->cap - 1))
        if (s->hash[j] == h && s->len[j] == n &&
            memcmp(s->pool.data + s->off[j], k, n) == 0) {
            s->val[j] |= bits;
            return UC_OK;
        }
    size_t off = s->pool.len;
    uc_err e = buf_add(&s->pool, k, n);
    if (e)
        return e;
    s->hash[j] = h;
    s->off[j] = (uint32_t)off;
    s->len[j] = (uint16_t)n;
    s->val[j] = bits;
    s->count++;
    return UC_OK;
}

/* Remove bits from every key (a list being replaced). */
void hset_clear_bits(hset *s, uint8_t bits)
{
    for (size_t i = 0; i < s->cap; i++)
        if (s->hash[i])
            s->val[i] &= (uint8_t)~bits;
}

uc_err hset_or_all(hset *dst, const hset *src)
{
    uc_err e = UC_OK;
    for (size_t j = 0; !e && j < src->cap; j++)
        if (src->hash[j])
            e = hset_or(dst, src->pool.data + src->off[j], src->len[j], src->val[j]);
    return e;
}
