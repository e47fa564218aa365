/* delimited.h: CSV, TSV and plain-text address lists, read row by row.
 *
 * Fields are split by libcsv (RFC 4180 quoting). For every row the reader
 * also reports where its original bytes lie in the file, so a writer can
 * copy rows through unchanged instead of re-serialising cells. The file is
 * mapped, never read into a buffer; memory stays constant per row. */
#ifndef UC_DELIMITED_H
#define UC_DELIMITED_H

#include <stdint.h>
#include "core/err.h"
#include "formats/cell.h"

typedef struct delim_limits {
    size_t max_field;       /* bytes of one field (default 4 MiB) */
    size_t max_row;         /* bytes of one row (default 16 MiB) */
    uint32_t max_columns;   /* fields per row (default 16384) */
    int libcsv_only;        /* every row through libcsv, none through the
                               reader's own split of quote-free lines (tests
                               compare the two; default 0) */
} delim_limits;

void delim_limits_default(delim_limits *lim);

/* DELIM_LINES: no field splitting, each line is one field. */
#define DELIM_LINES 0
/* want_col value that captures every field of the row. */
#define DELIM_ALL UINT32_MAX

typedef struct delim_reader delim_reader;

typedef struct delim_row {
    uint64_t start;         /* offset of the row's first byte */
    uint32_t len;           /* bytes up to (not including) the line end */
    uint8_t term_len;       /* 0 at end of file without a newline, 1 or 2 */
    uint32_t nfields;
    cell field;             /* the captured field (CELL_EMPTY if absent) */
} delim_row;

/* Guess the delimiter from the first line: the most frequent of the
 * candidates (a string such as ",;\t") outside quotes; 0 when none
 * occurs. */
char delim_sniff(const delim_reader *r, const char *candidates);

/* Map path for reading. Fails with a clear reason for an empty file, or a
 * UTF-16/UTF-32 byte-order mark. */
uc_err delim_open(const char *path, const delim_limits *lim, delim_reader **out,
                  char *err, size_t errcap);
/* The same checks, on size bytes already in memory (borrowed: data must
 * outlive the reader; a reader of them cannot be extended). */
uc_err delim_open_mem(const char *data, size_t size, const delim_limits *lim,
                      delim_reader **out, char *err, size_t errcap);
void delim_close(delim_reader *r);  /* accepts NULL */
/* A second reader of the file base maps, on base's mapping (borrowed:
 * base must outlive it and must not be extended meanwhile), so that
 * pages one reader faulted in cost the others nothing. Starts as
 * delim_open leaves a reader; never releases pages (delim_bytes_at), and
 * cannot be extended. Several shared readers may read on several threads
 * while base is idle. */
uc_err delim_open_shared(const delim_reader *base, delim_reader **out);
/* For a file that another thread appends to: map the bytes it holds now
 * (delim_size grows; pointers from delim_bytes_at before the call are
 * stale after it). The pages read so far stay mapped: a reader that
 * tails a file opens it once and extends, instead of mapping it again and
 * faulting its pages in again at every step. UC_EIO if the file shrank
 * (the caller must stop it shrinking while r reads: a mapped page past
 * the end faults). */
uc_err delim_extend(delim_reader *r);

/* Start (again) at the first row, splitting on delim (',' ';' '\t' '|'
 * or DELIM_LINES). */
void delim_rewind(delim_reader *r, char delim);

/* Byte ranges, so that several readers of one file can share its rows.
 *
 * delim_rewind_range: as delim_rewind, but read only the rows that start
 * in [start, end): start and end must be record boundaries (the first byte
 * of the data rows, the end of the file, or a delim_split bound). A range
 * is right when every row before start ended before it, which a quote in
 * the middle of a field can defeat: after the range's last row,
 * delim_clean says whether its end fell between two rows. A reader whose
 * earlier ranges all ended clean reads exactly the rows, errors included,
 * that one reader over the whole file would; on an unclean end, read the
 * file from the last clean range on as one reader. */
void delim_rewind_range(delim_reader *r, char delim, uint64_t start, uint64_t end);
int delim_clean(const delim_reader *r);

