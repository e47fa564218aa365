/* run.c: one task run (see run.h).
 *
 * Two passes over the input. Pass 1 parses every row, hashes its address
 * once into the dedup set (remembering the last row per address) and
 * classifies each distinct address once; per row it spills a small record
 * (where the row's bytes are, which address it holds) to a temp file.
 * Pass 2 replays the records: a row is kept when dedup is off, its address
 * is empty, or it is the last row of its address; kept rows are copied
 * through byte for byte with the two result columns appended. */
#include "jobs/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "formats/delimited.h"
#include "formats/outfile.h"
#include "formats/xlsx_read.h"
#include "formats/xlsx_write.h"
#include "jobs/dedup.h"
#include "store/accounts.h"
#include "store/files.h"

#define KEY_MAX 1024            /* longer cells are invalid addresses anyway */
#define CHECK_EVERY 65536       /* rows between cancel checks */

static const char *const email_headers[] = {"email", "e-mail", "email address",
                                            "emails"};

/* One data row as pass 1 saw it. */
typedef struct rowrec {
    uint64_t start;      /* delimited: row bytes in the input */
    uint32_t len;
    uint32_t entry;      /* dedup entry, DEDUP_NONE for an empty address */
    uint16_t pad;        /* delimiters to add to reach the header's width */
    uint8_t term;        /* line-end bytes after the row */
    uint8_t verdict;
    uint32_t spare;      /* no padding: the record is written as bytes */
} rowrec;

/* Pass 1 keeps the last few rows in flight: a row's address is hashed
 * and its table slot prefetched when the row is read, and it is inserted
 * PIPE rows later, when the slot is in cache. Rows still leave the pipe
 * in order, so "last occurrence" is unchanged. */
#define PIPE 16

typedef struct pending {
    rowrec rec;
    uint32_t row;
    int has_key;
    dedup_hash hh;
    size_t klen;
    char key[KEY_MAX];
} pending;

/* Shared state of one run. */
typedef struct run {
    const job_env *env;
    job *j;
    char *err;
    size_t errcap;
    dedup *dd;
    acct_lists *al;
    FILE *recs;
    char recs_path[FILES_PATH_MAX];
    uint32_t email_col;
    uint32_t ncols;         /* cells in the first row */
    uint32_t maxw;          /* XLSX: the widest row's cells */
    int has_header;
    uint32_t nrows;
    task_result res;
    pending pipe[PIPE];
    size_t pipe_head, pipe_n;
} run;

static int cancelled(const run *r) { return atomic_load(&r->j->cancel) != 0; }

static int is_email_header(const char *v, size_t len)
{
    while (len && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < sizeof email_headers / sizeof *email_headers; i++)
        if (strlen(email_headers[i]) == len && strncasecmp(v, email_headers[i], len) == 0)
            return 1;
    return 0;
}

/* Which column holds addresses, judging by the first row. Sets
 * r->has_header. Returns -1 when neither a header nor an address shows. */
static int find_email_column(run *r, const cell *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cells[i].type == CELL_STRING && is_email_header(cells[i].v, cells[i].len)) {
            r->has_header = 1;
            return (int)i;
        }
    if (n > 0 && cells[0].type == CELL_STRING && memchr(cells[0].v, '@', cells[0].len)) {
        r->has_header = 0;
        return 0;
    }
    return -1;
}

static void no_email_column(run *r)
{
    snprintf(r->err, r->errcap, "No email column found: the first row needs a "
             "header cell named email (or e-mail, email address, emails), or the "
             "first column must hold addresses");
}

static uc_err spill(run *r, const rowrec *rec)
{
    return fwrite_unlocked(rec, sizeof *rec, 1, r->recs) == 1 ? UC_OK : UC_EIO;
}

/* Insert the oldest row of the pipe, classify its address if new, and
 * write its record. */
static uc_err settle(run *r)
{
    pending *p = &r->pipe[r->pipe_head];
    r->pipe_head = (r->pipe_head + 1) % PIPE;
    r->pipe_n--;
    if (p->has_key) {
        int is_new;
        uint32_t id = dedup_put_hash(r->dd, p->hh, p->row, &is_new);
        if (id == DEDUP_NONE)
            return UC_ENOMEM;
        uint8_t *tag = dedup_tag(r->dd, id);
        if (is_new)
            *tag = (uint8_t)classify(r->env->dl, r->al, p->key, p->klen);
        p->rec.entry = id;
        p->rec.verdict = *tag;
    }
    return spill(r, &p->rec);
}

