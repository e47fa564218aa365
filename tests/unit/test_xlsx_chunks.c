/* test_xlsx_chunks.c: the sheet read in chunks on worker threads
 * (xlsx_chunks.c) against the same read on one thread: the same rows, the
 * same look, the same error and reason, on every fixture and on sheets
 * made to put a "<row " where a cut would be wrong (comments, CDATA, PIs,
 * nested rows, rows without a number, namespaces, leaked handler state),
 * with errors and caps late in the sheet and line breaks of every kind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/buf.h"
#include "formats/xlsx_read.h"
#include "formats/zipw.h"

#define MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define PKG "http://schemas.openxmlformats.org/package/2006/relationships"

/* Chunk sizes tried against the serial read (0): a cut at every row up
 * to a few rows a chunk; with EXPAT_ONLY, every chunk through expat (else
 * the plain ones go through xlsx_fast.c). */
#define EXPAT_ONLY ((size_t)1 << 40)
static const size_t sizes[] = {1, 13, 97, 1000, 40000, 1 | EXPAT_ONLY, 97 | EXPAT_ONLY};

typedef struct table {
    struct buf t;
    size_t rows, stop_after;
} table;

static int on_row(void *ud, uint32_t row, const cell *cells, size_t n)
{
    table *t = ud;
    assert_int_equal(buf_printf(&t->t, "%u:", row), UC_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(buf_printf(&t->t, "|%d/%u=", (int)cells[i].type, cells[i].style),
                         UC_OK);
        assert_int_equal(buf_add(&t->t, cells[i].v, cells[i].len), UC_OK);
    }
    assert_int_equal(buf_addc(&t->t, '\n'), UC_OK);
    return t->stop_after && ++t->rows >= t->stop_after;
}

/* One read: the result code, the reason, the rows (on success) and the
 * look, as one text. */
static char *read_all(const char *path, size_t chunk, size_t stop_after,
                      const xlsx_limits *base)
{
    xlsx_limits lim;
    if (base)
        lim = *base;
    else
        xlsx_limits_default(&lim);
    lim.chunk_bytes = chunk & ~EXPAT_ONLY;
    lim.chunks_expat_only = (chunk & EXPAT_ONLY) != 0;
    table t = {.stop_after = stop_after};
    buf_init(&t.t, SIZE_MAX);
    xlsx_meta m;
    char err[512] = "";
    uc_err e = xlsx_read_meta(path, &lim, on_row, &t, &m, err, sizeof err);
    struct buf r;
    buf_init(&r, SIZE_MAX);
    assert_int_equal(buf_printf(&r, "rc %d: %s\n", (int)e, err), UC_OK);
    if (!e) { /* on failure, how far the rows got is not part of the contract */
        assert_int_equal(buf_add(&r, t.t.data, t.t.len), UC_OK);
        assert_int_equal(buf_printf(&r, "sheet %s nxfs %zu cols", m.sheet_name ? m.sheet_name : "-",
                                    xlsx_meta_nxfs(&m)), UC_OK);
        for (size_t i = 0; i < xlsx_meta_ncols(&m); i++)
            assert_int_equal(buf_printf(&r, " %u-%u=%s", xlsx_meta_col(&m, i)->min,
                                        xlsx_meta_col(&m, i)->max, xlsx_meta_col(&m, i)->width),
                             UC_OK);
    }
    xlsx_meta_free(&m);
    buf_free(&t.t);
    char *s = buf_take(&r, NULL);
    assert_non_null(s);
    return s;
}

/* Every chunk size reads path as the serial read does. */
static void same_reads(const char *path, size_t stop_after, const xlsx_limits *lim)
{
    char *want = read_all(path, 0, stop_after, lim);
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char *got = read_all(path, sizes[i], stop_after, lim);
        if (strcmp(got, want))
            print_error("%s, chunks of %zu%s:\n got: %.2000s\nwant: %.2000s\n", path,
                        sizes[i] & ~EXPAT_ONLY, sizes[i] & EXPAT_ONLY ? " (expat only)" : "",
                        got, want);
        assert_string_equal(got, want);
        free(got);
    }
    free(want);
}

