/* test_delimited.c: the CSV/TSV/TXT row reader reports each row's exact
 * byte span, the captured field(s), and fails with a clear reason on input
 * that is not UTF-8 text or breaks a cap. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "formats/delimited.h"

/* A temp file holding data[0, len); returns its malloc'd path. */
static char *tmpfile_with(const char *data, size_t len)
{
    char *path = strdup("/tmp/test_delimited_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        assert_true(w > 0);
        off += (size_t)w;
    }
    close(fd);
    return path;
}

typedef struct fixture {
    char *path;
    delim_reader *r;
} fixture;

/* Open data (len bytes) with lim (NULL = defaults), splitting on delim. */
static fixture open_n(const char *data, size_t len, const delim_limits *lim, char delim)
{
    fixture f;
    char err[256] = "";
    f.path = tmpfile_with(data, len);
    f.r = NULL;
    uc_err e = delim_open(f.path, lim, &f.r, err, sizeof err);
    if (e != UC_OK)
        fail_msg("delim_open: %d %s", e, err);
    delim_rewind(f.r, delim);
    return f;
}

static fixture open_s(const char *data, char delim)
{
    return open_n(data, strlen(data), NULL, delim);
}

static void fix_close(fixture *f)
{
    delim_close(f->r);
    unlink(f->path);
    free(f->path);
}

/* Open must fail: returns the error and copies the reason. */
static uc_err open_fails(const char *data, size_t len, char *err, size_t errcap)
{
    char *path = tmpfile_with(data, len);
    delim_reader *r = NULL;
    err[0] = '\0';
    uc_err e = delim_open(path, NULL, &r, err, errcap);
    assert_null(r);
    unlink(path);
    free(path);
    return e;
}

static void next_ok(fixture *f, uint32_t want, delim_row *row)
{
    char err[256] = "";
    uc_err e = delim_next(f->r, want, row, err, sizeof err);
    if (e != UC_OK)
        fail_msg("delim_next: %d %s", e, err);
}

static void at_end(fixture *f)
{
    char err[256] = "";
    delim_row row;
    assert_int_equal(delim_next(f->r, 0, &row, err, sizeof err), UC_ENOTFOUND);
    /* and stays there */
    assert_int_equal(delim_next(f->r, 0, &row, err, sizeof err), UC_ENOTFOUND);
}

/* Read every row and expect the first error to be want_err with a reason
 * containing want_reason; returns the number of good rows before it. */
static int read_until_error(fixture *f, uint32_t want, uc_err want_err,
                            const char *want_reason)
{
    char err[256] = "";
    delim_row row;
    int n = 0;
    uc_err e;
    while ((e = delim_next(f->r, want, &row, err, sizeof err)) == UC_OK)
        n++;
    if (e != want_err)
        fail_msg("got error %d (%s), want %d", e, err, want_err);
    if (!strstr(err, want_reason))
        fail_msg("reason \"%s\" lacks \"%s\"", err, want_reason);
    return n;
}

/* The row's span, and the line it starts on (delim_line_at). */
static void expect_row(const fixture *f, const delim_row *row, uint64_t start, uint32_t len,
                       uint8_t term, uint64_t line)
{
    uint64_t got_line = delim_line_at(f->r, row->start);
    if (row->start != start || row->len != len || row->term_len != term || got_line != line)
        fail_msg("row start %llu len %u term %u line %llu; want %llu %u %u %llu",
                 (unsigned long long)row->start, row->len, row->term_len,
                 (unsigned long long)got_line, (unsigned long long)start, len, term,
                 (unsigned long long)line);
}

static void expect_field(const cell *c, const char *want)
{
    if (!want) {
        assert_int_equal(c->type, CELL_EMPTY);
        assert_int_equal(c->len, 0);
        return;
    }
    size_t n = strlen(want);
    if (c->len != n || (n && memcmp(c->v, want, n) != 0))
        fail_msg("field \"%.*s\" (len %zu), want \"%s\"", (int)c->len, c->v ? c->v : "",
                 c->len, want);
    assert_int_equal(c->type, n ? CELL_STRING : CELL_EMPTY);
}

/* ---- line endings ---- */

static void test_lf(void **state)
{
    (void)state;
    fixture f = open_s("email\na@x.io\nb@y.io\n", ',');
    delim_row row;
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 0, 5, 1, 1);
    expect_field(&row.field, "email");
    assert_int_equal(row.nfields, 1);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 6, 6, 1, 2);
    expect_field(&row.field, "a@x.io");
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 13, 6, 1, 3);
    expect_field(&row.field, "b@y.io");
    at_end(&f);
    assert_int_equal(delim_pos(f.r), 20);
    fix_close(&f);
}

