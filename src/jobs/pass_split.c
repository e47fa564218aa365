/* pass_split.c: one large delimited upload on several threads (see
 * pass.h). Three phases, each a set of pieces that the threads claim in
 * turn: read (a byte range each: parse, check, classify, hash; records
 * spilled to the range's own file), dedup (a share of the hash space
 * each, every record read in file order), keep (a range each: which rows
 * stay, and their bytes) and write (a range each, straight to its place
 * in the result). */
#include "jobs/pass.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/messages.h"
#include "formats/delimited.h"
#include "formats/outfile.h"
#include "jobs/bigmem.h"
#include "jobs/rowrecs.h"
#include "store/files.h"

#define SPLIT_THREADS_MAX PASS_SPLIT_THREADS_MAX
#define SPLIT_PER_THREAD 4     /* ranges per thread: a slow core takes fewer */
#define SPLIT_RANGES_MAX (SPLIT_THREADS_MAX * SPLIT_PER_THREAD)
#define SPLIT_IO OUTFILE_PW_BUF /* bytes of input or output per buffer */
/* A result this large is flushed to the device behind its writers, a
 * step at a time (outfile_syncer). */
#define SPLIT_SYNC_STEP (8u << 20)


typedef struct srange {
    uint64_t a, b;         /* bytes [a, b) */
    rowrecs rs;            /* its records */
    uint32_t nrows, first_row;
    uc_err e;
    int unclean;           /* ended inside a row: the bound was wrong */
    char err[TASK_ERROR_MAX + 1];
    uint32_t keyed[SPLIT_THREADS_MAX]; /* rows with an address, per dedup part */
    int pre;               /* read ahead by a pre-pass (split_pre) */
    uint64_t keyed_all;    /* then: its rows with an address */
} srange;

/* After the read phase, the rows in slices of about equal size for the
 * later phases' pieces: a range read ahead (half the file, or all of it)
 * is cut up like the others. */
typedef struct sslice {
    size_t k;              /* its range */
    uint32_t from, n;      /* its records: [from, from + n) of the range's */
    uint64_t out_bytes;    /* its kept rows' bytes in the result */
    int64_t out_at;        /* where they go */
    uint32_t dups, invalid, charged;
    uc_err e;
} sslice;

/* One thread's buffers, made when a piece first needs them and kept for
 * the thread's later pieces and phases: fresh pages cost a fault each
 * (about 20 us on a virtual machine), so every piece's own would cost
 * more than the work on them. */
typedef struct scratch {
    srec *recs;            /* ROWRECS_BUF bytes: records read from a file */
    char *io;              /* SPLIT_IO bytes: quotes counted, result written */
} scratch;

/* under threads * SPLIT_PER_THREAD of nrows / that, plus one a range */
#define SPLIT_SLICES_MAX (2 * SPLIT_RANGES_MAX + 1)

typedef struct split {
    pass *r;
    const split_job *sj;
    size_t nranges, nparts;
    size_t nshares;        /* bounds: [from, size) in this many shares */
    uint64_t from;
    srange rg[SPLIT_RANGES_MAX + 1]; /* + the pre-pass's */
    dedup *part[SPLIT_THREADS_MAX];
    uc_err part_e[SPLIT_THREADS_MAX];
    /* per dedup part: its rows with an address in file order, each the
     * first occurrence's verdict | PV_LAST for the last occurrence; each
     * written by its part's thread alone (no cache line shared) */
    uint8_t *pv[SPLIT_THREADS_MAX];
    uint32_t pv_cap[SPLIT_THREADS_MAX];
    size_t pv_mem[SPLIT_THREADS_MAX]; /* bigmem_alloc's caps */
    uint32_t pv_from[SPLIT_THREADS_MAX][SPLIT_SLICES_MAX]; /* slice j's first */
    sslice sl[SPLIT_SLICES_MAX];
    size_t nslices;
    uint8_t *kv;           /* per row: 0 dropped, else 1 + its verdict */
    size_t kv_mem;         /* bigmem_alloc's cap */
    int out_fd;            /* the result (outfile_region) */
    outfile_syncer *sync;  /* flushing it behind the writers, or NULL */
    uint32_t nrows;
    pass_tails tails;
    char od;
    atomic_size_t next;    /* the next piece of the phase to claim */
    atomic_uint_fast64_t bytes_read;
    atomic_size_t first_bad; /* read: the first range that failed or
                                ended unclean; the ranges after it stop */
    atomic_int stop;       /* write: a piece failed, the others stop */
    const delim_reader *rd; /* the file, for the bounds (the caller's) */
    const delim_reader *base; /* a mapping of the whole file that every
                                 piece's reader shares, or NULL: each maps
                                 its own (and lets go of what it read) */
    scratch scr[SPLIT_THREADS_MAX]; /* the crew's, by its place */
    uint64_t quotes[SPLIT_RANGES_MAX];
    int in_memory;         /* the ranges' records in memory */
    void (*piece)(struct split *, size_t, scratch *);
    size_t npieces;
} split;