/* Split [start, end of file) into n ranges: bounds[0] = start, bounds[n] =
 * the file's size, bounds[k] the first line end at or after the k-th n-th
 * of the bytes where the double quotes seen since the start of the file
 * are even (outside a quoted field in a well-formed file; delim_clean
 * catches the others). Rising; ranges may be empty. bounds has n + 1
 * slots. Counts the quotes of all but the last n-th on the caller's
 * thread: delim_split_counted takes them counted (quotes[k] =
 * delim_count_quotes over share k, k < n - 1), e.g. by several threads. */
void delim_split(const delim_reader *r, char delim, uint64_t start, size_t n, uint64_t *bounds);
void delim_split_counted(const delim_reader *r, char delim, uint64_t start, size_t n,
                         const uint64_t *quotes, uint64_t *bounds);
/* The same, given the quotes before start (before), not counting them:
 * e.g. 0 from a record boundary that one reader has reached. */
void delim_split_after(const delim_reader *r, char delim, uint64_t start, uint64_t before,
                       size_t n, const uint64_t *quotes, uint64_t *bounds);
/* For one reader tailing a file that still grows (r maps the bytes there
 * so far), standing at a record boundary a: the next place to stop, a
 * record boundary about step bytes on (the first line end outside quotes,
 * quotes counted from a, in the last tail bytes of the step, or after
 * them), or 0 when the bytes mapped show none whole yet (a line end at
 * the very end may be a CR whose LF is still to come). As with
 * delim_split, a quote inside an unquoted field misleads it; delim_clean
 * after reading [a, b) tells. */
uint64_t delim_next_bound(const delim_reader *r, char delim, uint64_t a, uint64_t step,
                          uint64_t tail);
/* The first byte of share k of n of [start, size). */
uint64_t delim_share_start(const delim_reader *r, uint64_t start, size_t n, size_t k);
/* Double quotes in bytes [a, b). */
uint64_t delim_count_quotes(const delim_reader *r, uint64_t a, uint64_t b);
/* The first line end at or after from where the quotes are even, given
 * odd = the quotes before from are odd (quotes do not count for
 * DELIM_LINES): the offset after it (CR LF taken whole), or the size. */
uint64_t delim_boundary(const delim_reader *r, char delim, uint64_t from, int odd);

/* Read the next row, capturing field want_col (or every field with
 * DELIM_ALL: see delim_fields). Blank lines are skipped. Returns
 * UC_ENOTFOUND at the end; UC_EFORMAT (NUL byte, invalid UTF-8) or
 * UC_ELIMIT (caps) with a reason in err. */
uc_err delim_next(delim_reader *r, uint32_t want_col, delim_row *row,
                  char *err, size_t errcap);

/* After delim_next(DELIM_ALL): the row's fields, borrowed until the next
 * call. */
const cell *delim_fields(const delim_reader *r, size_t *n);

/* Bytes in the file, and the length of its UTF-8 BOM (0 or 3). */
uint64_t delim_size(const delim_reader *r);
/* All of the file's bytes as mapped now (delim_size of them), borrowed
 * until delim_close or delim_extend; read-only. */
const char *delim_data(const delim_reader *r);
size_t delim_bom_len(const delim_reader *r);

/* The file's bytes from offset off on (to its end), borrowed from the
 * mapping until delim_close: how a writer copies a row read earlier
 * through unchanged (off = row.start: row.len bytes, then term_len bytes
 * of line end). Called with rising offsets, as a pass copying rows out in
 * order does, it lets go of the mapped pages well behind off (in 64 MiB
 * steps; an offset below the pages already let go starts over), so
 * memory stays flat however large the file. */
const char *delim_bytes_at(delim_reader *r, uint64_t off);

/* 1-based line number of byte offset off (counts from the start: for
 * error messages, not for every row). */
uint64_t delim_line_at(const delim_reader *r, uint64_t off);
/* Bytes consumed so far, for progress. */
uint64_t delim_pos(const delim_reader *r);

#endif