/* Take one data row into pass 1: normalise and hash its address cell. */
static uc_err stage(run *r, const cell *c, rowrec rec)
{
    if (r->pipe_n == PIPE) {
        uc_err e = settle(r);
        if (e)
            return e;
    }
    pending *p = &r->pipe[(r->pipe_head + r->pipe_n++) % PIPE];
    rec.entry = DEDUP_NONE;
    rec.verdict = V_BLACK_INVALID;
    p->rec = rec;
    p->row = r->nrows;
    p->klen = c->type == CELL_EMPTY ? 0 : dedup_normalise(c->v, c->len, p->key, KEY_MAX);
    p->has_key = p->klen > 0;
    if (p->has_key && c->len >= KEY_MAX) {
        /* A cell this long is no address (the limit is 254 octets), but
         * two of them are the same only if all their text is: hash it
         * whole. The kept prefix is enough to judge it invalid. */
        size_t cap = c->len * 2 + 16; /* lowercase can grow UTF-8 a little */
        char *big = malloc(cap);
        if (!big)
            return UC_ENOMEM;
        size_t n = dedup_normalise(c->v, c->len, big, cap);
        p->hh = dedup_hash_of(big, n);
        free(big);
        dedup_prefetch(r->dd, p->hh);
    } else if (p->has_key) {
        p->hh = dedup_hash_of(p->key, p->klen);
        dedup_prefetch(r->dd, p->hh);
    }
    return UC_OK;
}

/* Settle every row still in the pipe. */
static uc_err drain(run *r)
{
    while (r->pipe_n) {
        uc_err e = settle(r);
        if (e)
            return e;
    }
    return UC_OK;
}

static int kept(const run *r, const rowrec *rec, uint32_t row)
{
    return !r->j->t.deduplicate || rec->entry == DEDUP_NONE ||
           dedup_last(r->dd, rec->entry) == row;
}

static void count(run *r, const rowrec *rec)
{
    if (rec->verdict == V_BLACK_INVALID)
        r->res.invalid++;
    else
        r->res.charged++;
}

static uc_err open_spill(run *r)
{
    files_tmp_path(r->env->data_dir, ".rows", r->recs_path);
    r->recs = fopen(r->recs_path, "w+e");
    if (!r->recs)
        return UC_EIO;
    unlink(r->recs_path); /* anonymous from here on: nothing to clean up */
    setvbuf(r->recs, NULL, _IOFBF, 1 << 20);
    return UC_OK;
}

static void set_progress(run *r, int p) { atomic_store(&r->j->progress, p); }

/* ---- delimited (CSV, TSV, TXT) ---- */

