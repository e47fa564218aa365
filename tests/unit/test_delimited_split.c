/* test_delimited_split.c: the byte-range side of the row reader. The
 * boundary resolver (delim_boundary, delim_split) puts bounds only after
 * line ends outside quotes, CR LF whole; readers over the ranges read
 * exactly the rows and errors of one reader over the file; a bound that a
 * stray quote put inside a quoted field is reported (delim_clean);
 * readers sharing one mapping (delim_open_shared) read as the owner. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "formats/delimited.h"

typedef struct file {
    char path[64];
    delim_reader *r;
} file;

static void open_data(file *f, const char *data, size_t len)
{
    char err[256] = "";
    snprintf(f->path, sizeof f->path, "/tmp/test_split_XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    f->r = NULL;
    if (delim_open(f->path, NULL, &f->r, err, sizeof err) != UC_OK)
        fail_msg("delim_open: %s", err);
}

static void close_data(file *f)
{
    delim_close(f->r);
    unlink(f->path);
}

/* Rows as one string: start, length, line end, fields, the first cell;
 * then the error that ended the reading, if any. */
typedef struct trace {
    char s[65536];
    size_t n;
    int clean;
} trace;

static void put(trace *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->s + t->n, sizeof t->s - t->n, fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < sizeof t->s - t->n);
    t->n += (size_t)k;
}

/* Read [a, b) (the whole file when b is 0) into t; returns 1 when the
 * reading stopped at an error. */
static int read_range(delim_reader *r, char d, uint64_t a, uint64_t b, trace *t)
{
    char err[256];
    delim_row row;
    if (b)
        delim_rewind_range(r, d, a, b);
    else
        delim_rewind(r, d);
    for (;;) {
        uc_err e = delim_next(r, 0, &row, err, sizeof err);
        if (e == UC_ENOTFOUND)
            break;
        if (e) {
            put(t, "error %d %s\n", e, err);
            return 1;
        }
        put(t, "%llu %u %u %u [%.*s]\n", (unsigned long long)row.start, row.len,
            row.term_len, row.nfields, (int)row.field.len, row.field.v ? row.field.v : "");
    }
    t->clean = delim_clean(r);
    return 0;
}

/* Split the file into n ranges and check the ranges read as the file;
 * with shared set, each range by a reader of its own on the file's
 * mapping (delim_open_shared), as the split's threads read them. */
static void check_split_by(const char *data, char d, size_t n, int expect_clean, int shared)
{
    file f;
    open_data(&f, data, strlen(data));
    static trace whole, parts;
    memset(&whole, 0, sizeof whole);
    memset(&parts, 0, sizeof parts);
    read_range(f.r, d, 0, 0, &whole);
    uint64_t bounds[33];
    assert_true(n <= 32);
    delim_split(f.r, d, delim_bom_len(f.r), n, bounds);
    assert_int_equal(bounds[0], delim_bom_len(f.r));
    assert_int_equal(bounds[n], strlen(data));
    int clean = 1;
    for (size_t k = 0; k < n && clean; k++) {
        assert_true(bounds[k] <= bounds[k + 1]);
        if (bounds[k] > delim_bom_len(f.r) && bounds[k] < strlen(data))
            assert_true(data[bounds[k] - 1] == '\n' || data[bounds[k] - 1] == '\r');
        delim_reader *rd = f.r;
        if (shared)
            assert_int_equal(delim_open_shared(f.r, &rd), UC_OK);
        int stopped = read_range(rd, d, bounds[k], bounds[k + 1], &parts);
        if (shared)
            delim_close(rd); /* leaves the owner's mapping alone */
        if (stopped)
            break;
        clean = parts.clean || k + 1 == n;
    }
    assert_int_equal(clean, expect_clean);
    if (clean)
        assert_string_equal(parts.s, whole.s);
    if (shared) { /* the owner reads on, its mapping whole */
        static trace again;
        memset(&again, 0, sizeof again);
        read_range(f.r, d, 0, 0, &again);
        assert_string_equal(again.s, whole.s);
    }
    close_data(&f);
}

static void check_split(const char *data, char d, size_t n, int expect_clean)
{
    check_split_by(data, d, n, expect_clean, 0);
    check_split_by(data, d, n, expect_clean, 1);
}

static const char QUOTED[] =
    "email,note\r\n"
    "a@x.com,\"one\r\ntwo\"\r\n"
    "b@x.com,\"\"\"quoted\"\" and\nnew\nlines\"\r\n"
    "\r\n\r\n"
    "c@x.com,plain\r\n"
    "   \r\n"
    "d@x.com,\"\n\n\n\"\r\n"
    "e@x.com,\"a,b\"\r\n"
    "f@x.com,last";

