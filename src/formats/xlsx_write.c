/* xlsx_write.c: result workbooks, streamed: the sheet's XML is generated
 * row by row straight into a deflated zip entry (zipw.c), so memory stays
 * constant and nothing is written twice. The workbook keeps the input's
 * look as xlsx_meta gives it: sheet name, number and cell formats (with
 * bold), column widths.
 *
 * Why not libxlsxwriter (which this file used first): in constant_memory
 * mode it writes the sheet through fprintf into a temp file and deflates
 * it again at close, at default compression; a 1,000,000-row result took
 * 4.2 s of its time alone, against about 0.6 s here (bench/RESULTS.md).
 * And it can only write a number as a double, so "0.10" or a 17-digit
 * value came back changed; here a number keeps its text exactly. */
#include "formats/xlsx_write.h"

#include "formats/zipw.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XLSX_MAX_CHARS 32767   /* Excel's limit per cell, in UTF-16 units */
#define XLSX_MAX_ROWS 1048576
#define XLSX_MAX_COLS 16384

struct xlsxw {
    zipw *zip;
    char *xml;             /* room in the streamed part (zipw_room), */
    size_t xml_n, xml_cap; /* xml_n of xml_cap bytes written */
    uint32_t row;          /* next row (0-based) */
    uint32_t nxfs;         /* cell formats in styles.xml */
    uint32_t plain, bold;  /* the two added ones (xlsxw_added_style) */
    int failed;
    char reason[256];
};

#define XMLDECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

static const char CONTENT_TYPES[] = XMLDECL
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
    "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
    "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
    "</Types>";

static const char ROOT_RELS[] = XMLDECL
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>"
    "</Relationships>";

static const char WORKBOOK_RELS[] = XMLDECL
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
    "</Relationships>";

static const char WORKBOOK_HEAD[] = XMLDECL
    "<workbook xmlns=\"" NS_MAIN "\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<sheets><sheet name=\"";
static const char WORKBOOK_TAIL[] = "\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";

/* Font 0 plain, font 1 bold; the rest of the look is the default's. */
static const char STYLES_HEAD[] = XMLDECL "<styleSheet xmlns=\"" NS_MAIN "\">";
static const char STYLES_FONTS[] =
    "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
    "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>"
    "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
    "<fill><patternFill patternType=\"gray125\"/></fill></fills>"
    "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>";
static const char STYLES_TAIL[] =
    "</cellXfs><cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/>"
    "</cellStyles></styleSheet>";

static const char SHEET_HEAD[] = XMLDECL "<worksheet xmlns=\"" NS_MAIN "\">";
static const char SHEET_TAIL[] = "</sheetData></worksheet>";

static uc_err setr(xlsxw *w, uc_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->reason, sizeof w->reason, fmt, ap);
    va_end(ap);
    return e;
}

/* A failure of the zip writer, with its reason. */
static uc_err zfail(xlsxw *w, uc_err e)
{
    w->failed = 1;
    if (e == UC_ELIMIT)
        return setr(w, e, "The result is too large for an XLSX file (4 GB)");
    if (e == UC_EIO)
        return setr(w, e, "Cannot write XLSX: %s", strerror(zipw_errno(w->zip)));
    return setr(w, e, "Cannot write XLSX: %s", uc_strerror(e));
}

/* ---- XML into the streamed part ---- */

/* The XML written into the streamed part's room, handed over. */
static uc_err xml_flush(xlsxw *w)
{
    if (w->xml_n)
        zipw_commit(w->zip, w->xml_n);
    w->xml = NULL;
    w->xml_n = w->xml_cap = 0;
    return UC_OK;
}

/* put() when the room is full: hand it over and take the next; s goes
 * into that, or through zipw_write's copy when it is larger (the end of
 * a deflate block). */
static __attribute__((noinline)) uc_err put_full(xlsxw *w, const char *s, size_t n)
{
    xml_flush(w);
    size_t room;
    char *p = (char *)zipw_room(w->zip, &room);
    if (!p)
        return zfail(w, zipw_write(w->zip, s, n)); /* says why */
    if (n <= room) {
        memcpy(p, s, n);
        w->xml = p;
        w->xml_n = n;
        w->xml_cap = room;
        return UC_OK;
    }
    uc_err e = zipw_write(w->zip, s, n);
    return e ? zfail(w, e) : UC_OK;
}