/* ---- bounds: the quotes of one share of the file ---- */

/* Read with pread into a buffer, not through a mapping: on this share's
 * first touch a mapping costs a page fault per few pages, more than the
 * copy (0.6 against 0.25 s of CPU for 535 MB on a virtual machine). But
 * through the mapping every piece shares (sp->base): the read phase
 * would fault those pages in all the same, and the copy is saved. */
static void count_piece(split *sp, size_t k, scratch *sc)
{
    uint64_t a = delim_share_start(sp->rd, sp->from, sp->nshares, k);
    uint64_t b = delim_share_start(sp->rd, sp->from, sp->nshares, k + 1);
    char *buf = sp->base ? NULL : sc->io;
    int fd = buf ? open(sp->sj->in, O_RDONLY | O_CLOEXEC) : -1;
    uint64_t n = 0;
    while (fd >= 0 && a < b) {
        size_t want = b - a < SPLIT_IO ? (size_t)(b - a) : SPLIT_IO;
        ssize_t got = pread(fd, buf, want, (off_t)a);
        if (got <= 0)
            break;
        const char *p = buf, *end = buf + got;
        while (p < end && (p = memchr(p, '"', (size_t)(end - p)))) {
            n++;
            p++;
        }
        a += (uint64_t)got;
    }
    if (a < b) /* shared, no buffer, or the read failed: through a mapping */
        n += delim_count_quotes(sp->base ? sp->base : sp->rd, a, b);
    sp->quotes[k] = n;
    if (fd >= 0)
        close(fd);
}

/* The dedup part (the share of the hash space) of hash h. */
static size_t part_of(const split *sp, uint64_t h)
{
    return (size_t)(((h >> 32) * sp->nparts) >> 32);
}

/* ---- read phase: one range ---- */

static uc_err read_range(split *sp, srange *g, delim_reader *rd, rowrecs *out)
{
    pass *r = sp->r;
    const split_job *sj = sp->sj;
    delim_row row;
    uint64_t seen = g->a;
    delim_rewind_range(rd, sj->d, g->a, g->b);
    for (;;) {
        uc_err e = delim_next(rd, r->email_col, &row, g->err, sizeof g->err);
        if (e == UC_ENOTFOUND)
            break;
        if (e)
            return e;
        if (row.nfields > r->ncols && sj->d != DELIM_LINES) {
            snprintf(g->err, sizeof g->err, "Row at line %llu has %u fields, the %s has %u",
                     (unsigned long long)delim_line_at(rd, row.start), row.nfields,
                     r->has_header ? "header" : "first row", r->ncols);
            return UC_EFORMAT;
        }
        srec s = {row.start, row.len, 0, row.term_len, V_BLACK_INVALID, 0, 0, 0};
        s.pad = sj->d == DELIM_LINES ? 0 : (uint16_t)(r->ncols - row.nfields);
        dedup_hash hh;
        int has_key;
        if ((e = pass_hash(&row.field, &hh, &has_key)))
            return e;
        if (has_key) {
            verdict v;
            if ((e = classify(r->env->dl, r->al, row.field.v, row.field.len, &v)))
                return e;
            s.verdict = (uint8_t)v;
            s.h = hh.h;
            s.check = hh.check;
            s.has_key = 1;
            g->keyed[part_of(sp, hh.h)]++;
        }
        if ((e = rowrecs_put(out, &s)))
            return e;
        if ((++g->nrows & (CHECK_EVERY - 1)) == 0) {
            if (pass_cancelled(r) || atomic_load(&sp->first_bad) < (size_t)(g - sp->rg))
                return UC_ECANCELED;
            uint64_t pos = delim_pos(rd);
            uint64_t all = atomic_fetch_add(&sp->bytes_read, pos - seen) + (pos - seen);
            seen = pos;
            uint64_t size = delim_size(rd);
            pass_progress_max(r, (int)(all * 70 / (size ? size : 1)));
        }
    }
    g->unclean = !delim_clean(rd);
    atomic_fetch_add(&sp->bytes_read, g->b - seen);
    return out->out && fflush(out->out) != 0 ? UC_EIO : UC_OK;
}

