/* xlsx_write.c: result workbooks, streamed: the sheet's XML is generated
 * row by row straight into a deflate stream inside a zip we write
 * ourselves (zlib), so memory stays constant and nothing is written twice.
 *
 * Why not libxlsxwriter (which this file used first): in constant_memory
 * mode it writes the sheet through fprintf into a temp file and deflates
 * it again at close, at default compression; a 1,000,000-row result took
 * 4.2 s of its time alone, against about 0.6 s here (bench/RESULTS.md).
 * And it can only write a number as a double, so "0.10" or a 17-digit
 * value came back changed; here a number keeps its text exactly. */
#include "formats/xlsx_write.h"

#include "core/io.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#define XLSX_MAX_CHARS 32767   /* Excel's limit per cell, in UTF-16 units */
#define XLSX_MAX_ROWS 1048576
#define XLSX_MAX_COLS 16384
#define XML_BUF (256 * 1024)   /* sheet XML gathered before deflating */
#define ZOUT_BUF (256 * 1024)
#define MAX_PARTS 8
#define DOS_DATE 0x0021        /* 1980-01-01: a fixed time makes output reproducible */
#define DOS_TIME 0x0000

typedef struct part {
    char name[40];
    uint32_t crc, csize, usize, offset;
    uint16_t method, flags;
} part;

struct xlsxw {
    int fd;
    uint64_t pos;          /* bytes written to the file */
    part parts[MAX_PARTS];
    int nparts;
    z_stream z;
    int z_live;
    uint32_t crc;
    uint64_t usize;
    char *xml;             /* pending sheet XML */
    size_t xml_n;
    unsigned char *zout;
    uint32_t row;          /* next row (0-based) */
    int failed;
    char reason[256];
};

