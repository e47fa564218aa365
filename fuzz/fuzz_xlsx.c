/* fuzz_xlsx.c: xlsx_read_meta (src/formats/xlsx_read.h) on arbitrary bytes
 * with small caps; every delivered cell and the look (sheet name, number
 * formats, widths) are touched so a bad pointer shows, and the rows are
 * written back through xlsxw with that look (to /dev/null), as the job
 * does. The read is in small chunks on worker threads (xlsx_chunks.c),
 * then again on one thread: the two must agree (result, reason, rows). */
#include <stdint.h>
#include <string.h>

#include "formats/xlsx_read.h"
#include "formats/xlsx_write.h"
#include "fuzz_file.h"

static volatile unsigned sinkv;

typedef struct run {
    size_t rows;
    uint64_t hash;    /* of every row delivered */
    xlsx_meta meta;
    xlsxw *w;         /* created at the first row: the look is complete then */
} run;

static void touch_meta(const xlsx_meta *m)
{
    if (m->sheet_name)
        sinkv += fuzz_touch(m->sheet_name, strlen(m->sheet_name));
    for (size_t i = 0; i < xlsx_meta_nnumfmts(m); i++) {
        sinkv += fuzz_touch(xlsx_meta_numfmt(m, i)->code, strlen(xlsx_meta_numfmt(m, i)->code));
        if (i && xlsx_meta_numfmt(m, i)->id <= xlsx_meta_numfmt(m, i - 1)->id)
            __builtin_trap(); /* settled: sorted, one per id */
    }
    for (size_t i = 0; i < xlsx_meta_ncols(m); i++)
        if (xlsx_meta_col(m, i)->min > xlsx_meta_col(m, i)->max || xlsx_meta_col(m, i)->max > XLSX_GRID_COLS ||
            (i && xlsx_meta_col(m, i)->min <= xlsx_meta_col(m, i - 1)->max))
            __builtin_trap();
    if (xlsx_meta_nxfs(m) > XLSX_MAX_XFS)
        __builtin_trap();
}

static int on_row(void *ud, uint32_t row, const cell *cells, size_t n)
{
    run *r = ud;
    (void)row;
    if (!r->rows) {
        touch_meta(&r->meta);
        if (xlsxw_create("/dev/null", &r->meta, &r->w))
            r->w = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (cells[i].len)
            sinkv += fuzz_touch(cells[i].v, cells[i].len);
        if (cells[i].len > 4096)
            __builtin_trap(); /* over max_cell_bytes */
        if (cells[i].style && cells[i].style >= xlsx_meta_nxfs(&r->meta))
            __builtin_trap(); /* a style the writer would not know */
    }
    if (n > 256)
        __builtin_trap(); /* over max_columns */
    r->hash = (r->hash ^ row) * 1099511628211ull;
    for (size_t i = 0; i < n; i++) {
        r->hash = (r->hash ^ (cells[i].type * 31u + cells[i].style)) * 1099511628211ull;
        for (size_t k = 0; k < cells[i].len; k++)
            r->hash = (r->hash ^ (unsigned char)cells[i].v[k]) * 1099511628211ull;
        r->hash = (r->hash ^ 0x100) * 1099511628211ull;
    }
    if (r->w)
        (void)xlsxw_row(r->w, cells, n);
    return ++r->rows > 2000; /* stop now and then: exercises the cancel path */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file f;
    fuzz_file_open(&f, data, size);
    xlsx_limits lim;
    xlsx_limits_default(&lim);
    lim.zip.max_entry_bytes = 512 << 10;
    lim.zip.max_total_bytes = 2 << 20;
    lim.zip.max_entries = 64;
    lim.max_columns = 256;
    lim.max_rows = 4096;
    lim.max_shared_bytes = 256 << 10;
    lim.max_cell_bytes = 4096;
    lim.chunk_bytes = 1 + size % 97;
    char err[256], err1[256];
    run r = { 0 }, r1 = { 0 };
    uc_err e = xlsx_read_meta(f.path, &lim, on_row, &r, &r.meta, err, sizeof err);
    if (e && !memchr(err, '\0', sizeof err))
        __builtin_trap();
    if (r.w)
        (void)xlsxw_close(r.w);
    lim.chunk_bytes = 0;
    uc_err e1 = xlsx_read_meta(f.path, &lim, on_row, &r1, &r1.meta, err1, sizeof err1);
    if (e1 != e || (e && strcmp(err, err1)) || (!e && (r.hash != r1.hash || r.rows != r1.rows)))
        __builtin_trap(); /* the chunked read is not the serial one */
    if (r1.w)
        (void)xlsxw_close(r1.w);
    xlsx_meta_free(&r.meta);
    xlsx_meta_free(&r1.meta);
    fuzz_file_close(&f);
    return 0;
}
