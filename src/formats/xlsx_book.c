/* xlsx_book.c: from the package to the sheet: relationships
 * (_rels/.rels, the workbook's), the workbook's sheet list (first visible
 * worksheet, its name), and the shared-string table. */
#include "formats/xlsx_book.h"
#include "core/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RELS 65536        /* relationships in one .rels part */

enum { REL_OTHER, REL_OFFICEDOC, REL_WORKSHEET, REL_SST, REL_STYLES };

typedef struct rel {
    char *id;
    char *target;  /* resolved part name */
    int kind;
} rel;

typedef struct bctx {
    xpart xp;             /* first: handlers get a bctx */
    struct buf rels;      /* rel records of the part last read by read_rels */
    char base[XLSX_PATH_MAX];  /* directory rel targets are relative to */
    const rel *pick;      /* first visible worksheet */
    const rel *pick_any;  /* first worksheet whatever its state */
    char *pick_name, *pick_any_name;
} bctx;

/* ---- relationships ------------------------------------------------- */

/* Resolve target against base ("xl/" or "") into out: absolute targets
 * drop their '/', '.' and '..' segments fold, '\' becomes '/'. */
static bool resolve(const char *base, const char *target, char *out)
{
    char tmp[2 * XLSX_PATH_MAX];
    if (*target == '/' || *target == '\\')
        snprintf(tmp, sizeof tmp, "%s", target + 1);
    else if (snprintf(tmp, sizeof tmp, "%s%s", base, target) >= (int)sizeof tmp)
        return false;
    size_t o = 0;
    size_t segs[XLSX_PATH_MAX / 2], ns = 0;
    for (char *s = tmp; *s;) {
        char *e = s;
        while (*e && *e != '/' && *e != '\\')
            e++;
        size_t l = (size_t)(e - s);
        if (l == 0 || (l == 1 && s[0] == '.')) {
            /* skip */
        } else if (l == 2 && s[0] == '.' && s[1] == '.') {
            if (ns)
                o = segs[--ns];
        } else {
            if (ns == sizeof segs / sizeof segs[0] || o + l + 2 > XLSX_PATH_MAX)
                return false;
            segs[ns++] = o;
            if (o)
                out[o++] = '/';
            memcpy(out + o, s, l);
            o += l;
        }
        s = *e ? e + 1 : e;
    }
    out[o] = '\0';
    return o > 0;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int rel_kind_of(const char *type)
{
    return ends_with(type, "/officeDocument") ? REL_OFFICEDOC
         : ends_with(type, "/worksheet")      ? REL_WORKSHEET
         : ends_with(type, "/sharedStrings")  ? REL_SST
         : ends_with(type, "/styles")         ? REL_STYLES
                                              : REL_OTHER;
}

static size_t nrels(const bctx *x)
{
    return x->rels.len / sizeof(rel);
}

static const rel *rel_at(const bctx *x, size_t i)
{
    return (const rel *)x->rels.data + i;
}

static void free_rels(bctx *x)
{
    for (size_t i = 0; i < nrels(x); i++) {
        free(rel_at(x, i)->id);
        free(rel_at(x, i)->target);
    }
    buf_reset(&x->rels);
}

static void XMLCALL rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    bctx *x = ud;
    const char *local;
    if (xml_ns(name, &local) != XNS_PKGREL || strcmp(local, "Relationship"))
        return;
    const char *id = xml_attr(atts, "Id"), *type = xml_attr(atts, "Type");
    const char *target = xml_attr(atts, "Target"), *mode = xml_attr(atts, "TargetMode");
    if (!id || !type || !target || (mode && !strcmp(mode, "External")))
        return;
    char path[XLSX_PATH_MAX];
    if (!resolve(x->base, target, path))
        return;  /* unusable target: as good as absent */
    rel r = { strdup(id), strdup(path), rel_kind_of(type) };
    uc_err e = r.id && r.target ? buf_add(&x->rels, &r, sizeof r) : UC_ENOMEM;
    if (e) {
        free(r.id);
        free(r.target);
        if (e == UC_ELIMIT)
            xpart_stop(&x->xp, e, "XLSX rejected: more than %d relationships in %s",
                       MAX_RELS, x->xp.name);
        else
            xpart_stop(&x->xp, UC_ENOMEM, "Out of memory reading XLSX");
    }
}

static void XMLCALL no_end(void *ud, const XML_Char *name) {}

/* Parse the .rels part of the part named owner ("" for the package) into
 * x->rels. A missing .rels part leaves the list empty. */
