/* fuzz_split.c: byte ranges against one reader (see delimited.h).
 *
 * The file is read whole by one reader, then as ranges: once at the bounds
 * delim_split picks, once at bounds taken from the input at arbitrary line
 * ends. Whenever every range before the last one read ended clean
 * (delim_clean), the ranges' rows and first error must be exactly the
 * whole reading's: that is what src/jobs/pass_split.c relies on to fall
 * back only when a range says it ended inside a row.
 *
 * Then as the pre-pass reads an upload that is still arriving
 * (src/jobs/prepass.c): one reader of a file that grows (delim_extend),
 * each step read from where the last one stopped to delim_next_bound
 * (to the end of the file once the upload is complete, for half the
 * inputs), and the rest cut by delim_split_after from the last clean
 * step on. */
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

/* The pre-pass's steps over [*a, the mapped end), into t; with complete
 * (the upload is whole) the last step ends at the end of the file.
 * Returns 0 when a step ended unclean (the pre-pass gives up). */
static int steps(delim_reader *pr, char d, uint32_t want, uint64_t *a, uint64_t step,
                 int complete, trace *t)
{
    uint64_t m = delim_size(pr), b;
    while (!t->e && *a < m) {
        b = delim_next_bound(pr, d, *a, step, step / 2 + 1);
        if (b && (b <= *a || b >= m))
            __builtin_trap();
        if (!b && !complete)
            break;
        if (!b)
            b = m;
        int clean = read_into(pr, d, want, *a, b, t);
        if (t->e)
            break;
        if (!clean)
            return 0;
        *a = b;
    }
    return 1;
}

/* The pre-pass: one reader of a file that grows by grow bytes at a time
 * (delim_extend), steps of step bytes over it; when complete, on to the
 * end of the whole file; then the rest in n ranges. */
static void check_tail(delim_reader *whole_r, const delim_limits *lim, char d, uint32_t want,
                       const uint8_t *s, uint64_t fsize, uint64_t step, uint64_t grow, size_t n,
                       int complete, const trace *whole)
{
    trace t = {0};
    uint64_t a = delim_bom_len(whole_r); /* a file headerless from the start */
    fuzz_file pf;
    fuzz_file_open(&pf, s, (size_t)(grow < fsize ? grow : fsize));
    char err[256];
    delim_reader *pr = NULL;
    if (delim_open(pf.path, lim, &pr, err, sizeof err))
        __builtin_trap(); /* the whole file opened */
    int clean = 1;
    for (uint64_t m = grow; clean && !t.e;) {
        clean = steps(pr, d, want, &a, step, complete && m >= fsize, &t);
        if (m >= fsize)
            break;
        uint64_t more = fsize - m < grow ? fsize - m : grow;
        if (write(pf.fd, s + m, (size_t)more) != (ssize_t)more || delim_extend(pr) != UC_OK ||
            delim_size(pr) != m + more)
            __builtin_trap();
        m += more;
    }
    delim_close(pr);
    fuzz_file_close(&pf);
    if (!clean) { /* the pre-pass gives up: nothing to compare */
        free(t.rows);
        return;
    }
    if (!t.e) {
        uint64_t bounds[10];
        delim_split_after(whole_r, d, a, 0, n, NULL, bounds);
        for (size_t k = 0; k < n && !t.e; k++) {
            if (bounds[k] > bounds[k + 1] || bounds[k + 1] > fsize)
                __builtin_trap();
            int ok = read_into(whole_r, d, want, bounds[k], bounds[k + 1], &t);
            if (!t.e && !ok && k + 1 < n) {
                free(t.rows);
                return; /* the split would read the file again as one */
            }
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
        /* the pre-pass, steps and growth from the input's first byte */
        uint64_t step = 1 + (data[0] & 0x3f), grow = 1 + fsize / (1 + (data[0] & 7));
        check_tail(r, &lim, dm, want, s, fsize, step, grow, n, data[0] & 0x40, &whole);
        free(whole.rows);
    }
    delim_close(r);
    fuzz_file_close(&f);
    return 0;
}
