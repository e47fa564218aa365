/* cellspill.h: the XLSX pass's row spill: every sheet row's cells, written
 * once while the workbook is read and replayed in order by the second pass
 * (so the workbook is inflated and parsed only once).
 *
 * Format of the anonymous temp file (native byte order, it never outlives
 * the run): per row its size in bytes after the size (a u32; UINT32_MAX
 * then a u64 for a row of 4 GiB or more), a u32 cell count, then per cell
 * a u8 cell_type (with the high bit set when a u32 style follows), a u32
 * length, the style if any, and that many bytes of text. */
#ifndef UC_CELLSPILL_H
#define UC_CELLSPILL_H

#include <stddef.h>
#include "core/err.h"
#include "formats/cell.h"

typedef struct cellspill cellspill;

/* Create the spill as a temp file under data_dir/tmp, unlinked at once
 * (nothing to clean up whatever happens). UC_EIO or UC_ENOMEM. */
uc_err cellspill_open(const char *data_dir, cellspill **out);
/* Append one row (cells borrowed for the call). UC_EIO on a failed write,
 * UC_ENOMEM when the row cannot be gathered. */
uc_err cellspill_put(cellspill *s, const cell *cells, size_t n);
/* Go back to the first row for reading (after the last put). */
uc_err cellspill_rewind(cellspill *s);
/* Read the next row: *cells (n of them) are borrowed until the next call.
 * UC_EIO past the end or on a read error; UC_ENOMEM. */
uc_err cellspill_get(cellspill *s, const cell **cells, size_t *n);
/* Close (and so delete) the spill. Accepts NULL. */
void cellspill_close(cellspill *s);

#endif
