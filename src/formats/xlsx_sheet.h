/* xlsx_sheet.h: the sheet parse's state and its expat handlers (internal
 * to src/formats/xlsx_*.c): xlsx_read.c parses a sheet with them, and
 * xlsx_chunks.c runs them on worker threads over pieces of the sheet. */
#ifndef UC_XLSX_SHEET_H
#define UC_XLSX_SHEET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "formats/xlsx_book.h"
#include "formats/xlsx_read.h"
#include "formats/xlsx_xml.h"

struct chunks;

typedef struct rcell {  /* a cell of the row being parsed */
    cell_type type;
    uint32_t style;
    const char *ext;    /* text outside the row buffer (shared string) */
    size_t off, len;    /* else text at rowbuf.data + off */
} rcell;

typedef struct xctx {
    xpart xp;           /* first: handlers get an xctx */
    xlsx_limits lim;
    row_fn fn;
    void *ud;
    const xlsx_sst *sst;
    xlsx_meta *meta;    /* NULL: the look is not wanted */
    uint32_t nxfs;      /* cell styles at or past this read as 0 */

    struct buf rowbuf;     /* the row's text */
    struct buf rc;         /* rcell records, one per column touched so far */
    struct buf out;        /* cell records handed to fn */
    size_t rccap;          /* columns rc and out hold */
    size_t rowlen;         /* columns touched in this row */
    bool in_data, in_row, in_c, in_is, in_rph, collect;
    uint32_t row;          /* 1-based row being parsed, 0 before the first */
    int64_t col;           /* 0-based column of the last cell */
    cell_type ctype;
    uint32_t cstyle;
    bool cshared, cinline;
    size_t coff;           /* start of this cell's text in rowbuf */
    bool chunk;            /* parsing a chunk on a worker (xlsx_chunks.c):
                            * a row without r, or the end of sheetData,
                            * stops the parse (the chunk goes serial) */
    struct chunks *ch;     /* the parallel parse, when there is one */
} xctx;

/* The handlers; expat's user data is the xctx. */
void XMLCALL xlsx_sheet_start(void *ud, const XML_Char *name, const XML_Char **atts);
void XMLCALL xlsx_sheet_end(void *ud, const XML_Char *name);
void XMLCALL xlsx_sheet_chars(void *ud, const XML_Char *s, int len);

/* Parse the sheet (entry idx, named name) with the handlers above, its
 * rows on worker threads when it is large (xlsx_chunks.c); rows reach
 * x->fn in order, exactly as a serial parse would give them. */
uc_err xlsx_chunks_parse(xctx *x, int idx, const char *name);

/* xlsx_fast.c: a chunk of whole rows s (n bytes, as xlsx_chunks.c cuts
 * them; ns the bindings in scope, "prefix\0uri\0" each) through x's
 * handlers without expat, when it is in the plain shape writers give:
 * true when all of it was read so. false, with x in any state and rows
 * perhaps delivered, for anything else: the caller then parses the chunk
 * with expat from the start. */
bool xlsx_fast_rows(xctx *x, const char *s, size_t n, const char *ns, size_t nslen);

#endif
