/* email_column.h: which column of a file holds the addresses.
 *
 * Judged the same way for every format. A header cell whose name, folded
 * (case, spaces, '-' and '_' ignored), is an address-column name as real
 * exports write it (Outlook "E-mail Address", Google "E-mail 1 - Value",
 * Mailchimp "Email Address", HubSpot and Salesforce "Email", "mail",
 * "Contact Email", "Email (work)", ...) names the column; else a first cell
 * holding an '@' makes the file a headerless list; else the pass may show
 * the rows that follow to email_probe_* and read the file headerless when
 * most of them hold an address in the first column (a junk first line).
 * Pure: no I/O, no allocation. */
#ifndef UC_EMAIL_COLUMN_H
#define UC_EMAIL_COLUMN_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "formats/cell.h"

#define EMAIL_COLUMN_FOUND_MAX 512
/* Header names listed in the failure reason, at the most. */
#define EMAIL_COLUMN_LIST_MAX 10
/* Rows after the first that the headerless probe looks at, at the most. */
#define EMAIL_PROBE_ROWS 10

typedef struct email_column {
    uint32_t col;       /* 0-based column of the addresses */
    int has_header;     /* 1: the first row names the columns (not data) */
    /* On failure: the task's error as clients read it, naming the first
     * row's cells (the first EMAIL_COLUMN_LIST_MAX, quoted). */
    char reason[EMAIL_COLUMN_FOUND_MAX];
} email_column;

/* Judge the first row (cells[0..n), borrowed). Returns UC_OK with out->col
 * and out->has_header set, or UC_ENOTFOUND with out->reason set.
 *
 * Where several header cells qualify, the column chosen is the first in
 * this order: a plain name ("Email", "E-mail Address", "mail"), then one
 * numbered 1 ("E-mail 1 - Value"), then one with a qualifier ("Contact
 * Email", "Email (work)"), then higher numbers ("E-mail 2 Address"); the
 * leftmost within a rank. */
uc_err email_column_find(const cell *cells, size_t n, email_column *out);

/* Rank of one header name: 0..3 as above (lower wins), or -1 when the name
 * does not name an address column. Exposed for tests. */
int email_column_rank(const char *v, size_t len);

/* The headerless probe: after email_column_find failed on the first row,
 * the pass shows the first cell of each following non-blank row (NULL for a
 * row without one) until email_probe_done, then asks the verdict. */
typedef struct email_probe {
    uint32_t rows;      /* rows shown */
    uint32_t with_at;   /* of which the first cell holds an '@' */
} email_probe;

void email_probe_row(email_probe *p, const cell *first);
int email_probe_done(const email_probe *p);
/* 1 when the file reads as headerless: most rows shown (at least one) hold
 * an address in the first column. */
int email_probe_headerless(const email_probe *p);

#endif
