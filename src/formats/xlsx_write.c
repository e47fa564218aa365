/* xlsx_write.c: result workbooks through libxlsxwriter in constant_memory
 * mode (one row in memory, the sheet body in a temp file under tmpdir).
 * Cell types survive: numbers as numbers, booleans as booleans. */
#include "formats/xlsx_write.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define XLSX_MAX_CHARS 32767  /* Excel's limit per cell, in UTF-16 units */

struct xlsxw {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    char *tmpdir;         /* libxlsxwriter keeps the pointer */
    uint32_t row;         /* next row to write */
    char *s;              /* NUL-terminated copy of the current cell */
    size_t scap;
    char reason[256];
};

static uc_err map_lxw(lxw_error le)
{
    switch (le) {
    case LXW_NO_ERROR:
        return UC_OK;
    case LXW_ERROR_MEMORY_MALLOC_FAILED:
        return UC_ENOMEM;
    case LXW_ERROR_CREATING_XLSX_FILE:
    case LXW_ERROR_CREATING_TMPFILE:
    case LXW_ERROR_READING_TMPFILE:
    case LXW_ERROR_ZIP_FILE_OPERATION:
    case LXW_ERROR_ZIP_FILE_ADD:
    case LXW_ERROR_ZIP_CLOSE:
        return UC_EIO;
    case LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED:
    case LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE:
        return UC_ELIMIT;
    default:
        return UC_EINVAL;
    }
}

static uc_err setr(xlsxw *w, uc_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->reason, sizeof w->reason, fmt, ap);
    va_end(ap);
    return e;
}

uc_err xlsxw_open(const char *path, const char *tmpdir, xlsxw **out)
{
    *out = NULL;
    /* libxlsxwriter quietly keeps the sheet in memory when it cannot make
     * its temp file: refuse instead */
    if (tmpdir && access(tmpdir, W_OK | X_OK))
        return UC_EIO;
    xlsxw *w = calloc(1, sizeof *w);
    if (!w)
        return UC_ENOMEM;
    if (tmpdir && !(w->tmpdir = strdup(tmpdir))) {
        free(w);
        return UC_ENOMEM;
    }
    lxw_workbook_options opt = {
        .constant_memory = LXW_TRUE,
        .tmpdir = w->tmpdir,
        .use_zip64 = LXW_FALSE,
    };
    w->wb = workbook_new_opt(path, &opt);
    if (w->wb)
        w->ws = workbook_add_worksheet(w->wb, "Sheet1");
    if (!w->wb || !w->ws) {
        /* Both fail for want of memory or of a temp file in tmpdir. */
        xlsxw_abort(w);
        return UC_EIO;
    }
    *out = w;
    return UC_OK;
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

/* Copy v into w->s, NUL-terminated, dropping NUL bytes libxlsxwriter could
 * not carry. */
static bool cstr(xlsxw *w, const char *v, size_t n)
{
    if (n + 1 > w->scap) {
        size_t nc = w->scap ? w->scap : 256;
        while (nc < n + 1)
            nc *= 2;
        char *ns = realloc(w->s, nc);
        if (!ns)
            return false;
        w->s = ns;
        w->scap = nc;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i])
            w->s[o++] = v[i];
    w->s[o] = '\0';
    return true;
}

/* A number only if strtod takes all of it and it is a finite decimal. */
static bool as_number(const char *s, double *d)
{
    if (!*s || strpbrk(s, "xXpP \t\n\r\f\v"))
        return false;
    char *end;
    *d = strtod(s, &end);
    return *end == '\0' && isfinite(*d);
}

uc_err xlsxw_row(xlsxw *w, const cell *cells, size_t ncells)
{
    if (w->row >= LXW_ROW_MAX)
        return setr(w, UC_ELIMIT, "Result has more than %d rows (Excel's limit)",
                    LXW_ROW_MAX);
    if (ncells > LXW_COL_MAX)
        return setr(w, UC_ELIMIT, "Result row %u has more than %d columns (Excel's limit)",
                    w->row + 1, LXW_COL_MAX);
    for (size_t i = 0; i < ncells; i++) {
        const cell *c = &cells[i];
        lxw_col_t col = (lxw_col_t)i;
        lxw_error le = LXW_NO_ERROR;
        if (c->type == CELL_EMPTY || c->len == 0)
            continue;
        if (c->type == CELL_STRING || c->type == CELL_ERROR) {
            if (utf16_len(c->v, c->len) > XLSX_MAX_CHARS)
                return setr(w, UC_ELIMIT,
                            "Result cell in row %u, column %zu is longer than "
                            "Excel's %d-character limit", w->row + 1, i + 1,
                            XLSX_MAX_CHARS);
        }
        if (!cstr(w, c->v, c->len))
            return setr(w, UC_ENOMEM, "Out of memory writing XLSX");
        double d;
        if (c->type == CELL_BOOL)
            le = worksheet_write_boolean(w->ws, w->row, col,
                                         !strcmp(w->s, "1") || !strcasecmp(w->s, "true"),
                                         NULL);
        else if (c->type == CELL_NUMBER && as_number(w->s, &d))
            le = worksheet_write_number(w->ws, w->row, col, d, NULL);
        else  /* text; errors too (libxlsxwriter has no error cells) */
            le = worksheet_write_string(w->ws, w->row, col, w->s, NULL);
        if (le)
            return setr(w, map_lxw(le), "Cannot write XLSX: %s", lxw_strerror(le));
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
    lxw_error le = workbook_close(w->wb);  /* frees the workbook */
    uc_err e = map_lxw(le);
    if (e && err && errcap)
        snprintf(err, errcap, "Cannot write XLSX: %s", lxw_strerror(le));
    w->wb = NULL;
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
    lxw_workbook_free(w->wb);  /* accepts NULL; closes the temp files */
    free(w->tmpdir);
    free(w->s);
    free(w);
}