/* Append n bytes of XML (several calls per cell: kept inline). */
static inline __attribute__((always_inline)) uc_err put(xlsxw *w, const char *s, size_t n)
{
    if (w->xml_n + n > w->xml_cap)
        return put_full(w, s, n);
    memcpy(w->xml + w->xml_n, s, n);
    w->xml_n += n;
    return UC_OK;
}

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

/* The streamed part's end: the rest of its XML, then its descriptor. */
static uc_err part_end(xlsxw *w)
{
    uc_err e = xml_flush(w);
    if (!e && (e = zipw_end(w->zip)))
        zfail(w, e);
    return e;
}

/* n bytes of s, then rep (standing for the byte after them). */
static uc_err put_run(xlsxw *w, const char *s, size_t n, const char *rep)
{
    uc_err e = put(w, s, n);
    return e ? e : put(w, rep, strlen(rep));
}

/* An attribute value: & < > " as entities, and the white space XML would
 * normalise to a space as character references. */
static uc_err put_attr(xlsxw *w, const char *s)
{
    size_t run = 0, i = 0;
    for (; s[i]; i++) {
        const char *rep;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\t': rep = "&#9;"; break;
        case '\n': rep = "&#10;"; break;
        case '\r': rep = "&#13;"; break;
        default: continue;
        }
        uc_err e = put_run(w, s + run, i - run, rep);
        if (e)
            return e;
        run = i + 1;
    }
    return put(w, s + run, i - run);
}

/* Bytes put_text looks at twice: & < > NUL, the C0 controls but tab and
 * LF, and '_' (which may start an escape look-alike). */
static const unsigned char TEXT_SPECIAL[256] = {
    [0] = 1, [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [6] = 1, [7] = 1, [8] = 1,
    [11] = 1, [12] = 1, [13] = 1, [14] = 1, [15] = 1, [16] = 1, [17] = 1, [18] = 1,
    [19] = 1, [20] = 1, [21] = 1, [22] = 1, [23] = 1, [24] = 1, [25] = 1, [26] = 1,
    [27] = 1, [28] = 1, [29] = 1, [30] = 1, [31] = 1,
    ['&'] = 1, ['<'] = 1, ['>'] = 1, ['_'] = 1,
};

/* Text with XML's and SpreadsheetML's escapes: & < > as entities; C0
 * controls XML cannot carry and an underscore that would read as an
 * escape as _xHHHH_ (what the reader decodes); NUL bytes dropped. */
static uc_err put_text(xlsxw *w, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!TEXT_SPECIAL[c])
            continue;
        const char *rep = NULL;
        char buf[8];
        if (c == '&')
            rep = "&amp;";
        else if (c == '<')
            rep = "&lt;";
        else if (c == '>')
            rep = "&gt;";
        else if (c == 0)
            rep = "";
        else if (c == '\r')
            rep = "_x000D_"; /* XML would turn a raw CR into LF */
        else if (c < 0x20) {
            snprintf(buf, sizeof buf, "_x%04X_", c);
            rep = buf;
        } else if (c == '_' && i + 6 < n && s[i + 1] == 'x' && s[i + 6] == '_' &&
                   strspn(s + i + 2, "0123456789abcdefABCDEF") >= 4) {
            rep = "_x005F_";
        }
        if (!rep)
            continue;
        uc_err e = put_run(w, s + run, i - run, rep);
        if (e)
            return e;
        run = i + 1;
    }
    return put(w, s + run, n - run);
}

/* Decimal digits of v into buf (no NUL); returns their count. */
static size_t put_u32(char *buf, uint32_t v)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

/* "A1"-style reference of column col (0-based) in a row whose number's
 * digits are rd (rl of them). */
static size_t cell_ref(char *buf, size_t col, const char *rd, size_t rl)
{
    char tmp[4];
    size_t n = 0;
    col++;
    while (col > 0) {
        tmp[n++] = (char)('A' + (col - 1) % 26);
        col = (col - 1) / 26;
    }
    size_t k = 0;
    while (n > 0)
        buf[k++] = tmp[--n];
    memcpy(buf + k, rd, rl);
    return k + rl;
}

/* UTF-16 length of UTF-8 text, as Excel counts characters. */
static size_t utf16_len(const char *s, size_t n)
{
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) != 0x80)
            u += c >= 0xF0 ? 2 : 1;
    }
    return u;
}

