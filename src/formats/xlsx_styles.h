/* xlsx_styles.h: the styles part's number formats, bold fonts and cell
 * formats, read into an xlsx_meta (internal to the XLSX reader). */
#ifndef UC_XLSX_STYLES_H
#define UC_XLSX_STYLES_H

#include "formats/xlsx_meta.h"
#include "formats/xlsx_xml.h"

/* Read part name ("" or missing: nothing) into m's numfmts and xfs, then
 * settle them (xlsx_meta_settle). UC_ELIMIT past the caps in
 * xlsx_meta.h, UC_EFORMAT for bad XML; the reason in x->err. */
uc_err xlsx_styles_read(xpart *x, const char *name, xlsx_meta *m);

#endif