static void test_crlf(void **state)
{
    (void)state;
    fixture f = open_s("email,n\r\na@x.io,1\r\nb@y.io,2\r\n", ',');
    delim_row row;
    next_ok(&f, 1, &row);
    expect_row(&f, &row, 0, 7, 2, 1);
    expect_field(&row.field, "n");
    next_ok(&f, 1, &row);
    expect_row(&f, &row, 9, 8, 2, 2);
    expect_field(&row.field, "1");
    assert_int_equal(row.nfields, 2);
    next_ok(&f, 1, &row);
    expect_row(&f, &row, 19, 8, 2, 3);
    expect_field(&row.field, "2");
    at_end(&f);
    fix_close(&f);
}

static void test_cr_only(void **state)
{
    (void)state;
    fixture f = open_s("email\ra@x.io\rb@y.io\r", ',');
    delim_row row;
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 0, 5, 1, 1);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 6, 6, 1, 2);
    expect_field(&row.field, "a@x.io");
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 13, 6, 1, 3);
    expect_field(&row.field, "b@y.io");
    at_end(&f);
    fix_close(&f);
}

static void test_last_line_without_newline(void **state)
{
    (void)state;
    fixture f = open_s("email\r\na@x.io", ',');
    delim_row row;
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 0, 5, 2, 1);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 7, 6, 0, 2);
    expect_field(&row.field, "a@x.io");
    at_end(&f);
    fix_close(&f);

    /* a file of one byte, and a quoted last field */
    f = open_s("x", ',');
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 0, 1, 0, 1);
    expect_field(&row.field, "x");
    at_end(&f);
    fix_close(&f);

    f = open_s("a\n\"b,c\"", ',');
    next_ok(&f, 0, &row);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 2, 5, 0, 2);
    expect_field(&row.field, "b,c");
    at_end(&f);
    fix_close(&f);
}

static void test_mixed_endings(void **state)
{
    (void)state;
    fixture f = open_s("a\r\nb\rc\nd", ',');
    delim_row row;
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 0, 1, 2, 1);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 3, 1, 1, 2);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 5, 1, 1, 3);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 7, 1, 0, 4);
    expect_field(&row.field, "d");
    at_end(&f);
    fix_close(&f);
}

/* ---- quoting ---- */

static void test_quoted_fields(void **state)
{
    (void)state;
    const char *data = "name,email\n"
                       "\"Doe, Jane\",\"j@x.io\"\n"
                       "\"say \"\"hi\"\"\",b@y.io\n";
    fixture f = open_s(data, ',');
    delim_row row;
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 0, 10, 1, 1);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 11, 20, 1, 2);
    expect_field(&row.field, "Doe, Jane");
    assert_int_equal(row.nfields, 2);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 32, 19, 1, 3);
    expect_field(&row.field, "say \"hi\"");
    at_end(&f);

    delim_rewind(f.r, ',');
    next_ok(&f, 1, &row);
    expect_field(&row.field, "email");
    next_ok(&f, 1, &row);
    expect_field(&row.field, "j@x.io");
    next_ok(&f, 1, &row);
    expect_field(&row.field, "b@y.io");
    fix_close(&f);
}

static void test_quoted_newlines(void **state)
{
    (void)state;
    /* row 2 spans three physical lines (LF, then CRLF inside quotes) */
    const char *data = "h,e\r\n"
                       "\"line1\nline2\r\nline3\",a@x.io\r\n"
                       "\"cr\ronly\",b@y.io\n"
                       "last,c@z.io\n";
    fixture f = open_s(data, ',');
    delim_row row;
    next_ok(&f, DELIM_ALL, &row);
    expect_row(&f, &row, 0, 3, 2, 1);
    next_ok(&f, DELIM_ALL, &row);
    expect_row(&f, &row, 5, 27, 2, 2);
    assert_int_equal(row.nfields, 2);
    size_t n;
    const cell *c = delim_fields(f.r, &n);
    assert_int_equal(n, 2);
    expect_field(&c[0], "line1\nline2\r\nline3");
    expect_field(&c[1], "a@x.io");
    next_ok(&f, 1, &row);
    expect_row(&f, &row, 34, 16, 1, 5);
    expect_field(&row.field, "b@y.io");
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 51, 11, 1, 7);
    expect_field(&row.field, "last");
    at_end(&f);
    fix_close(&f);
}

/* ---- skipped lines ---- */

