/* xlsx_read.c: the first visible worksheet of an .xlsx, row by row. The
 * sheet is inflated by zipr_read in chunks and fed straight to expat; only
 * the shared strings (one arena, xlsx_book.c), the styles (xlsx_styles.c)
 * and the current row are ever held. This file is the sheet's cells and
 * column widths, and the read that puts the parts together. */
#include "formats/xlsx_read.h"
#include "formats/xlsx_book.h"
#include "formats/xlsx_sheet.h"
#include "formats/xlsx_styles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void xlsx_limits_default(xlsx_limits *lim)
{
    zipr_limits_default(&lim->zip);
    lim->max_columns = 16384;
    lim->max_rows = 1048576;
    lim->max_shared_bytes = 512ull << 20;
    lim->max_cell_bytes = 1u << 20;
    lim->chunk_bytes = 1u << 20;
    lim->chunks_expat_only = false;
}

static void col_name(uint64_t col, char *out)  /* 0-based -> "AB" */
{
    char tmp[16];
    int n = 0;
    col++;
    while (col && n < 15) {
        tmp[n++] = (char)('A' + (col - 1) % 26);
        col = (col - 1) / 26;
    }
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

void XMLCALL xlsx_sheet_chars(void *ud, const XML_Char *s, int len)
{
    xctx *x = ud;
    if (!x->collect)
        return;
    struct buf *b = &x->rowbuf;
    if (b->len - x->coff + (size_t)len > x->lim.max_cell_bytes) {
        char cn[16];
        col_name((uint64_t)x->col, cn);
        xpart_stop(&x->xp, UC_ELIMIT,
                   "XLSX rejected: cell %s%u holds more than %zu bytes of text", cn,
                   x->row, x->lim.max_cell_bytes);
        return;
    }
    if (buf_add(b, s, (size_t)len))
        xpart_stop(&x->xp, UC_ENOMEM, "Out of memory reading XLSX");
}

/* <col min max width>: a column run's width, kept for the result. */
static void col_start(xctx *x, const char **atts)
{
    const char *min = xml_attr(atts, "min"), *max = xml_attr(atts, "max");
    const char *width = xml_attr(atts, "width");
    uint32_t lo, hi;
    if (!min || !max || !width || !xml_u32(min, &lo) || !xml_u32(max, &hi))
        return;
    if (xlsx_meta_add_col(x->meta, lo, hi, width))
        xpart_stop(&x->xp, UC_ENOMEM, "Out of memory reading XLSX");
}

/* <row>: its number from r, else the previous one plus one. */
static void row_start(xctx *x, const char **atts)
{
    const char *r = xml_attr(atts, "r");
    uint64_t n = x->row + 1;
    if (!r && x->chunk) { /* its number hangs on the row before the chunk */
        xpart_stop(&x->xp, UC_EFORMAT, "row without a number");
        return;
    }
    if (r) {
        n = 0;
        for (const char *p = r; *p; p++) {
            if (*p < '0' || *p > '9' || n > UINT32_MAX) {
                xpart_stop(&x->xp, UC_EFORMAT, "Corrupt XLSX: bad row number \"%.20s\"", r);
                return;
            }
            n = n * 10 + (uint64_t)(*p - '0');
        }
        if (n == 0) {
            xpart_stop(&x->xp, UC_EFORMAT, "Corrupt XLSX: bad row number \"%.20s\"", r);
            return;
        }
    }
    if (n > x->lim.max_rows) {
        xpart_stop(&x->xp, UC_ELIMIT, "XLSX rejected: row %llu is past the %u-row limit",
                   (unsigned long long)n, x->lim.max_rows);
        return;
    }
    x->row = (uint32_t)n;
    x->col = -1;
    x->in_row = true;
    x->rowlen = 0;
    buf_reset(&x->rowbuf);
}

/* A cell reference "AB12": its 0-based column into *col; false (parse
 * stopped) for a bad one or one past the limits. */
static bool cell_col(xctx *x, const char *r, int64_t *col)
{
    const char *p = r;
    uint64_t c = 0, rn = 0;
    for (; (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'); p++) {
        c = c * 26 + (uint64_t)((*p & ~0x20) - 'A' + 1);
        if (c > x->lim.max_columns) {
            xpart_stop(&x->xp, UC_ELIMIT,
                       "XLSX rejected: cell %.20s is past the %u-column limit", r,
                       x->lim.max_columns);
            return false;
        }
    }
    for (; *p >= '0' && *p <= '9'; p++)
        if ((rn = rn * 10 + (uint64_t)(*p - '0')) > x->lim.max_rows) {
            xpart_stop(&x->xp, UC_ELIMIT,
                       "XLSX rejected: cell %.20s is past the %u-row limit", r,
                       x->lim.max_rows);
            return false;
        }
    if (c == 0 || *p) {
        xpart_stop(&x->xp, UC_EFORMAT, "Corrupt XLSX: bad cell reference \"%.20s\"", r);
        return false;
    }
    *col = (int64_t)c - 1;
    return true;
}

/* The cell's type from its t attribute; notes shared and inline strings. */
static cell_type type_of(xctx *x, const char *t)
{
    if (!t)
        return CELL_NUMBER;
    if (!strcmp(t, "s")) {
        x->cshared = true;
        return CELL_STRING;
    }
    if (!strcmp(t, "inlineStr")) {
        x->cinline = true;
        return CELL_STRING;
    }
    if (!strcmp(t, "b"))
        return CELL_BOOL;
    if (!strcmp(t, "e"))
        return CELL_ERROR;
    return strcmp(t, "n") ? CELL_STRING : CELL_NUMBER;  /* str, d (ISO date text), unknown */
}

static void cell_start(xctx *x, const char **atts)
{
    const char *r = NULL, *t = NULL, *s = NULL;
    for (; *atts; atts += 2) {
        if (atts[0][1])
            continue;
        if (atts[0][0] == 'r')
            r = atts[1];
        else if (atts[0][0] == 't')
            t = atts[1];
        else if (atts[0][0] == 's')
            s = atts[1];
    }
    int64_t col = x->col + 1;
    if (r) {
        if (!cell_col(x, r, &col))
            return;
    } else if (col >= (int64_t)x->lim.max_columns) {
        xpart_stop(&x->xp, UC_ELIMIT, "XLSX rejected: row %u has more than %u columns",
                   x->row, x->lim.max_columns);
        return;
    }
    x->col = col;
    x->cshared = x->cinline = false;
    x->ctype = type_of(x, t);
    x->cstyle = 0;
    if (s && x->nxfs && (!xml_u32(s, &x->cstyle) || x->cstyle >= x->nxfs))
        x->cstyle = 0;
    x->coff = x->rowbuf.len;
    x->in_c = true;
}

/* Room for n columns in the row's records (rc and out). */
static bool grow_row(xctx *x, size_t n)
{
    if (n <= x->rccap)
        return true;  /* the common case, once per cell */
    struct buf *bs[] = { &x->rc, &x->out };
    size_t sizes[] = { sizeof(rcell), sizeof(cell) };
    for (int i = 0; i < 2; i++) {
        size_t have = bs[i]->len / sizes[i];
        if (have >= n)
            continue;
        if (buf_reserve(bs[i], (n - have) * sizes[i]))
            return false;
        buf_added(bs[i], (n - have) * sizes[i]);  /* filled in before use */
    }
    x->rccap = n;
    return true;
}

/* A shared-string cell's index (the text at s, len bytes) -> its string. */
static bool shared(xctx *x, const char *s, size_t len, const char **ext, size_t *elen)
{
    uint64_t idx = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || idx > UINT32_MAX) {
            xpart_stop(&x->xp, UC_EFORMAT, "Corrupt XLSX: bad shared string index \"%.*s\"",
                       (int)(len < 20 ? len : 20), s);
            return false;
        }
        idx = idx * 10 + (uint64_t)(s[i] - '0');
    }
    if (!xlsx_sst_get(x->sst, idx, ext, elen)) {
        xpart_stop(&x->xp, UC_EFORMAT, "Corrupt XLSX: shared string index %llu out of range",
                   (unsigned long long)idx);
        return false;
    }
    return true;
}