static void test_fixtures(void **state)
{
    unsigned long before = xlsx_chunks_delivered;
    DIR *d = opendir("fixtures/xlsx");
    assert_non_null(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 5, ".xlsx"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "fixtures/xlsx/%s", de->d_name);
        same_reads(path, 0, NULL);
        same_reads(path, 2, NULL);  /* cancelled by the callback */
        n++;
    }
    closedir(d);
    assert_true(n >= 30);
    assert_true(xlsx_chunks_delivered > before + 100);  /* they were read in chunks */
}

/* ---- sheets made for it --------------------------------------------- */

static char tmp[64];

static int setup(void **state)
{
    strcpy(tmp, "/tmp/test_xlsx_chunks_XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* A workbook whose sheet is head + body + tail, deflated (or stored). */
static void write_book(const char *path, const char *head, const char *body,
                       const char *tail, const char *sst, bool stored)
{
    static const char ct[] =
        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";
    static const char rels[] =
        "<Relationships xmlns=\"" PKG "\"><Relationship Id=\"rId1\" Type=\"" REL
        "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
    static const char wb[] =
        "<workbook xmlns=\"" MAIN "\" xmlns:r=\"" REL "\"><sheets><sheet name=\"S\" "
        "sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    static const char wbrels[] =
        "<Relationships xmlns=\"" PKG "\"><Relationship Id=\"rId1\" Type=\"" REL
        "/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" "
        "Type=\"" REL "/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>";
    zipw *z;
    assert_int_equal(zipw_open(path, &z), UC_OK);
    assert_int_equal(zipw_add(z, "[Content_Types].xml", ct, sizeof ct - 1), UC_OK);
    assert_int_equal(zipw_add(z, "_rels/.rels", rels, sizeof rels - 1), UC_OK);
    assert_int_equal(zipw_add(z, "xl/workbook.xml", wb, sizeof wb - 1), UC_OK);
    assert_int_equal(zipw_add(z, "xl/_rels/workbook.xml.rels", wbrels, sizeof wbrels - 1),
                     UC_OK);
    if (sst)
        assert_int_equal(zipw_add(z, "xl/sharedStrings.xml", sst, strlen(sst)), UC_OK);
    if (stored) {
        struct buf b;
        buf_init(&b, SIZE_MAX);
        assert_int_equal(buf_adds(&b, head), UC_OK);
        assert_int_equal(buf_adds(&b, body), UC_OK);
        assert_int_equal(buf_adds(&b, tail), UC_OK);
        assert_int_equal(zipw_add(z, "xl/worksheets/sheet1.xml", b.data, b.len), UC_OK);
        buf_free(&b);
    } else {
        assert_int_equal(zipw_begin(z, "xl/worksheets/sheet1.xml"), UC_OK);
        assert_int_equal(zipw_write(z, head, strlen(head)), UC_OK);
        assert_int_equal(zipw_write(z, body, strlen(body)), UC_OK);
        assert_int_equal(zipw_write(z, tail, strlen(tail)), UC_OK);
        assert_int_equal(zipw_end(z), UC_OK);
    }
    assert_int_equal(zipw_close(z), UC_OK);
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<worksheet xmlns=\"" MAIN \
             "\"><cols><col min=\"1\" max=\"2\" width=\"30\"/></cols><sheetData>"
#define TAIL "</sheetData></worksheet>"
#define SST "<sst xmlns=\"" MAIN "\"><si><t>shared0</t></si><si><t>shared1</t></si></sst>"

/* A plain row numbered r, with brk after it. */
static void plain_row(struct buf *b, unsigned r, const char *brk)
{
    assert_int_equal(buf_printf(&b[0],
                                "<row r=\"%u\"><c r=\"A%u\" t=\"inlineStr\"><is><t>a%u@x.org"
                                "</t></is></c><c r=\"B%u\"><v>%u</v></c><c r=\"C%u\" t=\"s\">"
                                "<v>%u</v></c></row>%s",
                                r, r, r, r, r * 3, r, r % 2, brk),
                     UC_OK);
}

/* The sheet: rows 1..n with odd at row k (odd may be ""), through every
 * chunk size, deflated and stored. */
static void check_sheet(const char *head, const char *odd, unsigned k, unsigned n,
                        const char *brk, const char *tail, const xlsx_limits *lim)
{
    struct buf b;
    buf_init(&b, SIZE_MAX);
    for (unsigned r = 1; r <= n; r++) {
        if (r == k)
            assert_int_equal(buf_adds(&b, odd), UC_OK);
        plain_row(&b, r < k ? r : r + 10, brk);
    }
    char path[128];
    for (int stored = 0; stored < 2; stored++) {
        snprintf(path, sizeof path, "%s/s%d.xlsx", tmp, stored);
        write_book(path, head, b.data ? b.data : "", tail, SST, stored);
        same_reads(path, 0, lim);
    }
    buf_free(&b);
}

static const char *odd_parts[] = {
    "",
    "<!-- <row r=\"9\"><c r=\"A9\"><v>1</v></c></row> -->",
    "<!-- a comment\n<row r=\"9\"> -->",
    "<row r=\"9\"><c r=\"A9\" t=\"str\"><v><![CDATA[<row r=\"8\"><c r=\"A8\"/></row>]]></v></c></row>",
    "<?pi <row r=\"9\"><c r=\"A9\"><v>2</v></c></row> ?>",
    "<row r=\"9\"><c r=\"A9\"><v>1</v><row r=\"8\"><c r=\"B8\"><v>3</v></c></row></c></row>",
    "<row><c r=\"A9\"><v>4</v></c></row>",
    "<row><c><v>4</v></c><c><v>5</v></c></row><row><c><v>6</v></c></row>",
    "<row xmlns=\"urn:other\" r=\"9\"><c r=\"A9\"><v>7</v></c></row>",
    "<x:row xmlns:x=\"" MAIN "\" r=\"9\"><x:c r=\"A9\"><x:v>8</x:v></x:c></x:row>",
    "<row r=\"9\"><c r=\"A9\" t=\"inlineStr\"><is><c r=\"B9\"></c></is></c></row>",
    /* the handlers' in_is outlives row 9: row 10's bare <t> is text */
    "<row r=\"9\"><c r=\"A9\" t=\"inlineStr\"><is><c r=\"B9\"></c></is></c></row>"
    "<row r=\"10\"><c r=\"A10\" t=\"str\"><t>leaked</t></c></row>",
    "<row r=\"9\"><c r=\"A9\"><v>1</v></c></row><sheetData></sheetData>"
    "<col min=\"3\" max=\"3\" width=\"9\"/>",
    "<row r=\"9\"><c r=\"A9\"><v>1</v></c></row></sheetData><sheetData>",
    "<row r=\"9\"><c r=\"A9\"><v>1</c></row>",
    "<row r=\"9\"><c r=\"A9\"><v>1</v></c></row> ]]> ",
    "<row r=\"9\"><c r=\"A9\"><v>&amp;&#65;&lt;</v></c></row>",
    "<row r=\"9\"><c r=\"A9\"><v>&undefined;</v></c></row>",
    "<row r=\"9\"><c r=\"A9\" t=\"str\"><v>a]]>b</v></c></row>",
    "<row r=\"9\"><c r=\"A9\" t=\"str\"><v>a\rb\r\nc</v></c></row>",
    "<row r=\"9\"><c r=\"A9\" t=\"str\"><v>\x01</v></c></row>",
    "<row r=\"9\" a=\"1\"a=\"2\"><c r=\"A9\"><v>1</v></c></row>",
    "<row r=\"9\" a=\"1\" a=\"2\"><c r=\"A9\"><v>1</v></c></row>",
    "<row r=\"9\" p:a=\"1\"><c r=\"A9\"><v>1</v></c></row>",
    "<row r=\"9\"><c r=\"A9\" t=\"s&#9;\"><v>1</v></c><c r=\"B9\" t=\"s\t\">"
    "<v>1</v></c></row>",
    "<row r=\"9\"><c r=\"A9\" t=\"inlineStr\"><is><t xml:space=\"preserve\"> x </t>"
    "<t>y</t></is></c><c r=\"B9\" t=\"inlineStr\"><is/></c><c r=\"C9\"><v/></c></row>",
    "<row r=\"9\"><c r=\"A9\" t=\"str\"><v>caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
    "\xef\xbf\xbe</v></c></row>",
    "<row r=\"9\"><c r=\"A9\" t=\"str\"><v>\xed\xa0\x80</v></c></row>",
    "<row r=\"9\"><c r=\"A9\" t=\"str\"><v>\xc0\xaf</v></c></row>",
    "<row r=\"9\"><c r=\"A9\"><f>1+1</f><v>2</v></c></row>",
    "<row r=\"9\"><c r=\"A9\" t=\"s\"><v>7</v></c></row>",
    "<row r=\"9\"><c r=\"A9\" t=\"s\"><v>x</v></c></row>",
    "<row r=\"2000000\"><c r=\"A1\"><v>1</v></c></row>",
    "<row r=\"9\"><c r=\"ZZZZ9\"><v>1</v></c></row>",
    "<row r=\"x\"/>",
    "<row r=\"9\"/><row r=\"3\"><c r=\"A3\"><v>5</v></c></row>",
    "<row r=\"9\"><c r=\"A9\"><v>\xff\xfe</v></c></row>",
    "<row r=\"9\" xmlns:p=\"urn:p\"><c r=\"A9\" p:x=\"1\"><v>1</v></c></row>",
    "<!DOCTYPE x>",
    "</worksheet>",
    "<row r=\"9\"><c r=\"A9\"><v>1</v></c></row><row r=\"10\"",
};

static void test_odd_rows(void **state)
{
    /* a row longer than a chunk may grow without a cut (64 times a small
     * target, at least 4 KiB): the main parser reads on from there */
    static char longrow[9000];
    size_t n = (size_t)snprintf(longrow, sizeof longrow,
                                "<row r=\"9\"><c r=\"A9\" t=\"str\"><v>");
    memset(longrow + n, 'x', 8000);
    snprintf(longrow + n + 8000, sizeof longrow - n - 8000, "</v></c></row>");
    for (unsigned k = 1; k <= 40; k += 13)
        check_sheet(HEAD, longrow, k, 40, "\n", TAIL, NULL);

    const char *brks[] = {"", "\n", "\r\n", "\r", " \n\t"};
    for (size_t i = 0; i < sizeof odd_parts / sizeof *odd_parts; i++)
        for (size_t b = 0; b < sizeof brks / sizeof *brks; b++)
            for (unsigned k = 1; k <= 40; k += 13)
                check_sheet(HEAD, odd_parts[i], k, 40, brks[b], TAIL, NULL);
}

/* Namespaces on the way to sheetData: prefixed, redeclared, undeclared;
 * another encoding; no declaration at all. */
static void test_heads(void **state)
{
    static const struct { const char *head, *tail; } h[] = {
        {"<x:worksheet xmlns:x=\"" MAIN "\"><x:sheetData>", "</x:sheetData></x:worksheet>"},
        {"<x:worksheet xmlns:x=\"" MAIN "\" xmlns=\"" MAIN "\"><sheetData>", TAIL},
        {"<worksheet xmlns=\"urn:a\" xmlns:m=\"" MAIN "\"><m:sheetData xmlns=\"" MAIN "\">",
         "</m:sheetData></worksheet>"},
        {"<worksheet xmlns=\"" MAIN "\" xmlns:q=\"urn:q&amp;&quot;&#9;&#10;\"><sheetData "
         "xmlns:q=\"urn:q2\" xmlns:r=\"urn:&lt;r\">", TAIL},
        {"<worksheet xmlns=\"" MAIN "\"><sheetData xmlns=\"\">", TAIL},
        {"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><worksheet xmlns=\"" MAIN
         "\"><sheetData>", TAIL},
        {"\xef\xbb\xbf<worksheet xmlns=\"" MAIN "\"><sheetData>", TAIL},
        {"<worksheet xmlns=\"" MAIN "\"><sheetData><!-- <row r=\"1\"> -->", TAIL},
        {"<worksheet xmlns=\"" MAIN "\"><sheetData><![CDATA[<row r=\"1\"><c r=\"A1\"><v>1"
         "</v></c></row><row r=\"2\"><c r=\"A2\"><v>2</v></c></row>]]>", TAIL},
        {"<worksheet xmlns=\"" MAIN "\"><sheetData>\r", TAIL},
        {"<worksheet xmlns=\"" MAIN "\"><sheetData>", "</sheetData></worksheet><junk/>"},
        {"<worksheet xmlns=\"" MAIN "\"><sheetData>", "</sheetData>"},
        {"<worksheet xmlns=\"" MAIN "\"><sheetData>", "</sheetData></worksheet><!-- x"},
    };
    for (size_t i = 0; i < sizeof h / sizeof *h; i++) {
        check_sheet(h[i].head, "", 0, 30, "\n", h[i].tail, NULL);
        check_sheet(h[i].head, odd_parts[13], 20, 30, "\n", h[i].tail, NULL);
        /* Latin-1 bytes that also read as UTF-8 ("\xc3\xa9": "Ã©" or "é") */
        check_sheet(h[i].head, "<row r=\"9\"><c r=\"A9\" t=\"str\"><v>caf\xc3\xa9</v></c></row>",
                    1, 30, "\n", h[i].tail, NULL);
    }
}

/* Caps met late in the sheet: cell text, columns, rows. */
static void test_caps(void **state)
{
    xlsx_limits lim;
    xlsx_limits_default(&lim);
    lim.max_cell_bytes = 40;
    lim.max_columns = 3;
    lim.max_rows = 45;
    check_sheet(HEAD, "<row r=\"9\"><c r=\"A9\"><v>1</v></c><c><v>2</v></c><c><v>3</v></c>"
                      "<c><v>4</v></c></row>", 30, 40, "\n", TAIL, &lim);
    check_sheet(HEAD, "<row r=\"9\"><c r=\"A9\" t=\"inlineStr\"><is><t>"
                      "0123456789012345678901234567890123456789x</t></is></c></row>",
                30, 40, "", TAIL, &lim);
    check_sheet(HEAD, "", 0, 60, "\n", TAIL, &lim);
}

/* A large sheet (past the default chunk size) with a bad row near its end,
 * and every truncation of a small one. */
static void test_large_and_cut(void **state)
{
    xlsx_limits lim;
    xlsx_limits_default(&lim);
    char path[128], cut[128];
    snprintf(path, sizeof path, "%s/big.xlsx", tmp);
    struct buf b;
    buf_init(&b, SIZE_MAX);
    for (unsigned r = 1; r <= 16000; r++)
        plain_row(&b, r, "");
    write_book(path, HEAD, b.data, TAIL, SST, false);
    buf_reset(&b);
    unsigned long before = xlsx_chunks_delivered;
    free(read_all(path, lim.chunk_bytes, 0, NULL));  /* the default size */
    assert_true(xlsx_chunks_delivered > before);

    check_sheet(HEAD, odd_parts[13], 15000, 16000, "\n", TAIL, NULL);
    check_sheet(HEAD, "", 0, 16000, "", TAIL, NULL);

    for (unsigned r = 1; r <= 30; r++)
        plain_row(&b, r, "\n");
    snprintf(path, sizeof path, "%s/whole.xlsx", tmp);
    snprintf(cut, sizeof cut, "%s/cut.xlsx", tmp);
    write_book(path, HEAD, b.data, TAIL, SST, false);
    buf_free(&b);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char data[1 << 16];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    for (size_t at = 0; at < n; at += 7) {
        for (int flip = 0; flip < 2; flip++) {
            FILE *o = fopen(cut, "wb");
            assert_non_null(o);
            if (flip) {
                char save = data[at];
                data[at] ^= 0x21;
                assert_int_equal(fwrite(data, 1, n, o), n);
                data[at] = save;
            } else {
                assert_int_equal(fwrite(data, 1, at, o), at);
            }
            fclose(o);
            same_reads(cut, 0, NULL);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_odd_rows),
        cmocka_unit_test(test_heads),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_large_and_cut),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
