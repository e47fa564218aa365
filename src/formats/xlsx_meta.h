/* xlsx_meta.h: what a result workbook keeps of its input's look: the sheet
 * name, the number formats and cell formats (as far as number formats and
 * bold go), and the column widths. The reader fills it (xlsx_read_meta),
 * the writer takes it (xlsxw_create); cells refer to a cell format by
 * index (cell.style). */
#ifndef UC_XLSX_META_H
#define UC_XLSX_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
    xlsx_numfmt *numfmts;
    size_t nnumfmts;
    xlsx_xf *xfs;           /* cell.style indexes this; empty: no styles part */
    size_t nxfs;
    xlsx_colw *cols;        /* in the input's order */
    size_t ncols;
    size_t numfmt_bytes;    /* counted against XLSX_MAX_NUMFMT_BYTES */
} xlsx_meta;

/* Free what m holds and zero it. Accepts NULL. */
void xlsx_meta_free(xlsx_meta *m);

/* Append a number format (code copied); of an id declared twice the last
 * counts. UC_ELIMIT past XLSX_MAX_NUMFMTS or XLSX_MAX_NUMFMT_BYTES,
 * UC_ENOMEM. */
uc_err xlsx_meta_add_numfmt(xlsx_meta *m, uint32_t id, const char *code);
/* Append a cell format. UC_ELIMIT past XLSX_MAX_XFS, UC_ENOMEM. */
uc_err xlsx_meta_add_xf(xlsx_meta *m, uint32_t numfmt, bool bold);
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