static uc_err run_delimited(run *r, const char *in, const char *out_tmp)
{
    const task *t = &r->j->t;
    delim_reader *rd = NULL;
    outfile *of = NULL;
    uc_err e = delim_open(in, NULL, &rd, r->err, r->errcap);
    if (e)
        return e;

    int is_txt = !strcmp(t->format, "txt");
    char d = !strcmp(t->format, "tsv") ? '\t'
                                       : delim_sniff(rd, is_txt ? ",;\t|" : ",;\t");
    if (!d)
        d = is_txt ? DELIM_LINES : ',';
    delim_rewind(rd, d);

    delim_row row;
    e = delim_next(rd, DELIM_ALL, &row, r->err, r->errcap);
    if (e == UC_ENOTFOUND) {
        snprintf(r->err, r->errcap, "The file is empty");
        e = UC_EFORMAT;
    }
    if (e)
        goto done;
    size_t nf;
    const cell *fields = delim_fields(rd, &nf);
    int col = find_email_column(r, fields, nf);
    if (col < 0 && is_txt && d != DELIM_LINES) {
        /* No header: a plain list of addresses, one per line. */
        d = DELIM_LINES;
        delim_rewind(rd, d);
        e = delim_next(rd, DELIM_ALL, &row, r->err, r->errcap);
        if (e)
            goto done;
        fields = delim_fields(rd, &nf);
        col = find_email_column(r, fields, nf);
    }
    if (col < 0) {
        no_email_column(r);
        e = UC_EFORMAT;
        goto done;
    }
    r->email_col = (uint32_t)col;
    r->ncols = (uint32_t)nf;
    delim_row header = row;
    uint64_t size;
    const char *data = delim_data(rd, &size);
    dedup_reserve(r->dd, (size_t)(size / 64)); /* a modest guess at the rows */
    if ((e = open_spill(r)) != UC_OK)
        goto done;

    /* Pass 1. */
    delim_rewind(rd, d);
    if (r->has_header && (e = delim_next(rd, r->email_col, &row, r->err, r->errcap)))
        goto done;
    for (;;) {
        e = delim_next(rd, r->email_col, &row, r->err, r->errcap);
        if (e == UC_ENOTFOUND)
            break;
        if (e)
            goto done;
        if (row.nfields > r->ncols && d != DELIM_LINES) {
            snprintf(r->err, r->errcap, "Row at line %llu has %u fields, the %s has %u",
                     (unsigned long long)delim_line_at(rd, row.start), row.nfields,
                     r->has_header ? "header" : "first row", r->ncols);
            e = UC_EFORMAT;
            goto done;
        }
        if (r->nrows == UINT32_MAX - 1) {
            snprintf(r->err, r->errcap, "Too many rows");
            e = UC_ELIMIT;
            goto done;
        }
        rowrec rec = {row.start, row.len, 0, 0, row.term_len, 0, 0};
        rec.pad = d == DELIM_LINES ? 0 : (uint16_t)(r->ncols - row.nfields);
        if ((e = stage(r, &row.field, rec)))
            goto done;
        r->nrows++;
        if ((r->nrows & (CHECK_EVERY - 1)) == 0) {
            if (cancelled(r)) {
                e = UC_ECANCELED;
                goto done;
            }
            set_progress(r, (int)(delim_pos(rd) * 80 / (size ? size : 1)));
        }
    }
    if ((e = drain(r)))
        goto done;
    if (r->nrows == 0) {
        snprintf(r->err, r->errcap, "No data rows: the file has only a header");
        e = UC_EFORMAT;
        goto done;
    }
    set_progress(r, 80);

    /* Pass 2. */
    if ((e = outfile_open(out_tmp, &of)) != UC_OK)
        goto done;
    char od = d == DELIM_LINES ? ',' : d;
    size_t bom = delim_bom_len(rd);
    char tail[64];
    if (bom && (e = outfile_write(of, data, bom)))
        goto done;
    if (r->has_header) {
        int n = snprintf(tail, sizeof tail, "%ccategory%cdomain_type", od, od);
        if ((e = outfile_write(of, data + header.start, header.len)) ||
            (e = outfile_write(of, tail, (size_t)n)) ||
            (e = outfile_write(of, data + header.start + header.len, header.term_len)))
            goto done;
    }
    char pad[256];
    memset(pad, od, sizeof pad);
    /* The two appended cells, made once per verdict. */
    char tails[V_COUNT][64];
    size_t tail_len[V_COUNT];
    for (int v = 0; v < V_COUNT; v++)
        tail_len[v] = (size_t)snprintf(tails[v], sizeof tails[v], "%c%s%c%s", od,
                                       verdict_category((verdict)v), od,
                                       verdict_domain_type((verdict)v));
    rewind(r->recs);
    for (uint32_t i = 0; i < r->nrows; i++) {
        rowrec rec;
        if (fread_unlocked(&rec, sizeof rec, 1, r->recs) != 1) {
            e = UC_EIO;
            goto done;
        }
        if (!kept(r, &rec, i)) {
            r->res.duplicates_removed++;
            continue;
        }
        count(r, &rec);
        if ((e = outfile_write(of, data + rec.start, rec.len)))
            goto done;
        for (size_t p = rec.pad; p > 0;) {
            size_t k = p < sizeof pad ? p : sizeof pad;
            if ((e = outfile_write(of, pad, k)))
                goto done;
            p -= k;
        }
        if ((e = outfile_write(of, tails[rec.verdict], tail_len[rec.verdict])) ||
            (e = outfile_write(of, data + rec.start + rec.len, rec.term)))
            goto done;
        if ((i & (CHECK_EVERY - 1)) == 0) {
            if (cancelled(r)) {
                e = UC_ECANCELED;
                goto done;
            }
            set_progress(r, 80 + (int)((uint64_t)i * 19 / r->nrows));
            delim_release_before(rd, rec.start);
        }
    }
    r->res.rows = r->nrows;
    e = outfile_close(of, &r->res.result_bytes);
    of = NULL;
    if (e)
        snprintf(r->err, r->errcap, "Error processing file");
done:
    if (e == UC_EIO && !r->err[0])
        snprintf(r->err, r->errcap, "Error processing file");
    outfile_abort(of);
    delim_close(rd);
    return e;
}

