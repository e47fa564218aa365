/* cellspill.c: the XLSX pass's row spill (format in cellspill.h). The file
 * belongs to one thread: unlocked stdio, one write a row; a row is read
 * back whole (its size first) and its cells point into it. */
#include "jobs/cellspill.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "store/files.h"

#define STYLED 0x80  /* in the type byte: a u32 style follows the length */
/* What a row can hold is bounded by the sheet reader's caps (columns,
 * bytes per cell) before it reaches the spill: no cap of its own. */
#define SPILL_ROW_MAX (SIZE_MAX / 2)
/* The spill file's stdio buffer: a workbook's spill runs to tens of MB */
#define SPILL_FILE_BUF (1 << 20)
#define LONG_ROW UINT32_MAX  /* as a row's size: a u64 size follows */

struct cellspill {
    FILE *f;
    char *fbuf;         /* f's stdio buffer */
    struct buf text;    /* one row's text */
    struct buf cells;   /* one row's cells (an array), pointing into text */
};

uc_err cellspill_open(const char *data_dir, cellspill **out)
{
    cellspill *s = calloc(1, sizeof *s);
    if (!s)
        return UC_ENOMEM;
    /* on disk whatever the upload's size: shared strings let a small
     * workbook spill far more text than it holds */
    s->f = files_scratch(data_dir, ".cells", false, SPILL_FILE_BUF, &s->fbuf);
    if (!s->f) {
        free(s);
        return UC_EIO;
    }
    buf_init(&s->text, SPILL_ROW_MAX);
    buf_init(&s->cells, SPILL_ROW_MAX);
    *out = s;
    return UC_OK;
}

uc_err cellspill_put(cellspill *s, const cell *cells, size_t n)
{
    /* the row's bytes gathered first: one write a row, not three a cell */
    size_t body = sizeof(uint32_t);
    for (size_t i = 0; i < n; i++)
        body += 5 + (cells[i].style ? 4 : 0) + cells[i].len;
    size_t head = body < LONG_ROW ? 4 : 12;
    buf_reset(&s->text);
    uc_err e = buf_reserve(&s->text, head + body);
    if (e)
        return e;
    unsigned char *p = (unsigned char *)s->text.data;
    uint32_t b32 = body < LONG_ROW ? (uint32_t)body : LONG_ROW;
    memcpy(p, &b32, 4);
    if (head > 4) {
        uint64_t b64 = body;
        memcpy(p + 4, &b64, 8);
    }
    p += head;
    uint32_t nn = (uint32_t)n;
    memcpy(p, &nn, sizeof nn);
    p += sizeof nn;
    for (size_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t)cells[i].len, style = cells[i].style;
        *p = (unsigned char)cells[i].type | (style ? STYLED : 0);
        memcpy(p + 1, &len, 4);
        p += 5;
        if (style) {
            memcpy(p, &style, 4);
            p += 4;
        }
        if (len) {
            memcpy(p, cells[i].v, len);
            p += len;
        }
    }
    return fwrite_unlocked(s->text.data, 1, head + body, s->f) == head + body ? UC_OK : UC_EIO;
}

uc_err cellspill_rewind(cellspill *s)
{
    return fseek(s->f, 0, SEEK_SET) == 0 ? UC_OK : UC_EIO;
}

/* The cells of a row's body (len bytes at p) into s->cells, pointing
 * into p. UC_EIO when the body does not hold what it says. */
static uc_err parse_row(cellspill *s, const unsigned char *p, size_t len, size_t *n)
{
    const unsigned char *end = p + len;
    uint32_t nn;
    memcpy(&nn, p, 4);
    p += 4;
    buf_reset(&s->cells);
    uc_err e = buf_reserve(&s->cells, (size_t)nn * sizeof(cell));
    if (e)
        return e;
    buf_added(&s->cells, (size_t)nn * sizeof(cell));
    cell *row = (cell *)s->cells.data;
    for (uint32_t i = 0; i < nn; i++) {
        uint32_t l, style = 0;
        if (end - p < 5)
            return UC_EIO;
        unsigned char t = p[0];
        memcpy(&l, p + 1, 4);
        p += 5;
        if (t & STYLED) {
            if (end - p < 4)
                return UC_EIO;
            memcpy(&style, p, 4);
            p += 4;
        }
        if ((size_t)(end - p) < l)
            return UC_EIO;
        row[i] = (cell){(cell_type)(t & ~STYLED), l ? (const char *)p : NULL, l, style};
        p += l;
    }
    *n = nn;
    return p == end ? UC_OK : UC_EIO;
}

uc_err cellspill_get(cellspill *s, const cell **cells, size_t *n)
{
    uint32_t b32;
    uint64_t body;
    if (fread_unlocked(&b32, sizeof b32, 1, s->f) != 1)
        return UC_EIO;
    body = b32;
    if (b32 == LONG_ROW && fread_unlocked(&body, sizeof body, 1, s->f) != 1)
        return UC_EIO;
    if (body < 4 || body > SPILL_ROW_MAX)
        return UC_EIO;
    buf_reset(&s->text);
    uc_err e = buf_reserve(&s->text, (size_t)body);
    if (e)
        return e;
    if (fread_unlocked(s->text.data, 1, (size_t)body, s->f) != body)
        return UC_EIO;
    if ((e = parse_row(s, (const unsigned char *)s->text.data, (size_t)body, n)))
        return e;
    *cells = (const cell *)s->cells.data;
    return UC_OK;
}

void cellspill_close(cellspill *s)
{
    if (!s)
        return;
    files_scratch_close(s->f, s->fbuf);
    buf_free(&s->text);
    buf_free(&s->cells);
    free(s);
}
