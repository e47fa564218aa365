/* fuzz_delimited.c: the delimited reader as src/jobs/run.c drives it.
 *
 * Sniff the delimiter, read every row with DELIM_ALL and then with a single
 * want_col, then once more as DELIM_LINES; all with the default caps and
 * again with small caps so the limit paths run too. */
#include <stdint.h>
#include <string.h>

#include "formats/delimited.h"
#include "fuzz_file.h"

static volatile unsigned sink;

static void check_cell(const cell *c)
{
    if (c->len)
        sink += fuzz_touch(c->v, c->len);
}

static void read_all(delim_reader *rd, char d, uint32_t want, uint64_t size)
{
    char err[256];
    delim_row row;
    delim_rewind(rd, d);
    for (;;) {
        uc_err e = delim_next(rd, want, &row, err, sizeof err);
        if (e) {
            if (e != UC_ENOTFOUND && !memchr(err, '\0', sizeof err))
                __builtin_trap(); /* a reason must be a terminated string */
            break;
        }
        if (row.start > size || row.len > size - row.start)
            __builtin_trap(); /* the row's bytes must lie inside the file */
        if (want == DELIM_ALL) {
            size_t n;
            const cell *f = delim_fields(rd, &n);
            for (size_t i = 0; i < n; i++)
                check_cell(&f[i]);
        } else {
            check_cell(&row.field);
        }
        if (delim_pos(rd) > size)
            __builtin_trap();
    }
}

static void run_once(const char *path, const delim_limits *lim)
{
    char err[256];
    delim_reader *rd = NULL;
    if (delim_open(path, lim, &rd, err, sizeof err))
        return;
    uint64_t size = delim_size(rd);
    if (size)
        sink += (unsigned char)delim_bytes_at(rd, size - 1)[0];
    (void)delim_bom_len(rd);

    /* As run.c: TXT sniffs over four candidates, CSV over three. */
    char d = delim_sniff(rd, ",;\t|");
    char d3 = delim_sniff(rd, ",;\t");
    if (!d)
        d = ',';
    read_all(rd, d, DELIM_ALL, size);
    read_all(rd, d, 0, size);
    read_all(rd, d, 2, size);
    if (d3 && d3 != d)
        read_all(rd, d3, DELIM_ALL, size);
    read_all(rd, DELIM_LINES, DELIM_ALL, size);
    read_all(rd, DELIM_LINES, 0, size);
    delim_close(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file f;
    fuzz_file_open(&f, data, size);
    run_once(f.path, NULL);
    delim_limits small = {.max_field = 64, .max_row = 256, .max_columns = 8};
    run_once(f.path, &small);
    fuzz_file_close(&f);
    return 0;
}
