/* zip_ahead.h: what the zip reader's two files share (internal to
 * src/formats/zip.c and zip_ahead.c): the index record of one entry, the
 * pump that inflates an entry's data (zip.c), and the read-ahead that runs
 * the pump on a thread of its own for a large entry (zip_ahead.c). */
#ifndef UC_ZIP_AHEAD_H
#define UC_ZIP_AHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "formats/zip.h"

/* Entries this large go through the read-ahead (zip_ahead). */
#define ZIP_AHEAD_MIN (1u << 20)

/* One entry of the index, as the central directory (or a local header)
 * declares it: nothing here is trusted until the data is read. */
typedef struct zentry {
    char *name;        /* owned: normalised, '/' separators, no leading '/' */
    uint64_t lho;      /* offset of the local header */
    uint64_t csize;
    uint64_t usize;
    uint32_t crc;
    uint16_t method;
    uint16_t flags;
} zentry;

/* What a pump reports: compressed bytes consumed, inflated bytes, CRC-32. */
typedef struct zrun {
    uint64_t consumed;
    uint64_t out;
    uint32_t crc;
} zrun;

/* Inflate or copy ze's data starting at off into sink, counting it against
 * z's caps. With csize_known false the data length is unknown (local-header
 * scan of a data-descriptor entry) and only a deflate stream's own end tells
 * where it stops. Fills *run. sink may be NULL; its errors pass through
 * untouched (it writes its own reason); any other failure writes its reason
 * into err. Not thread-safe on one z: one pump at a time. */
uc_err zip_pump(zipr *z, const zentry *ze, uint64_t off, bool csize_known,
                zipr_sink sink, void *ud, zrun *run, char *err, size_t errcap);

/* zip_pump(z, ze, off, true, ...) with the inflating on a thread of its own
 * a few slots ahead of sink; sink still runs on the caller's thread, in
 * order, and a failing sink stops the inflater. *started is false when no
 * thread could be made: nothing was read and the caller pumps itself. */
uc_err zip_ahead(zipr *z, const zentry *ze, uint64_t off, zipr_sink sink,
                 void *ud, zrun *run, char *err, size_t errcap, bool *started);

#endif