/* ---- XLSX ----
 *
 * Pass 1 reads the sheet once (inflate + XML) and, besides staging each
 * address, spills the row's cells to a temp file; pass 2 replays that
 * spill instead of parsing the workbook a second time. */

typedef struct xrun {
    run *r;
    int seen_first;
    FILE *cells;          /* the cell spill: u32 n, then (u8 type, u32 len, bytes)... */
    char cells_path[FILES_PATH_MAX];
    char *buf;            /* pass 2: one row's bytes and cells */
    size_t buf_cap;
    cell *row;
    size_t row_cap;
    cell *out;            /* row being written, plus two cells */
    size_t out_cap;
    xlsxw *w;
    const char *cat, *dt;  /* the result cells last written, and lengths */
    size_t cat_len, dt_len;
    uc_err e;
} xrun;

static uc_err cells_put(FILE *f, const cell *cells, size_t n)
{
    /* one row, one locked stdio call per piece is what costs: unlocked
     * calls (the spill belongs to this thread alone) */
    uint32_t nn = (uint32_t)n;
    if (fwrite_unlocked(&nn, sizeof nn, 1, f) != 1)
        return UC_EIO;
    for (size_t i = 0; i < n; i++) {
        unsigned char h[5];
        uint32_t len = (uint32_t)cells[i].len;
        h[0] = (unsigned char)cells[i].type;
        memcpy(h + 1, &len, 4);
        if (fwrite_unlocked(h, sizeof h, 1, f) != 1 ||
            (len && fwrite_unlocked(cells[i].v, 1, len, f) != len))
            return UC_EIO;
    }
    return UC_OK;
}

/* Read the next spilled row into x->row (borrowing x->buf). */
static uc_err cells_get(xrun *x, size_t *n)
{
    uint32_t nn;
    if (fread_unlocked(&nn, sizeof nn, 1, x->cells) != 1)
        return UC_EIO;
    if (nn > x->row_cap) {
        cell *nr = realloc(x->row, nn * sizeof *nr);
        if (!nr)
            return UC_ENOMEM;
        x->row = nr;
        x->row_cap = nn;
    }
    size_t used = 0;
    for (uint32_t i = 0; i < nn; i++) {
        unsigned char h[5];
        uint32_t len;
        if (fread_unlocked(h, sizeof h, 1, x->cells) != 1)
            return UC_EIO;
        memcpy(&len, h + 1, 4);
        if (used + len > x->buf_cap) {
            size_t nc = x->buf_cap ? x->buf_cap : 4096;
            while (nc < used + len)
                nc *= 2;
            char *nb = realloc(x->buf, nc);
            if (!nb)
                return UC_ENOMEM;
            x->buf = nb;
            x->buf_cap = nc;
        }
        if (len && fread_unlocked(x->buf + used, 1, len, x->cells) != len)
            return UC_EIO;
        x->row[i] = (cell){(cell_type)h[0], NULL, len};
        x->row[i].v = (const char *)(uintptr_t)used; /* offset until the row is whole */
        used += len;
    }
    for (uint32_t i = 0; i < nn; i++)
        x->row[i].v = x->row[i].len ? x->buf + (uintptr_t)x->row[i].v : NULL;
    *n = nn;
    return UC_OK;
}

static int xlsx_pass1(void *ud, uint32_t sheet_row, const cell *cells, size_t n)
{
    xrun *x = ud;
    run *r = x->r;
    (void)sheet_row;
    if ((x->e = cells_put(x->cells, cells, n)))
        return 1;
    if (n > r->maxw)
        r->maxw = (uint32_t)n;
    if (!x->seen_first) {
        x->seen_first = 1;
        int col = find_email_column(r, cells, n);
        if (col < 0) {
            no_email_column(r);
            x->e = UC_EFORMAT;
            return 1;
        }
        r->email_col = (uint32_t)col;
        r->ncols = (uint32_t)n;
        if (r->has_header)
            return 0;
    }
    static const cell none = {CELL_EMPTY, NULL, 0};
    const cell *c = r->email_col < n ? &cells[r->email_col] : &none;
    rowrec rec = {0};
    if ((x->e = stage(r, c, rec)))
        return 1;
    r->nrows++;
    if ((r->nrows & (CHECK_EVERY - 1)) == 0 && cancelled(r)) {
        x->e = UC_ECANCELED;
        return 1;
    }
    return 0;
}

/* Write one row with the two result cells after the widest row's last
 * column, so they line up under their header cells on every row. */