static uc_err read_rels(bctx *x, const char *owner)
{
    char rp[XLSX_PATH_MAX + 16];
    const char *slash = strrchr(owner, '/');
    size_t dl = slash ? (size_t)(slash - owner + 1) : 0;
    snprintf(x->base, sizeof x->base, "%.*s", (int)dl, owner);
    snprintf(rp, sizeof rp, "%.*s_rels/%s.rels", (int)dl, owner, owner + dl);
    free_rels(x);
    return xpart_parse_opt(&x->xp, x, rp, rels_start, no_end, NULL);
}

static const rel *rel_kind(const bctx *x, int kind)
{
    for (size_t i = 0; i < nrels(x); i++)
        if (rel_at(x, i)->kind == kind)
            return rel_at(x, i);
    return NULL;
}

/* ---- workbook: pick the sheet ------------------------------------- */

static void XMLCALL wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    bctx *x = ud;
    const char *local;
    if (xml_ns(name, &local) != XNS_MAIN || strcmp(local, "sheet") || x->pick)
        return;
    const char *rid = NULL, *state = NULL, *sname = NULL;
    for (; *atts; atts += 2) {
        const char *al;
        int ns = xml_ns(atts[0], &al);
        if (ns == XNS_REL && !strcmp(al, "id"))
            rid = atts[1];
        else if (ns == XNS_NONE && !strcmp(al, "state"))
            state = atts[1];
        else if (ns == XNS_NONE && !strcmp(al, "name"))
            sname = atts[1];
    }
    if (!rid)
        return;
    for (size_t i = 0; i < nrels(x); i++) {
        const rel *r = rel_at(x, i);
        if (strcmp(r->id, rid) || r->kind != REL_WORKSHEET)
            continue;
        bool hidden = state && (!strcmp(state, "hidden") || !strcmp(state, "veryHidden"));
        char **slot = !hidden ? &x->pick_name : !x->pick_any ? &x->pick_any_name : NULL;
        if (slot && sname && !(*slot = strdup(sname))) {
            xpart_stop(&x->xp, UC_ENOMEM, "Out of memory reading XLSX");
            return;
        }
        if (!x->pick_any)
            x->pick_any = r;
        if (!hidden)
            x->pick = r;
        return;
    }
}

static uc_err book_parts(bctx *x, xlsx_book *b)
{
    char wb[XLSX_PATH_MAX];
    uc_err e;
    /* package -> workbook */
    if ((e = read_rels(x, "")))
        return e;
    const rel *r = rel_kind(x, REL_OFFICEDOC);
    snprintf(wb, sizeof wb, "%s", r ? r->target : "xl/workbook.xml");
    int idx = zipr_find(x->xp.z, wb);
    if (idx < 0)
        return xpart_fail(&x->xp, UC_EFORMAT, "Not an XLSX workbook: no workbook part found");
    /* workbook -> first visible worksheet, shared strings, styles */
    if ((e = read_rels(x, wb)))
        return e;
    if ((r = rel_kind(x, REL_SST)))
        snprintf(b->sst, sizeof b->sst, "%s", r->target);
    if ((r = rel_kind(x, REL_STYLES)))
        snprintf(b->styles, sizeof b->styles, "%s", r->target);
    if ((e = xpart_parse(&x->xp, x, idx, wb, wb_start, no_end, NULL)))
        return e;
    if (!x->pick) {
        x->pick = x->pick_any;
        b->sheet_name = x->pick_any_name;
        x->pick_any_name = NULL;
    } else {
        b->sheet_name = x->pick_name;
        x->pick_name = NULL;
    }
    if (!x->pick)
        return xpart_fail(&x->xp, UC_EFORMAT, "No worksheet found in workbook");
    snprintf(b->sheet, sizeof b->sheet, "%s", x->pick->target);
    return UC_OK;
}

uc_err xlsx_book_find(xpart *xp, xlsx_book *b)
{
    bctx x = { .xp = *xp };
    buf_init(&x.rels, MAX_RELS * sizeof(rel));
    memset(b, 0, sizeof *b);
    uc_err e = book_parts(&x, b);
    free_rels(&x);
    buf_free(&x.rels);
    free(x.pick_name);
    free(x.pick_any_name);
    return e;
}

void xlsx_book_free(xlsx_book *b)
{
    if (!b)
        return;
    free(b->sheet_name);
    b->sheet_name = NULL;
}

/* ---- shared strings ------------------------------------------------ */

typedef struct sctx {
    xpart xp;             /* first: handlers get an sctx */
    const xlsx_limits *lim;
    xlsx_sst *t;
    bool in_si, in_rph, collect;
} sctx;