static void test_blank_lines_skipped(void **state)
{
    (void)state;
    const char *data = "\n\r\n"          /* lines 1-2 blank */
                       "email\n"         /* line 3 at 3 */
                       "   \n"           /* line 4 spaces */
                       "\t \t\r\n"       /* line 5 tabs and spaces */
                       "\r"              /* line 6 CR only */
                       "a@x.io\n"        /* line 7 at 19 */
                       "\n\n"            /* 8, 9 */
                       "  b@y.io  \n"    /* line 10 at 28 */
                       "\n  \n";         /* trailing blanks */
    fixture f = open_s(data, ',');
    delim_row row;
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 3, 5, 1, 3);
    expect_field(&row.field, "email");
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 19, 6, 1, 7);
    expect_field(&row.field, "a@x.io");
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 28, 10, 1, 10);
    expect_field(&row.field, "b@y.io"); /* unquoted spaces trimmed */
    at_end(&f);
    fix_close(&f);
}

static void test_only_blank_lines(void **state)
{
    (void)state;
    fixture f = open_s("\n\r\n   \n", ',');
    at_end(&f);
    fix_close(&f);
    f = open_s("\n\r\n   \n", DELIM_LINES);
    at_end(&f);
    fix_close(&f);
}

/* ---- BOM ---- */

static void test_utf8_bom(void **state)
{
    (void)state;
    fixture f = open_s("\xEF\xBB\xBF" "email\na@x.io\n", ',');
    assert_int_equal(delim_bom_len(f.r), 3);
    delim_row row;
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 3, 5, 1, 1);
    expect_field(&row.field, "email");
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 9, 6, 1, 2);
    at_end(&f);
    assert_int_equal(delim_size(f.r), 16);
    assert_memory_equal(delim_bytes_at(f.r, 0), "\xEF\xBB\xBF" "email", 8);
    assert_memory_equal(delim_bytes_at(f.r, 9), "a@x.io\n", 7);
    fix_close(&f);

    f = open_s("email\n", ',');
    assert_int_equal(delim_bom_len(f.r), 0);
    fix_close(&f);

    /* a BOM and nothing else: no rows */
    f = open_s("\xEF\xBB\xBF", ',');
    assert_int_equal(delim_bom_len(f.r), 3);
    at_end(&f);
    fix_close(&f);
}

/* ---- fields ---- */

static void test_want_col(void **state)
{
    (void)state;
    const char *data = "a,b,c\n1,,3\n";
    fixture f = open_s(data, ',');
    delim_row row;
    next_ok(&f, 2, &row);
    expect_field(&row.field, "c");
    next_ok(&f, 1, &row);
    expect_field(&row.field, NULL); /* empty field */
    assert_int_equal(row.nfields, 3);
    at_end(&f);
    delim_rewind(f.r, ',');
    next_ok(&f, 7, &row); /* past the row: empty */
    expect_field(&row.field, NULL);
    assert_int_equal(row.nfields, 3);
    fix_close(&f);
}

static void test_all_fields(void **state)
{
    (void)state;
    const char *data = "x,\"y,z\",,\"q\"\"\"\none\n";
    fixture f = open_s(data, ',');
    delim_row row;
    next_ok(&f, DELIM_ALL, &row);
    assert_int_equal(row.nfields, 4);
    expect_field(&row.field, NULL);
    size_t n;
    const cell *c = delim_fields(f.r, &n);
    assert_int_equal(n, 4);
    expect_field(&c[0], "x");
    expect_field(&c[1], "y,z");
    expect_field(&c[2], NULL);
    expect_field(&c[3], "q\"");
    next_ok(&f, DELIM_ALL, &row);
    c = delim_fields(f.r, &n);
    assert_int_equal(n, 1);
    expect_field(&c[0], "one");
    at_end(&f);
    fix_close(&f);

    /* many fields: the capture buffer grows and every pointer stays right */
    char big[8192];
    size_t off = 0;
    for (int i = 0; i < 1000; i++)
        off += (size_t)snprintf(big + off, sizeof big - off, "%s%d", i ? "," : "", i);
    big[off++] = '\n';
    f = open_n(big, off, NULL, ',');
    next_ok(&f, DELIM_ALL, &row);
    assert_int_equal(row.nfields, 1000);
    c = delim_fields(f.r, &n);
    assert_int_equal(n, 1000);
    for (int i = 0; i < 1000; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        expect_field(&c[i], want);
    }
    fix_close(&f);
}

static void test_ragged_rows(void **state)
{
    (void)state;
    fixture f = open_s("a,b,c\n1\n1,2\n1,2,3,4,5\n,\n", ',');
    static const uint32_t want[] = { 3, 1, 2, 5, 2 };
    delim_row row;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        next_ok(&f, 1, &row);
        assert_int_equal(row.nfields, want[i]);
    }
    at_end(&f);
    fix_close(&f);
}

