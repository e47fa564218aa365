/* fuzz_split.c: byte ranges against one reader (see delimited.h).
 *
 * The file is read whole by one reader, then as ranges: once at the bounds
 * delim_split picks, once at bounds taken from the input at arbitrary line
 * ends. Whenever every range before the last one read ended clean
 * (delim_clean), the ranges' rows and first error must be exactly the
 * whole reading's: that is what src/jobs/pass_split.c relies on to fall
 * back only when a range says it ended inside a row. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/delimited.h"
#include "fuzz_file.h"

typedef struct seen {
    uint64_t start;
    uint32_t len, nfields, flen;
    uint8_t term;
    uint32_t fsum;       /* the captured cell's bytes, summed */
} seen;

typedef struct trace {
    seen *rows;
    size_t n, cap;
    uc_err e;
    char err[256];
} trace;

static void add(trace *t, const delim_row *row)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->rows = realloc(t->rows, t->cap * sizeof *t->rows);
        if (!t->rows)
            abort();
    }
    seen *s = &t->rows[t->n++];
    memset(s, 0, sizeof *s); /* padding too: rows are compared whole */
    s->start = row->start;
    s->len = row->len;
    s->nfields = row->nfields;
    s->flen = (uint32_t)row->field.len;
    s->term = row->term_len;
    s->fsum = fuzz_touch(row->field.v, row->field.len);
}

/* Read [a, b) (b == 0: the whole file) into t. Returns 0 when the
 * reading stopped at an error, else delim_clean. */
static int read_into(delim_reader *r, char d, uint32_t want, uint64_t a, uint64_t b, trace *t)
{
    delim_row row;
    if (b)
        delim_rewind_range(r, d, a, b);
    else
        delim_rewind(r, d);
    for (;;) {
        uc_err e = delim_next(r, want, &row, t->err, sizeof t->err);
        if (e == UC_ENOTFOUND)
            return delim_clean(r);
        if (e) {
            t->e = e;
            return 0;
        }
        add(t, &row);
    }
}

static void same(const trace *a, const trace *b)
{
    if (a->n != b->n || a->e != b->e || (a->n && memcmp(a->rows, b->rows, a->n * sizeof *a->rows)))
        __builtin_trap();
    if (a->e && a->e != UC_ENOMEM && strcmp(a->err, b->err))
        __builtin_trap();
}

/* Read the ranges in order; compare with whole when they all ended clean. */
static void check(delim_reader *r, char d, uint32_t want, const uint64_t *bounds, size_t n,
                  const trace *whole, uint64_t size)
{
    trace t = {0};
    for (size_t k = 0; k < n; k++) {
        if (bounds[k] > bounds[k + 1] || bounds[k + 1] > size)
            __builtin_trap();
        int clean = read_into(r, d, want, bounds[k], bounds[k + 1], &t);
        if (t.e)
            break;
        if (!clean && k + 1 < n) {
            free(t.rows);
            return; /* the caller would read the file again as one */
        }
    }
    same(&t, whole);
    free(t.rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* first byte: ranges and column; the rest is the file */
    size_t n = (size_t)(data[0] & 7) + 1;
    uint32_t want = (data[0] >> 3) & 1;
    fuzz_file f;
    fuzz_file_open(&f, data + 1, size - 1);
    char err[256];
    delim_reader *r = NULL;
    delim_limits lim;
    delim_limits_default(&lim);
    if (data[0] & 0x80) { /* small caps: the limit errors at the bounds too */
        lim.max_field = 64;
        lim.max_row = 256;
        lim.max_columns = 8;
    }
    if (delim_open(f.path, &lim, &r, err, sizeof err)) {
        fuzz_file_close(&f);
        return 0;
    }
    uint64_t fsize = delim_size(r);
    char d = delim_sniff(r, ",;\t");
    const char modes[2] = {d ? d : ',', DELIM_LINES};
    for (int m = 0; m < 2; m++) {
        char dm = modes[m];
        trace whole = {0};
        read_into(r, dm, want, 0, 0, &whole);
        uint64_t bounds[9];
        delim_split(r, dm, delim_bom_len(r), n, bounds);
        check(r, dm, want, bounds, n, &whole, fsize);
        /* bounds at line ends the input picks, ignoring quotes */
        const uint8_t *s = data + 1;
        bounds[0] = delim_bom_len(r);
        size_t k = 1;
        for (uint64_t i = bounds[0]; i < fsize && k < n; i++)
            if ((s[i] == '\n' || (s[i] == '\r' && (i + 1 == fsize || s[i + 1] != '\n'))) &&
                ((s[i] ^ i) & 3) == 0)
                bounds[k++] = i + 1;
        bounds[k] = fsize;
        check(r, dm, want, bounds, k, &whole, fsize);
        free(whole.rows);
    }
    delim_close(r);
    fuzz_file_close(&f);
    return 0;
}
