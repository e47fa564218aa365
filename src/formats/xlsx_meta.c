/* xlsx_meta.c: the look a result keeps of its input (sheet name, number
 * and cell formats, column widths): building it with caps, and the
 * lookups the job and the writer make. */
#include "formats/xlsx_meta.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void xlsx_meta_free(xlsx_meta *m)
{
    if (!m)
        return;
    free(m->sheet_name);
    for (size_t i = 0; i < m->nnumfmts; i++)
        free(m->numfmts[i].code);
    free(m->numfmts);
    free(m->xfs);
    free(m->cols);
    memset(m, 0, sizeof *m);
}

/* Make room for one more element in *arr of *n (capacity grows in
 * powers of two from 16, so it is never stored). */
static bool room(void **arr, size_t n, size_t size)
{
    if (n && (n < 16 || (n & (n - 1))))
        return true;  /* full only at 0, 16, 32, 64, ... */
    size_t nc = n ? 2 * n : 16;
    void *na = realloc(*arr, nc * size);
    if (!na)
        return false;
    *arr = na;
    return true;
}

uc_err xlsx_meta_add_numfmt(xlsx_meta *m, uint32_t id, const char *code)
{
    size_t len = strlen(code) + 1;
    if (m->nnumfmts >= XLSX_MAX_NUMFMTS || m->numfmt_bytes + len > XLSX_MAX_NUMFMT_BYTES)
        return UC_ELIMIT;
    char *c = strdup(code);
    if (!c)
        return UC_ENOMEM;
    if (!room((void **)&m->numfmts, m->nnumfmts, sizeof *m->numfmts)) {
        free(c);
        return UC_ENOMEM;
    }
    m->numfmts[m->nnumfmts++] = (xlsx_numfmt){id, c};
    m->numfmt_bytes += len;
    return UC_OK;
}

uc_err xlsx_meta_add_xf(xlsx_meta *m, uint32_t numfmt, bool bold)
{
    if (m->nxfs >= XLSX_MAX_XFS)
        return UC_ELIMIT;
    if (!room((void **)&m->xfs, m->nxfs, sizeof *m->xfs))
        return UC_ENOMEM;
    m->xfs[m->nxfs++] = (xlsx_xf){numfmt, bold};
    return UC_OK;
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
    if (!min || min > max || min > XLSX_GRID_COLS || !plain_width(width))
        return UC_OK;
    if (max > XLSX_GRID_COLS)
        max = XLSX_GRID_COLS;
    if (m->ncols && min <= m->cols[m->ncols - 1].max)
        return UC_OK;  /* runs go left to right without overlaps */
    if (!room((void **)&m->cols, m->ncols, sizeof *m->cols))
        return UC_ENOMEM;
    xlsx_colw *c = &m->cols[m->ncols++];
    c->min = min;
    c->max = max;
    strcpy(c->width, width);
    return UC_OK;
}

const char *xlsx_meta_numfmt_code(const xlsx_meta *m, uint32_t id)
{
    for (size_t i = m->nnumfmts; i-- > 0;)  /* the last declaration wins */
        if (m->numfmts[i].id == id)
            return m->numfmts[i].code;
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

uc_err xlsx_meta_settle(xlsx_meta *m)
{
    /* sorted by id, one per id (the last declared): lookups by bsearch */
    size_t n = m->nnumfmts, o = 0, cap = 16;
    while (cap < n)
        cap *= 2;  /* what room() expects of the array */
    size_t *order = n ? malloc(n * sizeof *order) : NULL;
    xlsx_numfmt *sorted = n ? malloc(cap * sizeof *sorted) : NULL;
    if (n && (!order || !sorted)) {
        free(order);
        free(sorted);
        return UC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (n > 1)
        qsort_r(order, n, sizeof *order, by_id_then_order, m->numfmts);
    for (size_t k = 0; k < n; k++) {
        xlsx_numfmt *f = &m->numfmts[order[k]];
        if (k + 1 < n && m->numfmts[order[k + 1]].id == f->id)
            free(f->code);  /* declared again later */
        else
            sorted[o++] = *f;
    }
    free(order);
    free(m->numfmts);
    m->numfmts = sorted;
    m->nnumfmts = o;
    for (size_t i = 0; i < m->nxfs; i++) {
        uint32_t id = m->xfs[i].numfmt;
        const xlsx_numfmt *f = o ? bsearch(&id, sorted, o, sizeof *f, by_id) : NULL;
        if ((!f && id >= XLSX_FIRST_CUSTOM_FMT) || (f && !strcasecmp(f->code, "General")))
            m->xfs[i].numfmt = 0;
    }
    return UC_OK;
}

bool xlsx_meta_bold(const xlsx_meta *m, uint32_t style)
{
    return m && style < m->nxfs && m->xfs[style].bold;
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
