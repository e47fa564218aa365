/* pass_delimited.c: the two passes over a CSV, TSV or TXT upload (see
 * pass.h). Pass 2 copies each kept row's original bytes through unchanged
 * and appends the two result cells with the file's own delimiter and line
 * ending: no field is ever re-serialised, which is what makes this path
 * fast. */
#include "jobs/pass.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/messages.h"
#include "formats/delimited.h"
#include "formats/outfile.h"
#include "jobs/email_column.h"
#include "jobs/prepass.h"

/* One delimited pass: the reader, the delimiter and the header row. */
typedef struct dpass {
    pass *r;
    delim_reader *rd;
    char d;               /* the delimiter, or DELIM_LINES */
    delim_row header;     /* the first row */
    uint64_t size;        /* bytes in the file */
} dpass;

/* Read the first row with delimiter x->d and judge its address column. */
static uc_err first_row(dpass *x, email_column *ec)
{
    pass *r = x->r;
    delim_rewind(x->rd, x->d);
    uc_err e = delim_next(x->rd, DELIM_ALL, &x->header, r->err, r->errcap);
    if (e == UC_ENOTFOUND) {
        snprintf(r->err, r->errcap, "The file is empty");
        return UC_EFORMAT;
    }
    if (e)
        return e;
    size_t nf;
    const cell *fields = delim_fields(x->rd, &nf);
    r->ncols = (uint32_t)nf;
    return email_column_find(fields, nf, ec);
}

/* No header names the address column and the first row holds no address:
 * read the file headerless if most of the next rows hold one in the first
 * column (the first line is junk, then a data row like the others). The
 * rows shown also widen r->ncols, so the first line sets no narrow width. */
static uc_err probe_headerless(dpass *x, email_column *ec)
{
    pass *r = x->r;
    email_probe p = {0};
    uint32_t widest = r->ncols;
    delim_row row;
    while (!email_probe_done(&p)) {
        uc_err e = delim_next(x->rd, DELIM_ALL, &row, r->err, r->errcap);
        if (e == UC_ENOTFOUND)
            break;
        if (e)
            return e;
        size_t nf;
        const cell *fields = delim_fields(x->rd, &nf);
        email_probe_row(&p, nf ? &fields[0] : NULL);
        if (nf > widest)
            widest = (uint32_t)nf;
    }
    if (!email_probe_headerless(&p))
        return UC_ENOTFOUND;
    ec->col = 0;
    ec->has_header = 0;
    r->ncols = widest;
    return UC_OK;
}

/* Choose the delimiter of the upload x->rd reads, find the address
 * column. */
static uc_err decide(dpass *x)
{
    pass *r = x->r;
    uc_err e;
    enum task_format fmt = r->j->t.format;
    int is_txt = fmt == TASK_TXT;
    x->d = fmt == TASK_TSV ? '\t' : delim_sniff(x->rd, is_txt ? ",;\t|" : ",;\t");
    if (!x->d)
        x->d = is_txt ? DELIM_LINES : ',';
    email_column ec, seen;
    e = first_row(x, &ec);
    seen = ec; /* a failure names the cells as the delimiter splits them */
    if (e == UC_ENOTFOUND && is_txt && x->d != DELIM_LINES) {
        /* No header: a plain list of addresses, one per line. */
        x->d = DELIM_LINES;
        e = first_row(x, &ec);
    }
    if (e == UC_ENOTFOUND && (e = probe_headerless(x, &ec)) == UC_ENOTFOUND) {
        snprintf(r->err, r->errcap, "%s", seen.reason);
        return UC_EFORMAT;
    }
    if (e)
        return e;
    r->email_col = ec.col;
    r->has_header = ec.has_header;
    x->size = delim_size(x->rd);
    return UC_OK;
}

/* Open the upload and decide how it reads. */
static uc_err open_input(dpass *x, const char *in)
{
    pass *r = x->r;
    uc_err e = r->in_mem ? delim_open_mem(r->in_mem, r->in_len, NULL, &x->rd, r->err, r->errcap)
                         : delim_open(in, NULL, &x->rd, r->err, r->errcap);
    return e ? e : decide(x);
}

