/* pass_xlsx.c: the two passes over an XLSX upload (see pass.h).
 *
 * Pass 1 reads the sheet once (inflate + XML) and, besides staging each
 * address, writes the row's cells (with their style) to the cell spill
 * (cellspill.h); pass 2 replays that spill instead of parsing the workbook
 * a second time, and writes the kept rows into a new workbook that looks
 * like the input (xlsx_meta: sheet name, number formats, bold, widths). */
#include "jobs/pass.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "formats/xlsx_read.h"
#include "formats/xlsx_write.h"
#include "jobs/cellspill.h"
#include "jobs/email_column.h"
#include "store/files.h"

typedef struct xpass {
    pass *r;
    int seen_first;
    cellspill *cells;
    cell *out;            /* row being written: the widest row's width + 2 */
    struct buf out_buf;   /* holds out */
    xlsx_meta meta;       /* the input's look */
    bool bold_header;     /* the header row is bold: so are the added cells */
    xlsxw *w;
    const char *cat, *dt;  /* the result cells last written, and lengths */
    size_t cat_len, dt_len;
    uc_err e;             /* why read_row stopped the read */
    /* The first row named no column and held no address: the first cells
     * of the rows held back (copies) while the probe decides. */
    int probing;
    email_probe probe;
    email_column ec;
    cell held[EMAIL_PROBE_ROWS + 1];
    uint32_t nheld;
} xpass;

/* Hold back a row's first cell (copied) while probing. */
static uc_err hold(xpass *x, const cell *cells, size_t n)
{
    cell c = n ? cells[0] : (cell){CELL_EMPTY, NULL, 0, 0};
    if (c.len) {
        char *v = malloc(c.len);
        if (!v)
            return UC_ENOMEM;
        memcpy(v, c.v, c.len);
        c.v = v;
    }
    x->held[x->nheld++] = c;
    return UC_OK;
}

static void free_held(xpass *x)
{
    for (uint32_t i = 0; i < x->nheld; i++)
        free((char *)x->held[i].v);
    x->nheld = 0;
}

/* The probe has seen enough: read the sheet headerless (staging the rows
 * held back, the first one included) or fail naming the first row. */
static uc_err end_probe(xpass *x)
{
    pass *r = x->r;
    uc_err e = UC_OK;
    x->probing = 0;
    if (!email_probe_headerless(&x->probe)) {
        snprintf(r->err, r->errcap, "%s", x->ec.reason);
        e = UC_EFORMAT;
    } else {
        r->email_col = 0;
        r->has_header = 0;
        for (uint32_t i = 0; i < x->nheld && !e; i++)
            e = pass_stage(r, &x->held[i], (rowrec){0});
    }
    free_held(x);
    return e;
}

/* The first row: find the address column. Returns 1 when the row is not
 * staged now (a header, or held back for the probe), 0 when it is data,
 * -1 on failure (x->e set). */
static int first_row(xpass *x, const cell *cells, size_t n)
{
    pass *r = x->r;
    x->seen_first = 1;
    r->ncols = (uint32_t)n;
    if (email_column_find(cells, n, &x->ec) != UC_OK) {
        x->probing = 1;
        return (x->e = hold(x, cells, n)) ? -1 : 1;
    }
    r->email_col = x->ec.col;
    r->has_header = x->ec.has_header;
    x->bold_header = x->ec.has_header && xlsx_meta_row_bold(&x->meta, cells, n);
    return x->ec.has_header;
}

/* Pass 1, called by the sheet reader for each row. */
static int read_row(void *ud, uint32_t sheet_row, const cell *cells, size_t n)
{
    xpass *x = ud;
    pass *r = x->r;
    (void)sheet_row;
    if ((x->e = cellspill_put(x->cells, cells, n)))
        return 1;
    if (n > r->maxw)
        r->maxw = (uint32_t)n;
    if (!x->seen_first) {
        int h = first_row(x, cells, n);
        if (h != 0)
            return h < 0;
    } else if (x->probing) {
        email_probe_row(&x->probe, n ? &cells[0] : NULL);
        if ((x->e = hold(x, cells, n)))
            return 1;
        if (email_probe_done(&x->probe))
            x->e = end_probe(x);
        return x->e != UC_OK;
    }
    static const cell none = {CELL_EMPTY, NULL, 0, 0};
    const cell *c = r->email_col < n ? &cells[r->email_col] : &none;
    rowrec rec = {0};
    if ((x->e = pass_stage(r, c, rec)))
        return 1;
    if ((r->nrows & (CHECK_EVERY - 1)) == 0 && pass_cancelled(r)) {
        x->e = UC_ECANCELED;
        return 1;
    }
    return 0;
}

/* Write one row with the two result cells after the widest row's last
 * column, so they line up under their header cells on every row; they
 * are in bold when header is set and the input's header row is bold. */
