/* xlsx_chunks.c: a large sheet's rows parsed on two worker threads. The
 * sheet's XML is cut into chunks at "<row " bounds; each chunk is parsed
 * by a parser of its own (wrapped in an element declaring the namespaces
 * in scope at sheetData) into row records, which this thread hands to the
 * row callback in order. The main parser reads everything else: the part
 * before the rows, the last chunk with the end of the sheet, and, from the
 * first chunk that did not parse cleanly on, everything (so any error, and
 * any odd construct, reads exactly as a serial parse would read it).
 *
 * Why a cut is sound: the main parser enters the chunked mode only at a
 * "<row " where it stands between tokens, at no depth inside sheetData's
 * content it could not see the end of, with its handlers' state at rest.
 * A chunk that parses whole inside the wrapper is balanced content, so the
 * next cut is again such a place; a chunk that does not (a cut inside a
 * comment, a CDATA section, a nested element, bad XML, a cap) is read by
 * the main parser from its first byte on, in the state the last good chunk
 * ended in. Skipping balanced content leaves the main parser's state as
 * it was; only its line count misses the skipped lines (xpart.line_skip). */
#include "formats/xlsx_sheet.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* expat 2.7 deprecates the byte-index getter for a 64-bit one (meson.build
 * checks which the header has). */
#ifdef HAVE_XML_BYTE_INDEX64
#define XML_BYTE_INDEX(p) ((long long)XML_GetCurrentByteIndex64(p))
#else
#define XML_BYTE_INDEX(p) ((long long)XML_GetCurrentByteIndex(p))
#endif

#define CH_JOBS 6                /* chunks in flight */
#define CH_WORKERS 2
#define CH_IN_ROOM 64            /* a chunk this many times its target long
                                  * without a cut (at least CH_IN_MIN): the
                                  * main parser reads on */
#define CH_IN_MIN 4096
#define CH_OUT_MAX (64u << 20)   /* a chunk's records (shared strings are copied) */
#define ROW_TAG "<row "

_Atomic unsigned long xlsx_chunks_delivered;

enum { J_FREE, J_FILLING, J_QUEUED, J_BUSY, J_DONE };
enum { M_PREFIX, M_PAR, M_SERIAL };

/* The handlers' state that lasts from row to row. */
typedef struct sstate {
    uint32_t row;
    bool in_data, in_row, in_c, in_is, in_rph, collect;
} sstate;

typedef struct cjob {
    struct buf in;      /* the chunk's XML */
    struct buf out;     /* its rows: rrec, cells, text; 8-byte aligned */
    size_t scan;        /* where the next cut search starts */
    int state;
    bool ok;            /* parsed whole, every row delivered to out */
    sstate end;         /* the handlers' state after it */
    uint64_t lines;     /* line breaks in it */
} cjob;

typedef struct rrec {
    uint32_t row, n;    /* 0-based sheet row; cells */
    uint64_t size;      /* bytes of the record, header included */
} rrec;

typedef struct chunks {
    xctx *x;            /* the main parser's context (x->xp.p) */
    int mode;
    bool can_par;       /* chunks wanted; UTF-8, no NUL in the first bytes */
    size_t target;      /* XML in a chunk before a cut is looked for */
    bool seen_start;
    bool in_cdata;
    uint64_t fed;       /* bytes given to the main parser */
    struct buf ns;      /* namespace bindings in scope: "prefix\0uri\0" each */
    struct buf wrap;    /* the chunks' wrapper start tag */
    struct buf bind;    /* ns as it was at the first cut, for the workers */
    bool fast;          /* chunks may be read without expat (xlsx_fast.c) */
    cjob jobs[CH_JOBS];
    unsigned head, nused;   /* oldest job in use; jobs in use (the filling one last) */
    bool filling;
    unsigned next;          /* the job a worker takes next */
    sstate last;            /* after the last delivered chunk */
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    pthread_t th[CH_WORKERS];
    int nth;
    bool quit, abandon;
    bool sink_failed;       /* the error zipr_read returns is ours */
} chunks;

static sstate state_of(const xctx *x)
{
    return (sstate){x->row, x->in_data, x->in_row, x->in_c, x->in_is, x->in_rph, x->collect};
}

static void state_set(xctx *x, const sstate *s)
{
    x->row = s->row;
    x->in_data = s->in_data;
    x->in_row = s->in_row;
    x->in_c = s->in_c;
    x->in_is = s->in_is;
    x->in_rph = s->in_rph;
    x->collect = s->collect;
}