/* A number cell only if its text is an xsd:double in plain decimal form
 * ([+-]digits[.digits][(e|E)[+-]digits], at least one digit before the
 * exponent): then it is written as is. Anything else (hex, inf, nan,
 * spaces) is written as text. */
static bool is_number(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    if (!digits)
        return false;
    bool exp = i < n && (s[i] == 'e' || s[i] == 'E');
    if (exp) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t ed = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, ed++;
        if (!ed)
            return false;
    }
    if (i != n)
        return false;
    if (exp || n > 32) { /* could overflow: let strtod confirm it is finite */
        char buf[400];
        if (n >= sizeof buf)
            return false;
        memcpy(buf, s, n);
        buf[n] = 0;
        return isfinite(strtod(buf, NULL));
    }
    return true;
}

static bool is_error_literal(const char *s, size_t n)
{
    static const char *lits[] = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?",
                                 "#NUM!", "#N/A", "#GETTING_DATA"};
    for (size_t i = 0; i < sizeof lits / sizeof *lits; i++)
        if (strlen(lits[i]) == n && !memcmp(lits[i], s, n))
            return true;
    return false;
}

/* ---- the parts around the sheet ---- */

/* <numFmts> from the input's declared formats. */
static uc_err put_numfmts(xlsxw *w, const xlsx_meta *m)
{
    char num[16];
    uc_err e = UC_OK;
    size_t n = m ? xlsx_meta_nnumfmts(m) : 0;
    if (!n)
        return UC_OK;
    e = PUTS(w, "<numFmts count=\"");
    if (!e)
        e = put(w, num, put_u32(num, (uint32_t)n));
    if (!e)
        e = PUTS(w, "\">");
    for (size_t i = 0; !e && i < n; i++) {
        const xlsx_numfmt *f = xlsx_meta_numfmt(m, i);
        e = PUTS(w, "<numFmt numFmtId=\"");
        if (!e)
            e = put(w, num, put_u32(num, f->id));
        if (!e)
            e = PUTS(w, "\" formatCode=\"");
        if (!e)
            e = put_attr(w, f->code);
        if (!e)
            e = PUTS(w, "\"/>");
    }
    return e ? e : PUTS(w, "</numFmts>");
}

