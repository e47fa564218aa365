/* cellspill.c: the XLSX pass's row spill (format in cellspill.h). The file
 * belongs to one thread: unlocked stdio, one call per piece. */
#include "jobs/cellspill.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/files.h"

#define STYLED 0x80  /* in the type byte: a u32 style follows the length */

struct cellspill {
    FILE *f;
    char *buf;          /* one row's text */
    size_t buf_cap;
    cell *row;          /* one row's cells, pointing into buf */
    size_t row_cap;
};

uc_err cellspill_open(const char *data_dir, cellspill **out)
{
    cellspill *s = calloc(1, sizeof *s);
    if (!s)
        return UC_ENOMEM;
    char path[FILES_PATH_MAX];
    files_tmp_path(data_dir, ".cells", path);
    s->f = fopen(path, "w+e");
    if (!s->f) {
        free(s);
        return UC_EIO;
    }
    unlink(path); /* anonymous from here on */
    setvbuf(s->f, NULL, _IOFBF, 1 << 20);
    *out = s;
    return UC_OK;
}

uc_err cellspill_put(cellspill *s, const cell *cells, size_t n)
{
    uint32_t nn = (uint32_t)n;
    if (fwrite_unlocked(&nn, sizeof nn, 1, s->f) != 1)
        return UC_EIO;
    for (size_t i = 0; i < n; i++) {
        unsigned char h[5];
        uint32_t len = (uint32_t)cells[i].len, style = cells[i].style;
        h[0] = (unsigned char)cells[i].type | (style ? STYLED : 0);
        memcpy(h + 1, &len, 4);
        /* constant sizes: glibc writes them inline */
        if (fwrite_unlocked(h, sizeof h, 1, s->f) != 1 ||
            (style && fwrite_unlocked(&style, sizeof style, 1, s->f) != 1) ||
            (len && fwrite_unlocked(cells[i].v, 1, len, s->f) != len))
            return UC_EIO;
    }
    return UC_OK;
}

uc_err cellspill_rewind(cellspill *s)
{
    return fseek(s->f, 0, SEEK_SET) == 0 ? UC_OK : UC_EIO;
}

/* Room for need bytes of text in s->buf. */
static uc_err text_room(cellspill *s, size_t need)
{
    if (need <= s->buf_cap)
        return UC_OK;
    size_t nc = s->buf_cap ? s->buf_cap : 4096;
    while (nc < need)
        nc *= 2;
    char *nb = realloc(s->buf, nc);
    if (!nb)
        return UC_ENOMEM;
    s->buf = nb;
    s->buf_cap = nc;
    return UC_OK;
}

uc_err cellspill_get(cellspill *s, const cell **cells, size_t *n)
{
    uint32_t nn;
    if (fread_unlocked(&nn, sizeof nn, 1, s->f) != 1)
        return UC_EIO;
    if (nn > s->row_cap) {
        cell *nr = realloc(s->row, nn * sizeof *nr);
        if (!nr)
            return UC_ENOMEM;
        s->row = nr;
        s->row_cap = nn;
    }
    size_t used = 0;
    for (uint32_t i = 0; i < nn; i++) {
        unsigned char h[5];
        uint32_t len, style = 0;
        if (fread_unlocked(h, sizeof h, 1, s->f) != 1 ||
            ((h[0] & STYLED) && fread_unlocked(&style, sizeof style, 1, s->f) != 1))
            return UC_EIO;
        memcpy(&len, h + 1, 4);
        uc_err e = text_room(s, used + len);
        if (e)
            return e;
        if (len && fread_unlocked(s->buf + used, 1, len, s->f) != len)
            return UC_EIO;
        s->row[i] = (cell){(cell_type)(h[0] & ~STYLED), NULL, len, style};
        s->row[i].v = (const char *)(uintptr_t)used; /* an offset until the row is whole */
        used += len;
    }
    for (uint32_t i = 0; i < nn; i++)
        s->row[i].v = s->row[i].len ? s->buf + (uintptr_t)s->row[i].v : NULL;
    *cells = s->row;
    *n = nn;
    return UC_OK;
}

void cellspill_close(cellspill *s)
{
    if (!s)
        return;
    if (s->f)
        fclose(s->f);
    free(s->buf);
    free(s->row);
    free(s);
}