static void test_other_delimiters(void **state)
{
    (void)state;
    fixture f = open_s("n\temail\n1\ta@x.io\n2\t\"b@y.io\"\n", '\t');
    delim_row row;
    next_ok(&f, 1, &row);
    expect_field(&row.field, "email");
    next_ok(&f, 1, &row);
    expect_field(&row.field, "a@x.io");
    next_ok(&f, 1, &row);
    expect_field(&row.field, "b@y.io");
    at_end(&f);
    fix_close(&f);

    f = open_s("n;email\n1;a@x.io,b\n", ';');
    next_ok(&f, 1, &row);
    next_ok(&f, 1, &row);
    expect_field(&row.field, "a@x.io,b");
    assert_int_equal(row.nfields, 2);
    fix_close(&f);

    f = open_s("n|email\n1|a@x.io\n", '|');
    next_ok(&f, 1, &row);
    next_ok(&f, 1, &row);
    expect_field(&row.field, "a@x.io");
    fix_close(&f);
}

/* ---- sniffing ---- */

static char sniff(const char *data)
{
    fixture f = open_s(data, ',');
    char d = delim_sniff(f.r, ",;\t|");
    fix_close(&f);
    return d;
}

static void test_sniff(void **state)
{
    (void)state;
    assert_int_equal(sniff("a,b,c\n"), ',');
    assert_int_equal(sniff("a;b;c\n"), ';');
    assert_int_equal(sniff("a\tb\tc\n"), '\t');
    assert_int_equal(sniff("a|b|c\n"), '|');
    assert_int_equal(sniff("email\n"), 0);
    /* the most frequent wins */
    assert_int_equal(sniff("a;b;c,d\n"), ';');
    /* delimiters inside quotes do not count */
    assert_int_equal(sniff("\"a,b,c,d\";e;f\n"), ';');
    assert_int_equal(sniff("\"x;y;z\"\tq\n"), '\t');
    /* only the first line counts, even past a quoted newline */
    assert_int_equal(sniff("\"a\nb,c,d,e\";f\ng,h,i,j,k\n"), ';');
    assert_int_equal(sniff("a;b\nc,d,e,f\n"), ';');
    assert_int_equal(sniff("a;b\r\nc,d,e,f\n"), ';');
    /* the BOM is not part of the first line's content */
    assert_int_equal(sniff("\xEF\xBB\xBF" "a|b\n"), '|');
}

/* ---- DELIM_LINES ---- */

static void test_lines_mode(void **state)
{
    (void)state;
    const char *data = "  a@x.io\t\r\n"   /* 0: len 9, term 2 */
                       "\n"
                       " \t \n"
                       "b, \"c\"\n"        /* 16: commas and quotes kept */
                       "\t last ";         /* 23: no newline */
    fixture f = open_s(data, DELIM_LINES);
    delim_row row;
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 0, 9, 2, 1);
    expect_field(&row.field, "a@x.io");
    assert_int_equal(row.nfields, 1);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 16, 6, 1, 4);
    expect_field(&row.field, "b, \"c\"");
    next_ok(&f, DELIM_ALL, &row);
    expect_row(&f, &row, 23, 7, 0, 5);
    size_t n;
    const cell *c = delim_fields(f.r, &n);
    assert_int_equal(n, 1);
    expect_field(&c[0], "last");
    at_end(&f);
    fix_close(&f);

    /* CR-only endings */
    f = open_s("a\rb\r", DELIM_LINES);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 0, 1, 1, 1);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 2, 1, 1, 2);
    expect_field(&row.field, "b");
    at_end(&f);
    fix_close(&f);
}

/* ---- rewind ---- */

static void test_rewind(void **state)
{
    (void)state;
    const char *data = "\xEF\xBB\xBF" "h,e\r\n\n\"q\nq\",a@x.io\r\n  \nz,b@y.io";
    fixture f = open_s(data, ',');
    delim_row first[8], again[8];
    char fa[8][32], fb[8][32];
    int n1 = 0, n2 = 0;
    char err[256];
    while (delim_next(f.r, 1, &first[n1], err, sizeof err) == UC_OK) {
        snprintf(fa[n1], sizeof fa[n1], "%.*s", (int)first[n1].field.len,
                 first[n1].field.v ? first[n1].field.v : "");
        n1++;
    }
    assert_int_equal(n1, 3);
    /* rewind in the middle of a row read, and with a different delimiter
     * in between */
    delim_rewind(f.r, DELIM_LINES);
    next_ok(&f, 0, &again[0]);
    delim_rewind(f.r, ',');
    while (delim_next(f.r, 1, &again[n2], err, sizeof err) == UC_OK) {
        snprintf(fb[n2], sizeof fb[n2], "%.*s", (int)again[n2].field.len,
                 again[n2].field.v ? again[n2].field.v : "");
        n2++;
    }
    assert_int_equal(n2, n1);
    for (int i = 0; i < n1; i++) {
        expect_row(&f, &again[i], first[i].start, first[i].len, first[i].term_len,
                   delim_line_at(f.r, first[i].start));
        assert_int_equal(again[i].nfields, first[i].nfields);
        assert_string_equal(fb[i], fa[i]);
    }
    expect_row(&f, &first[0], 3, 3, 2, 1);
    expect_row(&f, &first[1], 9, 12, 2, 3);
    expect_row(&f, &first[2], 26, 8, 0, 6);
    assert_string_equal(fa[2], "b@y.io");
    fix_close(&f);
}

