/* cellspill.c: the XLSX pass's row spill (format in cellspill.h). The file
 * belongs to one thread: unlocked stdio, one call per piece. */
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

struct cellspill {
    FILE *f;
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
    s->f = files_scratch(data_dir, ".cells", false);
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
    size_t size = sizeof(uint32_t);
    for (size_t i = 0; i < n; i++)
        size += 5 + (cells[i].style ? 4 : 0) + cells[i].len;
    buf_reset(&s->text);
    uc_err e = buf_reserve(&s->text, size);
    if (e)
        return e;
    unsigned char *p = (unsigned char *)s->text.data;
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
    return fwrite_unlocked(s->text.data, 1, size, s->f) == size ? UC_OK : UC_EIO;
}

uc_err cellspill_rewind(cellspill *s)
{
    return fseek(s->f, 0, SEEK_SET) == 0 ? UC_OK : UC_EIO;
}

uc_err cellspill_get(cellspill *s, const cell **cells, size_t *n)
{
    uint32_t nn;
    if (fread_unlocked(&nn, sizeof nn, 1, s->f) != 1)
        return UC_EIO;
    buf_reset(&s->text);
    buf_reset(&s->cells);
    uc_err e = buf_reserve(&s->cells, (size_t)nn * sizeof(cell));
    if (e)
        return e;
    buf_added(&s->cells, (size_t)nn * sizeof(cell));
    cell *row = (cell *)s->cells.data;
    for (uint32_t i = 0; i < nn; i++) {
        unsigned char h[5];
        uint32_t len, style = 0;
        if (fread_unlocked(h, sizeof h, 1, s->f) != 1 ||
            ((h[0] & STYLED) && fread_unlocked(&style, sizeof style, 1, s->f) != 1))
            return UC_EIO;
        memcpy(&len, h + 1, 4);
        if ((e = buf_reserve(&s->text, len)))
            return e;
        if (len && fread_unlocked(s->text.data + s->text.len, 1, len, s->f) != len)
            return UC_EIO;
        /* the text may move as it grows: an offset until the row is whole */
        row[i] = (cell){(cell_type)(h[0] & ~STYLED), (const char *)(uintptr_t)s->text.len,
                        len, style};
        buf_added(&s->text, len);
    }
    for (uint32_t i = 0; i < nn; i++)
        row[i].v = row[i].len ? s->text.data + (uintptr_t)row[i].v : NULL;
    *cells = row;
    *n = nn;
    return UC_OK;
}

void cellspill_close(cellspill *s)
{
    if (!s)
        return;
    if (s->f)
        fclose(s->f);
    buf_free(&s->text);
    buf_free(&s->cells);
    free(s);
}
