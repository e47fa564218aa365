/* xlsx_read.h: the first visible worksheet of a workbook, row by row.
 *
 * Follows _rels/.rels -> workbook -> first visible sheet -> its target in
 * xl/_rels/workbook.xml.rels. XML through expat, namespace-aware, streamed
 * from the zip reader in chunks. DOCTYPEs and entities are rejected. */
#ifndef UC_XLSX_READ_H
#define UC_XLSX_READ_H

#include "core/err.h"
#include "formats/cell.h"
#include "formats/xlsx_meta.h"
#include "formats/zip.h"

typedef struct xlsx_limits {
    zipr_limits zip;
    uint32_t max_columns;        /* default 16384 (Excel's grid) */
    uint32_t max_rows;           /* default 1048576 */
    uint64_t max_shared_bytes;   /* shared-string arena cap, default 512 MiB */
    size_t max_cell_bytes;       /* one cell's text, default 1 MiB */
    size_t chunk_bytes;          /* the sheet's rows are parsed on worker
                                  * threads in chunks of about this much XML
                                  * (xlsx_chunks.c), default 1 MiB; 0: on
                                  * the caller's thread. Rows and errors are
                                  * the same either way. */
    bool chunks_expat_only;      /* tests: every chunk through expat, none
                                  * through the plain-shape reader */
} xlsx_limits;

void xlsx_limits_default(xlsx_limits *lim);

/* Read the first visible worksheet of the .xlsx at path and call fn for
 * each non-empty row. Returns UC_OK, or an error with a human-readable
 * reason in err (e.g. "No worksheet found in workbook"). Rows stream out as
 * they are parsed: on failure (say a CRC mismatch found at the end of the
 * sheet) the caller must discard the rows it already got. Chartsheets and
 * hidden sheets are skipped; if every worksheet is hidden, the first is
 * read. UC_EFORMAT for bad input, UC_ELIMIT for a cap, UC_ECANCELED when fn
 * stopped the read. lim may be NULL (defaults). Cells' style is 0. */
uc_err xlsx_read(const char *path, const xlsx_limits *lim, row_fn fn,
                 void *ud, char *err, size_t errcap);

/* xlsx_read, and also the sheet's look into *meta (zeroed first; the
 * caller frees it with xlsx_meta_free, also on failure): its name, the
 * styles part's number and cell formats, the sheet's column widths. It is
 * complete before the first row is delivered, so fn may consult it. Each
 * cell's style is an index into meta->xfs (0 when the file's index is out
 * of range or there is no styles part). */
uc_err xlsx_read_meta(const char *path, const xlsx_limits *lim, row_fn fn,
                      void *ud, xlsx_meta *meta, char *err, size_t errcap);

/* Chunks of rows parsed on worker threads and delivered, since the start
 * (for tests: the chunked read did happen). */
extern _Atomic unsigned long xlsx_chunks_delivered;

#endif