/* A rewind after a parse stopped mid-quote (libcsv state not finished). */
static void test_rewind_mid_quote(void **state)
{
    (void)state;
    const char *data = "a,\"b\nc\nd\"\ne\n";
    delim_limits lim;
    delim_limits_default(&lim);
    fixture f = open_n(data, strlen(data), &lim, ',');
    delim_row row;
    next_ok(&f, 0, &row);
    expect_field(&row.field, "a");
    expect_row(&f, &row, 0, 9, 1, 1);
    delim_rewind(f.r, ',');
    next_ok(&f, 1, &row);
    expect_field(&row.field, "b\nc\nd");
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 10, 1, 1, 4);
    at_end(&f);
    fix_close(&f);
}

/* ---- open errors ---- */

static void test_open_errors(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(open_fails("", 0, err, sizeof err), UC_EFORMAT);
    assert_string_equal(err, "The file is empty");

    assert_int_equal(open_fails("\xFF\xFE" "e\0m\0", 6, err, sizeof err), UC_EFORMAT);
    assert_string_equal(err, "The file is UTF-16 encoded; save it as UTF-8");
    assert_int_equal(open_fails("\xFE\xFF" "\0e\0m", 6, err, sizeof err), UC_EFORMAT);
    assert_string_equal(err, "The file is UTF-16 encoded; save it as UTF-8");
    assert_int_equal(open_fails("\xFF\xFE", 2, err, sizeof err), UC_EFORMAT);
    assert_string_equal(err, "The file is UTF-16 encoded; save it as UTF-8");

    assert_int_equal(open_fails("\xFF\xFE\0\0" "e\0\0\0", 8, err, sizeof err), UC_EFORMAT);
    assert_string_equal(err, "The file is UTF-32 encoded; save it as UTF-8");
    assert_int_equal(open_fails("\0\0\xFE\xFF" "\0\0\0e", 8, err, sizeof err), UC_EFORMAT);
    assert_string_equal(err, "The file is UTF-32 encoded; save it as UTF-8");

    delim_reader *r = NULL;
    err[0] = '\0';
    assert_int_equal(delim_open("/nonexistent/x.csv", NULL, &r, err, sizeof err), UC_EIO);
    assert_null(r);
    assert_string_equal(err, "Cannot read the uploaded file");
    delim_close(NULL);
}

/* ---- content errors ---- */

static void test_nul_byte(void **state)
{
    (void)state;
    static const char data[] = "email\na@x.io\n\nb@y\0.io\nc@z.io\n";
    fixture f = open_n(data, sizeof data - 1, NULL, ',');
    assert_int_equal(read_until_error(&f, 0, UC_EFORMAT,
                                      "The file is not text: NUL byte on line 4"), 2);
    fix_close(&f);

    /* inside a quoted multi-line field: the line of the NUL itself */
    static const char q[] = "h\n\"a\nb\nc\0\"\n";
    f = open_n(q, sizeof q - 1, NULL, ',');
    assert_int_equal(read_until_error(&f, 0, UC_EFORMAT,
                                      "The file is not text: NUL byte on line 4"), 1);
    fix_close(&f);

    /* lines mode too; past the 8-byte fast path */
    static const char l[] = "0123456789abcdef\nxxxxxxxxxxxxxxxx\0\n";
    f = open_n(l, sizeof l - 1, NULL, DELIM_LINES);
    assert_int_equal(read_until_error(&f, 0, UC_EFORMAT,
                                      "The file is not text: NUL byte on line 2"), 1);
    fix_close(&f);
}

static void bad_utf8(const char *data, size_t len, char delim, int good_rows,
                     const char *reason)
{
    fixture f = open_n(data, len, NULL, delim);
    assert_int_equal(read_until_error(&f, 0, UC_EFORMAT, reason), good_rows);
    fix_close(&f);
}

#define BAD(lit, delim, good, reason) bad_utf8(lit, sizeof lit - 1, delim, good, reason)