static void cell_end(xctx *x)
{
    x->in_c = false;
    size_t off = x->coff, len = x->rowbuf.len - off;
    const char *ext = NULL;
    if (x->cinline && len) /* rowbuf.data may still be NULL when empty */
        len = xml_unescape(x->rowbuf.data + off, len);
    if (x->cshared && len && !shared(x, x->rowbuf.data + off, len, &ext, &len))
        return;
    buf_truncate(&x->rowbuf, ext ? off : off + len);
    size_t c = (size_t)x->col;
    if (!grow_row(x, c + 1)) {
        xpart_stop(&x->xp, UC_ENOMEM, "Out of memory reading XLSX");
        return;
    }
    rcell *rcs = (rcell *)x->rc.data;
    for (size_t i = x->rowlen; i < c; i++)
        rcs[i].type = CELL_EMPTY, rcs[i].len = 0;
    rcell *rc = &rcs[c];
    rc->type = len ? x->ctype : CELL_EMPTY;
    rc->style = x->cstyle;
    rc->ext = ext;
    rc->off = off;
    rc->len = len;
    if (c + 1 > x->rowlen)
        x->rowlen = c + 1;
}

static void row_end(xctx *x)
{
    x->in_row = false;
    const rcell *rcs = (const rcell *)x->rc.data;
    cell *out = (cell *)x->out.data;
    size_t n = x->rowlen;
    while (n && rcs[n - 1].type == CELL_EMPTY)
        n--;
    if (!n)
        return;
    for (size_t i = 0; i < n; i++) {
        const rcell *rc = &rcs[i];
        cell *o = &out[i];
        o->type = rc->type;
        o->len = rc->type == CELL_EMPTY ? 0 : rc->len;
        o->v = !o->len ? NULL : rc->ext ? rc->ext : x->rowbuf.data + rc->off;
        o->style = rc->type == CELL_EMPTY ? 0 : rc->style;
    }
    if (x->fn(x->ud, x->row - 1, out, n))
        xpart_stop(&x->xp, UC_ECANCELED, "Cancelled");
}