static uc_err put_row(xpass *x, const cell *cells, size_t n, const char *cat,
                      const char *dt, bool header)
{
    if (cat != x->cat) { /* the same few strings on every row: measure once */
        x->cat = cat;
        x->cat_len = strlen(cat);
    }
    if (dt != x->dt) {
        x->dt = dt;
        x->dt_len = strlen(dt);
    }
    size_t width = x->r->maxw;
    if (n)
        memcpy(x->out, cells, n * sizeof *cells);
    for (size_t i = n; i < width; i++)
        x->out[i] = (cell){CELL_EMPTY, NULL, 0, 0};
    uint32_t style = xlsxw_added_style(x->w, header && x->bold_header);
    x->out[width] = (cell){CELL_STRING, cat, x->cat_len, style};
    x->out[width + 1] = (cell){CELL_STRING, dt, x->dt_len, style};
    uc_err e = xlsxw_row(x->w, x->out, width + 2);
    if (e) {
        const char *why = xlsxw_reason(x->w);
        if (why && *why)
            snprintf(x->r->err, x->r->errcap, "%s", why);
    }
    return e;
}

/* Pass 2: replay the spilled rows, writing the kept ones. */
static uc_err write_rows(xpass *x)
{
    pass *r = x->r;
    const cell *cells;
    size_t n;
    uc_err e;
    buf_init(&x->out_buf, ((size_t)r->maxw + 2) * sizeof(cell));
    if ((e = buf_reserve(&x->out_buf, x->out_buf.max)) || (e = cellspill_rewind(x->cells)))
        return e;
    x->out = (cell *)x->out_buf.data;
    rewind(r->recs);
    if (r->has_header) {
        if ((e = cellspill_get(x->cells, &cells, &n)) ||
            (e = put_row(x, cells, n, "category", "domain_type", true)))
            return e;
    }
    for (uint32_t i = 0; i < r->nrows; i++) {
        rowrec rec;
        int keep;
        if ((e = cellspill_get(x->cells, &cells, &n)) || (e = pass_replay(r, i, &rec, &keep)))
            return e;
        if (!keep)
            continue;
        if ((e = put_row(x, cells, n, verdict_category((verdict)rec.verdict),
                         verdict_domain_type((verdict)rec.verdict), false)) ||
            (e = pass_checkpoint(r, i, 50, 49)))
            return e;
    }
    return UC_OK;
}

/* Pass 1: read the sheet into the pipe and the spill. */
static uc_err read_sheet(xpass *x, const char *in)
{
    pass *r = x->r;
    xlsx_limits lim;
    xlsx_limits_default(&lim);
    /* a modest guess at the rows (about 30 compressed bytes a row), so the
     * dedup table is not rehashed as it fills; at most Excel's grid */
    uint64_t guess = r->j->t.upload_bytes / 32;
    dedup_reserve(r->dd, (size_t)(guess < lim.max_rows ? guess : lim.max_rows));
    lim.zip.max_total_bytes = r->env->xlsx_max_inflated;
    if (lim.zip.max_entry_bytes > lim.zip.max_total_bytes)
        lim.zip.max_entry_bytes = lim.zip.max_total_bytes;
    lim.zip.max_entries = r->env->xlsx_max_entries;

    char rerr[TASK_ERROR_MAX + 1] = "";
    uc_err e = xlsx_read_meta(in, &lim, read_row, x, &x->meta, rerr, sizeof rerr);
    if (x->e) /* our callback stopped the read: its reason stands */
        e = x->e;
    else if (e)
        snprintf(r->err, r->errcap, "%s", rerr);
    if (!e && x->probing) /* the sheet ended while the probe looked */
        e = end_probe(x);
    if (!e)
        e = pass_drain(r);
    if (e)
        return e;
    if (!x->seen_first) {
        snprintf(r->err, r->errcap, "The worksheet is empty");
        return UC_EFORMAT;
    }
    if (r->nrows == 0) {
        snprintf(r->err, r->errcap, "No data rows: the sheet has only a header");
        return UC_EFORMAT;
    }
    return UC_OK;
}

uc_err pass_xlsx(pass *r, const char *in, const char *out_tmp)
{
    xpass x = {.r = r};
    uc_err e;
    int64_t t0 = clock_mono_ms(), t1;
    if ((e = pass_open_records(r)) || (e = cellspill_open(r->env->data_dir, &x.cells)) ||
        (e = read_sheet(&x, in)))
        goto done;
    r->res.ms.read = (t1 = clock_mono_ms()) - t0;
    pass_progress(r, 50);

    if ((e = xlsxw_create(out_tmp, &x.meta, &x.w)) || (e = write_rows(&x)))
        goto done;
    e = xlsxw_close_err(x.w, r->err, r->errcap);
    x.w = NULL;
    r->res.ms.write = clock_mono_ms() - t1;
    if (e)
        goto done;
    r->res.rows = r->nrows;
    r->res.result_bytes = files_size(out_tmp);
done:
    if (e == UC_ELIMIT && !r->err[0])
        snprintf(r->err, r->errcap, "The workbook is too large to write as XLSX");
    xlsxw_abort(x.w);
    cellspill_close(x.cells);
    free_held(&x);
    xlsx_meta_free(&x.meta);
    buf_free(&x.out_buf);
    return e;
}