static void test_invalid_utf8(void **state)
{
    (void)state;
    const char *l2 = "The file is not valid UTF-8 text (line 2); save it as UTF-8";
    /* overlong encodings: 2-, 3- and 4-byte forms */
    BAD("ok\n\xC0\xAF@x.io\n", ',', 1, l2);
    BAD("ok\n\xC1\xBF\n", ',', 1, l2);
    BAD("ok\n\xE0\x80\xAF\n", ',', 1, l2);
    BAD("ok\n\xF0\x80\x80\xAF\n", ',', 1, l2);
    /* surrogates U+D800 and U+DFFF */
    BAD("ok\nx\xED\xA0\x80y\n", ',', 1, l2);
    BAD("ok\nx\xED\xBF\xBFy\n", DELIM_LINES, 1, l2);
    /* above U+10FFFF, and bytes that never occur */
    BAD("ok\n\xF4\x90\x80\x80\n", ',', 1, l2);
    BAD("ok\n\xF5\x80\x80\x80\n", ',', 1, l2);
    BAD("ok\n\xFF\n", ',', 1, l2);
    /* a lone continuation byte, a lead byte without its continuation */
    BAD("ok\n\x80\n", ',', 1, l2);
    BAD("ok\n\xC3(\n", ',', 1, l2);
    /* truncated sequences at the very end of the file */
    BAD("ok\nab\xC3", ',', 1, l2);
    BAD("ok\nab\xE2\x82", ',', 1, l2);
    BAD("ok\nab\xF0\x9F\x98", DELIM_LINES, 1, l2);
    /* truncated just before the line end */
    BAD("ok\nab\xE2\x82\n", ',', 1, l2);

    /* valid multi-byte text at every length, and at the end of file */
    const char *good = "\xC3\xA9" "a,\xE2\x82\xAC,\xF0\x9F\x98\x80\n\xF4\x8F\xBF\xBF\xEF\xBF\xBD";
    fixture f = open_s(good, ',');
    delim_row row;
    next_ok(&f, 2, &row);
    expect_field(&row.field, "\xF0\x9F\x98\x80");
    next_ok(&f, 0, &row);
    expect_field(&row.field, "\xF4\x8F\xBF\xBF\xEF\xBF\xBD");
    expect_row(&f, &row, 13, 7, 0, 2);
    at_end(&f);
    fix_close(&f);
}

/* ---- caps ---- */

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_field_limit(void **state)
{
    (void)state;
    delim_limits lim;
    delim_limits_default(&lim);
    assert_int_equal(lim.max_field, 4u << 20);
    assert_int_equal(lim.max_row, 16u << 20);
    assert_int_equal(lim.max_columns, 16384);

    lim.max_field = 1000;
    char *x = repeat('x', 1000);
    char *y = repeat('y', 1001);
    char *z = repeat('z', 5000);
    char buf[16384];
    /* exactly max_field is fine */
    int n = snprintf(buf, sizeof buf, "a,%s\n", x);
    fixture f = open_n(buf, (size_t)n, &lim, ',');
    delim_row row;
    next_ok(&f, 1, &row);
    assert_int_equal(row.field.len, 1000);
    at_end(&f);
    fix_close(&f);
    /* one byte more is not */
    n = snprintf(buf, sizeof buf, "ok\na,%s\n", y);
    f = open_n(buf, (size_t)n, &lim, ',');
    assert_int_equal(read_until_error(&f, 1, UC_ELIMIT, "A field at line 2 is longer than"), 1);
    fix_close(&f);
    /* far more, quoted */
    n = snprintf(buf, sizeof buf, "ok\n\n\"%s\"\n", z);
    f = open_n(buf, (size_t)n, &lim, ',');
    assert_int_equal(read_until_error(&f, 0, UC_ELIMIT, "A field at line 3 is longer than"), 1);
    fix_close(&f);
    /* also when the field is not the captured one */
    n = snprintf(buf, sizeof buf, "%s,a\n", z);
    f = open_n(buf, (size_t)n, &lim, ',');
    assert_int_equal(read_until_error(&f, 1, UC_ELIMIT, "A field at line 1 is longer than"), 0);
    fix_close(&f);
    /* DELIM_LINES: the trimmed line is the field */
    n = snprintf(buf, sizeof buf, "  %s  \n%s\n", x, y);
    f = open_n(buf, (size_t)n, &lim, DELIM_LINES);
    next_ok(&f, 0, &row);
    assert_int_equal(row.field.len, 1000);
    assert_int_equal(read_until_error(&f, 0, UC_ELIMIT, "A field at line 2 is longer than"), 0);
    fix_close(&f);
    free(x);
    free(y);
    free(z);
}

static void test_default_field_limit(void **state)
{
    (void)state;
    size_t big = (4u << 20) + 4096;
    char *data = repeat('a', big + 1);
    data[big] = '\n';
    fixture f = open_n(data, big + 1, NULL, ',');
    assert_int_equal(read_until_error(&f, 0, UC_ELIMIT,
                                      "A field at line 1 is longer than 4 MB"), 0);
    fix_close(&f);
    free(data);
}

