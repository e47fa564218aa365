/* xlsx_write.h: result workbooks, streamed row by row (libxlsxwriter in
 * constant_memory mode). Cell types are kept: numbers stay numbers, text
 * stays text. */
#ifndef UC_XLSX_WRITE_H
#define UC_XLSX_WRITE_H

#include "core/err.h"
#include "formats/cell.h"

typedef struct xlsxw xlsxw;

/* Create a workbook at path with one sheet. tmpdir is where the writer
 * may keep its temporary files. */
uc_err xlsxw_open(const char *path, const char *tmpdir, xlsxw **out);
/* Append one row (row numbers are assigned in call order, from 0). */
uc_err xlsxw_row(xlsxw *w, const cell *cells, size_t ncells);
/* Finish and close the file. Frees w whatever the result. */
uc_err xlsxw_close(xlsxw *w);
/* Abandon: free w, the caller removes the partial file. Accepts NULL. */
void xlsxw_abort(xlsxw *w);

#endif