/* A reader of the file for one piece: on the shared mapping, or its own. */
static uc_err piece_reader(const split *sp, delim_reader **rd, char *err, size_t errcap)
{
    if (sp->base)
        return delim_open_shared(sp->base, rd);
    return delim_open(sp->sj->in, NULL, rd, err, errcap);
}

static void read_piece(split *sp, size_t k, scratch *sc)
{
    (void)sc;
    srange *g = &sp->rg[k];
    delim_reader *rd = NULL;
    if (g->pre || atomic_load(&sp->first_bad) < k)
        return; /* read already; or an earlier range failed */
    g->e = UC_EIO;
    /* a row takes at least 2 bytes (a line end), but the file's last */
    if (!sp->in_memory || rowrecs_open(&g->rs, (g->b - g->a) / 2 + 1, -1) != UC_OK) {
        int fd = files_scratch_fd(sp->r->env->data_dir, ".rows");
        if (fd < 0 || rowrecs_open(&g->rs, 0, fd) != UC_OK)
            goto done;
    }
    if ((g->e = piece_reader(sp, &rd, g->err, sizeof g->err)))
        goto done;
    g->e = read_range(sp, g, rd, &g->rs);
done:
    if (rowrecs_end(&g->rs) != UC_OK && !g->e)
        g->e = UC_EIO;
    delim_close(rd);
    if (g->e || g->unclean) {
        size_t bad = atomic_load(&sp->first_bad);
        while (k < bad && !atomic_compare_exchange_weak(&sp->first_bad, &bad, k))
            ;
    }
}

/* ---- dedup phase: one share of the hash space ---- */

/* Each record of slice j with its row (rowrecs_walk). */
static rwalk rwalk_of(const split *sp, size_t j, srec *buf)
{
    const sslice *l = &sp->sl[j];
    const srange *g = &sp->rg[l->k];
    return rowrecs_walk(&g->rs, l->from, l->n, g->first_row + l->from, buf);
}

#define PV_LAST 0x80

static uc_err dedup_part(split *sp, size_t p, dedup *t, srec *room)
{
    pass *r = sp->r;
    uint8_t *pv = sp->pv[p];
    uint32_t np = 0; /* the part's rows so far */
    for (size_t j = 0; j < sp->nslices; j++) { /* every row, in order */
        sp->pv_from[p][j] = np;
        rwalk walk = rwalk_of(sp, j, room);
        while (rwalk_fill(&walk)) {
            const srec *buf = walk.at;
            size_t n = walk.n;
            for (size_t i = 0; i < n; i++) {
                /* a few rows ahead: their slots into the cache */
                if (i + 8 < n && buf[i + 8].has_key && part_of(sp, buf[i + 8].h) == p)
                    dedup_prefetch(t, (dedup_hash){buf[i + 8].h, buf[i + 8].check});
                const srec *s = &buf[i];
                if (!s->has_key || part_of(sp, s->h) != p)
                    continue;
                if (np == sp->pv_cap[p])
                    return UC_EIO; /* more than the read phase counted */
                int is_new;
                /* the entry's "row" is its place in the part */
                uint32_t id = dedup_put_hash(t, (dedup_hash){s->h, s->check}, np, &is_new);
                if (id == DEDUP_NONE)
                    return UC_ENOMEM;
                uint8_t *tag = dedup_tag(t, id);
                if (is_new)
                    *tag = s->verdict; /* the first occurrence's */
                pv[np++] = *tag;
            }
            if (pass_cancelled(r))
                return UC_ECANCELED;
        }
        if (walk.e)
            return walk.e;
    }
    /* every address's last occurrence, now that all are in */
    for (size_t i = 0, n = dedup_count(t); i < n; i++)
        pv[dedup_last(t, (uint32_t)i)] |= PV_LAST;
    return UC_OK;
}