/* The default cap is exact whatever block libcsv grows its buffer by: a
 * field of 4 MiB is read, one byte more is refused. */
static void test_default_field_limit_exact(void **state)
{
    (void)state;
    size_t cap = 4u << 20;
    for (size_t len = cap; len <= cap + 1; len++) {
        char *data = repeat('a', len + 1);
        data[len] = '\n';
        fixture f = open_n(data, len + 1, NULL, ',');
        if (len == cap) {
            delim_row row;
            next_ok(&f, 0, &row);
            assert_int_equal(row.field.len, cap);
        } else {
            assert_int_equal(read_until_error(&f, 0, UC_ELIMIT,
                                              "A field at line 1 is longer than 4 MB"), 0);
        }
        fix_close(&f);
        free(data);
    }
}

static void test_row_limit(void **state)
{
    (void)state;
    delim_limits lim;
    delim_limits_default(&lim);
    lim.max_row = 100;
    char buf[1024];
    /* 100 bytes of content is fine; 101 is not */
    char *a = repeat('a', 49), *b = repeat('b', 50);
    int n = snprintf(buf, sizeof buf, "%s,%s\n%s,%s,\n", a, b, a, b);
    fixture f = open_n(buf, (size_t)n, &lim, ',');
    delim_row row;
    next_ok(&f, 0, &row);
    assert_int_equal(row.len, 100);
    char err[256] = "";
    assert_int_equal(delim_next(f.r, 0, &row, err, sizeof err), UC_ELIMIT);
    assert_non_null(strstr(err, "Row at line 2 is longer than"));
    fix_close(&f);

    /* a quoted field that runs over many lines counts the whole row */
    size_t off = 0;
    off += (size_t)snprintf(buf + off, sizeof buf - off, "ok\n\"");
    for (int i = 0; i < 30; i++)
        off += (size_t)snprintf(buf + off, sizeof buf - off, "line\n");
    off += (size_t)snprintf(buf + off, sizeof buf - off, "\"\n");
    f = open_n(buf, off, &lim, ',');
    assert_int_equal(read_until_error(&f, 0, UC_ELIMIT, "Row at line 2 is longer than"), 1);
    fix_close(&f);

    /* lines mode: the line counts */
    n = snprintf(buf, sizeof buf, "ok\n\n%s%s%s\n", a, b, "xx");
    f = open_n(buf, (size_t)n, &lim, DELIM_LINES);
    assert_int_equal(read_until_error(&f, 0, UC_ELIMIT, "Row at line 3 is longer than"), 1);
    fix_close(&f);
    free(a);
    free(b);
}

static void test_column_limit(void **state)
{
    (void)state;
    delim_limits lim;
    delim_limits_default(&lim);
    lim.max_columns = 4;
    fixture f = open_s("a,b,c,d\n", ',');
    fix_close(&f);
    const char *data = "a,b,c,d\n\"x\ny\",b,c,d,e\n";
    f = open_n(data, strlen(data), &lim, ',');
    delim_row row;
    next_ok(&f, DELIM_ALL, &row);
    assert_int_equal(row.nfields, 4);
    assert_int_equal(read_until_error(&f, 0, UC_ELIMIT,
                                      "Row at line 2 has more than 4 columns"), 0);
    fix_close(&f);
    /* the last row without a newline goes through csv_fini */
    data = "a,b,c,d,e";
    f = open_n(data, strlen(data), &lim, ',');
    assert_int_equal(read_until_error(&f, DELIM_ALL, UC_ELIMIT,
                                      "Row at line 1 has more than 4 columns"), 0);
    fix_close(&f);
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    /* libcsv (non-strict) accepts an unterminated quote at EOF as a field */
    const char *data = "h\n\"abc\ndef";
    fixture f = open_s(data, ',');
    delim_row row;
    next_ok(&f, 0, &row);
    next_ok(&f, 0, &row);
    expect_row(&f, &row, 2, 8, 0, 2);
    expect_field(&row.field, "abc\ndef");
    at_end(&f);
    fix_close(&f);
}

/* ---- the reader's own split of quote-free lines against libcsv ---- */

struct buf_trace {
    char *s;
    size_t len, cap;
};

static void tput(struct buf_trace *t, const void *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    memcpy(t->s + t->len, p, n);
    t->len += n;
    t->s[t->len] = 0;
}

static void tprintf(struct buf_trace *t, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    tput(t, tmp, (size_t)n);
}

static void tcell(struct buf_trace *t, const cell *c)
{
    tprintf(t, "[%d:%zu:", (int)c->type, c->len);
    if (c->len)
        tput(t, c->v, c->len);
    tput(t, "]", 1);
}

