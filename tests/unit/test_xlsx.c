/* test_xlsx.c: every fixture in fixtures/xlsx read cell by cell (values,
 * types, row numbers), every hostile one failing with its reason; a write ->
 * read round trip through xlsxw, checked by openpyxl too when present. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "formats/pdefl.h"
#include "formats/xlsx_read.h"
#include "formats/xlsx_write.h"
#include "formats/zip.h"

#define FX "fixtures/xlsx/"
#define C(t, s) { t, s, sizeof(s) - 1, 0 }
#define E { CELL_EMPTY, NULL, 0, 0 }

/* Rows rendered as text, one line per row: "ROW:" then "|T=value" per
 * cell with T one of - s n b e (empty, string, number, bool, error). */
typedef struct table {
    char *p;
    size_t len, cap;
    size_t rows;
    size_t stop_after;  /* cancel after this many rows when set */
    const xlsx_meta *meta;  /* set: each styled cell also shows its look */
} table;

static void tput(table *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) { /* doubling: the 40,000-row case was
                                      * quadratic under ASan's copying realloc */
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->p = realloc(t->p, cap);
        assert_non_null(t->p);
        t->cap = cap;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

/* A cell's look, when it has one: "{code}" for a custom number format,
 * "{#id}" for a built-in one, "!" for bold. */
static void put_look(table *t, uint32_t style)
{
    assert_true(style == 0 || style < xlsx_meta_nxfs(t->meta));
    if (style >= xlsx_meta_nxfs(t->meta))
        return;
    const xlsx_xf *xf = xlsx_meta_xf(t->meta, style);
    char buf[512];
    if (xf->numfmt) {
        const char *code = xlsx_meta_numfmt_code(t->meta, xf->numfmt);
        if (code)
            snprintf(buf, sizeof buf, "{%s}", code);
        else
            snprintf(buf, sizeof buf, "{#%u}", xf->numfmt);
        tput(t, buf, strlen(buf));
    }
    if (xf->bold)
        tput(t, "!", 1);
}

static int on_row(void *ud, uint32_t row, const cell *cells, size_t ncells)
{
    static const char code[] = { '-', 's', 'n', 'b', 'e' };
    table *t = ud;
    char head[32];
    tput(t, head, (size_t)snprintf(head, sizeof head, "%u:", row));
    assert_true(ncells > 0);
    assert_int_not_equal(cells[ncells - 1].type, CELL_EMPTY);
    for (size_t i = 0; i < ncells; i++) {
        char c[3] = { '|', code[cells[i].type], '=' };
        tput(t, c, 3);
        if (cells[i].type == CELL_EMPTY)
            assert_int_equal(cells[i].len, 0);
        if (cells[i].len)
            tput(t, cells[i].v, cells[i].len);
        if (t->meta)
            put_look(t, cells[i].style);
    }
    tput(t, "\n", 1);
    t->rows++;
    return t->stop_after && t->rows >= t->stop_after;
}

/* Read path with lim (NULL: defaults); the table text in *out (owned). */
static uc_err read_table(const char *path, const xlsx_limits *lim, char **out,
                         char *err, size_t errcap)
{
    table t = { 0 };
    tput(&t, "", 0);
    uc_err e = xlsx_read(path, lim, on_row, &t, err, errcap);
    *out = t.p;
    return e;
}

static void expect_rows(const char *file, const char *want)
{
    char path[256], err[512], *got;
    snprintf(path, sizeof path, FX "%s", file);
    uc_err e = read_table(path, NULL, &got, err, sizeof err);
    if (e)
        print_error("%s: %s\n", file, err);
    assert_int_equal(e, UC_OK);
    if (strcmp(got, want))
        print_error("%s:\n got: %s\nwant: %s\n", file, got, want);
    assert_string_equal(got, want);
    free(got);
}

/* Read with the look: rows (with put_look), then the sheet name and the
 * widths as "name|min-max=width|...". */
static void expect_look(const char *file, const char *want_rows, const char *want_meta)
{
    char path[256], err[512];
    xlsx_meta m;
    table t = { .meta = &m };
    snprintf(path, sizeof path, FX "%s", file);
    tput(&t, "", 0);
    uc_err e = xlsx_read_meta(path, NULL, on_row, &t, &m, err, sizeof err);
    if (e)
        print_error("%s: %s\n", file, err);
    assert_int_equal(e, UC_OK);
    if (strcmp(t.p, want_rows))
        print_error("%s:\n got: %s\nwant: %s\n", file, t.p, want_rows);
    assert_string_equal(t.p, want_rows);
    char got[1024];
    size_t n = (size_t)snprintf(got, sizeof got, "%s", m.sheet_name ? m.sheet_name : "(none)");
    for (size_t i = 0; i < xlsx_meta_ncols(&m) && n < sizeof got; i++)
        n += (size_t)snprintf(got + n, sizeof got - n, "|%u-%u=%s", xlsx_meta_col(&m, i)->min,
                              xlsx_meta_col(&m, i)->max, xlsx_meta_col(&m, i)->width);
    if (strcmp(got, want_meta))
        print_error("%s: got %s\n", file, got);
    assert_string_equal(got, want_meta);
    free(t.p);
    xlsx_meta_free(&m);
}

static void expect_fail(const char *file, const xlsx_limits *lim, uc_err code,
                        const char *reason)
{
    char path[256], err[512] = "", *got;
    snprintf(path, sizeof path, FX "%s", file);
    uc_err e = read_table(path, lim, &got, err, sizeof err);
    if (e != code || strcmp(err, reason))
        print_error("%s: rc %d reason \"%s\"\n", file, e, err);
    assert_int_equal(e, code);
    assert_string_equal(err, reason);
    free(got);
}

#define PEOPLE \
    "0:|s=email|s=name|s=age|s=score\n" \
    "1:|s=alice@example.com|s=Alice|n=30|n=1.5\n" \
    "2:|s=bob@example.org|s=Bob Smith|n=41|n=-2\n" \
    "3:|s=carol@example.net|s=Carol, Jr.|-=|n=0.25\n"

#define BASIC \
    "0:|s=email|s=name|s=score\n" \
    "1:|s=alice@example.com|s=Alice|n=42\n"

static void test_real_tools(void **state)
{
    expect_rows("libreoffice.xlsx", PEOPLE);
    expect_rows("openpyxl.xlsx", PEOPLE);
    expect_rows("openpyxl_write_only.xlsx", PEOPLE);
    expect_rows("sheetjs.xlsx", PEOPLE);
    expect_rows("libxlsxwriter.xlsx", PEOPLE);
}

#define STYLED_HEAD "0:|s=email!|s=joined!|s=born!|s=at!|s=share!|s=paid!|s=zip!|s=note!\n"

static void test_styled(void **state)
{
    /* every cell's number format and bold as each tool stored them;
     * LibreOffice spells its formats out as custom ones (and its General
     * as 164 "General", read as General) */
    expect_look("libreoffice_styled.xlsx", STYLED_HEAD
        "1:|s=alice@example.com|n=45293{yyyy\\-mm\\-dd}|n=33010{m/d/yyyy}"
        "|n=0.572916666666667{h:mm:ss}|n=0.125{0.00%}|n=1234.5{[$$]#,##0.00}|n=123{00000}"
        "|s=plain\n"
        "2:|s=bob@example.org|n=45351{yyyy\\-mm\\-dd}|n=31412{m/d/yyyy}"
        "|n=0.337152777777778{h:mm:ss}|n=-0.5{0.00%}|n=-20{[$$]#,##0.00}|n=4567{00000}"
        "|s=x\n",
        "Contacts|1-1=24.94|2-2=10.77|6-6=12.47");
    expect_look("openpyxl_styled.xlsx", STYLED_HEAD
        "1:|s=alice@example.com|n=45293{yyyy-mm-dd}|n=33010{#14}|n=0.5729166666666666{#21}"
        "|n=0.125{#10}|n=1234.5{\"$\"#,##0.00}|n=123{00000}|s=plain\n"
        "2:|s=bob@example.org|n=45351{yyyy-mm-dd}|n=31412{#14}|n=0.3371527777777778{#21}"
        "|n=-0.5{#10}|n=-20{\"$\"#,##0.00}|n=4567{00000}|s=x\n",
        "Contacts|1-1=30|2-2=12|6-6=14");
    /* SheetJS's free edition writes no fonts: a plain header */
    expect_look("sheetjs_styled.xlsx",
        "0:|s=email|s=joined|s=born|s=at|s=share|s=paid|s=zip|s=note\n"
        "1:|s=alice@example.com|n=45293{yyyy-mm-dd}|n=33010{#14}|n=0.5729166666666666{#21}"
        "|n=0.125{#10}|n=1234.5{\"$\"#,##0.00}|n=123{00000}|s=plain\n"
        "2:|s=bob@example.org|n=45351{yyyy-mm-dd}|n=31412{#14}|n=0.3371527777777778{#21}"
        "|n=-0.5{#10}|n=-20{\"$\"#,##0.00}|n=4567{00000}|s=x\n",
        "Contacts|1-1=30.83203125|2-2=12.83203125|6-6=14.83203125");
    expect_look("libxlsxwriter_styled.xlsx", STYLED_HEAD
        "1:|s=alice@example.com|n=45293{yyyy-mm-dd}|n=33010{#14}|n=0.5729166666666666{h:mm:ss}"
        "|n=0.125{#10}|n=1234.5{\"$\"#,##0.00}|n=123{00000}|s=plain\n"
        "2:|s=bob@example.org|n=45351{yyyy-mm-dd}|n=31412{#14}|n=0.3371527777777778{h:mm:ss}"
        "|n=-0.5{#10}|n=-20{\"$\"#,##0.00}|n=4567{00000}|s=x\n",
        "Contacts|1-1=30.7109375|2-2=12.7109375|6-6=14.7109375");
    /* the plain fixtures: names, and styles that are all General */
    expect_look("openpyxl.xlsx", PEOPLE, "Sheet");
    expect_look("sheetjs.xlsx", PEOPLE, "People");
    expect_look("libxlsxwriter.xlsx", PEOPLE, "Sheet1");
    expect_look("hidden_first.xlsx", BASIC, "Data");
    expect_look("inline_strings.xlsx",  /* no styles part: no looks */
                "0:|s=email|s=kind|s=value\n"
                "1:|s=a@example.com|s=str|s=xy\n"
                "2:|s= b@example.com |s=bool|b=1\n"
                "3:|s=c@example.com|s=error|e=#N/A\n"
                "4:|s=d@example.com|s=number|n=1.50E+3\n"
                "5:|s=e@example.com|s=date|s=2024-02-29T12:00:00\n"
                "6:|s=f@example.com|s=esc_|s=tab\there\n", "Sheet1");
}

static void test_styles_edge(void **state)
{
    /* bold from <b/> but not <b val="0"/>, nor from cellStyleXfs or dxfs;
     * 164 "General" and an undeclared custom id read as General; a font
     * index past the fonts is plain; style indexes out of range or not
     * numbers are 0; widths without a number, off the grid or overlapping
     * are dropped or clipped; the sheet name is decoded */
    expect_look("styles_edge.xlsx",
                "0:|s=email!|s=name{0.0\"kg\" & <>}|s=score|s=score\n"
                "1:|s=alice@example.com|n=72.5{0.0\"kg\" & <>}|n=45000{#14}|n=1|n=0.5{#10}!\n",
                "R&D \"Q1\" <list>|1-2=20.5|4-16384=8");
    /* the styles part is only read when the look is asked for */
    expect_rows("styles_doctype.xlsx", BASIC);
    char err[256];
    xlsx_meta m;
    table t = { 0 };
    assert_int_equal(xlsx_read_meta(FX "styles_doctype.xlsx", NULL, on_row, &t, &m, err,
                                    sizeof err), UC_EFORMAT);
    assert_string_equal(err, "XLSX rejected: XML contains a DOCTYPE (in xl/styles.xml)");
    assert_int_equal(t.rows, 0);
    xlsx_meta_free(&m);
    assert_int_equal(xlsx_read_meta(FX "styles_too_many.xlsx", NULL, on_row, &t, &m, err,
                                    sizeof err), UC_ELIMIT);
    assert_string_equal(err, "XLSX rejected: xl/styles.xml has more than 65536 cell formats");
    xlsx_meta_free(&m);
    xlsx_meta_free(NULL);
    free(t.p);
}

static void test_meta_caps(void **state)
{
    xlsx_meta m;
    xlsx_meta_init(&m);
    for (int i = 0; i < XLSX_MAX_XFS; i++)
        assert_int_equal(xlsx_meta_add_xf(&m, 0, i == 7), UC_OK);
    assert_int_equal(xlsx_meta_nxfs(&m), XLSX_MAX_XFS);
    assert_int_equal(xlsx_meta_add_xf(&m, 0, false), UC_ELIMIT);
    assert_true(xlsx_meta_bold(&m, 7));
    assert_false(xlsx_meta_bold(&m, 8));
    assert_false(xlsx_meta_bold(&m, XLSX_MAX_XFS));
    static char code[4096];
    memset(code, '0', sizeof code - 1);
    uc_err e = UC_OK;
    int n = 0;
    while (!e)
        e = xlsx_meta_add_numfmt(&m, 164 + (uint32_t)n++, code);
    assert_int_equal(e, UC_ELIMIT);
    assert_int_equal(n - 1, XLSX_MAX_NUMFMT_BYTES / sizeof code);
    xlsx_meta_free(&m);
    /* of an id declared twice, the last counts; settled, one is left */
    assert_int_equal(xlsx_meta_add_numfmt(&m, 170, "0.0"), UC_OK);
    assert_int_equal(xlsx_meta_add_numfmt(&m, 165, "0.00"), UC_OK);
    assert_int_equal(xlsx_meta_add_numfmt(&m, 170, "0.000"), UC_OK);
    assert_string_equal(xlsx_meta_numfmt_code(&m, 170), "0.000");
    assert_null(xlsx_meta_numfmt_code(&m, 14));
    assert_int_equal(xlsx_meta_add_xf(&m, 170, false), UC_OK);
    assert_int_equal(xlsx_meta_add_xf(&m, 171, false), UC_OK);  /* undeclared */
    assert_int_equal(xlsx_meta_add_xf(&m, 22, true), UC_OK);    /* built in */
    assert_int_equal(xlsx_meta_settle(&m), UC_OK);
    assert_int_equal(xlsx_meta_nnumfmts(&m), 2);
    assert_int_equal(xlsx_meta_numfmt(&m, 0)->id, 165);
    assert_string_equal(xlsx_meta_numfmt(&m, 1)->code, "0.000");
    assert_int_equal(xlsx_meta_xf(&m, 0)->numfmt, 170);
    assert_int_equal(xlsx_meta_xf(&m, 1)->numfmt, 0);
    assert_int_equal(xlsx_meta_xf(&m, 2)->numfmt, 22);
    assert_true(xlsx_meta_bold(&m, 2));
    for (int i = 0; i < XLSX_MAX_NUMFMTS - 2; i++)
        assert_int_equal(xlsx_meta_add_numfmt(&m, 164, ""), UC_OK);
    assert_int_equal(xlsx_meta_add_numfmt(&m, 164, ""), UC_ELIMIT);
    assert_int_equal(xlsx_meta_settle(&m), UC_OK);
    assert_int_equal(xlsx_meta_nnumfmts(&m), 3);
    /* widths: plain decimals only, left to right */
    assert_int_equal(xlsx_meta_add_col(&m, 3, 3, "1e3"), UC_OK);
    assert_int_equal(xlsx_meta_add_col(&m, 3, 3, "0"), UC_OK);
    assert_int_equal(xlsx_meta_add_col(&m, 3, 3, "-2"), UC_OK);
    assert_int_equal(xlsx_meta_add_col(&m, 0, 3, "2"), UC_OK);
    assert_int_equal(xlsx_meta_add_col(&m, 4, 3, "2"), UC_OK);
    assert_int_equal(xlsx_meta_add_col(&m, 16385, 16390, "2"), UC_OK);
    assert_int_equal(xlsx_meta_ncols(&m), 0);
    assert_int_equal(xlsx_meta_add_col(&m, 3, 3, "2.5"), UC_OK);
    assert_int_equal(xlsx_meta_add_col(&m, 1, 1, "2.5"), UC_OK);
    assert_int_equal(xlsx_meta_ncols(&m), 1);
    /* a header is bold when every non-empty cell is */
    cell row[] = { C(CELL_STRING, "a"), E, C(CELL_STRING, "b") };
    row[0].style = row[2].style = 2;
    assert_true(xlsx_meta_row_bold(&m, row, 3));
    row[2].style = 1;
    assert_false(xlsx_meta_row_bold(&m, row, 3));
    assert_false(xlsx_meta_row_bold(&m, row + 1, 1));
    xlsx_meta_free(&m);
    assert_null(m.xfs.data);
    assert_int_equal(xlsx_meta_nxfs(&m), 0);
}

static void test_cell_kinds(void **state)
{
    expect_rows("inline_strings.xlsx",
                "0:|s=email|s=kind|s=value\n"
                "1:|s=a@example.com|s=str|s=xy\n"
                "2:|s= b@example.com |s=bool|b=1\n"
                "3:|s=c@example.com|s=error|e=#N/A\n"
                "4:|s=d@example.com|s=number|n=1.50E+3\n"
                "5:|s=e@example.com|s=date|s=2024-02-29T12:00:00\n"
                "6:|s=f@example.com|s=esc_|s=tab\there\n");
    expect_rows("rich_text.xlsx",
                "0:|s=email|s=Note s\n"
                "1:|s=bold@example.com|s=\xe6\xbc\xa2\xe5\xad\x97\n"
                "2:|s=line1\r\nline2|s=_x0041_ stays literal\n"
                "3:|s=smile \xf0\x9f\x98\x80\n");  /* shared "" is an empty cell */
}

static void test_layout(void **state)
{
    expect_rows("gaps.xlsx",
                "0:|s=email|s=name|s=score\n"
                "2:|s=alice@example.com|-=|n=7\n"
                "7:|-=|-=|n=-0.5|-=|-=|s=Alice\n");
    expect_rows("no_refs.xlsx",
                "0:|s=email|s=name|s=score\n"
                "1:|s=alice@example.com|n=1\n"
                "4:|-=|n=2|n=3\n"
                "5:|s=Alice\n");
    expect_rows("prefixed_ns.xlsx", "0:|s=email\n1:|s=p@example.com|n=9\n");
    expect_rows("strict.xlsx", "0:|s=email\n1:|s=s@example.com\n");
    expect_rows("rel_targets.xlsx", BASIC);
    expect_rows("hidden_first.xlsx", BASIC);
}

static void test_containers(void **state)
{
    expect_rows("data_descriptor.xlsx", BASIC);
    expect_rows("stored.xlsx", BASIC);
    expect_rows("zip64.xlsx", BASIC);
    expect_rows("no_central_dir.xlsx", BASIC);
    expect_rows("odd_names.xlsx", BASIC);
    expect_rows("zip_bomb_honest.xlsx", "");  /* 64 MiB of blanks, under the cap */
}

#define SHEET "xl/worksheets/sheet1.xml"

static void test_hostile(void **state)
{
    xlsx_limits lim;
    xlsx_limits_default(&lim);
    lim.zip.max_entry_bytes = 16u << 20;
    expect_fail("zip_bomb_honest.xlsx", &lim, UC_ELIMIT,
                "XLSX rejected: " SHEET " is larger than the 16 MiB per-entry cap");
    expect_fail("zip_bomb.xlsx", NULL, UC_EFORMAT,
                "Corrupt XLSX: " SHEET " inflates past its declared size");
    expect_fail("entity_bomb.xlsx", NULL, UC_EFORMAT,
                "XLSX rejected: XML contains a DOCTYPE (in " SHEET ")");
    expect_fail("xxe_doctype.xlsx", NULL, UC_EFORMAT,
                "XLSX rejected: XML contains a DOCTYPE (in xl/sharedStrings.xml)");
    expect_fail("truncated.xlsx", NULL, UC_EFORMAT,
                "Corrupt XLSX: " SHEET " is truncated");
    expect_fail("crc_mismatch.xlsx", NULL, UC_EFORMAT,
                "Corrupt XLSX: CRC mismatch in " SHEET);
    expect_fail("no_workbook.xlsx", NULL, UC_EFORMAT,
                "Not an XLSX workbook: no workbook part found");
    expect_fail("not_zip.xlsx", NULL, UC_EFORMAT, "Corrupt XLSX: not a zip archive");
    expect_fail("chartsheet_only.xlsx", NULL, UC_EFORMAT,
                "No worksheet found in workbook");
    expect_fail("sst_out_of_range.xlsx", NULL, UC_EFORMAT,
                "Corrupt XLSX: shared string index 5 out of range");
    expect_fail("past_grid_col.xlsx", NULL, UC_ELIMIT,
                "XLSX rejected: cell XFE2 is past the 16384-column limit");
    expect_fail("past_grid_row.xlsx", NULL, UC_ELIMIT,
                "XLSX rejected: row 1048577 is past the 1048576-row limit");
    expect_fail("encrypted.xlsx", NULL, UC_EFORMAT,
                "XLSX rejected: " SHEET
                " is encrypted (password-protected files are not supported)");
    expect_fail("bad_method.xlsx", NULL, UC_EFORMAT,
                "XLSX rejected: " SHEET " uses unsupported compression method 12");
}

static void test_limits_and_cancel(void **state)
{
    xlsx_limits lim;
    xlsx_limits_default(&lim);
    lim.max_columns = 5;
    expect_fail("gaps.xlsx", &lim, UC_ELIMIT,
                "XLSX rejected: cell F8 is past the 5-column limit");
    xlsx_limits_default(&lim);
    lim.max_rows = 4;
    expect_fail("gaps.xlsx", &lim, UC_ELIMIT,
                "XLSX rejected: row 5 is past the 4-row limit");
    xlsx_limits_default(&lim);
    lim.max_cell_bytes = 10;
    expect_fail("inline_strings.xlsx", &lim, UC_ELIMIT,
                "XLSX rejected: cell A2 holds more than 10 bytes of text");
    expect_fail("libxlsxwriter.xlsx", &lim, UC_ELIMIT,
                "XLSX rejected: shared string 4 is longer than 10 bytes");
    xlsx_limits_default(&lim);
    lim.max_shared_bytes = 100;  /* its 10 strings: 90 bytes + 8 per string */
    expect_fail("libreoffice.xlsx", &lim, UC_ELIMIT,
                "XLSX rejected: shared strings exceed the 100 bytes cap");

    table t = { .stop_after = 2 };
    char err[256];
    assert_int_equal(xlsx_read(FX "sheetjs.xlsx", NULL, on_row, &t, err, sizeof err),
                     UC_ECANCELED);
    assert_int_equal(t.rows, 2);
    free(t.p);
}

/* Every prefix of a valid file must fail cleanly (or read), never crash. */
static void test_every_truncation(void **state)
{
    FILE *f = fopen(FX "data_descriptor.xlsx", "rb");
    assert_non_null(f);
    static char data[1 << 16];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    char tmp[] = "/tmp/test_xlsx_cut_XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    for (size_t cut = 0; cut < n; cut++) {
        assert_int_equal(ftruncate(fd, 0), 0);
        assert_int_equal(pwrite(fd, data, cut, 0), (ssize_t)cut);
        char err[512] = "", *got;
        uc_err e = read_table(tmp, NULL, &got, err, sizeof err);
        if (e)
            assert_true(err[0] != '\0');
        free(got);
        /* and a flipped byte in the whole file */
        assert_int_equal(pwrite(fd, data, n, 0), (ssize_t)n);
        char b = (char)(data[cut] ^ 0x5A);
        assert_int_equal(pwrite(fd, &b, 1, (off_t)cut), 1);
        err[0] = '\0';
        e = read_table(tmp, NULL, &got, err, sizeof err);
        if (e)
            assert_true(err[0] != '\0');
        free(got);
    }
    close(fd);
    unlink(tmp);
}