static uc_err xlsx_put(xrun *x, const cell *cells, size_t n, const char *cat,
                       const char *dt)
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
    if (width + 2 > x->out_cap) {
        cell *nc = realloc(x->out, (width + 2) * sizeof *nc);
        if (!nc)
            return UC_ENOMEM;
        x->out = nc;
        x->out_cap = width + 2;
    }
    if (n)
        memcpy(x->out, cells, n * sizeof *cells);
    for (size_t i = n; i < width; i++)
        x->out[i] = (cell){CELL_EMPTY, NULL, 0};
    x->out[width] = (cell){CELL_STRING, cat, x->cat_len};
    x->out[width + 1] = (cell){CELL_STRING, dt, x->dt_len};
    uc_err e = xlsxw_row(x->w, x->out, width + 2);
    if (e) {
        const char *why = xlsxw_reason(x->w);
        if (why && *why)
            snprintf(x->r->err, x->r->errcap, "%s", why);
    }
    return e;
}

/* Pass 2: replay the spilled rows, writing the kept ones. */
static uc_err xlsx_write_rows(xrun *x)
{
    run *r = x->r;
    size_t n;
    uc_err e;
    rewind(x->cells);
    rewind(r->recs);
    if (r->has_header) {
        if ((e = cells_get(x, &n)) || (e = xlsx_put(x, x->row, n, "category", "domain_type")))
            return e;
    }
    for (uint32_t i = 0; i < r->nrows; i++) {
        rowrec rec;
        if ((e = cells_get(x, &n)))
            return e;
        if (fread_unlocked(&rec, sizeof rec, 1, r->recs) != 1)
            return UC_EIO;
        if (!kept(r, &rec, i)) {
            r->res.duplicates_removed++;
            continue;
        }
        count(r, &rec);
        if ((e = xlsx_put(x, x->row, n, verdict_category((verdict)rec.verdict),
                          verdict_domain_type((verdict)rec.verdict))))
            return e;
        if ((i & (CHECK_EVERY - 1)) == 0) {
            if (cancelled(r))
                return UC_ECANCELED;
            set_progress(r, 50 + (int)((uint64_t)i * 49 / r->nrows));
        }
    }
    return UC_OK;
}

static uc_err run_xlsx(run *r, const char *in, const char *out_tmp)
{
    xlsx_limits lim;
    xlsx_limits_default(&lim);
    lim.zip.max_total_bytes = r->env->xlsx_max_inflated;
    if (lim.zip.max_entry_bytes > lim.zip.max_total_bytes)
        lim.zip.max_entry_bytes = lim.zip.max_total_bytes;
    lim.zip.max_entries = r->env->xlsx_max_entries;

    xrun x = {.r = r};
    uc_err e = open_spill(r);
    if (e)
        return e;
    files_tmp_path(r->env->data_dir, ".cells", x.cells_path);
    x.cells = fopen(x.cells_path, "w+e");
    if (!x.cells) {
        e = UC_EIO;
        goto done;
    }
    unlink(x.cells_path); /* anonymous from here on */
    setvbuf(x.cells, NULL, _IOFBF, 1 << 20);
    char rerr[TASK_ERROR_MAX + 1] = "";
    e = xlsx_read(in, &lim, xlsx_pass1, &x, rerr, sizeof rerr);
    if (x.e) /* our callback stopped the read: its reason stands */
        e = x.e;
    else if (e)
        snprintf(r->err, r->errcap, "%s", rerr);
    if (!e)
        e = drain(r);
    if (e)
        goto done;
    if (!x.seen_first) {
        snprintf(r->err, r->errcap, "The worksheet is empty");
        e = UC_EFORMAT;
        goto done;
    }
    if (r->nrows == 0) {
        snprintf(r->err, r->errcap, "No data rows: the sheet has only a header");
        e = UC_EFORMAT;
        goto done;
    }
    set_progress(r, 50);

    char tmpdir[FILES_PATH_MAX];
    snprintf(tmpdir, sizeof tmpdir, "%s/tmp", r->env->data_dir);
    if ((e = xlsxw_open(out_tmp, tmpdir, &x.w)) != UC_OK)
        goto done;
    if ((e = xlsx_write_rows(&x)))
        goto done;
    e = xlsxw_close_err(x.w, r->err, r->errcap);
    x.w = NULL;
    if (e)
        goto done;
    r->res.rows = r->nrows;
    r->res.result_bytes = files_size(out_tmp);
done:
    if (e == UC_ELIMIT && !r->err[0])
        snprintf(r->err, r->errcap, "The workbook is too large to write as XLSX");
    xlsxw_abort(x.w);
    if (x.cells)
        fclose(x.cells);
    free(x.buf);
    free(x.row);
    free(x.out);
    return e;
}