/* Pass 1: every data row's address into the pipe, its span into a record. */
static uc_err read_rows(dpass *x)
{
    pass *r = x->r;
    delim_row row;
    uc_err e;
    delim_rewind(x->rd, x->d);
    if (r->has_header && (e = delim_next(x->rd, r->email_col, &row, r->err, r->errcap)))
        return e;
    for (;;) {
        e = delim_next(x->rd, r->email_col, &row, r->err, r->errcap);
        if (e == UC_ENOTFOUND)
            break;
        if (e)
            return e;
        if (row.nfields > r->ncols && x->d != DELIM_LINES) {
            snprintf(r->err, r->errcap, "Row at line %llu has %u fields, the %s has %u",
                     (unsigned long long)delim_line_at(x->rd, row.start), row.nfields,
                     r->has_header ? "header" : "first row", r->ncols);
            return UC_EFORMAT;
        }
        if (r->nrows == UINT32_MAX - 1) {
            snprintf(r->err, r->errcap, "Too many rows");
            return UC_ELIMIT;
        }
        rowrec rec = {row.start, row.len, 0, 0, row.term_len, 0, 0};
        rec.pad = x->d == DELIM_LINES ? 0 : (uint16_t)(r->ncols - row.nfields);
        if ((e = pass_stage(r, &row.field, rec)))
            return e;
        if ((r->nrows & (CHECK_EVERY - 1)) == 0) {
            if (pass_cancelled(r))
                return UC_ECANCELED;
            pass_progress(r, (int)(delim_pos(x->rd) * 80 / (x->size ? x->size : 1)));
        }
    }
    if ((e = pass_drain(r)))
        return e;
    if (r->nrows == 0) {
        snprintf(r->err, r->errcap, "No data rows: the file has only a header");
        return UC_EFORMAT;
    }
    return UC_OK;
}

/* The BOM and the header row with the two result column names. */
static uc_err write_head(dpass *x, outfile *of, char od)
{
    uc_err e;
    size_t bom = delim_bom_len(x->rd);
    if (bom && (e = outfile_write(of, delim_bytes_at(x->rd, 0), bom)))
        return e;
    if (!x->r->has_header)
        return UC_OK;
    char tail[64];
    int n = snprintf(tail, sizeof tail, "%ccategory%cdomain_type", od, od);
    const char *h = delim_bytes_at(x->rd, x->header.start);
    if ((e = outfile_write(of, h, x->header.len)) ||
        (e = outfile_write(of, tail, (size_t)n)) ||
        (e = outfile_write(of, h + x->header.len, x->header.term_len)))
        return e;
    return UC_OK;
}

void pass_tails_make(pass_tails *t, char od)
{
    for (int v = 0; v < V_COUNT; v++)
        t->len[v] = (size_t)snprintf(t->s[v], sizeof t->s[v], "%c%s%c%s", od,
                                     verdict_category((verdict)v), od,
                                     verdict_domain_type((verdict)v));
}

/* Pass 2: replay the records; copy each kept row through, padded to the
 * header's width, with its two result cells before its line end. */
static uc_err write_rows(dpass *x, outfile *of)
{
    pass *r = x->r;
    char od = x->d == DELIM_LINES ? ',' : x->d;
    uc_err e;
    char pad[256];
    memset(pad, od, sizeof pad);
    pass_tails tails;
    pass_tails_make(&tails, od);
    rewind(r->recs);
    for (uint32_t i = 0; i < r->nrows; i++) {
        rowrec rec;
        int keep;
        if ((e = pass_replay(r, i, &rec, &keep)))
            return e;
        if (!keep)
            continue;
        const char *row = delim_bytes_at(x->rd, rec.start);
        if ((e = outfile_write(of, row, rec.len)))
            return e;
        for (size_t p = rec.pad; p > 0;) {
            size_t k = p < sizeof pad ? p : sizeof pad;
            if ((e = outfile_write(of, pad, k)))
                return e;
            p -= k;
        }
        if ((e = outfile_write(of, tails.s[rec.verdict], tails.len[rec.verdict])) ||
            (e = outfile_write(of, row + rec.len, rec.term)) ||
            (e = pass_checkpoint(r, i, 80, 19)))
            return e;
    }
    return UC_OK;
}

/* Threads for one upload of size bytes: the caller's and the idle
 * workers it could borrow (*borrowed), or 0 for the single-threaded
 * passes: a small upload, or no idle worker. */
static int split_threads(pass *r, uint64_t size, int *borrowed)
{
    uint64_t min = r->env->split_min;
    *borrowed = 0;
    if (size < min)
        return 0;
    *borrowed = job_borrow(r->j, PASS_SPLIT_THREADS_MAX - 1);
    if (*borrowed == 0 && min > 0)
        return 0;
    return 1 + *borrowed;
}

