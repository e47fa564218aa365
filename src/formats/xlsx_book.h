/* xlsx_book.h: the workbook around the sheet (internal to the XLSX
 * reader): which parts hold the first visible worksheet, the shared
 * strings and the styles, found through the relationships; and the
 * shared-string table. */
#ifndef UC_XLSX_BOOK_H
#define UC_XLSX_BOOK_H

#include "core/buf.h"
#include "formats/xlsx_read.h"
#include "formats/xlsx_xml.h"

typedef struct xlsx_book {
    char sheet[XLSX_PATH_MAX];   /* the worksheet's part name */
    char sst[XLSX_PATH_MAX];     /* shared strings part, "" when none */
    char styles[XLSX_PATH_MAX];  /* styles part, "" when none */
    char *sheet_name;            /* owned: the sheet's name attribute */
} xlsx_book;

/* Follow _rels/.rels -> workbook -> first visible worksheet (the first
 * worksheet when all are hidden). Returns UC_OK, or UC_EFORMAT with
 * "Not an XLSX workbook: ..." / "No worksheet found in workbook". */
uc_err xlsx_book_find(xpart *x, xlsx_book *b);
void xlsx_book_free(xlsx_book *b);  /* accepts a zeroed or half-built one */

/* Shared strings: one arena, start offsets, a final sentinel. */
typedef struct xlsx_sst {
    struct buf arena;     /* the strings' text, back to back */
    struct buf off;       /* size_t records: where each starts, then the end */
    size_t n;             /* strings */
} xlsx_sst;

/* Load the shared strings of part name ("" or missing: an empty table)
 * within lim's caps. t need not be initialised; free it whatever the
 * result. */
uc_err xlsx_sst_read(xpart *x, const char *name, const xlsx_limits *lim,
                     xlsx_sst *t);
/* String i (borrowed from t, not NUL-terminated); false when out of range. */
bool xlsx_sst_get(const xlsx_sst *t, uint64_t i, const char **s, size_t *len);
/* Accepts a zeroed or freed table. */
void xlsx_sst_free(xlsx_sst *t);

#endif
