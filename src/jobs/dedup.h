/* dedup.h: the set of distinct addresses seen in one task.
 *
 * Open addressing over 32-bit entry ids; each entry keeps a 128-bit hash of
 * the normalised address (64 bits probe the table, 32 more confirm), the
 * last row it was seen on, and a cached verdict, so each distinct address
 * is hashed once and classified once. Memory grows with distinct
 * addresses only (16 bytes per entry plus 11-21 bytes of table). With 96
 * bits compared, a false merge needs a collision of probability about
 * n^2 / 2^97: below 1e-15 for ten million addresses. */
#ifndef UC_DEDUP_H
#define UC_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#define DEDUP_NONE UINT32_MAX

typedef struct dedup_entry {
    uint64_t h;        /* low 64 bits of the hash */
    uint32_t check;    /* 32 more bits of it */
    uint32_t last_row; /* last row index seen with this address */
} dedup_entry;

typedef struct dedup dedup;

dedup *dedup_new(void);     /* NULL on ENOMEM */
/* Size the table for about n keys up front (saves rehashing; a hint). */
void dedup_reserve(dedup *d, size_t n);
void dedup_free(dedup *d);  /* accepts NULL */

/* Record that row holds key (already normalised). Returns the entry id,
 * setting *is_new when the key was not seen before; DEDUP_NONE on
 * ENOMEM. */
uint32_t dedup_put(dedup *d, const char *key, size_t len, uint32_t row, int *is_new);

/* The same in two steps, so a caller can hash a key and prefetch its
 * slot a few rows before it inserts it (hiding the cache miss that
 * dominates insertion). */
typedef struct dedup_hash {
    uint64_t h;
    uint32_t check;
} dedup_hash;
dedup_hash dedup_hash_of(const char *key, size_t len);
void dedup_prefetch(const dedup *d, dedup_hash hh);
uint32_t dedup_put_hash(dedup *d, dedup_hash hh, uint32_t row, int *is_new);

/* Entry id's last row. */
uint32_t dedup_last(const dedup *d, uint32_t id);
/* A byte of caller data per entry (the task keeps the verdict here). */
uint8_t *dedup_tag(dedup *d, uint32_t id);
size_t dedup_count(const dedup *d);

/* Normalise an address cell for comparison: trim white space, lowercase.
 * Writes at most cap bytes into out; returns the length (may be 0). */
size_t dedup_normalise(const char *s, size_t len, char *out, size_t cap);

#endif
