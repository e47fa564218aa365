/* xlsx_meta.h: what a result workbook keeps of its input's look: the sheet
 * name, the number formats and cell formats (as far as number formats and
 * bold go), and the column widths. The reader fills it (xlsx_read_meta),
 * the writer takes it (xlsxw_create); cells refer to a cell format by
 * index (cell.style). Its arrays are core/buf record arrays whose caps are
 * the limits below. */
#ifndef UC_XLSX_META_H
#define UC_XLSX_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "formats/cell.h"

#define XLSX_MAX_XFS 65536              /* cell formats, and fonts (Excel: ~64,000) */
#define XLSX_MAX_NUMFMTS 65536          /* declared number formats */
#define XLSX_MAX_NUMFMT_BYTES (1u << 20) /* all their codes together */
#define XLSX_GRID_COLS 16384            /* Excel's last column, XFD */
#define XLSX_FIRST_CUSTOM_FMT 164       /* ids below are built in */

typedef struct xlsx_numfmt {
    uint32_t id;       /* >= XLSX_FIRST_CUSTOM_FMT, or a declared built-in */
    char *code;        /* owned; the format code as decoded from XML */
} xlsx_numfmt;

typedef struct xlsx_xf {   /* one entry of cellXfs */
    uint32_t numfmt;       /* built-in id, or an id in numfmts */
    bool bold;
} xlsx_xf;

typedef struct xlsx_colw {  /* a <col> run with a width */
    uint32_t min, max;      /* 1-based columns, min <= max <= 16384 */
    char width[24];         /* the width's text exactly as read, e.g. "30.7109375" */
} xlsx_colw;

typedef struct xlsx_meta {
    char *sheet_name;       /* owned, raw attribute text; NULL when unknown */
    struct buf numfmts;     /* xlsx_numfmt records */
    struct buf xfs;         /* xlsx_xf records: cell.style indexes them;
                             * none when the input has no styles part */
    struct buf cols;        /* xlsx_colw records, left to right */
    size_t numfmt_bytes;    /* counted against XLSX_MAX_NUMFMT_BYTES */
} xlsx_meta;

/* Start m empty, with the caps above on its arrays. */
void xlsx_meta_init(xlsx_meta *m);
/* Free what m holds and leave it as after xlsx_meta_init. Accepts NULL. */
void xlsx_meta_free(xlsx_meta *m);

/* The arrays, read-only. */
static inline size_t xlsx_meta_nnumfmts(const xlsx_meta *m)
{
    return m->numfmts.len / sizeof(xlsx_numfmt);
}
static inline const xlsx_numfmt *xlsx_meta_numfmt(const xlsx_meta *m, size_t i)
{
    return (const xlsx_numfmt *)m->numfmts.data + i;
}
static inline size_t xlsx_meta_nxfs(const xlsx_meta *m)
{
    return m->xfs.len / sizeof(xlsx_xf);
}
static inline const xlsx_xf *xlsx_meta_xf(const xlsx_meta *m, size_t i)
{
    return (const xlsx_xf *)m->xfs.data + i;
}
static inline size_t xlsx_meta_ncols(const xlsx_meta *m)
{
    return m->cols.len / sizeof(xlsx_colw);
}
static inline const xlsx_colw *xlsx_meta_col(const xlsx_meta *m, size_t i)
{
    return (const xlsx_colw *)m->cols.data + i;
}

/* Append a number format (code copied); of an id declared twice the last
 * counts. UC_ELIMIT past XLSX_MAX_NUMFMTS or XLSX_MAX_NUMFMT_BYTES,
 * UC_ENOMEM. */
uc_err xlsx_meta_add_numfmt(xlsx_meta *m, uint32_t id, const char *code);
/* Append a cell format. UC_ELIMIT past XLSX_MAX_XFS, UC_ENOMEM. */
uc_err xlsx_meta_add_xf(xlsx_meta *m, uint32_t numfmt, bool bold);
/* Set cell format i's bold (i < xlsx_meta_nxfs). */
void xlsx_meta_set_bold(xlsx_meta *m, size_t i, bool bold);
/* Append a column run; runs off the grid are clipped or dropped, and so
 * is a run that does not start right of the previous one (the file's
 * order is left to right) or whose width is not a plain positive decimal
 * number. UC_ENOMEM. */
uc_err xlsx_meta_add_col(xlsx_meta *m, uint32_t min, uint32_t max, const char *width);
/* After the styles are read: number formats sorted by id, one per id; a
 * cell format naming a custom number format that is not declared falls
 * back to General, and so does one whose code is "General" (as
 * LibreOffice writes it). UC_ENOMEM (m unchanged). */
uc_err xlsx_meta_settle(xlsx_meta *m);

/* The code of number format id, or NULL for a built-in id not declared
 * (a linear search). */
const char *xlsx_meta_numfmt_code(const xlsx_meta *m, uint32_t id);
/* Whether cell format style is bold (false when out of range). */
bool xlsx_meta_bold(const xlsx_meta *m, uint32_t style);
/* Whether a row reads as a bold header: it has a non-empty cell and every
 * non-empty cell is bold. */
bool xlsx_meta_row_bold(const xlsx_meta *m, const cell *cells, size_t n);

#endif
