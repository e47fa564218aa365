/* hset.h: a set of lower-case byte strings, each with a bitmask value: the
 * domain lists and an account's lists (classify.c). Open addressing on a
 * 64-bit hash (XXH3); the keys' bytes in one pool. Not thread-safe to
 * change; reads (hset_get) may run on any number of threads at once. */
#ifndef UC_HSET_H
#define UC_HSET_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

typedef struct hset {
    uint64_t *hash;     /* 0 marks an empty slot */
    uint32_t *off;      /* key offset in pool */
    uint16_t *len;
    uint8_t *val;
    size_t cap, count;  /* cap is a power of two */
    struct buf pool;    /* the keys' bytes; offsets are 32-bit */
} hset;

void hset_init(hset *s);
void hset_free(hset *s);
/* Value bits of key (already lower-case), 0 when absent. No allocation. */
uint8_t hset_get(const hset *s, const char *k, size_t n);
/* OR bits into key's value, adding key (copied) when new. */
uc_err hset_or(hset *s, const char *k, size_t n, uint8_t bits);
/* OR every key of src, with its bits, into dst. */
uc_err hset_or_all(hset *dst, const hset *src);
/* Remove bits from every key (a list being replaced). */
void hset_clear_bits(hset *s, uint8_t bits);

#endif