/* Between rows of sheetData, as every chunk's parser starts. */
static bool at_rest(const sstate *s)
{
    return s->in_data && !s->in_row && !s->in_c && !s->in_is && !s->in_rph && !s->collect;
}

/* ---- the main parser's extra handlers -------------------------------- */

static void XMLCALL ns_start(void *ud, const XML_Char *prefix, const XML_Char *uri)
{
    xctx *x = ud;
    struct buf *b = &x->ch->ns;
    if (buf_adds(b, prefix ? prefix : "") || buf_addc(b, '\0') ||
        buf_adds(b, uri ? uri : "") || buf_addc(b, '\0'))
        x->ch->can_par = false;  /* no wrapper can be made: stay serial */
}

static void XMLCALL ns_end(void *ud, const XML_Char *prefix)
{
    xctx *x = ud;
    struct buf *b = &x->ch->ns;
    /* drop the last binding: back over its uri and its prefix */
    size_t n = b->len;
    for (int k = 0; k < 2 && n; k++) {
        n--;
        while (n && b->data[n - 1])
            n--;
    }
    buf_truncate(b, n);
}

static void XMLCALL cdata_start(void *ud)
{
    ((xctx *)ud)->ch->in_cdata = true;
}

static void XMLCALL cdata_end(void *ud)
{
    ((xctx *)ud)->ch->in_cdata = false;
}

static void XMLCALL xml_decl(void *ud, const XML_Char *version, const XML_Char *encoding,
                             int standalone)
{
    xctx *x = ud;
    if (encoding && strcasecmp(encoding, "UTF-8"))
        x->ch->can_par = false;
}

/* ---- the wrapper ------------------------------------------------------ */

static uc_err put_attr(struct buf *b, const char *s)
{
    uc_err e = UC_OK;
    for (; *s && !e; s++) {
        switch (*s) {
        case '&': e = buf_adds(b, "&amp;"); break;
        case '<': e = buf_adds(b, "&lt;"); break;
        case '"': e = buf_adds(b, "&quot;"); break;
        case '\t': e = buf_adds(b, "&#9;"); break;
        case '\n': e = buf_adds(b, "&#10;"); break;
        case '\r': e = buf_adds(b, "&#13;"); break;
        default: e = buf_addc(b, *s);
        }
    }
    return e;
}

/* "<_ xmlns...>" with the innermost binding of each prefix in scope. */
static uc_err make_wrap(chunks *c)
{
    struct buf *b = &c->wrap;
    uc_err e = buf_adds(b, "<_");
    const char *p = c->ns.data, *end = c->ns.data + c->ns.len;
    while (!e && p && p < end) {
        const char *prefix = p, *uri = p + strlen(p) + 1, *next = uri + strlen(uri) + 1;
        bool later = false; /* redeclared further in: that one stands */
        for (const char *q = next; q < end && !later;) {
            later = !strcmp(q, prefix);
            q += strlen(q) + 1;
            q += strlen(q) + 1;
        }
        if (!later) {
            e = buf_adds(b, prefix[0] ? " xmlns:" : " xmlns");
            if (!e)
                e = buf_adds(b, prefix);
            if (!e)
                e = buf_adds(b, "=\"");
            if (!e)
                e = put_attr(b, uri);
            if (!e)
                e = buf_addc(b, '"');
        }
        p = next;
    }
    return e ? e : buf_addc(b, '>');
}

/* ---- the workers ------------------------------------------------------ */

/* The row callback on a worker: the row into the chunk's records. */
static int collect(void *ud, uint32_t row, const cell *cells, size_t n)
{
    cjob *j = ud;
    size_t text = 0;
    for (size_t i = 0; i < n; i++)
        text += cells[i].len;
    size_t size = sizeof(rrec) + n * sizeof(cell) + ((text + 7) & ~(size_t)7);
    if (buf_reserve(&j->out, size))
        return 1;
    rrec *h = (rrec *)(j->out.data + j->out.len);
    cell *o = (cell *)(h + 1);
    char *t = (char *)(o + n);
    size_t off = 0;
    *h = (rrec){row, (uint32_t)n, size};
    for (size_t i = 0; i < n; i++) {
        o[i] = cells[i];
        o[i].v = (const char *)(uintptr_t)off;  /* made a pointer when delivered */
        if (cells[i].len)
            memcpy(t + off, cells[i].v, cells[i].len);
        off += cells[i].len;
    }
    buf_added(&j->out, size);
    return 0;
}

static uint64_t line_breaks(const char *s, size_t n)
{
    uint64_t k = 0;
    const char *end = s + n, *p = s;
    while ((p = memchr(p, '\n', (size_t)(end - p))))
        k++, p++;
    for (p = s; (p = memchr(p, '\r', (size_t)(end - p))); p++)
        if (p + 1 == end || p[1] != '\n')
            k++;
    return k;
}

