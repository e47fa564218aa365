/* cell.h: one spreadsheet cell as readers hand it to the job and writers
 * take it back. Values are borrowed: valid only during the callback that
 * delivered them. Text is UTF-8; numbers keep their text exactly as written
 * in the source file (no float reformatting). */
#ifndef UC_CELL_H
#define UC_CELL_H

#include <stddef.h>
#include <stdint.h>

typedef enum cell_type {
    CELL_EMPTY = 0,  /* no cell at this column (gap) */
    CELL_STRING,     /* shared string, inline string, or str (formula value) */
    CELL_NUMBER,     /* numeric text exactly as in the file, e.g. "1.50E+3" */
    CELL_BOOL,       /* "0" or "1" */
    CELL_ERROR,      /* error literal, e.g. "#N/A" */
} cell_type;

typedef struct cell {
    cell_type type;
    const char *v;   /* borrowed, not NUL-terminated; NULL when len == 0 */
    size_t len;
    uint32_t style;  /* XLSX: index of the cell's format in the workbook's
                      * cell formats (xlsx_meta.xfs), 0 the default; other
                      * formats: 0 */
} cell;

/* Called once per non-empty row, in sheet order. row is the 0-based sheet
 * row number (gaps in the sheet show as jumps). cells[i] is column i; gaps
 * are CELL_EMPTY. Return 0 to go on, non-zero to stop the read (that value
 * becomes the reader's return as UC_ECANCELED). */
typedef int (*row_fn)(void *ud, uint32_t row, const cell *cells, size_t ncells);

#endif