static void dedup_piece(split *sp, size_t p, scratch *sc)
{
    srec *buf = sc->recs;
    dedup *t = dedup_new();
    uc_err e = UC_ENOMEM;
    size_t keyed = 0, most = 0; /* about this many distinct addresses; at most */
    for (size_t k = 0; k < sp->nranges; k++) {
        const srange *g = &sp->rg[k];
        /* the pre-pass counted all parts as one: a share, with room */
        keyed += g->pre ? g->keyed_all / sp->nparts + g->keyed_all / 16 + 1 : g->keyed[p];
        most += g->pre ? g->keyed_all : g->keyed[p];
    }
    if (most < UINT32_MAX) {
        sp->pv[p] = bigmem_alloc(most + 1, &sp->pv_mem[p]);
        sp->pv_cap[p] = (uint32_t)most;
    }
    if (buf && t && sp->pv[p]) {
        dedup_reserve(t, keyed + 1);
        e = dedup_part(sp, p, t, buf);
    }
    sp->part[p] = t;
    sp->part_e[p] = e;
}

/* ---- keep phase: which rows of a slice stay, and their bytes ---- */

static uc_err keep_slice(split *sp, size_t j, srec *buf)
{
    pass *r = sp->r;
    sslice *g = &sp->sl[j];
    int dedup_on = r->j->t.deduplicate;
    uint32_t at[SPLIT_THREADS_MAX]; /* the next of each part's rows */
    for (size_t p = 0; p < sp->nparts; p++)
        at[p] = sp->pv_from[p][j];
    rwalk walk = rwalk_of(sp, j, buf);
    while (rwalk_fill(&walk)) {
        const srec *s;
        uint32_t row;
        while ((s = rwalk_next(&walk, &row))) {
            uint8_t v = V_BLACK_INVALID;
            sp->kv[row] = 0;
            if (s->has_key) {
                size_t p = part_of(sp, s->h);
                uint8_t x = sp->pv[p][at[p]++];
                v = (uint8_t)(x & ~PV_LAST);
                if (dedup_on && !(x & PV_LAST)) {
                    g->dups++;
                    continue;
                }
            }
            if (v == V_BLACK_INVALID)
                g->invalid++;
            else
                g->charged++;
            sp->kv[row] = (uint8_t)(1 + v);
            g->out_bytes += (uint64_t)s->len + s->pad + sp->tails.len[v] + s->term;
        }
        if (pass_cancelled(r))
            return UC_ECANCELED;
    }
    return walk.e;
}

static void keep_piece(split *sp, size_t j, scratch *sc)
{
    sp->sl[j].e = sc->recs ? keep_slice(sp, j, sc->recs) : UC_ENOMEM;
}

/* ---- write phase: one slice's kept rows at its place in the output ---- */

