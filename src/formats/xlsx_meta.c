/* xlsx_meta.c: the look a result keeps of its input (sheet name, number
 * and cell formats, column widths): building it with caps, and the
 * lookups the job and the writer make. */
#include "formats/xlsx_meta.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void xlsx_meta_init(xlsx_meta *m)
{
    m->sheet_name = NULL;
    buf_init(&m->numfmts, XLSX_MAX_NUMFMTS * sizeof(xlsx_numfmt));
    buf_init(&m->xfs, XLSX_MAX_XFS * sizeof(xlsx_xf));
    buf_init(&m->cols, XLSX_GRID_COLS * sizeof(xlsx_colw));
    m->numfmt_bytes = 0;
}

void xlsx_meta_free(xlsx_meta *m)
{
    if (!m)
        return;
    free(m->sheet_name);
    for (size_t i = 0; i < xlsx_meta_nnumfmts(m); i++)
        free(xlsx_meta_numfmt(m, i)->code);
    buf_free(&m->numfmts);
    buf_free(&m->xfs);
    buf_free(&m->cols);
    xlsx_meta_init(m);
}

uc_err xlsx_meta_add_numfmt(xlsx_meta *m, uint32_t id, const char *code)
{
    size_t len = strlen(code) + 1;
    if (m->numfmt_bytes + len > XLSX_MAX_NUMFMT_BYTES)
        return UC_ELIMIT;
    xlsx_numfmt f = {id, strdup(code)};
    if (!f.code)
        return UC_ENOMEM;
    uc_err e = buf_add(&m->numfmts, &f, sizeof f);
    if (e) {
        free(f.code);
        return e;
    }
    m->numfmt_bytes += len;
    return UC_OK;
}

uc_err xlsx_meta_add_xf(xlsx_meta *m, uint32_t numfmt, bool bold)
{
    xlsx_xf xf = {numfmt, bold};
    return buf_add(&m->xfs, &xf, sizeof xf);
}

void xlsx_meta_set_bold(xlsx_meta *m, size_t i, bool bold)
{
    ((xlsx_xf *)m->xfs.data)[i].bold = bold;
}

/* A width worth keeping: digits with at most one '.', at most 23 bytes,
 * not zero. */
static bool plain_width(const char *w)
{
    size_t n = strlen(w), digits = 0, dots = 0;
    bool nonzero = false;
    if (!n || n >= sizeof ((xlsx_colw *)0)->width)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (w[i] == '.')
            dots++;
        else if (w[i] >= '0' && w[i] <= '9')
            digits++, nonzero |= w[i] != '0';
        else
            return false;
    }
    return digits && dots <= 1 && nonzero;
}

uc_err xlsx_meta_add_col(xlsx_meta *m, uint32_t min, uint32_t max, const char *width)
{
    size_t n = xlsx_meta_ncols(m);
    if (!min || min > max || min > XLSX_GRID_COLS || !plain_width(width))
        return UC_OK;
    if (n && min <= xlsx_meta_col(m, n - 1)->max)
        return UC_OK;  /* runs go left to right without overlaps */
    xlsx_colw c = {min, max > XLSX_GRID_COLS ? XLSX_GRID_COLS : max, ""};
    strcpy(c.width, width);
    uc_err e = buf_add(&m->cols, &c, sizeof c);
    return e == UC_ELIMIT ? UC_OK : e;  /* cannot happen: runs are disjoint */
}

const char *xlsx_meta_numfmt_code(const xlsx_meta *m, uint32_t id)
{
    for (size_t i = xlsx_meta_nnumfmts(m); i-- > 0;)  /* the last declaration wins */
        if (xlsx_meta_numfmt(m, i)->id == id)
            return xlsx_meta_numfmt(m, i)->code;
    return NULL;
}

/* Order of indexes into the numfmts array ctx: by id, then as declared. */
static int by_id_then_order(const void *a, const void *b, void *ctx)
{
    const xlsx_numfmt *f = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (f[i].id != f[j].id)
        return f[i].id < f[j].id ? -1 : 1;
    return i < j ? -1 : i > j;
}

static int by_id(const void *key, const void *elem)
{
    uint32_t id = *(const uint32_t *)key, eid = ((const xlsx_numfmt *)elem)->id;
    return id < eid ? -1 : id > eid;
}

/* The number formats sorted by id, the last declared of each id kept
 * (the others' codes freed once the sorted copy is whole). */
static uc_err sort_numfmts(xlsx_meta *m)
{
    size_t n = xlsx_meta_nnumfmts(m);
    xlsx_numfmt *f = (xlsx_numfmt *)m->numfmts.data;
    struct buf sorted;
    buf_init(&sorted, m->numfmts.max);
    size_t *order = n ? malloc(n * sizeof *order) : NULL;
    if (n && !order)
        return UC_ENOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (n > 1)
        qsort_r(order, n, sizeof *order, by_id_then_order, f);
    uc_err e = UC_OK;
    for (size_t k = 0; !e && k < n; k++)
        if (k + 1 == n || f[order[k + 1]].id != f[order[k]].id)
            e = buf_add(&sorted, &f[order[k]], sizeof *f);
    if (e) {
        buf_free(&sorted);
        free(order);
        return e;
    }
    for (size_t k = 0; k + 1 < n; k++)
        if (f[order[k + 1]].id == f[order[k]].id)
            free(f[order[k]].code);  /* declared again later */
    free(order);
    buf_free(&m->numfmts);
    m->numfmts = sorted;
    return UC_OK;
}

uc_err xlsx_meta_settle(xlsx_meta *m)
{
    uc_err e = sort_numfmts(m);
    if (e)
        return e;
    size_t nf = xlsx_meta_nnumfmts(m);
    xlsx_xf *xfs = (xlsx_xf *)m->xfs.data;
    for (size_t i = 0; i < xlsx_meta_nxfs(m); i++) {
        uint32_t id = xfs[i].numfmt;
        const xlsx_numfmt *f = nf ? bsearch(&id, m->numfmts.data, nf, sizeof *f, by_id)
                                  : NULL;
        if ((!f && id >= XLSX_FIRST_CUSTOM_FMT) || (f && !strcasecmp(f->code, "General")))
            xfs[i].numfmt = 0;
    }
    return UC_OK;
}

bool xlsx_meta_bold(const xlsx_meta *m, uint32_t style)
{
    return m && style < xlsx_meta_nxfs(m) && xlsx_meta_xf(m, style)->bold;
}

bool xlsx_meta_row_bold(const xlsx_meta *m, const cell *cells, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (cells[i].type == CELL_EMPTY)
            continue;
        if (!xlsx_meta_bold(m, cells[i].style))
            return false;
        any = true;
    }
    return any;
}