/* ---- the task ---- */

uc_err job_load_lists(db *d, const char *key, acct_lists **out)
{
    static const char *kinds[] = {"white", "grey", "black"};
    acct_lists *al = acct_lists_new();
    if (!al)
        return UC_ENOMEM;
    for (int k = 0; k < 3; k++) {
        char *body = NULL;
        uc_err e = account_list_get(d, key, kinds[k], &body);
        if (!e)
            e = acct_lists_add(al, (acct_list_kind)k, body, strlen(body));
        free(body);
        if (e) {
            acct_lists_free(al);
            return e;
        }
    }
    *out = al;
    return UC_OK;
}

int job_progress(const job *j)
{
    int p = atomic_load(&j->progress);
    if (j->delay_ms > 0) {
        int64_t el = clock_mono_ms() - j->started_mono;
        int tp = el >= j->delay_ms ? 99 : (int)(el * 100 / j->delay_ms);
        if (tp < p)
            p = tp;
    }
    return p > 100 ? 100 : p;
}

/* Sleep until the job's delay has passed (or it is cancelled). */
static int hold(job *j)
{
    while (clock_mono_ms() - j->started_mono < j->delay_ms) {
        if (atomic_load(&j->cancel))
            return -1;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

uc_err job_execute(const job_env *env, job *j)
{
    const task *t = &j->t;
    char errbuf[TASK_ERROR_MAX + 1] = "";
    char in[FILES_PATH_MAX], final[FILES_PATH_MAX], tmp[FILES_PATH_MAX];
    run r = {.env = env, .j = j, .err = errbuf, .errcap = sizeof errbuf};

    j->started_mono = clock_mono_ms();
    j->delay_ms = env->processing_delay_ms;
    if (t->fault_delay_ms > j->delay_ms)
        j->delay_ms = t->fault_delay_ms;

    files_upload_path(env->data_dir, t->id, t->format, in);
    files_result_path(env->data_dir, t->id, t->format, final);
    files_tmp_path(env->data_dir, !strcmp(t->format, "xlsx") ? ".xlsx" : ".out", tmp);

    uc_err e = UC_OK;
    if (t->fault_fail[0]) { /* an armed fault: fail without doing the work */
        snprintf(errbuf, sizeof errbuf, "%s", t->fault_fail);
        e = UC_EFORMAT;
    }
    if (!e)
        r.dd = dedup_new();
    if (!e && !r.dd)
        e = UC_ENOMEM;
    if (!e)
        e = job_load_lists(env->d, t->api_key, &r.al);
    if (!e)
        e = !strcmp(t->format, "xlsx") ? run_xlsx(&r, in, tmp)
                                       : run_delimited(&r, in, tmp);
    if (r.recs)
        fclose(r.recs);
    dedup_free(r.dd);
    acct_lists_free(r.al);

    if (e != UC_ECANCELED && hold(j) != 0)
        e = UC_ECANCELED;
    if (e == UC_ECANCELED) {
        unlink(tmp);
        return UC_ECANCELED;
    }
    if (!e && files_commit(tmp, final) != UC_OK) {
        snprintf(errbuf, sizeof errbuf, "Error processing file");
        e = UC_EIO;
    }
    /* Charged only once the result is safely in place. */
    if (!e && r.res.charged > 0) {
        uc_err ce = account_charge(env->d, t->api_key, r.res.charged);
        if (ce) {
            unlink(final);
            snprintf(errbuf, sizeof errbuf, "%s", ce == UC_EQUOTA
                     ? "Insufficient credits — please top up your balance."
                     : "Error processing file");
            e = ce;
        }
    }
    if (e) {
        unlink(tmp);
        if (!errbuf[0])
            snprintf(errbuf, sizeof errbuf, "Error processing file");
        if (task_fail(env->d, t->id, errbuf) == UC_ENOTFOUND)
            return UC_ECANCELED;
        return UC_OK;
    }
    atomic_store(&j->progress, 100);
    if (task_complete(env->d, t->id, &r.res) == UC_ENOTFOUND) {
        /* Deleted while we worked: the result is ours to remove. */
        unlink(final);
        return UC_ECANCELED;
    }
    return UC_OK;
}
