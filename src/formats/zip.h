/* zip.h: a minimal streaming zip reader of our own (ISA-L's igzip for inflate).
 *
 * Central directory first, local headers only as a fallback; stored and
 * deflated entries; data descriptors; zip64. Part names are matched
 * case-insensitively with '\' normalised to '/'. Every count and size a
 * file controls has a cap (zipr_limits). */
#ifndef UC_ZIP_H
#define UC_ZIP_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

typedef struct zipr_limits {
    uint64_t max_entry_bytes;  /* inflated bytes of one entry */
    uint64_t max_total_bytes;  /* inflated bytes over the archive's life */
    uint32_t max_entries;      /* entries in the directory */
} zipr_limits;

/* Sane defaults: 1 GiB per entry, 2 GiB total, 10000 entries. */
void zipr_limits_default(zipr_limits *lim);

typedef struct zipr zipr;

/* Open path. On failure returns an error and writes a human-readable
 * reason (suitable for a failed task's "error") into err. Reasons for bad
 * input begin "Corrupt zip: " (damaged) or "Zip rejected: " (a cap, or
 * encryption / an unknown method) so a caller may name its own format. */
uc_err zipr_open(const char *path, const zipr_limits *lim, zipr **out,
                 char *err, size_t errcap);
void zipr_close(zipr *z);  /* accepts NULL */

/* Index of the entry named name (normalised, case-insensitive), or -1. */
int zipr_find(const zipr *z, const char *name);

/* Inflate entry idx and hand it to sink in chunks as it goes (never the
 * whole entry in memory). Checks sizes, caps and the CRC-32. A non-zero
 * return from sink stops the read and is returned. */
typedef uc_err (*zipr_sink)(void *ud, const void *buf, size_t len);
uc_err zipr_read(zipr *z, int idx, zipr_sink sink, void *ud,
                 char *err, size_t errcap);

#endif