static uc_err write_slice(split *sp, size_t j, delim_reader *rd, outfile_pw *w, srec *buf)
{
    pass *r = sp->r;
    char pad[256];
    memset(pad, sp->od, sizeof pad);
    rwalk walk = rwalk_of(sp, j, buf);
    while (rwalk_fill(&walk)) {
        const srec *s;
        uint32_t row;
        while ((s = rwalk_next(&walk, &row))) {
            if (!sp->kv[row])
                continue;
            uint8_t v = (uint8_t)(sp->kv[row] - 1);
            const char *bytes = delim_bytes_at(rd, s->start);
            outfile_pw_put(w, bytes, s->len);
            for (size_t p = s->pad; p > 0;) {
                size_t k = p < sizeof pad ? p : sizeof pad;
                outfile_pw_put(w, pad, k);
                p -= k;
            }
            outfile_pw_put(w, sp->tails.s[v], sp->tails.len[v]);
            outfile_pw_put(w, bytes + s->len, s->term);
        }
        if (w->e)
            return w->e;
        if (pass_cancelled(r) || atomic_load(&sp->stop))
            return UC_ECANCELED;
        pass_progress_max(r, 85 + (int)((uint64_t)walk.row * 14 / (sp->nrows ? sp->nrows : 1)));
    }
    if (walk.e)
        return walk.e;
    if (w->n)
        outfile_pw_flush(w);
    return w->e;
}

static void write_piece(split *sp, size_t j, scratch *sc)
{
    sslice *g = &sp->sl[j];
    delim_reader *rd = NULL;
    outfile_pw w = {.fd = sp->out_fd, .at = g->out_at, .buf = sc->io, .sync = sp->sync};
    char err[TASK_ERROR_MAX + 1];
    g->e = UC_ENOMEM;
    if (!sc->recs || !w.buf)
        goto done;
    if ((g->e = piece_reader(sp, &rd, err, sizeof err)))
        goto done;
    g->e = write_slice(sp, j, rd, &w, sc->recs);
done:
    if (g->e)
        atomic_store(&sp->stop, 1);
    delim_close(rd);
}

/* ---- the crew ---- */

typedef struct crewman {
    split *sp;
    scratch *sc;           /* its place's buffers */
} crewman;

static void *crew(void *arg)
{
    crewman *c = arg;
    split *sp = c->sp;
    scratch *sc = c->sc;
    /* a piece that finds a buffer missing fails with UC_ENOMEM */
    if (!sc->recs)
        sc->recs = malloc(ROWRECS_BUF);
    if (!sc->io)
        sc->io = malloc(SPLIT_IO);
    for (;;) {
        size_t k = atomic_fetch_add(&sp->next, 1);
        if (k >= sp->npieces)
            break;
        sp->piece(sp, k, sc);
    }
    return NULL;
}

/* Run npieces pieces on the caller's thread and threads - 1 helpers
 * (fewer if a thread cannot be made: the pieces get done all the same). */
static void run_phase(split *sp, void (*piece)(split *, size_t, scratch *), size_t npieces,
                      int threads)
{
    pthread_t th[SPLIT_THREADS_MAX];
    crewman men[SPLIT_THREADS_MAX];
    int made = 0;
    sp->piece = piece;
    sp->npieces = npieces;
    atomic_store(&sp->next, 0);
    for (int i = 1; i < threads && i < SPLIT_THREADS_MAX; i++) {
        men[made] = (crewman){sp, &sp->scr[1 + made]};
        if (pthread_create(&th[made], NULL, crew, &men[made]) == 0)
            made++;
    }
    crew(&(crewman){sp, &sp->scr[0]});
    for (int i = 0; i < made; i++)
        pthread_join(th[i], NULL);
}

/* The ranges' outcome in file order: the first error is the one a single
 * reader meets first, as long as every range before it ended clean. */
static uc_err read_outcome(split *sp, int *retry)
{
    pass *r = sp->r;
    uint64_t rows = 0;
    for (size_t k = 0; k < sp->nranges; k++) {
        srange *g = &sp->rg[k];
        if (g->e) {
            snprintf(r->err, r->errcap, "%s", g->err);
            return g->e;
        }
        if (g->unclean) {
            *retry = 1;
            return UC_EINVAL;
        }
        g->first_row = (uint32_t)rows;
        rows += g->nrows;
        if (rows >= UINT32_MAX - 1) {
            snprintf(r->err, r->errcap, "Too many rows");
            return UC_ELIMIT;
        }
    }
    if (rows == 0) {
        snprintf(r->err, r->errcap, "No data rows: the file has only a header");
        return UC_EFORMAT;
    }
    sp->nrows = (uint32_t)rows;
    return UC_OK;
}

