/* pass.h: what the per-format passes share with the run lifecycle (run.c).
 *
 * A pass reads the task's upload twice. Pass 1 parses every row, stages
 * its address into the dedup set (pass_stage: each distinct address is
 * hashed and classified once) and spills a small record per row; pass 2
 * replays the records and writes the kept rows with the two result
 * columns. A row is kept when dedup is off, its address is empty, or it is
 * the last row of its address. One pass per input format:
 * pass_delimited.c (rows copied through byte for byte) and pass_xlsx.c
 * (cells through the cell spill). Internal to src/jobs. */
#ifndef UC_PASS_H
#define UC_PASS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "formats/cell.h"
#include "jobs/dedup.h"
#include "jobs/run.h"
#include "store/tasks.h"
#include "verify/classify.h"

#define PASS_KEY_MAX 1024       /* longer cells are judged when read */
#define CHECK_EVERY 65536       /* rows between cancel checks (a power of 2) */

/* One data row as pass 1 saw it; spilled as raw bytes, so no padding. */
typedef struct rowrec {
    uint64_t start;      /* delimited: row bytes in the input */
    uint32_t len;
    uint32_t entry;      /* dedup entry, DEDUP_NONE for an empty address */
    uint16_t pad;        /* delimiters to add to reach the header's width */
    uint8_t term;        /* line-end bytes after the row */
    uint8_t verdict;
    uint32_t spare;
} rowrec;

/* Pass 1 keeps the last few rows in flight: a row's address is hashed and
 * its table slot prefetched when the row is read, and it is inserted PIPE
 * rows later, when the slot is in cache. Rows still leave the pipe in
 * order, so "last occurrence" is unchanged. */
#define PIPE 16

typedef struct pending {
    rowrec rec;
    uint32_t row;
    int has_key;
    int judged;          /* rec.verdict already holds the cell's verdict */
    dedup_hash hh;
    size_t klen;
    char key[PASS_KEY_MAX]; /* the cell as given, for the classifier */
} pending;

/* The state of one run, made by run.c and handed to a pass. */
typedef struct pass {
    const job_env *env;
    job *j;
    char *err;              /* the task's error text, if it fails */
    size_t errcap;
    dedup *dd;
    acct_lists *al;
    FILE *recs;             /* the row records (pass_open_records) */
    char *recs_buf;         /* its stdio buffer (files_scratch) */
    const char *in_mem;     /* the upload held in memory (in_len bytes), */
    size_t in_len;          /* read instead of the file at in; NULL: none */
    uint32_t email_col;
    uint32_t ncols;         /* cells in the first row */
    uint32_t maxw;          /* XLSX: the widest row's cells */
    int has_header;
    uint32_t nrows;         /* data rows staged */
    task_result res;
    pending pipe[PIPE];
    size_t pipe_head, pipe_n;
} pass;

/* The passes: read the upload at in (r->in_mem instead when set: a
 * delimited one, run on one thread), write the result to out_tmp, fill
 * r->res. On failure r->err holds the reason when there is one to give. */
uc_err pass_delimited(pass *r, const char *in, const char *out_tmp);
uc_err pass_xlsx(pass *r, const char *in, const char *out_tmp);

/* Open r->recs, the anonymous temp file of row records. */
uc_err pass_open_records(pass *r);
/* The dedup hash of an address cell's normalised text; *has_key = 0 (and
 * *hh untouched) when the cell holds no address. UC_ENOMEM for a long
 * cell that cannot be copied. */
uc_err pass_hash(const cell *c, dedup_hash *hh, int *has_key);
/* Pass 1: take a data row (its address cell c, borrowed) into the pipe;
 * rec carries the format's own fields. Counts the row in r->nrows. */
uc_err pass_stage(pass *r, const cell *c, rowrec rec);
/* Pass 1: settle every row still in the pipe (call once at the end). */
uc_err pass_drain(pass *r);
/* Pass 2: the next row record, and whether it is kept. Counts the row's
 * outcome in r->res (duplicates_removed, or invalid/charged). */
static inline uc_err pass_replay(pass *r, uint32_t row, rowrec *rec, int *keep)
{
    if (fread_unlocked(rec, sizeof *rec, 1, r->recs) != 1)
        return UC_EIO;
    *keep = !r->j->t.deduplicate || rec->entry == DEDUP_NONE ||
            dedup_last(r->dd, rec->entry) == row;
    if (!*keep)
        r->res.duplicates_removed++;
    else if (rec->verdict == V_BLACK_INVALID)
        r->res.invalid++;
    else
        r->res.charged++;
    return UC_OK;
}