static uc_err put_xf(xlsxw *w, uint32_t numfmt, bool bold)
{
    char num[16];
    uc_err e = PUTS(w, "<xf numFmtId=\"");
    if (!e)
        e = put(w, num, put_u32(num, numfmt));
    if (!e)
        e = bold ? PUTS(w, "\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"")
                 : PUTS(w, "\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"");
    if (!e && numfmt)
        e = PUTS(w, " applyNumberFormat=\"1\"");
    return e ? e : PUTS(w, "/>");
}

/* xl/styles.xml: the input's number formats and cell formats (at least a
 * default one), then the two this writer adds for its own cells. */
static uc_err put_styles(xlsxw *w, const xlsx_meta *m)
{
    size_t nxfs = m ? xlsx_meta_nxfs(m) : 0, nin = nxfs ? nxfs : 1;
    char num[16];
    w->plain = (uint32_t)nin;
    w->bold = w->plain + 1;
    w->nxfs = w->bold + 1;
    if (!nxfs || (xlsx_meta_xf(m, 0)->numfmt == 0 && !xlsx_meta_xf(m, 0)->bold))
        w->plain = 0;  /* the default format already is plain General */
    uc_err e = PUTS(w, STYLES_HEAD);
    if (!e)
        e = put_numfmts(w, m);
    if (!e)
        e = PUTS(w, STYLES_FONTS);
    if (!e)
        e = PUTS(w, "<cellXfs count=\"");
    if (!e)
        e = put(w, num, put_u32(num, w->nxfs));
    if (!e)
        e = PUTS(w, "\">");
    for (size_t i = 0; !e && i < nin; i++)
        e = nxfs ? put_xf(w, xlsx_meta_xf(m, i)->numfmt, xlsx_meta_xf(m, i)->bold)
                 : put_xf(w, 0, false);
    if (!e)
        e = put_xf(w, 0, false);
    if (!e)
        e = put_xf(w, 0, true);
    return e ? e : PUTS(w, STYLES_TAIL);
}

/* <cols>: the input's column widths. */
static uc_err put_cols(xlsxw *w, const xlsx_meta *m)
{
    char num[16];
    size_t n = m ? xlsx_meta_ncols(m) : 0;
    if (!n)
        return UC_OK;
    uc_err e = PUTS(w, "<cols>");
    for (size_t i = 0; !e && i < n; i++) {
        const xlsx_colw *c = xlsx_meta_col(m, i);
        e = PUTS(w, "<col min=\"");
        if (!e)
            e = put(w, num, put_u32(num, c->min));
        if (!e)
            e = PUTS(w, "\" max=\"");
        if (!e)
            e = put(w, num, put_u32(num, c->max));
        if (!e)
            e = PUTS(w, "\" width=\"");
        if (!e)
            e = put(w, c->width, strlen(c->width));
        if (!e)
            e = PUTS(w, "\" customWidth=\"1\"/>");
    }
    return e ? e : PUTS(w, "</cols>");
}

/* xl/workbook.xml: one sheet, named like the input's. */
static uc_err put_workbook(xlsxw *w, const xlsx_meta *like)
{
    const char *name = like && like->sheet_name && like->sheet_name[0]
                     ? like->sheet_name : "Sheet1";
    uc_err e = PUTS(w, WORKBOOK_HEAD);
    if (!e)
        e = put_attr(w, name);
    return e ? e : PUTS(w, WORKBOOK_TAIL);
}

/* The sheet's start, up to its first row. */
static uc_err put_sheet_head(xlsxw *w, const xlsx_meta *like)
{
    uc_err e = PUTS(w, SHEET_HEAD);
    if (!e)
        e = put_cols(w, like);
    return e ? e : PUTS(w, "<sheetData>");
}

/* A deflated part whose XML fn writes; the sheet (last) stays open. */
static uc_err put_part(xlsxw *w, const char *name,
                       uc_err (*fn)(xlsxw *, const xlsx_meta *), const xlsx_meta *like,
                       bool end)
{
    uc_err e = zipw_begin(w->zip, name);
    if (e)
        return zfail(w, e);
    e = fn(w, like);
    return e || !end ? e : part_end(w);
}

/* Every part, the sheet only begun. */
static uc_err put_parts(xlsxw *w, const xlsx_meta *like)
{
    uc_err e = zipw_add(w->zip, "[Content_Types].xml", CONTENT_TYPES, sizeof CONTENT_TYPES - 1);
    if (!e)
        e = zipw_add(w->zip, "_rels/.rels", ROOT_RELS, sizeof ROOT_RELS - 1);
    if (!e)
        e = zipw_add(w->zip, "xl/_rels/workbook.xml.rels", WORKBOOK_RELS,
                     sizeof WORKBOOK_RELS - 1);
    if (e)
        return zfail(w, e);
    e = put_part(w, "xl/workbook.xml", put_workbook, like, true);
    if (!e)
        e = put_part(w, "xl/styles.xml", put_styles, like, true);
    return e ? e : put_part(w, "xl/worksheets/sheet1.xml", put_sheet_head, like, false);
}

uc_err xlsxw_create(const char *path, const xlsx_meta *like, xlsxw **outp)
{
    *outp = NULL;
    xlsxw *w = calloc(1, sizeof *w);
    if (!w)
        return UC_ENOMEM;
    uc_err e = zipw_open(path, &w->zip);
    if (!e)
        e = put_parts(w, like);
    if (e) {
        xlsxw_abort(w);
        return e;
    }
    *outp = w;
    return UC_OK;
}

uint32_t xlsxw_added_style(const xlsxw *w, bool bold)
{
    return bold ? w->bold : w->plain;
}

/* ---- rows ---- */

/* One cell of the row whose number's digits are rd (rdl of them). */
static uc_err put_cell(xlsxw *w, const cell *c, size_t col, const char *rd, size_t rdl)
{
    char ref[40];
    size_t rl = cell_ref(ref, col, rd, rdl);
    if (c->style && c->style < w->nxfs) {
        memcpy(ref + rl, "\" s=\"", 5);
        rl += 5;
        rl += put_u32(ref + rl, c->style);
    }
    uc_err e = PUTS(w, "<c r=\"");
    if (!e)
        e = put(w, ref, rl);
    if (e)
        return e;
    if (c->type == CELL_NUMBER && is_number(c->v, c->len)) {
        e = PUTS(w, "\"><v>");
        if (!e)
            e = put(w, c->v, c->len);
        return e ? e : PUTS(w, "</v></c>");
    }
    if (c->type == CELL_BOOL) {
        bool t = (c->len == 1 && c->v[0] == '1') ||
                 (c->len == 4 && !strncasecmp(c->v, "true", 4));
        return t ? PUTS(w, "\" t=\"b\"><v>1</v></c>") : PUTS(w, "\" t=\"b\"><v>0</v></c>");
    }
    if (c->type == CELL_ERROR && is_error_literal(c->v, c->len)) {
        e = PUTS(w, "\" t=\"e\"><v>");
        if (!e)
            e = put(w, c->v, c->len);
        return e ? e : PUTS(w, "</v></c>");
    }
    /* text, and numbers or errors that are not well formed */
    bool keep = c->v[0] == ' ' || c->v[0] == '\t' || c->v[0] == '\n' ||
                c->v[c->len - 1] == ' ' || c->v[c->len - 1] == '\t' ||
                c->v[c->len - 1] == '\n';
    e = keep ? PUTS(w, "\" t=\"inlineStr\"><is><t xml:space=\"preserve\">")
             : PUTS(w, "\" t=\"inlineStr\"><is><t>");
    if (!e)
        e = put_text(w, c->v, c->len);
    return e ? e : PUTS(w, "</t></is></c>");
}

uc_err xlsxw_row(xlsxw *w, const cell *cells, size_t ncells)
{
    if (w->failed)
        return UC_EIO;
    if (w->row >= XLSX_MAX_ROWS)
        return setr(w, UC_ELIMIT, "Result has more than %d rows (Excel's limit)",
                    XLSX_MAX_ROWS);
    if (ncells > XLSX_MAX_COLS)
        return setr(w, UC_ELIMIT, "Result row %u has more than %d columns (Excel's limit)",
                    w->row + 1, XLSX_MAX_COLS);
    uint32_t r = w->row + 1;
    for (size_t i = 0; i < ncells; i++) {
        const cell *c = &cells[i];
        /* never more UTF-16 units than UTF-8 bytes: count long ones only */
        if ((c->type == CELL_STRING || c->type == CELL_ERROR) && c->len > XLSX_MAX_CHARS &&
            utf16_len(c->v, c->len) > XLSX_MAX_CHARS)
            return setr(w, UC_ELIMIT,
                        "Result cell in row %u, column %zu is longer than "
                        "Excel's %d-character limit", r, i + 1, XLSX_MAX_CHARS);
    }
    char buf[32];
    memcpy(buf, "<row r=\"", 8);
    size_t rdl = put_u32(buf + 8, r), n = 8 + rdl;
    buf[n++] = '"';
    buf[n++] = '>';
    uc_err e = put(w, buf, n);
    for (size_t i = 0; !e && i < ncells; i++)
        if (cells[i].type != CELL_EMPTY && cells[i].len)
            e = put_cell(w, &cells[i], i, buf + 8, rdl);
    if (!e)
        e = PUTS(w, "</row>");
    if (e) {
        w->failed = 1;
        return e;
    }
    w->row++;
    return UC_OK;
}

const char *xlsxw_reason(const xlsxw *w)
{
    return w->reason;
}

uc_err xlsxw_close_err(xlsxw *w, char *err, size_t errcap)
{
    uc_err e = w->failed ? UC_EIO : UC_OK;
    if (!e)
        e = PUTS(w, SHEET_TAIL);
    if (!e)
        e = part_end(w);
    if (!e) {
        e = zipw_close(w->zip);
        w->zip = NULL;
        if (e == UC_ELIMIT)
            setr(w, e, "The result is too large for an XLSX file (4 GB)");
        else if (e)
            setr(w, e, "Cannot write XLSX: %s", strerror(errno));
    }
    if (e && err && errcap)
        snprintf(err, errcap, "%s", w->reason[0] ? w->reason : "Cannot write XLSX");
    xlsxw_abort(w);
    return e;
}

uc_err xlsxw_close(xlsxw *w)
{
    return xlsxw_close_err(w, NULL, 0);
}

void xlsxw_abort(xlsxw *w)
{
    if (!w)
        return;
    zipw_abort(w->zip);
    free(w);
}