void XMLCALL xlsx_sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    xctx *x = ud;
    const char *l;
    if (xml_ns(name, &l) != XNS_MAIN)
        return;
    if (x->in_c) {
        if (l[0] == 'v' && !l[1])
            x->collect = !x->cinline;
        else if (l[0] == 't' && !l[1])
            x->collect = x->in_is && !x->in_rph;
        else if (!strcmp(l, "is"))
            x->in_is = true;
        else if (!strcmp(l, "rPh"))
            x->in_rph = true;
    } else if (x->in_row) {
        if (l[0] == 'c' && !l[1])
            cell_start(x, atts);
    } else if (x->in_data) {
        if (!strcmp(l, "row"))
            row_start(x, atts);
    } else if (!strcmp(l, "sheetData")) {
        x->in_data = true;
    } else if (x->meta && !strcmp(l, "col")) {
        col_start(x, atts);
    }
}

void XMLCALL xlsx_sheet_end(void *ud, const XML_Char *name)
{
    xctx *x = ud;
    const char *l;
    if (xml_ns(name, &l) != XNS_MAIN)
        return;
    if (x->in_c) {
        if ((l[0] == 'v' || l[0] == 't') && !l[1])
            x->collect = false;
        else if (l[0] == 'c' && !l[1])
            cell_end(x);
        else if (!strcmp(l, "is"))
            x->in_is = false;
        else if (!strcmp(l, "rPh"))
            x->in_rph = false;
    } else if (x->in_row) {
        if (!strcmp(l, "row"))
            row_end(x);
    } else if (!strcmp(l, "sheetData")) {
        x->in_data = false;
        if (x->chunk) /* what follows (say a <col>) would change the look */
            xpart_stop(&x->xp, UC_EFORMAT, "sheetData ended");
    }
}

/* ---- the read ------------------------------------------------------ */

/* The workbook's parts, then the sheet. */
static uc_err read_parts(xctx *x, xlsx_book *book, xlsx_sst *sst)
{
    uc_err e = xlsx_book_find(&x->xp, book);
    if (e)
        return e;
    if (x->meta) {
        x->meta->sheet_name = book->sheet_name;
        book->sheet_name = NULL;
        if ((e = xlsx_styles_read(&x->xp, book->styles, x->meta)))
            return e;
        x->nxfs = (uint32_t)xlsx_meta_nxfs(x->meta);
    }
    if ((e = xlsx_sst_read(&x->xp, book->sst, &x->lim, sst)))
        return e;
    x->sst = sst;
    int idx = zipr_find(x->xp.z, book->sheet);
    if (idx < 0)
        return xpart_fail(&x->xp, UC_EFORMAT, "Corrupt XLSX: part %s is missing",
                          book->sheet);
    return xlsx_chunks_parse(x, idx, book->sheet);
}

uc_err xlsx_read_meta(const char *path, const xlsx_limits *lim, row_fn fn, void *ud,
                      xlsx_meta *meta, char *err, size_t errcap)
{
    xctx x = { .fn = fn, .ud = ud, .meta = meta, .xp = { .err = err, .errcap = errcap } };
    xlsx_book book = { .sheet_name = NULL };
    xlsx_sst sst = { .n = 0 };
    if (lim)
        x.lim = *lim;
    else
        xlsx_limits_default(&x.lim);
    if (err && errcap)
        err[0] = '\0';
    if (meta)
        xlsx_meta_init(meta);
    buf_init(&x.rowbuf, SIZE_MAX);  /* max_cell_bytes bounds each cell */
    buf_init(&x.rc, (size_t)x.lim.max_columns * sizeof(rcell));
    buf_init(&x.out, (size_t)x.lim.max_columns * sizeof(cell));

    uc_err e = zipr_open(path, &x.lim.zip, &x.xp.z, err, errcap);
    if (e)
        xpart_zip_reason(&x.xp);
    else
        e = read_parts(&x, &book, &sst);
    xlsx_book_free(&book);
    xlsx_sst_free(&sst);
    buf_free(&x.rowbuf);
    buf_free(&x.rc);
    buf_free(&x.out);
    zipr_close(x.xp.z);
    return e;
}

uc_err xlsx_read(const char *path, const xlsx_limits *lim, row_fn fn, void *ud,
                 char *err, size_t errcap)
{
    return xlsx_read_meta(path, lim, fn, ud, NULL, err, errcap);
}