/* Delimited results: the two cells appended to a row, per verdict, with
 * the output delimiter in front of each. */
typedef struct pass_tails {
    char s[V_COUNT][64];
    size_t len[V_COUNT];
} pass_tails;
void pass_tails_make(pass_tails *t, char od);

/* pass_split.c: one delimited upload read on several threads. The data
 * rows from data_start on are cut into byte ranges at record boundaries;
 * threads parse, check, classify and hash the ranges, then own shares of
 * the hash space to dedup them in file order (first occurrence's verdict,
 * last occurrence kept, as pass 1 and 2 do), then write each range's kept
 * rows to a segment; the segments are appended to of in order. The result
 * is byte for byte the single-threaded pass's, errors included. */
#define PASS_SPLIT_THREADS_MAX 8

/* How a delimited upload reads: what pass_delimited decides from its
 * first rows. */
typedef struct delim_layout {
    char d;                 /* delimiter, or DELIM_LINES */
    uint32_t email_col, ncols;
    int has_header;
    uint64_t data_start;    /* first byte after the header row */
} delim_layout;

/* The rows a pre-pass (prepass.h) read while the upload streamed:
 * [lay.data_start, end), as the split's read phase reads a range. */
typedef struct split_pre {
    delim_layout lay;       /* read with this layout */
    uint64_t end;           /* a record boundary one reader reached */
    struct delim_reader *rd; /* the pre-pass's mapping of the file (its
                               own: borrowed), or NULL */
    int fd;                 /* the rows' records; -1: none */
    uint32_t nrows;
    uint64_t keyed;         /* rows with an address */
    uc_err e;               /* the first error met (it stopped there) */
    char err[TASK_ERROR_MAX + 1];
    int64_t ms;             /* spent reading */
    int quote_free;         /* the whole file holds no double quote (the
                               split need not count them) */
} split_pre;

typedef struct split_job {
    const char *in;         /* the upload's path */
    const struct delim_reader *rd; /* the caller's reader of it (borrowed,
                               idle during the split) */
    char d;                 /* delimiter, or DELIM_LINES */
    uint64_t data_start;    /* first byte after the header row */
    int threads;            /* >= 1: the caller's and helpers */
    split_pre *pre;         /* NULL, or rows read ahead (same layout): the
                               split reads [pre->end, size) and takes
                               pre->fd (set to -1) */
} split_job;
/* UC_OK with r->nrows and r->res counted and the rows written to of
 * (after its head); on an error, r->err as pass 1 would word it. *retry
 * = 1 when a range ended inside a quoted field (a quote the parity guess
 * misread): nothing is decided then, and the caller reads the file
 * single-threaded from the start, with a fresh outfile. */
struct outfile;
struct delim_reader;
uc_err pass_split(pass *r, const split_job *sj, struct outfile *of, int *retry);

/* For the pre-pass: read the rows of [a, b) of the file rd maps (a and b
 * record boundaries, a where the last call ended) with r's layout, as the
 * split's read phase reads a range, appending their records to out (a
 * file: rowrecs.h) and
 * counting them into pre (pre->e and pre->err on an error). Returns 1
 * when the range ended clean (b was a record boundary), else 0. */
struct rowrecs;
int pass_split_read_ahead(pass *r, char d, struct delim_reader *rd, uint64_t a, uint64_t b,
                          struct rowrecs *out, split_pre *pre);

/* The layout of the delimited upload rd reads (borrowed; rewound), in
 * r->j->t.format, as pass_delimited decides it; sets r->email_col, ncols,
 * has_header. */
uc_err pass_delimited_layout(pass *r, struct delim_reader *rd, delim_layout *lay);

static inline int pass_cancelled(const pass *r) { return atomic_load(&r->j->cancel) != 0; }
static inline void pass_progress(pass *r, int p) { atomic_store(&r->j->progress, p); }
/* Progress from several threads: only ever moves forward. */
static inline void pass_progress_max(pass *r, int p)
{
    int cur = atomic_load(&r->j->progress);
    while (cur < p && !atomic_compare_exchange_weak(&r->j->progress, &cur, p))
        ;
}

/* Pass 2, at row i of r->nrows: every CHECK_EVERY rows, UC_ECANCELED if
 * the job is cancelled, else progress moved to base + i/nrows of span. */
static inline uc_err pass_checkpoint(pass *r, uint32_t i, int base, int span)
{
    if ((i & (CHECK_EVERY - 1)) != 0)
        return UC_OK;
    if (pass_cancelled(r))
        return UC_ECANCELED;
    pass_progress(r, base + (int)((uint64_t)i * (uint64_t)span / r->nrows));
    return UC_OK;
}

#endif