/* A chunk's rows into its records: without expat when the chunk is in the
 * plain shape (xlsx_fast.c), else with a parser of its own. */
static void parse_job(chunks *c, xctx *w, cjob *j)
{
    static const sstate rest = {0, true, false, false, false, false, false};
    state_set(w, &rest);
    w->ud = j;
    w->xp.fail = UC_OK;
    buf_reset(&j->out);
    j->ok = c->fast && xlsx_fast_rows(w, j->in.data, j->in.len, c->bind.data, c->bind.len);
    if (!j->ok) {
        state_set(w, &rest);
        buf_reset(&j->out);
        if (xpart_parser(&w->xp, w, w->xp.name, xlsx_sheet_start, xlsx_sheet_end,
                         xlsx_sheet_chars))
            return;
        j->ok = !xpart_feed(&w->xp, c->wrap.data, c->wrap.len, false) &&
                !xpart_feed(&w->xp, j->in.data, j->in.len, false) &&
                !xpart_feed(&w->xp, "</_>", 4, true);
        xpart_parser_free(&w->xp);
    }
    j->end = state_of(w);
    if (j->ok)
        j->lines = line_breaks(j->in.data, j->in.len);
}

static void *worker(void *arg)
{
    chunks *c = arg;
    xctx w = {.xp = {.z = c->x->xp.z, .name = c->x->xp.name}, .lim = c->x->lim,
              .fn = collect, .sst = c->x->sst, .nxfs = c->x->nxfs, .chunk = true};
    buf_init(&w.rowbuf, SIZE_MAX);
    buf_init(&w.rc, (size_t)w.lim.max_columns * sizeof(rcell));
    buf_init(&w.out, (size_t)w.lim.max_columns * sizeof(cell));
    pthread_mutex_lock(&c->mu);
    for (;;) {
        cjob *j = &c->jobs[c->next];
        while (!c->quit && j->state != J_QUEUED) {
            pthread_cond_wait(&c->work, &c->mu);
            j = &c->jobs[c->next];
        }
        if (c->quit)
            break;
        j->state = J_BUSY;
        c->next = (c->next + 1) % CH_JOBS;
        bool skip = c->abandon;
        pthread_mutex_unlock(&c->mu);
        if (!skip)
            parse_job(c, &w, j);
        pthread_mutex_lock(&c->mu);
        j->state = J_DONE;
        pthread_cond_broadcast(&c->done);
    }
    pthread_mutex_unlock(&c->mu);
    buf_free(&w.rowbuf);
    buf_free(&w.rc);
    buf_free(&w.out);
    return NULL;
}

static void workers_stop(chunks *c)
{
    pthread_mutex_lock(&c->mu);
    c->quit = true;
    pthread_cond_broadcast(&c->work);
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; i < c->nth; i++)
        pthread_join(c->th[i], NULL);
    c->nth = 0;
}

/* ---- this thread ------------------------------------------------------ */

static uc_err feed(chunks *c, const char *p, size_t n)
{
    c->fed += n;
    return xpart_feed(&c->x->xp, p, n, false);
}

static cjob *job_at(chunks *c, unsigned k)
{
    return &c->jobs[(c->head + k) % CH_JOBS];
}

/* Give up the chunks: wait for the workers to put theirs down, then the
 * main parser reads every chunk not delivered (and the one filling), in
 * order, from the state the last delivered one ended in. */