/* Every row (span, width, captured field or cells) and the first error,
 * in one string, as one reader reads the file. */
static void trace_rows(const char *path, const delim_limits *lim, char d, uint32_t want,
                       struct buf_trace *t)
{
    char err[256] = "";
    delim_reader *r = NULL;
    uc_err e = delim_open(path, lim, &r, err, sizeof err);
    if (e) {
        tprintf(t, "open %d %s\n", (int)e, err);
        return;
    }
    delim_rewind(r, d);
    for (;;) {
        delim_row row;
        e = delim_next(r, want, &row, err, sizeof err);
        if (e) {
            tprintf(t, "end %d %s pos %llu\n", (int)e, e == UC_ENOTFOUND ? "" : err,
                    (unsigned long long)delim_pos(r));
            break;
        }
        tprintf(t, "row %llu %u %u %u ", (unsigned long long)row.start, row.len,
                (unsigned)row.term_len, row.nfields);
        if (want == DELIM_ALL) {
            size_t n;
            const cell *c = delim_fields(r, &n);
            for (size_t i = 0; i < n; i++)
                tcell(t, &c[i]);
        } else {
            tcell(t, &row.field);
        }
        tput(t, "\n", 1);
    }
    delim_close(r);
}

static uint64_t rnd_state = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (uint32_t)(rnd_state % n);
}

/* Random files of the bytes that matter to a row split (the delimiters,
 * spaces, tabs, line ends, a few quotes, UTF-8 and a NUL now and then),
 * read with each delimiter, a column or every cell, default and small
 * caps: the rows and the error are the same with and without the fast
 * split. */
static void test_fast_split_matches_libcsv(void **state)
{
    (void)state;
    static const char *const alpha[] = {"a", "b", "x@y.z", " ", " ", "\t", ",", ",", ";",
                                        "|", "\t", "\n", "\r\n", "\r", "\"", "\xc3\xa9",
                                        "  ", "\n\n", "\xff", "\0"};
    const size_t nalpha = sizeof alpha / sizeof alpha[0];
    const char delims[] = {',', ';', '\t', '|', DELIM_LINES};
    const uint32_t wants[] = {0, 1, 3, DELIM_ALL};
    char buf[400];
    for (int iter = 0; iter < 300; iter++) {
        size_t len = 0, target = 1 + rnd(sizeof buf - 8);
        int quotes = rnd(4) == 0, bad = rnd(8) == 0;
        while (len < target) {
            size_t k = rnd((uint32_t)nalpha);
            if ((!quotes && k == 14) || (!bad && k >= 18))
                continue;
            size_t n = k == 19 ? 1 : strlen(alpha[k]);
            if (len + n > sizeof buf)
                break;
            memcpy(buf + len, alpha[k], n);
            len += n;
        }
        char *path = tmpfile_with(buf, len);
        for (size_t di = 0; di < sizeof delims; di++) {
            for (size_t wi = 0; wi < sizeof wants / sizeof wants[0]; wi++) {
                for (int small = 0; small < 2; small++) {
                    delim_limits lim;
                    delim_limits_default(&lim);
                    if (small) {
                        lim.max_field = 6 + rnd(10);
                        lim.max_row = 8 + rnd(30);
                        lim.max_columns = 2 + rnd(6);
                    }
                    struct buf_trace fast = {0}, slow = {0};
                    trace_rows(path, &lim, delims[di], wants[wi], &fast);
                    lim.libcsv_only = 1;
                    trace_rows(path, &lim, delims[di], wants[wi], &slow);
                    if (strcmp(fast.s, slow.s) != 0)
                        fail_msg("iter %d delim %d want %u small %d:\nfast:\n%s\nlibcsv:\n%s", iter,
                                 delims[di], wants[wi], small, fast.s, slow.s);
                    free(fast.s);
                    free(slow.s);
                }
            }
        }
        unlink(path);
        free(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lf),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_cr_only),
        cmocka_unit_test(test_last_line_without_newline),
        cmocka_unit_test(test_mixed_endings),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_quoted_newlines),
        cmocka_unit_test(test_blank_lines_skipped),
        cmocka_unit_test(test_only_blank_lines),
        cmocka_unit_test(test_utf8_bom),
        cmocka_unit_test(test_want_col),
        cmocka_unit_test(test_all_fields),
        cmocka_unit_test(test_ragged_rows),
        cmocka_unit_test(test_other_delimiters),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_lines_mode),
        cmocka_unit_test(test_rewind),
        cmocka_unit_test(test_rewind_mid_quote),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_default_field_limit),
        cmocka_unit_test(test_default_field_limit_exact),
        cmocka_unit_test(test_row_limit),
        cmocka_unit_test(test_column_limit),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_fast_split_matches_libcsv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
