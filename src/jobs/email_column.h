/* email_column.h: which column of a file holds the addresses.
 *
 * Judged by the first row alone, the same way for every format: a header
 * cell with one of the accepted names, else a first cell holding an '@'
 * (a headerless list). Pure: no I/O, no allocation. */
#ifndef UC_EMAIL_COLUMN_H
#define UC_EMAIL_COLUMN_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "formats/cell.h"

/* The task's error when no column is found (what clients read). */
#define EMAIL_COLUMN_MISSING                                                     \
    "No email column found: the first row needs a header cell named email "     \
    "(or e-mail, email address, emails), or the first column must hold addresses"

#define EMAIL_COLUMN_FOUND_MAX 256

typedef struct email_column {
    uint32_t col;       /* 0-based column of the addresses */
    int has_header;     /* 1: the first row names the columns (not data) */
    /* On failure: the first row's cells as text, quoted and separated by
     * ", " ("name", "phone"), cut with "..." to fit; "" for an empty row. */
    char found[EMAIL_COLUMN_FOUND_MAX];
} email_column;

/* Judge the first row (cells[0..n), borrowed). Returns UC_OK with out->col
 * and out->has_header set, or UC_ENOTFOUND when neither a header nor an
 * address shows, with out->found listing what the row holds. */
uc_err email_column_find(const cell *cells, size_t n, email_column *out);

#endif