static uc_err go_serial(chunks *c)
{
    pthread_mutex_lock(&c->mu);
    c->abandon = true;
    for (unsigned k = 0; k < c->nused; k++) {
        cjob *j = job_at(c, k);
        while (j->state == J_QUEUED || j->state == J_BUSY)
            pthread_cond_wait(&c->done, &c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    state_set(c->x, &c->last);
    c->mode = M_SERIAL;
    uc_err e = UC_OK;
    for (unsigned k = 0; k < c->nused; k++) {
        cjob *j = job_at(c, k);
        if (!e)
            e = feed(c, j->in.data, j->in.len);
        j->state = J_FREE;
        buf_reset(&j->in);
    }
    c->nused = 0;
    c->filling = false;
    return e;
}

/* Hand the oldest chunk's rows to the callback (waiting for it when wait
 * is set, else only if it is done). *gone = true when nothing was left to
 * deliver or the chunks were given up. */
static uc_err deliver(chunks *c, bool wait, bool *gone)
{
    *gone = true;
    if (c->mode != M_PAR || c->nused == (c->filling ? 1u : 0u))
        return UC_OK;
    cjob *j = job_at(c, 0);
    pthread_mutex_lock(&c->mu);
    while (wait && j->state != J_DONE)
        pthread_cond_wait(&c->done, &c->mu);
    bool ready = j->state == J_DONE;
    pthread_mutex_unlock(&c->mu);
    if (!ready)
        return UC_OK;
    if (!j->ok || !at_rest(&c->last))
        return go_serial(c);
    xctx *x = c->x;
    for (size_t off = 0; off < j->out.len;) {
        rrec *h = (rrec *)(j->out.data + off);
        cell *cells = (cell *)(h + 1);
        const char *text = (const char *)(cells + h->n);
        for (uint32_t i = 0; i < h->n; i++)
            cells[i].v = cells[i].len ? text + (uintptr_t)cells[i].v : NULL;
        if (x->fn(x->ud, h->row, cells, h->n)) {
            xpart_stop(&x->xp, UC_ECANCELED, "Cancelled");
            return UC_ECANCELED;
        }
        off += h->size;
    }
    c->last = j->end;
    atomic_fetch_add(&xlsx_chunks_delivered, 1);
    x->xp.line_skip += j->lines;
    j->state = J_FREE;
    buf_reset(&j->in);
    c->head = (c->head + 1) % CH_JOBS;
    c->nused--;
    *gone = false;
    return UC_OK;
}

/* A free job to fill, delivering the oldest when all are in use; NULL
 * (with *e) when the chunks were given up meanwhile, or on a failure. */
static cjob *claim(chunks *c, uc_err *e)
{
    *e = UC_OK;
    while (c->nused == CH_JOBS) {
        bool gone;
        if ((*e = deliver(c, true, &gone)) || c->mode != M_PAR)
            return NULL;
    }
    cjob *j = job_at(c, c->nused++);
    j->state = J_FILLING;
    j->scan = c->target;
    c->filling = true;
    return j;
}

static bool workers_start(chunks *c)
{
    for (; c->nth < CH_WORKERS; c->nth++)
        if (pthread_create(&c->th[c->nth], NULL, worker, c))
            break;
    return c->nth > 0;
}

/* Queue the filling job for the workers. */
static uc_err dispatch(chunks *c, cjob *j)
{
    if (!c->nth && !workers_start(c))
        return go_serial(c);
    pthread_mutex_lock(&c->mu);
    j->state = J_QUEUED;
    c->filling = false;
    pthread_cond_broadcast(&c->work);
    pthread_mutex_unlock(&c->mu);
    return UC_OK;
}

/* Bytes of the rows in the chunked mode: into the filling chunk, cut and
 * queued each time it has c->target bytes and a "<row " after them. */
static uc_err par_add(chunks *c, const char *p, size_t n)
{
    uc_err e;
    cjob *j = c->filling ? job_at(c, c->nused - 1) : claim(c, &e);
    if (!j)
        return e || c->mode != M_SERIAL ? e : feed(c, p, n);
    if (buf_add(&j->in, p, n)) { /* the bytes are not in j: after it */
        e = go_serial(c);
        return e ? e : feed(c, p, n);
    }
    while (j->in.len >= j->scan + sizeof ROW_TAG - 1) {
        const char *q = memmem(j->in.data + j->scan, j->in.len - j->scan, ROW_TAG,
                               sizeof ROW_TAG - 1);
        if (!q) {
            j->scan = j->in.len - (sizeof ROW_TAG - 2);
            break;
        }
        size_t cut = (size_t)(q - j->in.data);
        cjob *nj = claim(c, &e);
        if (!nj) /* given up: j went to the main parser whole */
            return e;
        if (buf_add(&nj->in, q, j->in.len - cut)) {
            /* both chunks are still in order: the main parser reads them */
            return go_serial(c);
        }
        buf_truncate(&j->in, cut);
        if ((e = dispatch(c, j)) || c->mode != M_PAR)
            return e;
        c->filling = true;  /* nj, claimed before j was queued */
        j = nj;
    }
    return UC_OK;
}

/* Could the rows be chunked from here on (the main parser stands at a
 * "<row " it has been given everything before)? can_par is asked again:
 * what the parser has just read may have turned it off (an encoding, a
 * binding it could not keep). */
static bool can_cut(chunks *c)
{
    xctx *x = c->x;
    sstate s = state_of(x);
    return c->can_par && XML_BYTE_INDEX(x->xp.p) == (long long)c->fed &&
           !c->in_cdata && at_rest(&s) && !x->xp.fail;
}

static uc_err sink(void *ud, const void *data, size_t len)
{
    chunks *c = ud;
    const char *p = data;
    uc_err e = UC_OK;
    if (!c->seen_start && len) {
        c->seen_start = true;
        /* UTF-16 (with a BOM or without): the chunks would not be UTF-8 */
        if (memchr(p, '\0', len < 4 ? len : 4) || (unsigned char)p[0] >= 0xFE)
            c->can_par = false;
    }
    /* Before the chunks: the main parser reads on, up to each "<row " in
     * turn, until one is a place to cut (a few tries a piece). */
    for (int tries = 0; c->mode == M_PREFIX; tries++) {
        const char *q = NULL;
        size_t from = tries ? 1 : 0;  /* past the "<row " tried last */
        if (c->can_par && tries < 8 && len > from)
            q = memmem(p + from, len - from, ROW_TAG, sizeof ROW_TAG - 1);
        if (!q) {
            e = feed(c, p, len);
            goto out;
        }
        if ((e = feed(c, p, (size_t)(q - p))))
            goto out;
        len -= (size_t)(q - p);
        p = q;
        if (!can_cut(c))
            continue;
        if (make_wrap(c) || buf_add(&c->bind, c->ns.data, c->ns.len)) {
            c->can_par = false;
            continue;
        }
        c->last = state_of(c->x);
        c->mode = M_PAR;
    }
    if (c->mode == M_SERIAL) {
        e = feed(c, p, len);
        goto out;
    }
    e = par_add(c, p, len);
    for (bool gone = false; !e && !gone;)
        e = deliver(c, false, &gone);
out:
    if (e)
        c->sink_failed = true;
    return e;
}

/* The rows are all in: deliver every chunk, then the main parser reads
 * the last one (the end of the sheet). */
static uc_err finish(chunks *c)
{
    uc_err e = UC_OK;
    for (bool gone = false; !e && !gone && c->mode == M_PAR;)
        e = deliver(c, true, &gone);
    if (!e && c->mode == M_PAR)
        e = go_serial(c);
    return e;
}

uc_err xlsx_chunks_parse(xctx *x, int idx, const char *name)
{
    chunks c = {.x = x, .can_par = x->lim.chunk_bytes > 0, .target = x->lim.chunk_bytes,
                .fast = !x->lim.chunks_expat_only};
    size_t in_max = c.target > SIZE_MAX / CH_IN_ROOM ? SIZE_MAX : c.target * CH_IN_ROOM;
    if (in_max < CH_IN_MIN)
        in_max = CH_IN_MIN;
    uc_err e = xpart_parser(&x->xp, x, name, xlsx_sheet_start, xlsx_sheet_end,
                            xlsx_sheet_chars);
    if (e)
        return e;
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.work, NULL);
    pthread_cond_init(&c.done, NULL);
    buf_init(&c.ns, 1u << 20);
    buf_init(&c.wrap, 1u << 20);
    buf_init(&c.bind, 1u << 20);
    for (int i = 0; i < CH_JOBS; i++) {
        buf_init(&c.jobs[i].in, in_max);
        buf_init(&c.jobs[i].out, CH_OUT_MAX);
    }
    x->ch = &c;
    XML_SetNamespaceDeclHandler(x->xp.p, ns_start, ns_end);
    XML_SetCdataSectionHandler(x->xp.p, cdata_start, cdata_end);
    XML_SetXmlDeclHandler(x->xp.p, xml_decl);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 6)
    /* a token cut by a piece's end is parsed as soon as it is whole, so
     * the parser stands where it was given up to (can_cut) */
    XML_SetReparseDeferralEnabled(x->xp.p, XML_FALSE);
#endif

    e = zipr_read(x->xp.z, idx, sink, &c, x->xp.err, x->xp.errcap);
    if (e && !c.sink_failed) {
        /* the zip's own failure: a serial parse would first have met
         * anything wrong in the XML it already had */
        uc_err xe = finish(&c);
        if (xe)
            e = xe;
        else
            xpart_zip_reason(&x->xp);
    } else if (!e) {
        e = finish(&c);
        if (!e)
            e = xpart_feed(&x->xp, NULL, 0, true);
    }
    workers_stop(&c);
    x->ch = NULL;
    xpart_parser_free(&x->xp);
    for (int i = 0; i < CH_JOBS; i++) {
        buf_free(&c.jobs[i].in);
        buf_free(&c.jobs[i].out);
    }
    buf_free(&c.ns);
    buf_free(&c.wrap);
    buf_free(&c.bind);
    pthread_cond_destroy(&c.work);
    pthread_cond_destroy(&c.done);
    pthread_mutex_destroy(&c.mu);
    return e;
}