/* Cut the rows into slices of about nrows / pieces rows, none across two
 * ranges. */
static void make_slices(split *sp, size_t pieces)
{
    uint32_t most = (uint32_t)(sp->nrows / pieces + 1);
    sp->nslices = 0;
    for (size_t k = 0; k < sp->nranges; k++)
        for (uint32_t from = 0; from < sp->rg[k].nrows; from += most) {
            uint32_t left = sp->rg[k].nrows - from;
            sp->sl[sp->nslices++] = (sslice){.k = k, .from = from, .n = left < most ? left : most};
        }
}

static uc_err split_run(split *sp, outfile *of, int *retry)
{
    pass *r = sp->r;
    const split_job *sj = sp->sj;
    int threads = sj->threads < SPLIT_THREADS_MAX ? sj->threads : SPLIT_THREADS_MAX;
    int64_t t0 = clock_mono_ms(), t1;
    uc_err e;
    sp->rd = sj->rd;
    /* With a pre-pass, its rows are range 0 and the bounds cut the rest,
     * from its end on: a record boundary, so no quote before it counts. */
    split_pre *pre = sj->pre;
    size_t first = pre ? 1 : 0;
    uint64_t bounds[SPLIT_RANGES_MAX + 2];
    sp->from = pre ? pre->end : sj->data_start;
    sp->nshares = (size_t)threads * SPLIT_PER_THREAD;
    sp->in_memory = delim_size(sp->rd) <= r->env->split_mem_max;
    /* An upload small enough is mapped once for every phase: the pages
     * the pre-pass read, and those the read phase faults in, are there
     * for the write phase. A larger one would stay mapped whole. */
    if (sp->in_memory)
        sp->base = pre && pre->rd && delim_extend(pre->rd) == UC_OK ? pre->rd : sj->rd;
    /* the last share's quotes are not needed; none at all in a file
     * without any (sp->quotes stay 0) */
    if (sj->d != DELIM_LINES && !(pre && pre->quote_free))
        run_phase(sp, count_piece, sp->nshares - 1, threads);
    bounds[0] = sj->data_start;
    if (pre)
        delim_split_after(sp->rd, sj->d, sp->from, 0, sp->nshares, sp->quotes, bounds + 1);
    else
        delim_split_counted(sp->rd, sj->d, sj->data_start, sp->nshares, sp->quotes, bounds);
    sp->nranges = sp->nshares + first;
    for (size_t k = 0; k < sp->nranges; k++)
        sp->rg[k] = (srange){.a = bounds[k], .b = bounds[k + 1], .rs = ROWRECS_NONE};
    if (pre) {
        srange *g = &sp->rg[0];
        g->pre = 1;
        rowrecs_adopt(&g->rs, pre->fd, pre->nrows);
        pre->fd = -1;
        g->nrows = pre->nrows;
        g->keyed_all = pre->keyed;
        g->e = pre->e;
        snprintf(g->err, sizeof g->err, "%s", pre->err);
    }

    atomic_store(&sp->first_bad, pre && pre->e ? 0 : SIZE_MAX);
    sp->nparts = (size_t)threads; /* read counts the rows of each part */
    run_phase(sp, read_piece, sp->nranges, threads);
    if (pass_cancelled(r))
        return UC_ECANCELED;
    if ((e = read_outcome(sp, retry)))
        return e;
    pass_progress_max(r, 70);
    r->res.ms.read += (t1 = clock_mono_ms()) - t0;
    make_slices(sp, sp->nshares);

    run_phase(sp, dedup_piece, sp->nparts, threads);
    for (size_t p = 0; p < sp->nparts; p++) {
        if (sp->part_e[p])
            return sp->part_e[p];
        /* what is left needs only pv: the tables go before the output grows */
        dedup_free(sp->part[p]);
        sp->part[p] = NULL;
    }
    pass_progress_max(r, 80);

    sp->kv = bigmem_alloc(sp->nrows ? sp->nrows : 1, &sp->kv_mem);
    if (!sp->kv)
        return UC_ENOMEM;
    run_phase(sp, keep_piece, sp->nslices, threads);
    if (pass_cancelled(r))
        return UC_ECANCELED;
    uint64_t total = 0;
    for (size_t j = 0; j < sp->nslices; j++) {
        if (sp->sl[j].e)
            return sp->sl[j].e;
        total += sp->sl[j].out_bytes;
        r->res.duplicates_removed += sp->sl[j].dups;
        r->res.invalid += sp->sl[j].invalid;
        r->res.charged += sp->sl[j].charged;
    }
    for (size_t p = 0; p < sp->nparts; p++) { /* what is left needs only kv */
        bigmem_free(sp->pv[p], sp->pv_mem[p]);
        sp->pv[p] = NULL;
    }
    r->res.ms.merge += (t0 = clock_mono_ms()) - t1;
    int64_t at;
    if ((e = outfile_region(of, (int64_t)total, &sp->out_fd, &at)))
        return e;
    for (size_t j = 0; j < sp->nslices; j++) {
        sp->sl[j].out_at = at;
        at += (int64_t)sp->sl[j].out_bytes;
    }
    pass_progress_max(r, 85);

    if (total >= 2 * SPLIT_SYNC_STEP)
        sp->sync = outfile_syncer_start(sp->out_fd, SPLIT_SYNC_STEP);
    run_phase(sp, write_piece, sp->nslices, threads);
    e = outfile_syncer_stop(sp->sync);
    sp->sync = NULL;
    if (pass_cancelled(r))
        return UC_ECANCELED;
    for (size_t j = 0; j < sp->nslices; j++) {
        /* a piece stopped by another's failure says UC_ECANCELED: give
         * the failure itself */
        if (sp->sl[j].e && sp->sl[j].e != UC_ECANCELED)
            return sp->sl[j].e;
    }
    if (e)
        return e; /* a flush failed: the result is not sure to be durable */
    r->nrows = sp->nrows;
    r->res.ms.write += clock_mono_ms() - t0;
    return UC_OK;
}

