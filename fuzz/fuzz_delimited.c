/* fuzz_delimited.c: the delimited reader as src/jobs/run.c drives it.
 *
 * Sniff the delimiter, read every row with DELIM_ALL and then with a single
 * want_col, then once more as DELIM_LINES; all with the default caps and
 * again with small caps so the limit paths run too. Every read is done
 * twice, with the reader's own split of quote-free lines and with every
 * row through libcsv (libcsv_only): rows, fields and errors must agree. */
#include <stdint.h>
#include <string.h>

#include "formats/delimited.h"
#include "fuzz_file.h"

/* What a read saw, folded into one number (FNV-1a, 64 bits). */
static void fold(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 0x100000001b3ull;
}

static void fold_cell(uint64_t *h, const cell *c)
{
    uint64_t len = c->len;
    fold(h, &len, sizeof len);
    if (c->len)
        fold(h, c->v, c->len);
}

static uint64_t read_all(delim_reader *rd, char d, uint32_t want, uint64_t size)
{
    char err[256];
    delim_row row;
    uint64_t h = 0xcbf29ce484222325ull;
    delim_rewind(rd, d);
    for (;;) {
        uc_err e = delim_next(rd, want, &row, err, sizeof err);
        if (e) {
            if (e != UC_ENOTFOUND && !memchr(err, '\0', sizeof err))
                __builtin_trap(); /* a reason must be a terminated string */
            int code = (int)e;
            fold(&h, &code, sizeof code);
            if (e != UC_ENOTFOUND)
                fold(&h, err, strlen(err));
            break;
        }
        if (row.start > size || row.len > size - row.start)
            __builtin_trap(); /* the row's bytes must lie inside the file */
        uint64_t pos[2] = {row.start, row.len};
        uint32_t shape[2] = {row.term_len, row.nfields};
        fold(&h, pos, sizeof pos);
        fold(&h, shape, sizeof shape);
        if (want == DELIM_ALL) {
            size_t n;
            const cell *f = delim_fields(rd, &n);
            fold(&h, &n, sizeof n);
            for (size_t i = 0; i < n; i++)
                fold_cell(&h, &f[i]);
        } else {
            fold_cell(&h, &row.field);
        }
        if (delim_pos(rd) > size)
            __builtin_trap();
    }
    return h;
}

/* Every read of the file under lim, folded in order into one number;
 * 0 when the file cannot be opened. */
static uint64_t run_once(const char *path, const delim_limits *lim)
{
    char err[256];
    delim_reader *rd = NULL;
    if (delim_open(path, lim, &rd, err, sizeof err))
        return 0;
    uint64_t size = delim_size(rd);
    uint64_t h = delim_bom_len(rd);
    if (size)
        h += (unsigned char)delim_bytes_at(rd, size - 1)[0];

    /* As run.c: TXT sniffs over four candidates, CSV over three. */
    char d = delim_sniff(rd, ",;\t|");
    char d3 = delim_sniff(rd, ",;\t");
    if (!d)
        d = ',';
    h = h * 31 + read_all(rd, d, DELIM_ALL, size);
    h = h * 31 + read_all(rd, d, 0, size);
    h = h * 31 + read_all(rd, d, 2, size);
    if (d3 && d3 != d)
        h = h * 31 + read_all(rd, d3, DELIM_ALL, size);
    h = h * 31 + read_all(rd, DELIM_LINES, DELIM_ALL, size);
    h = h * 31 + read_all(rd, DELIM_LINES, 0, size);
    delim_close(rd);
    return h;
}

/* The reader's own split of quote-free lines and libcsv's must agree. */
static void run_both(const char *path, delim_limits lim)
{
    uint64_t fast = run_once(path, &lim);
    lim.libcsv_only = 1;
    if (run_once(path, &lim) != fast)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file f;
    fuzz_file_open(&f, data, size);
    delim_limits lim;
    delim_limits_default(&lim);
    run_both(f.path, lim);
    delim_limits small = {.max_field = 64, .max_row = 256, .max_columns = 8};
    run_both(f.path, small);
    fuzz_file_close(&f);
    return 0;
}