static void test_boundary_skips_quoted_line_ends(void **state)
{
    (void)state;
    file f;
    const char *s = "a,\"x\ny\"\nb,c\r\nd\re\n";
    open_data(&f, s, strlen(s));
    /* from 0, even: the line end inside the quotes is passed over */
    assert_int_equal(delim_boundary(f.r, ',', 0, 0), 8);
    /* CR LF is taken whole, a lone CR is a line end */
    assert_int_equal(delim_boundary(f.r, ',', 8, 0), 13);
    assert_int_equal(delim_boundary(f.r, ',', 13, 0), 15);
    /* starting inside the quotes (odd): the bound is after the closing one */
    assert_int_equal(delim_boundary(f.r, ',', 4, 1), 8);
    /* for one address per line, quotes mean nothing */
    assert_int_equal(delim_boundary(f.r, DELIM_LINES, 0, 0), 5);
    /* no line end left: the end of the file */
    assert_int_equal(delim_boundary(f.r, ',', 16, 0), strlen(s));
    assert_int_equal(delim_count_quotes(f.r, 0, strlen(s)), 2);
    close_data(&f);
}

static void test_split_reads_as_one_reader(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 32; n++) {
        check_split(QUOTED, ',', n, 1);
        check_split("\xef\xbb\xbf" "email\nA@x.com\n\n b@y.com \nc@z.com", DELIM_LINES, n, 1);
        check_split("email\tn\n\"a\tb@x.com\"\t\"1\n2\"\nc@x.com\t3\n", '\t', n, 1);
    }
}

static void test_split_errors_are_the_first(void **state)
{
    (void)state;
    /* the reasons (and line numbers) are those of one reader; the first
     * range with an error is the one reported */
    static char big[8192];
    size_t o = (size_t)snprintf(big, sizeof big, "email,n\n");
    for (int i = 0; i < 300; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, i == 150 ? "x@y.com,1,2\n"
                              : i == 200 ? "nul\x01@y.com,1\n" : "u%d@y.com,%d\n", i, i);
    big[strstr(big, "nul") - big + 3] = '\0'; /* a NUL byte at row 200 */
    file f;
    open_data(&f, big, o);
    static trace whole, parts;
    memset(&whole, 0, sizeof whole);
    memset(&parts, 0, sizeof parts);
    read_range(f.r, ',', 0, 0, &whole);
    assert_non_null(strstr(whole.s, "NUL byte on line 202"));
    uint64_t b[9];
    delim_split(f.r, ',', 0, 8, b);
    for (size_t k = 0; k < 8; k++)
        if (read_range(f.r, ',', b[k], b[k + 1], &parts))
            break;
    assert_string_equal(parts.s, whole.s);
    close_data(&f);
}

static void test_stray_quote_is_noticed(void **state)
{
    (void)state;
    /* a"b is a literal quote to the reader, but it makes the parity odd:
     * the next quoted line break looks like a bound */
    const char *s = "email,n\na\"b@x.com,1\nc@x.com,\"x\ny\"\nd@x.com,2\n";
    check_split(s, ',', 2, 0);
    file f;
    open_data(&f, s, strlen(s));
    trace t = {0};
    uint64_t inside = (uint64_t)(strstr(s, "x\ny") - s) + 2; /* after the \n */
    read_range(f.r, ',', 0, inside, &t);
    assert_false(t.clean);
    memset(&t, 0, sizeof t);
    read_range(f.r, ',', 0, (uint64_t)(strstr(s, "c@") - s), &t);
    assert_true(t.clean);
    close_data(&f);
}

static void test_shared_reader_borrows_the_mapping(void **state)
{
    (void)state;
    file f;
    open_data(&f, QUOTED, strlen(QUOTED));
    delim_reader *a = NULL, *b = NULL;
    assert_int_equal(delim_open_shared(f.r, &a), UC_OK);
    assert_int_equal(delim_open_shared(f.r, &b), UC_OK);
    /* the same bytes at the same place: one mapping, no copy */
    assert_ptr_equal(delim_bytes_at(a, 5), delim_bytes_at(f.r, 5));
    assert_ptr_equal(delim_data(b), delim_data(f.r));
    assert_int_equal(delim_size(a), strlen(QUOTED));
    assert_int_equal(delim_bom_len(a), delim_bom_len(f.r));
    /* only the owner may map more of a growing file */
    assert_int_equal(delim_extend(a), UC_EINVAL);
    assert_int_equal(delim_extend(f.r), UC_OK);
    delim_close(a);
    delim_close(b);
    assert_memory_equal(delim_bytes_at(f.r, 0), QUOTED, strlen(QUOTED));
    close_data(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary_skips_quoted_line_ends),
        cmocka_unit_test(test_split_reads_as_one_reader),
        cmocka_unit_test(test_split_errors_are_the_first),
        cmocka_unit_test(test_stray_quote_is_noticed),
        cmocka_unit_test(test_shared_reader_borrows_the_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