static delim_layout layout_of(const dpass *x)
{
    const pass *r = x->r;
    uint64_t data_start = r->has_header ? x->header.start + x->header.len + x->header.term_len
                                        : delim_bom_len(x->rd);
    return (delim_layout){x->d, r->email_col, r->ncols, r->has_header, data_start};
}

uc_err pass_delimited_layout(pass *r, delim_reader *rd, delim_layout *lay)
{
    dpass x = {.r = r, .rd = rd};
    uc_err e = decide(&x);
    if (!e)
        *lay = layout_of(&x);
    return e;
}

/* The pre-pass's rows, if it read them with the layout the whole file
 * has (it decided on the first megabytes alone), else NULL. */
static split_pre *usable_pre(dpass *x)
{
    split_pre *pre = prepass_rows(x->r->j->t.pre);
    if (!pre)
        return NULL;
    delim_layout a = pre->lay, b = layout_of(x);
    int same = a.d == b.d && a.email_col == b.email_col && a.ncols == b.ncols &&
               a.has_header == b.has_header && a.data_start == b.data_start;
    return same ? pre : NULL;
}

/* The BOM, the header and the rows, on threads threads. *retry: the
 * split misread a quote and nothing was decided (see pass_split). */
static uc_err write_split(dpass *x, const char *in, int threads, split_pre *pre, outfile *of,
                          int *retry)
{
    pass *r = x->r;
    char od = x->d == DELIM_LINES ? ',' : x->d;
    uc_err e = write_head(x, of, od);
    if (e)
        return e;
    split_job sj = {in, x->rd, x->d, layout_of(x).data_start, threads, pre};
    return pass_split(r, &sj, of, retry);
}

/* The single-threaded passes: pass 1 into the records, pass 2 out. */
static uc_err write_single(dpass *x, outfile *of)
{
    pass *r = x->r;
    char od = x->d == DELIM_LINES ? ',' : x->d;
    dedup_reserve(r->dd, (size_t)(x->size / 64)); /* a modest guess at the rows */
    uc_err e;
    int64_t t0 = clock_mono_ms();
    if ((e = pass_open_records(r)) || (e = read_rows(x)))
        return e;
    pass_progress(r, 80);
    int64_t t1 = clock_mono_ms();
    r->res.ms.read += t1 - t0;
    if ((e = write_head(x, of, od)) || (e = write_rows(x, of)))
        return e;
    r->res.ms.write += clock_mono_ms() - t1;
    return UC_OK;
}

uc_err pass_delimited(pass *r, const char *in, const char *out_tmp)
{
    dpass x = {.r = r};
    outfile *of = NULL;
    int borrowed = 0, retry = 0;
    int64_t t0 = clock_mono_ms();
    uc_err e = open_input(&x, in);
    if (e)
        goto done;
    /* the split's threads read the file at in: none for bytes in memory */
    int threads = r->in_mem ? 0 : split_threads(r, x.size, &borrowed);
    split_pre *pre = usable_pre(&x);
    if (pre && !threads)
        threads = 1; /* the rest on this thread, after the rows read ahead */
    r->res.ms.read = clock_mono_ms() - t0; /* the pre-pass's end awaited */
    if (threads) {
        if ((e = outfile_open(out_tmp, &of)))
            goto done;
        e = write_split(&x, in, threads, pre, of, &retry);
        if (!retry && pre) {
            r->res.prepass_bytes = (int64_t)(pre->end - pre->lay.data_start);
            r->res.ms.prepass = pre->ms;
        }
        if (retry) {
            /* start again on one thread, from nothing */
            outfile_abort(of);
            of = NULL;
            r->res = (task_result){.ms = r->res.ms};
            r->nrows = 0;
            r->err[0] = 0;
            threads = 0;
        }
    }
    if (!threads) {
        if ((e = outfile_open(out_tmp, &of)) || (e = write_single(&x, of)))
            goto done;
    } else if (e) {
        goto done;
    }
    r->res.rows = r->nrows;
    r->res.threads = threads ? threads : 1;
    int64_t t1 = clock_mono_ms();
    e = outfile_close(of, &r->res.result_bytes);
    r->res.ms.write += clock_mono_ms() - t1;
    of = NULL;
    if (e)
        snprintf(r->err, r->errcap, MSG_ERROR_PROCESSING);
done:
    job_unborrow(r->j, borrowed);
    if (e == UC_EIO && !r->err[0])
        snprintf(r->err, r->errcap, MSG_ERROR_PROCESSING);
    outfile_abort(of);
    delim_close(x.rd);
    return e;
}