/* ---- writer ---------------------------------------------------------- */

static char tmpdir[64];

/* Whether Debian's python3 with openpyxl is there to check results. */
static int have_openpyxl(void)
{
    if (access("/usr/bin/python3", X_OK) ||
        system("/usr/bin/python3 -c 'import openpyxl' 2>/dev/null")) {
        print_message("openpyxl not available: skipping its check\n");
        return 0;
    }
    return 1;
}

static int setup_tmp(void **state)
{
    strcpy(tmpdir, "/tmp/test_xlsx_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}


static void test_round_trip(void **state)
{
    char path[128];
    snprintf(path, sizeof path, "%s/out.xlsx", tmpdir);
    xlsxw *w;
    assert_int_equal(xlsxw_create(path, NULL, &w), UC_OK);
    const cell r0[] = { C(CELL_STRING, "email"), C(CELL_STRING, "n"),
                        C(CELL_STRING, "flag"), C(CELL_STRING, "note") };
    const cell r1[] = { C(CELL_STRING, "a@example.com"), C(CELL_NUMBER, "42"),
                        C(CELL_BOOL, "1"), C(CELL_STRING, "<&>\"' \xc3\xa9\xf0\x9f\x98\x80") };
    const cell r2[] = { C(CELL_STRING, " b@example.com "), C(CELL_NUMBER, "-0.25"),
                        C(CELL_BOOL, "0"), C(CELL_ERROR, "#N/A") };
    const cell r3[] = { E, C(CELL_NUMBER, "1.5E+3"), E, C(CELL_STRING, "tab\there") };
    const cell r4[] = { C(CELL_NUMBER, "12abc"), C(CELL_NUMBER, "0x10"),
                        C(CELL_NUMBER, "nan"), C(CELL_STRING, "00123") };
    const cell r5[] = { E, E };  /* an empty row still takes a row number */
    const cell r6[] = { C(CELL_STRING, "last"), E, E, E, E, C(CELL_NUMBER, "7") };
    assert_int_equal(xlsxw_row(w, r0, 4), UC_OK);
    assert_int_equal(xlsxw_row(w, r1, 4), UC_OK);
    assert_int_equal(xlsxw_row(w, r2, 4), UC_OK);
    assert_int_equal(xlsxw_row(w, r3, 4), UC_OK);
    assert_int_equal(xlsxw_row(w, r4, 4), UC_OK);
    assert_int_equal(xlsxw_row(w, r5, 2), UC_OK);
    assert_int_equal(xlsxw_row(w, r6, 6), UC_OK);
    assert_int_equal(xlsxw_close(w), UC_OK);

    char err[512], *got;
    assert_int_equal(read_table(path, NULL, &got, err, sizeof err), UC_OK);
    assert_string_equal(got,
        "0:|s=email|s=n|s=flag|s=note\n"
        "1:|s=a@example.com|n=42|b=1|s=<&>\"' \xc3\xa9\xf0\x9f\x98\x80\n"
        "2:|s= b@example.com |n=-0.25|b=0|e=#N/A\n"  /* error cells stay errors */
        "3:|-=|n=1.5E+3|-=|s=tab\there\n"              /* number text kept exactly */
        "4:|s=12abc|s=0x10|s=nan|s=00123\n"
        "6:|s=last|-=|-=|-=|-=|n=7\n");
    free(got);

    /* openpyxl (Debian's python3-openpyxl) must open it and agree */
    if (!have_openpyxl())
        return;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '"
             "import openpyxl,sys\n"
             "ws=openpyxl.load_workbook(sys.argv[1]).active\n"
             "v=[[c.value for c in r] for r in ws.iter_rows()]\n"
             "assert v[0]==[\"email\",\"n\",\"flag\",\"note\",None,None],v[0]\n"
             "assert v[1][:3]==[\"a@example.com\",42,True],v[1]\n"
             "assert v[2][:4]==[\" b@example.com \",-0.25,False,\"#N/A\"],v[2]\n"
             "assert v[3][1]==1500 and v[3][3]==\"tab\\there\",v[3]\n"
             "assert v[6][0]==\"last\" and v[6][5]==7,v[6]\n"
             "' '%s'", path);
    assert_int_equal(system(cmd), 0);
}

/* The look written and read back: sheet name, number formats, bold,
 * widths; the two added cell formats; openpyxl agrees. */
static void test_round_trip_look(void **state)
{
    char path[128];
    snprintf(path, sizeof path, "%s/look.xlsx", tmpdir);
    xlsx_meta like;
    xlsx_meta_init(&like);
    like.sheet_name = strdup("R&D \"Q1\" <x>\tz");
    assert_int_equal(xlsx_meta_add_numfmt(&like, 164, "yyyy-mm-dd"), UC_OK);
    assert_int_equal(xlsx_meta_add_numfmt(&like, 165, "\"$\"#,##0.00 & <>"), UC_OK);
    assert_int_equal(xlsx_meta_add_xf(&like, 0, false), UC_OK);
    assert_int_equal(xlsx_meta_add_xf(&like, 0, true), UC_OK);
    assert_int_equal(xlsx_meta_add_xf(&like, 164, false), UC_OK);
    assert_int_equal(xlsx_meta_add_xf(&like, 14, false), UC_OK);
    assert_int_equal(xlsx_meta_add_xf(&like, 165, true), UC_OK);
    assert_int_equal(xlsx_meta_add_xf(&like, 10, false), UC_OK);
    assert_int_equal(xlsx_meta_add_col(&like, 1, 1, "30"), UC_OK);
    assert_int_equal(xlsx_meta_add_col(&like, 3, 4, "12.7109375"), UC_OK);
    xlsxw *w;
    assert_int_equal(xlsxw_create(path, &like, &w), UC_OK);
    assert_int_equal(xlsxw_added_style(w, false), 0);  /* xf 0 is plain General */
    assert_int_equal(xlsxw_added_style(w, true), 7);
    cell h[] = { C(CELL_STRING, "email"), C(CELL_STRING, "joined"), C(CELL_STRING, "born"),
                 C(CELL_STRING, "paid"), C(CELL_STRING, "share"), C(CELL_STRING, "cat") };
    for (int i = 0; i < 5; i++)
        h[i].style = 1;
    h[5].style = xlsxw_added_style(w, true);
    cell r[] = { C(CELL_STRING, "a@example.com"), C(CELL_NUMBER, "45293"),
                 C(CELL_NUMBER, "33010"), C(CELL_NUMBER, "1234.5"), C(CELL_NUMBER, "0.125"),
                 C(CELL_STRING, "white") };
    for (int i = 1; i < 5; i++)
        r[i].style = (uint32_t)i + 1;
    r[0].style = 99;  /* past the cell formats: written without one */
    assert_int_equal(xlsxw_row(w, h, 6), UC_OK);
    assert_int_equal(xlsxw_row(w, r, 6), UC_OK);
    assert_int_equal(xlsxw_close(w), UC_OK);
    xlsx_meta_free(&like);

    xlsx_meta m;
    table t = { .meta = &m };
    char err[512];
    tput(&t, "", 0);
    assert_int_equal(xlsx_read_meta(path, NULL, on_row, &t, &m, err, sizeof err), UC_OK);
    assert_string_equal(t.p,
        "0:|s=email!|s=joined!|s=born!|s=paid!|s=share!|s=cat!\n"
        "1:|s=a@example.com|n=45293{yyyy-mm-dd}|n=33010{#14}"
        "|n=1234.5{\"$\"#,##0.00 & <>}!|n=0.125{#10}|s=white\n");
    assert_string_equal(m.sheet_name, "R&D \"Q1\" <x>\tz");
    assert_int_equal(xlsx_meta_nxfs(&m), 8);
    assert_int_equal(xlsx_meta_ncols(&m), 2);
    assert_int_equal(xlsx_meta_col(&m, 1)->min, 3);
    assert_int_equal(xlsx_meta_col(&m, 1)->max, 4);
    assert_string_equal(xlsx_meta_col(&m, 1)->width, "12.7109375");
    free(t.p);
    xlsx_meta_free(&m);

    /* a default format that is not plain: the added plain one is new */
    char other[128];
    snprintf(other, sizeof other, "%s/other.xlsx", tmpdir);
    assert_int_equal(xlsx_meta_add_xf(&like, 14, false), UC_OK);
    assert_int_equal(xlsxw_create(other, &like, &w), UC_OK);
    assert_int_equal(xlsxw_added_style(w, false), 1);
    assert_int_equal(xlsxw_added_style(w, true), 2);
    xlsxw_abort(w);
    xlsx_meta_free(&like);
    assert_int_equal(xlsxw_create(other, NULL, &w), UC_OK);
    assert_int_equal(xlsxw_added_style(w, false), 0);
    assert_int_equal(xlsxw_added_style(w, true), 2);
    xlsxw_abort(w);

    if (!have_openpyxl())
        return;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '"
             "import openpyxl,sys\n"
             "ws=openpyxl.load_workbook(sys.argv[1]).active\n"
             "assert ws.title==\"R&D \\\"Q1\\\" <x>\\tz\",ws.title\n"
             "assert [c.font.b for c in ws[1]]==[True]*6,[c.font.b for c in ws[1]]\n"
             "assert not any(c.font.b for c in ws[2] if c.column!=4)\n"
             "assert [c.is_date for c in ws[2]]==[False,True,True,False,False,False]\n"
             "assert ws[\"B2\"].number_format==\"yyyy-mm-dd\",ws[\"B2\"].number_format\n"
             "assert ws[\"C2\"].number_format==\"mm-dd-yy\",ws[\"C2\"].number_format\n"
             "assert ws[\"D2\"].number_format==\"\\\"$\\\"#,##0.00 & <>\"\n"
             "assert ws[\"E2\"].number_format==\"0.00%%\"\n"
             "assert ws[\"A2\"].number_format==\"General\"\n"
             "d=ws.column_dimensions\n"
             "assert d[\"A\"].width==30 and d[\"C\"].width==12.7109375,(d[\"A\"].width,d[\"C\"].width)\n"
             "assert d[\"C\"].min==3 and d[\"C\"].max==4\n"
             "' '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static uc_err count_bytes(void *ud, const void *p, size_t n)
{
    (void)p;
    *(size_t *)ud += n;
    return UC_OK;
}

/* The inflated size of entry name in the zip at path, read (and its
 * CRC-32 checked) by our own zip reader. */
static size_t entry_size(const char *path, const char *name)
{
    zipr_limits lim;
    zipr *z;
    char err[256];
    size_t n = 0;
    zipr_limits_default(&lim);
    assert_int_equal(zipr_open(path, &lim, &z, err, sizeof err), UC_OK);
    int idx = zipr_find(z, name);
    assert_true(idx >= 0);
    assert_int_equal(zipr_read(z, idx, count_bytes, &n, err, sizeof err), UC_OK);
    zipr_close(z);
    return n;
}

/* A sheet of several deflate blocks (pdefl.h): the writer deflates them
 * on worker threads and the reader inflates the sheet on another; every
 * row comes back, in order, the CRC and sizes check out, and openpyxl
 * reads it too. An abandoned large workbook stops its threads cleanly. */
static void test_round_trip_large(void **state)
{
    char path[128];
    snprintf(path, sizeof path, "%s/large.xlsx", tmpdir);
    enum { ROWS = 40000 };
    size_t cap = (size_t)ROWS * 64 + 1, len = 0;
    char *want = malloc(cap);
    assert_non_null(want);
    for (int pass = 0; pass < 2; pass++) {
        xlsxw *w;
        assert_int_equal(xlsxw_create(path, NULL, &w), UC_OK);
        len = 0;
        for (int i = 0; i < ROWS; i++) {
            char a[48], n[16];
            int al = snprintf(a, sizeof a, "user%d.someone@example.com", i);
            int nl = snprintf(n, sizeof n, "%d", i * 7);
            const cell r[] = { { CELL_STRING, a, (size_t)al, 0 },
                               { CELL_NUMBER, n, (size_t)nl, 0 } };
            assert_int_equal(xlsxw_row(w, r, 2), UC_OK);
            len += (size_t)snprintf(want + len, cap - len, "%d:|s=%s|n=%s\n", i, a, n);
        }
        if (pass == 0) {
            xlsxw_abort(w);  /* the deflater is running: it must stop */
            continue;
        }
        assert_int_equal(xlsxw_close(w), UC_OK);
    }
    char err[512], *got;
    assert_int_equal(read_table(path, NULL, &got, err, sizeof err), UC_OK);
    assert_int_equal(strlen(got), len);
    assert_string_equal(got, want);
    free(got);
    assert_true(entry_size(path, "xl/worksheets/sheet1.xml") > 3 * (size_t)PDEFL_BLOCK);
    /* the reader stopped by its callback half way (its thread too) */
    table t = { .stop_after = ROWS / 2 };
    tput(&t, "", 0);
    assert_int_equal(xlsx_read(path, NULL, on_row, &t, err, sizeof err), UC_ECANCELED);
    assert_int_equal(t.rows, ROWS / 2);
    free(t.p);
    free(want);
    if (!have_openpyxl())
        return;
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '"
             "import openpyxl,sys\n"
             "rows=list(openpyxl.load_workbook(sys.argv[1],read_only=True).active.values)\n"
             "assert len(rows)==%d,len(rows)\n"
             "assert rows[-1]==(\"user%d.someone@example.com\",%d),rows[-1]\n"
             "' '%s'", ROWS, ROWS - 1, (ROWS - 1) * 7, path);
    assert_int_equal(system(cmd), 0);
}

static void test_writer_limits(void **state)
{
    char path[128];
    snprintf(path, sizeof path, "%s/limit.xlsx", tmpdir);
    xlsxw *w;
    assert_int_equal(xlsxw_create(path, NULL, &w), UC_OK);
    size_t n = 32768;
    char *big = malloc(n);
    memset(big, 'a', n);
    cell ok = { CELL_STRING, big, 32767, 0 }, bad = { CELL_STRING, big, n, 0 };
    assert_int_equal(xlsxw_row(w, &ok, 1), UC_OK);
    assert_int_equal(xlsxw_row(w, &bad, 1), UC_ELIMIT);
    assert_string_equal(xlsxw_reason(w), "Result cell in row 2, column 1 is longer "
                                         "than Excel's 32767-character limit");
    /* 3-byte UTF-8 characters count once each */
    for (size_t i = 0; i + 3 <= n; i += 3)
        memcpy(big + i, "\xe2\x82\xac", 3);
    cell euro = { CELL_STRING, big, 3 * 10000, 0 };
    assert_int_equal(xlsxw_row(w, &euro, 1), UC_OK);
    free(big);
    xlsxw_abort(w);
    xlsxw_abort(NULL);

    assert_int_equal(xlsxw_create(path, NULL, &w), UC_OK);
    cell one = C(CELL_STRING, "x");
    char err[256] = "";
    assert_int_equal(xlsxw_row(w, &one, 1), UC_OK);
    assert_int_equal(xlsxw_close_err(w, err, sizeof err), UC_OK);
    assert_string_equal(err, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_tools),
        cmocka_unit_test(test_cell_kinds),
        cmocka_unit_test(test_styled),
        cmocka_unit_test(test_styles_edge),
        cmocka_unit_test(test_meta_caps),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_containers),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_limits_and_cancel),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_look),
        cmocka_unit_test(test_writer_limits),
        cmocka_unit_test(test_round_trip_large),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