int pass_split_read_ahead(pass *r, char d, delim_reader *rd, uint64_t a, uint64_t b,
                          rowrecs *out, split_pre *pre)
{
    split_job sj = {.d = d, .data_start = a, .threads = 1};
    split *sp = calloc(1, sizeof *sp);
    if (!sp) {
        pre->e = UC_ENOMEM;
        return 0;
    }
    sp->r = r;
    sp->sj = &sj;
    sp->nparts = 1;
    sp->nranges = 1;
    atomic_store(&sp->first_bad, SIZE_MAX);
    srange *g = &sp->rg[0];
    *g = (srange){.a = a, .b = b, .rs = ROWRECS_NONE};
    uc_err e = read_range(sp, g, rd, out);
    pre->nrows += g->nrows;
    pre->keyed += g->keyed[0];
    int clean = !g->unclean;
    if (e) {
        pre->e = e;
        snprintf(pre->err, sizeof pre->err, "%s", g->err);
    }
    free(sp);
    return clean;
}

uc_err pass_split(pass *r, const split_job *sj, outfile *of, int *retry)
{
    *retry = 0;
    split *sp = calloc(1, sizeof *sp);
    if (!sp)
        return UC_ENOMEM;
    sp->r = r;
    sp->sj = sj;
    sp->od = sj->d == DELIM_LINES ? ',' : sj->d;
    pass_tails_make(&sp->tails, sp->od);
    uc_err e = split_run(sp, of, retry);
    for (size_t k = 0; k < sp->nranges; k++)
        rowrecs_close(&sp->rg[k].rs);
    for (size_t p = 0; p < sp->nparts; p++) {
        dedup_free(sp->part[p]);
        bigmem_free(sp->pv[p], sp->pv_mem[p]);
    }
    bigmem_free(sp->kv, sp->kv_mem);
    for (size_t i = 0; i < SPLIT_THREADS_MAX; i++) {
        free(sp->scr[i].recs);
        free(sp->scr[i].io);
    }
    free(sp);
    return e;
}
