/* fuzz_xlsx.c: xlsx_read (src/formats/xlsx_read.h) on arbitrary bytes with
 * small caps; every delivered cell is touched so a bad pointer shows. */
#include <stdint.h>
#include <string.h>

#include "formats/xlsx_read.h"
#include "fuzz_file.h"

static volatile unsigned sinkv;

static int on_row(void *ud, uint32_t row, const cell *cells, size_t n)
{
    size_t *rows = ud;
    (void)row;
    for (size_t i = 0; i < n; i++) {
        if (cells[i].len)
            sinkv += fuzz_touch(cells[i].v, cells[i].len);
        if (cells[i].len > 4096)
            __builtin_trap(); /* over max_cell_bytes */
    }
    if (n > 256)
        __builtin_trap(); /* over max_columns */
    return ++*rows > 2000; /* stop now and then: exercises the cancel path */
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
    char err[256];
    size_t rows = 0;
    uc_err e = xlsx_read(f.path, &lim, on_row, &rows, err, sizeof err);
    if (e && !memchr(err, '\0', sizeof err))
        __builtin_trap();
    fuzz_file_close(&f);
    return 0;
}