static void sst_cap(sctx *x)
{
    char sz[32];
    xpart_stop(&x->xp, UC_ELIMIT, "XLSX rejected: shared strings exceed the %s cap",
               io_size_str(x->lim->max_shared_bytes, sz, sizeof sz));
}

/* Start of string n: its offset is the n-th record of t->off (a second
 * <si> before the first ended restarts it). */
static void si_start(sctx *x)
{
    xlsx_sst *t = x->t;
    size_t at = t->arena.len;
    /* the offsets count against the cap too */
    if (t->arena.len + (t->n + 1) * sizeof at > x->lim->max_shared_bytes) {
        sst_cap(x);
        return;
    }
    buf_truncate(&t->off, t->n * sizeof at);
    if (buf_add(&t->off, &at, sizeof at)) {
        xpart_stop(&x->xp, UC_ENOMEM, "Out of memory reading XLSX shared strings");
        return;
    }
    x->in_si = true;
}

static size_t sst_start_of(const xlsx_sst *t, size_t i)
{
    return ((const size_t *)t->off.data)[i];
}

static void XMLCALL sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    sctx *x = ud;
    const char *local;
    if (xml_ns(name, &local) != XNS_MAIN)
        return;
    if (!strcmp(local, "si"))
        si_start(x);
    else if (!strcmp(local, "rPh"))
        x->in_rph = true;
    else if (!strcmp(local, "t"))
        x->collect = x->in_si && !x->in_rph;
}

static void XMLCALL sst_end(void *ud, const XML_Char *name)
{
    sctx *x = ud;
    xlsx_sst *t = x->t;
    const char *local;
    if (xml_ns(name, &local) != XNS_MAIN)
        return;
    if (!strcmp(local, "t")) {
        x->collect = false;
    } else if (!strcmp(local, "rPh")) {
        x->in_rph = false;
    } else if (!strcmp(local, "si") && x->in_si) {
        size_t s = sst_start_of(t, t->n);
        if (t->arena.len > s) /* arena.data may still be NULL when all were empty */
            buf_truncate(&t->arena, s + xml_unescape(t->arena.data + s, t->arena.len - s));
        t->n++;
        x->in_si = false;
    }
}

static void XMLCALL sst_chars(void *ud, const XML_Char *s, int len)
{
    sctx *x = ud;
    xlsx_sst *t = x->t;
    if (!x->collect)
        return;
    if (t->arena.len - sst_start_of(t, t->n) + (size_t)len > x->lim->max_cell_bytes) {
        xpart_stop(&x->xp, UC_ELIMIT,
                   "XLSX rejected: shared string %zu is longer than %zu bytes", t->n,
                   x->lim->max_cell_bytes);
        return;
    }
    if (t->arena.len + (size_t)len + t->off.len > x->lim->max_shared_bytes) {
        sst_cap(x);
        return;
    }
    if (buf_add(&t->arena, s, (size_t)len))
        xpart_stop(&x->xp, UC_ENOMEM, "Out of memory reading XLSX shared strings");
}

uc_err xlsx_sst_read(xpart *xp, const char *name, const xlsx_limits *lim, xlsx_sst *t)
{
    sctx x = { .xp = *xp, .lim = lim, .t = t };
    t->n = 0;
    buf_init(&t->arena, SIZE_MAX);  /* lim->max_shared_bytes is checked above */
    buf_init(&t->off, SIZE_MAX);
    uc_err e = xpart_parse_opt(&x.xp, &x, name, sst_start, sst_end, sst_chars);
    if (e)
        return e;
    /* sentinel: end of the last string; and arena.data is never NULL */
    size_t end = t->arena.len;
    buf_truncate(&t->off, t->n * sizeof end);
    if (buf_reserve(&t->arena, 0) || buf_add(&t->off, &end, sizeof end))
        return xpart_fail(xp, UC_ENOMEM, "Out of memory reading XLSX");
    return UC_OK;
}

bool xlsx_sst_get(const xlsx_sst *t, uint64_t i, const char **s, size_t *len)
{
    if (i >= t->n)
        return false;
    size_t a = sst_start_of(t, (size_t)i), b = sst_start_of(t, (size_t)i + 1);
    *s = t->arena.data + a;
    *len = b - a;
    return true;
}

void xlsx_sst_free(xlsx_sst *t)
{
    if (!t)
        return;
    buf_free(&t->arena);
    buf_free(&t->off);
    t->n = 0;
}