static const char CONTENT_TYPES[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
    "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
    "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
    "</Types>";

static const char ROOT_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>"
    "</Relationships>";

static const char WORKBOOK[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";

static const char WORKBOOK_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
    "</Relationships>";

static const char STYLES[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
    "<fonts count=\"1\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>"
    "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
    "<fill><patternFill patternType=\"gray125\"/></fill></fills>"
    "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
    "<cellXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/></cellXfs>"
    "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
    "</styleSheet>";

static const char SHEET_HEAD[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>";
static const char SHEET_TAIL[] = "</sheetData></worksheet>";

static uc_err setr(xlsxw *w, uc_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->reason, sizeof w->reason, fmt, ap);
    va_end(ap);
    return e;
}

/* ---- the zip container ---- */

static uc_err out(xlsxw *w, const void *p, size_t n)
{
    if (io_write_all(w->fd, p, n) != UC_OK) {
        w->failed = 1;
        return setr(w, UC_EIO, "Cannot write XLSX: %s", strerror(errno));
    }
    w->pos += n;
    return UC_OK;
}

static void le16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p + 2, (uint16_t)(v >> 16));
}

static uc_err local_header(xlsxw *w, const part *pt)
{
    unsigned char h[30];
    size_t nl = strlen(pt->name);
    le32(h, 0x04034b50);
    le16(h + 4, 20);
    le16(h + 6, pt->flags);
    le16(h + 8, pt->method);
    le16(h + 10, DOS_TIME);
    le16(h + 12, DOS_DATE);
    le32(h + 14, pt->crc);
    le32(h + 18, pt->csize);
    le32(h + 22, pt->usize);
    le16(h + 26, (uint16_t)nl);
    le16(h + 28, 0);
    uc_err e = out(w, h, sizeof h);
    return e ? e : out(w, pt->name, nl);
}

/* A small part whose bytes are known: stored, sizes in the header. */
static uc_err add_stored(xlsxw *w, const char *name, const char *data)
{
    part *pt = &w->parts[w->nparts++];
    size_t n = strlen(data);
    snprintf(pt->name, sizeof pt->name, "%s", name);
    pt->method = 0;
    pt->flags = 0;
    pt->crc = (uint32_t)crc32(0, (const Bytef *)data, (uInt)n);
    pt->csize = pt->usize = (uint32_t)n;
    pt->offset = (uint32_t)w->pos;
    uc_err e = local_header(w, pt);
    return e ? e : out(w, data, n);
}

/* ---- the sheet stream ---- */

static uc_err deflate_some(xlsxw *w, const void *p, size_t n, int flush)
{
    w->crc = (uint32_t)crc32(w->crc, (const Bytef *)p, (uInt)n);
    w->usize += n;
    w->z.next_in = (Bytef *)p;
    w->z.avail_in = (uInt)n;
    do {
        w->z.next_out = w->zout;
        w->z.avail_out = ZOUT_BUF;
        int rc = deflate(&w->z, flush);
        if (rc == Z_STREAM_ERROR)
            return setr(w, UC_EIO, "Cannot write XLSX: deflate failed");
        size_t have = ZOUT_BUF - w->z.avail_out;
        if (have) {
            uc_err e = out(w, w->zout, have);
            if (e)
                return e;
        }
    } while (w->z.avail_out == 0 || (flush == Z_FINISH && w->z.avail_in > 0));
    return UC_OK;
}

static uc_err xml_flush(xlsxw *w)
{
    uc_err e = w->xml_n ? deflate_some(w, w->xml, w->xml_n, Z_NO_FLUSH) : UC_OK;
    w->xml_n = 0;
    return e;
}

/* Append n bytes of sheet XML. */
static uc_err put(xlsxw *w, const char *s, size_t n)
{
    if (w->xml_n + n > XML_BUF) {
        uc_err e = xml_flush(w);
        if (e)
            return e;
        if (n > XML_BUF)
            return deflate_some(w, s, n, Z_NO_FLUSH);
    }
    memcpy(w->xml + w->xml_n, s, n);
    w->xml_n += n;
    return UC_OK;
}

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

/* Text with XML's and SpreadsheetML's escapes: & < > as entities; C0
 * controls XML cannot carry and an underscore that would read as an
 * escape as _xHHHH_ (what the reader decodes); NUL bytes dropped. */
static uc_err put_text(xlsxw *w, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
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
        else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            snprintf(buf, sizeof buf, "_x%04X_", c);
            rep = buf;
        } else if (c == '\r') {
            rep = "_x000D_"; /* XML would turn a raw CR into LF */
        } else if (c == '_' && i + 6 < n && s[i + 1] == 'x' && s[i + 6] == '_' &&
                   strspn(s + i + 2, "0123456789abcdefABCDEF") >= 4) {
            rep = "_x005F_";
        }
        if (!rep)
            continue;
        uc_err e = put(w, s + run, i - run);
        if (!e)
            e = put(w, rep, strlen(rep));
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

/* "A1"-style reference of column col (0-based) in row (1-based). */
static size_t cell_ref(char *buf, size_t col, uint32_t row)
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
    return k + put_u32(buf + k, row);
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

uc_err xlsxw_open(const char *path, const char *tmpdir, xlsxw **outp)
{
    (void)tmpdir; /* nothing is staged: the sheet streams into the file */
    *outp = NULL;
    xlsxw *w = calloc(1, sizeof *w);
    if (!w)
        return UC_ENOMEM;
    w->fd = -1;
    w->xml = malloc(XML_BUF);
    w->zout = malloc(ZOUT_BUF);
    if (!w->xml || !w->zout || deflateInit2(&w->z, 1, Z_DEFLATED, -15, 8,
                                            Z_DEFAULT_STRATEGY) != Z_OK) {
        xlsxw_abort(w);
        return UC_ENOMEM;
    }
    w->z_live = 1;
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        xlsxw_abort(w);
        return UC_EIO;
    }
    uc_err e = add_stored(w, "[Content_Types].xml", CONTENT_TYPES);
    if (!e)
        e = add_stored(w, "_rels/.rels", ROOT_RELS);
    if (!e)
        e = add_stored(w, "xl/workbook.xml", WORKBOOK);
    if (!e)
        e = add_stored(w, "xl/_rels/workbook.xml.rels", WORKBOOK_RELS);
    if (!e)
        e = add_stored(w, "xl/styles.xml", STYLES);
    if (!e) { /* the sheet: deflated, sizes in a data descriptor */
        part *pt = &w->parts[w->nparts++];
        snprintf(pt->name, sizeof pt->name, "xl/worksheets/sheet1.xml");
        pt->method = 8;
        pt->flags = 0x0008;
        pt->offset = (uint32_t)w->pos;
        e = local_header(w, pt);
    }
    if (!e)
        e = PUTS(w, SHEET_HEAD);
    if (e) {
        xlsxw_abort(w);
        return e;
    }
    *outp = w;
    return UC_OK;
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
        if ((c->type == CELL_STRING || c->type == CELL_ERROR) &&
            utf16_len(c->v, c->len) > XLSX_MAX_CHARS)
            return setr(w, UC_ELIMIT,
                        "Result cell in row %u, column %zu is longer than "
                        "Excel's %d-character limit", r, i + 1, XLSX_MAX_CHARS);
    }
    char buf[32];
    size_t n = 0;
    memcpy(buf, "<row r=\"", 8);
    n = 8 + put_u32(buf + 8, r);
    buf[n++] = '"';
    buf[n++] = '>';
    uc_err e = put(w, buf, n);
    for (size_t i = 0; !e && i < ncells; i++) {
        const cell *c = &cells[i];
        if (c->type == CELL_EMPTY || c->len == 0)
            continue;
        char ref[24];
        size_t rl = cell_ref(ref, i, r);
        e = PUTS(w, "<c r=\"");
        if (!e)
            e = put(w, ref, rl);
        if (e)
            break;
        if (c->type == CELL_NUMBER && is_number(c->v, c->len)) {
            e = PUTS(w, "\"><v>");
            if (!e)
                e = put(w, c->v, c->len);
            if (!e)
                e = PUTS(w, "</v></c>");
        } else if (c->type == CELL_BOOL) {
            bool t = (c->len == 1 && c->v[0] == '1') ||
                     (c->len == 4 && !strncasecmp(c->v, "true", 4));
            e = t ? PUTS(w, "\" t=\"b\"><v>1</v></c>") : PUTS(w, "\" t=\"b\"><v>0</v></c>");
        } else if (c->type == CELL_ERROR && is_error_literal(c->v, c->len)) {
            e = PUTS(w, "\" t=\"e\"><v>");
            if (!e)
                e = put(w, c->v, c->len);
            if (!e)
                e = PUTS(w, "</v></c>");
        } else { /* text, and numbers or errors that are not well formed */
            bool keep = c->v[0] == ' ' || c->v[0] == '\t' || c->v[0] == '\n' ||
                        c->v[c->len - 1] == ' ' || c->v[c->len - 1] == '\t' ||
                        c->v[c->len - 1] == '\n';
            e = keep ? PUTS(w, "\" t=\"inlineStr\"><is><t xml:space=\"preserve\">")
                     : PUTS(w, "\" t=\"inlineStr\"><is><t>");
            if (!e)
                e = put_text(w, c->v, c->len);
            if (!e)
                e = PUTS(w, "</t></is></c>");
        }
    }
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
        e = xml_flush(w);
    if (!e)
        e = deflate_some(w, "", 0, Z_FINISH);
    part *sheet = &w->parts[w->nparts - 1];
    if (!e && (w->usize > 0xFFFFFFFFu || w->z.total_out > 0xFFFFFFFFu || w->pos > 0xFFFFFFFFu))
        e = setr(w, UC_ELIMIT, "The result is too large for an XLSX file (4 GB)");
    if (!e) {
        sheet->crc = w->crc;
        sheet->csize = (uint32_t)w->z.total_out;
        sheet->usize = (uint32_t)w->usize;
        unsigned char dd[16];
        le32(dd, 0x08074b50);
        le32(dd + 4, sheet->crc);
        le32(dd + 8, sheet->csize);
        le32(dd + 12, sheet->usize);
        e = out(w, dd, sizeof dd);
    }
    uint64_t cd_start = w->pos;
    for (int i = 0; !e && i < w->nparts; i++) {
        const part *pt = &w->parts[i];
        unsigned char h[46];
        size_t nl = strlen(pt->name);
        le32(h, 0x02014b50);
        le16(h + 4, 20);   /* made by: MS-DOS, 2.0 */
        le16(h + 6, 20);
        le16(h + 8, pt->flags);
        le16(h + 10, pt->method);
        le16(h + 12, DOS_TIME);
        le16(h + 14, DOS_DATE);
        le32(h + 16, pt->crc);
        le32(h + 20, pt->csize);
        le32(h + 24, pt->usize);
        le16(h + 28, (uint16_t)nl);
        memset(h + 30, 0, 12); /* extra, comment, disk, attributes */
        le32(h + 42, pt->offset);
        e = out(w, h, sizeof h);
        if (!e)
            e = out(w, pt->name, nl);
    }
    if (!e) {
        unsigned char eocd[22];
        le32(eocd, 0x06054b50);
        le16(eocd + 4, 0);
        le16(eocd + 6, 0);
        le16(eocd + 8, (uint16_t)w->nparts);
        le16(eocd + 10, (uint16_t)w->nparts);
        le32(eocd + 12, (uint32_t)(w->pos - cd_start));
        le32(eocd + 16, (uint32_t)cd_start);
        le16(eocd + 20, 0);
        e = out(w, eocd, sizeof eocd);
    }
    if (!e && close(w->fd) != 0)
        e = setr(w, UC_EIO, "Cannot write XLSX: %s", strerror(errno));
    else if (e)
        close(w->fd);
    w->fd = -1;
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
    if (w->z_live)
        deflateEnd(&w->z);
    if (w->fd >= 0)
        close(w->fd);
    free(w->xml);
    free(w->zout);
    free(w);
}
