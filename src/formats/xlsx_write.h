/* xlsx_write.h: result workbooks, streamed row by row into a zip of our
 * own (zipw, igzip deflate): constant memory. Cell types are kept: numbers
 * stay numbers (with their text exactly as read), text stays text (inline
 * strings), booleans and error literals stay what they are; so is the
 * input's look (xlsx_meta: sheet name, number formats, bold, widths). */
#ifndef UC_XLSX_WRITE_H
#define UC_XLSX_WRITE_H

#include <stdbool.h>
#include "core/err.h"
#include "formats/cell.h"
#include "formats/xlsx_meta.h"

typedef struct xlsxw xlsxw;

/* Create a workbook at path with one sheet that looks like the input
 * described by like (borrowed, only during the call; NULL: a sheet named
 * Sheet1, one plain cell format, no widths). The file is written as rows
 * come; it is complete only after xlsxw_close. A cell's style indexes
 * like->xfs; indexes past them are written without a style. */
uc_err xlsxw_create(const char *path, const xlsx_meta *like, xlsxw **out);
/* The style index for a cell this writer's caller adds (the result
 * columns): plain General text, or the same in bold for a header. */
uint32_t xlsxw_added_style(const xlsxw *w, bool bold);
/* Append one row (row numbers are assigned in call order, from 0). */
uc_err xlsxw_row(xlsxw *w, const cell *cells, size_t ncells);
/* Finish and close the file. Frees w whatever the result. */
uc_err xlsxw_close(xlsxw *w);
/* Abandon: free w, the caller removes the partial file. Accepts NULL. */
void xlsxw_abort(xlsxw *w);

/* Why the last xlsxw_row failed (e.g. a string past Excel's 32767-character
 * cell limit, UC_ELIMIT). Borrowed; valid until close/abort. */
const char *xlsxw_reason(const xlsxw *w);
/* xlsxw_close with the reason for a failure written to err. */
uc_err xlsxw_close_err(xlsxw *w, char *err, size_t errcap);

#endif
