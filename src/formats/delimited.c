/* delimited.c: row reader for CSV/TSV/TXT over a mapped file (the file,
 * or buffer, opened by delim_open.c).
 *
 * libcsv splits fields; we feed it one line at a time (each chunk ends at a
 * CR or LF) so that when it reports the end of a row we know the row ended
 * at the last byte fed, and can report the row's exact byte span. */
#include "formats/delim_reader.h"

#include "core/buf.h"
#include "core/utf8.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* libcsv's parser state for "no field of this row seen yet" (libcsv.c
 * defines it as 0; csv.h exposes the field). */
#define LIBCSV_ROW_NOT_BEGUN 0

static __thread size_t tl_field_cap;
static __thread int tl_oom;   /* a realloc within the cap failed */

/* libcsv grows its field buffer through this: refusing past the cap turns
 * a gigantic field into CSV_ENOMEM, which we report as a limit. */
static void *capped_realloc(void *p, size_t n)
{
    if (n > tl_field_cap + 1024)
        return NULL;
    void *q = realloc(p, n);
    if (!q)
        tl_oom = 1;
    return q;
}

static int space_only(unsigned char c) { return c == ' '; }

void delim_limits_default(delim_limits *lim)
{
    lim->max_field = 4u << 20;
    lim->max_row = 16u << 20;
    lim->max_columns = 16384;
    lim->libcsv_only = 0;
}

static void clear_row(delim_reader *r)
{
    buf_reset(&r->field);
    buf_reset(&r->cells);
    buf_reset(&r->offs);
    r->ncells = 0;
}

static void on_field(void *s, size_t len, void *ud)
{
    delim_reader *r = ud;
    uint32_t col = r->col++;
    if (r->col > r->lim.max_columns) {
        r->too_many_cols = 1;
        return;
    }
    /* capped_realloc bounds libcsv's buffer only roughly (block slack);
     * this is the exact cap. */
    if (len > r->lim.max_field) {
        r->field_too_long = 1;
        return;
    }
    if (r->want == DELIM_ALL) {
        /* v is set in finish_row, once the field bytes stop moving */
        cell c = {len ? CELL_STRING : CELL_EMPTY, NULL, len, 0};
        size_t off = r->field.len;
        if (buf_add(&r->cells, &c, sizeof c) || buf_add(&r->offs, &off, sizeof off) ||
            buf_add(&r->field, s, len)) {
            r->oom = 1;
            return;
        }
        r->ncells++;
    } else if (col == r->want) {
        buf_reset(&r->field);
        if (buf_add(&r->field, s, len) != 0)
            r->oom = 1;
    }
}

static void on_row(int c, void *ud)
{
    (void)c;
    ((delim_reader *)ud)->row_done = 1;
}

void delim_rewind(delim_reader *r, char delim)
{
    if (r->p_live)
        csv_free(&r->p);
    r->p_live = 0;
    r->delim = delim;
    if (delim != DELIM_LINES) {
        csv_init(&r->p, 0);
        csv_set_delim(&r->p, (unsigned char)delim);
        /* libcsv's built-in test (space or tab) is inlined; a function
         * is called per byte, so set one only where tab is the delimiter. */
        if (delim == '\t')
            csv_set_space_func(&r->p, space_only);
        csv_set_realloc_func(&r->p, capped_realloc);
        /* libcsv grows a field's buffer by a fixed block: small blocks
         * make a multi-megabyte field a long run of copying reallocs
         * (quadratic; minutes under ASan). Large blocks where the cap
         * allows them; capped_realloc's slack stays within the cap's. */
        csv_set_blk_size(&r->p, r->lim.max_field >= (1u << 20) ? 65536 : 256);
        r->p_live = 1;
    }
    r->pos = r->bom;
    r->end = r->size;
    r->unclean = 0;
    r->dropped = 0;
}

void delim_rewind_range(delim_reader *r, char delim, uint64_t start, uint64_t end)
{
    uint64_t dropped = r->dropped;
    delim_rewind(r, delim);
    /* the pages let go of before a range that starts after them stay let
     * go of: a reader stepping through a file range by range releases
     * each page once */
    if (start >= dropped)
        r->dropped = dropped;
    if (end > r->size)
        end = r->size;
    if (start > r->pos)
        r->pos = start < end ? start : end;
    r->end = end;
}

int delim_clean(const delim_reader *r) { return !r->unclean; }

char delim_sniff(const delim_reader *r, const char *candidates)
{
    size_t counts[8] = {0};
    size_t nc = strlen(candidates);
    if (nc > 8)
        nc = 8;
    int quoted = 0;
    uint64_t end = r->size < r->bom + 65536 ? r->size : r->bom + 65536;
    for (uint64_t i = r->bom; i < end; i++) {
        char ch = r->data[i];
        if (ch == '"')
            quoted = !quoted;
        else if (!quoted && (ch == '\n' || ch == '\r'))
            break;
        else if (!quoted)
            for (size_t k = 0; k < nc; k++)
                if (ch == candidates[k])
                    counts[k]++;
    }
    size_t best = 0;
    char d = 0;
    for (size_t k = 0; k < nc; k++)
        if (counts[k] > best) {
            best = counts[k];
            d = candidates[k];
        }
    return d;
}

/* Line numbers are only needed for error messages, so they are counted
 * from the start of the file when asked, never on the hot path. */
static uint64_t count_lines(const char *s, uint64_t a, uint64_t b)
{
    uint64_t n = 0;
    for (uint64_t i = a; i < b; i++)
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= b || s[i + 1] != '\n')))
            n++;
    return n;
}

/* Next CR or LF at or after i, or size. */
static uint64_t next_eol(const delim_reader *r, uint64_t i)
{
    const char *s = r->data;
    const char *lf = memchr(s + i, '\n', r->end - i);
    uint64_t lim = lf ? (uint64_t)(lf - s) : r->end;
    const char *cr = memchr(s + i, '\r', lim - i);
    return cr ? (uint64_t)(cr - s) : lim;
}

#define RELEASE_STEP (64u << 20)

static void release_before(delim_reader *r, uint64_t off)
{
    /* Mapped pages count as the process's memory until released; the
     * file stays in the page cache, so a later read is a minor fault. */
    static _Atomic uint64_t page; /* sysconf per row showed in profiles */
    if (r->borrowed || r->copied)
        return; /* other readers share the pages: their owner keeps them;
                 * a copy is small and freed whole */
    if (!page)
        page = (uint64_t)sysconf(_SC_PAGESIZE);
    off -= off % page;
    if (off > r->dropped + RELEASE_STEP) {
        madvise((char *)r->data + r->dropped, off - r->dropped, MADV_DONTNEED);
        r->dropped = off;
    }
}

uint64_t delim_line_at(const delim_reader *r, uint64_t off)
{
    return 1 + count_lines(r->data, r->bom, off < r->size ? off : r->size);
}

static uc_err finish_row(delim_reader *r, delim_row *row, uint64_t start,
                         uint64_t content_end, uint64_t next, char *err, size_t errcap)
{
    int nul;
    uint64_t bad = utf8_scan((const unsigned char *)r->data, start, next, &nul);
    if (bad != next) {
        uint64_t ln = delim_line_at(r, bad);
        if (nul)
            snprintf(err, errcap, "The file is not text: NUL byte on line %llu",
                     (unsigned long long)ln);
        else
            snprintf(err, errcap, "The file is not valid UTF-8 text (line %llu); "
                     "save it as UTF-8", (unsigned long long)ln);
        return UC_EFORMAT;
    }
    row->start = start;
    row->len = (uint32_t)(content_end - start);
    row->term_len = (uint8_t)(next - content_end);
    row->nfields = r->col;
    r->pos = next;
    if (r->want != DELIM_ALL && r->want < r->col) {
        row->field.type = r->field.len ? CELL_STRING : CELL_EMPTY;
        row->field.v = r->field.data;
        row->field.len = r->field.len;
    } else {
        row->field = (cell){CELL_EMPTY, NULL, 0, 0};
    }
    if (r->want == DELIM_ALL) {
        cell *cells = (cell *)r->cells.data;
        const size_t *offs = (const size_t *)r->offs.data;
        for (size_t i = 0; i < r->ncells; i++)
            cells[i].v = r->field.data + offs[i];
    }
    return UC_OK;
}

static uc_err too_long(delim_reader *r, char *err, size_t errcap)
{
    snprintf(err, errcap, "Row at line %llu is longer than %zu MB",
             (unsigned long long)delim_line_at(r, r->row_start), r->lim.max_row >> 20);
    return UC_ELIMIT;
}

static uc_err field_too_long(delim_reader *r, char *err, size_t errcap)
{
    snprintf(err, errcap, "A field at line %llu is longer than %zu MB",
             (unsigned long long)delim_line_at(r, r->row_start), r->lim.max_field >> 20);
    return UC_ELIMIT;
}

/* What the callbacks flagged while libcsv parsed: out of memory, too
 * many columns, a field too long; UC_OK when nothing. */
static uc_err flagged(delim_reader *r, char *err, size_t errcap)
{
    if (r->oom)
        return UC_ENOMEM;
    if (r->too_many_cols) {
        snprintf(err, errcap, "Row at line %llu has more than %u columns",
                 (unsigned long long)delim_line_at(r, r->row_start), r->lim.max_columns);
        return UC_ELIMIT;
    }
    if (r->field_too_long)
        return field_too_long(r, err, errcap);
    return UC_OK;
}

static uc_err next_line_only(delim_reader *r, delim_row *row, char *err, size_t errcap)
{
    const char *s = r->data;
    for (;;) {
        if (r->pos >= r->end)
            return UC_ENOTFOUND;
        uint64_t start = r->pos;
        r->row_start = start;
        release_before(r, start);
        uint64_t eol = next_eol(r, start);
        uint64_t next = eol;
        if (eol < r->end)
            next = (s[eol] == '\r' && eol + 1 < r->end && s[eol + 1] == '\n') ? eol + 2 : eol + 1;
        if (eol - start > r->lim.max_row)
            return too_long(r, err, errcap);
        /* trimmed content */
        uint64_t a = start, b = eol;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
            b--;
        if (a == b) { /* blank line */
            r->pos = next;
            continue;
        }
        clear_row(r);
        r->col = 0;
        r->too_many_cols = 0;
        r->field_too_long = 0;
        r->oom = 0;
        on_field((void *)(s + a), b - a, r);
        if (r->field_too_long)
            return field_too_long(r, err, errcap);
        if (r->too_many_cols || r->oom)
            return UC_ENOMEM;
        return finish_row(r, row, start, eol, next, err, errcap);
    }
}

/* Fields a quote-free line may have for fast_line to split it. */
#define FAST_FIELDS 64

/* One line from start with no double quote in it, split here as libcsv
 * splits it (fields between delimiters; spaces, and tabs unless the
 * delimiter is a tab, trimmed off both ends of each; a line of those
 * alone is no row), without libcsv's byte-by-byte state machine and its
 * copy of every field: most rows of most files. Returns 1 when it took
 * the line, with *eol at its CR or LF and its fields handed to on_field
 * (*blank: no row, as libcsv skips it); 0 to leave the line to libcsv
 * (a quote, no line end before the range's end or within the field and
 * row caps, more than FAST_FIELDS fields), having handed over nothing. */
/* The first of d, CR, LF or a double quote in s[i, lim), or lim: 16
 * bytes at a time where SSE2 is there (every x86-64), never reading at
 * or past lim (the mapping may end there). */
static uint64_t next_special(const unsigned char *s, uint64_t i, uint64_t lim, unsigned char d)
{
#ifdef __SSE2__
    const __m128i vd = _mm_set1_epi8((char)d), vq = _mm_set1_epi8('"');
    const __m128i vn = _mm_set1_epi8('\n'), vr = _mm_set1_epi8('\r');
    for (; i + 16 <= lim; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vq)),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, vn), _mm_cmpeq_epi8(x, vr)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return i + (uint64_t)__builtin_ctz(bits);
    }
#endif
    for (; i < lim; i++)
        if (s[i] == d || s[i] == '\n' || s[i] == '\r' || s[i] == '"')
            return i;
    return lim;
}

static int fast_line(delim_reader *r, uint64_t start, uint64_t *eol, int *blank)
{
    const unsigned char *s = (const unsigned char *)r->data;
    const unsigned char d = (unsigned char)r->delim;
    size_t cap = r->lim.max_field < r->lim.max_row ? r->lim.max_field : r->lim.max_row;
    uint64_t lim = r->end - start > cap ? start + cap + 1 : r->end;
    uint64_t fa[FAST_FIELDS], fb[FAST_FIELDS];
    size_t nf = 0;
    uint64_t i = start, fs = start;
    for (;; i++) {
        if ((i = next_special(s, i, lim, d)) >= lim)
            return 0;
        unsigned char c = s[i];
        if (c == '"' || nf == FAST_FIELDS)
            return 0;
        fa[nf] = fs;
        fb[nf++] = i;
        fs = i + 1;
        if (c != d)
            break;
    }
    int tab_is_space = d != '\t';
    for (size_t k = 0; k < nf; k++) {
        while (fa[k] < fb[k] && (s[fa[k]] == ' ' || (s[fa[k]] == '\t' && tab_is_space)))
            fa[k]++;
        while (fb[k] > fa[k] && (s[fb[k] - 1] == ' ' || (s[fb[k] - 1] == '\t' && tab_is_space)))
            fb[k]--;
    }
    *eol = i;
    *blank = nf == 1 && fa[0] == fb[0];
    if (!*blank)
        for (size_t k = 0; k < nf; k++)
            on_field((void *)(s + fa[k]), (size_t)(fb[k] - fa[k]), r);
    return 1;
}

uc_err delim_next(delim_reader *r, uint32_t want_col, delim_row *row,
                  char *err, size_t errcap)
{
    r->want = want_col;
    if (r->delim == DELIM_LINES)
        return next_line_only(r, row, err, errcap);

    const char *s = r->data;
    tl_field_cap = r->lim.max_field;
    r->col = 0;
    r->row_done = 0;
    clear_row(r);
    r->too_many_cols = 0;
    r->field_too_long = 0;
    r->oom = 0;
    tl_oom = 0;

    /* Blank lines before the row are not rows (libcsv agrees). */
    while (r->pos < r->end && (s[r->pos] == '\n' || s[r->pos] == '\r'))
        r->pos++;
    uint64_t start = r->pos, at = r->pos;
    r->row_start = start;
    release_before(r, start);
    for (;;) {
        uint64_t eol;
        int blank;
        if (at == start && !r->lim.libcsv_only && r->p.pstate == LIBCSV_ROW_NOT_BEGUN &&
            fast_line(r, start, &eol, &blank)) {
            uint64_t next = eol + 1;
            if (blank) { /* as below, where libcsv skips a line of spaces */
                start = at = next;
                r->row_start = at;
                continue;
            }
            uc_err e = flagged(r, err, errcap);
            if (e)
                return e;
            if (s[eol] == '\r' && next < r->end && s[next] == '\n')
                next++;
            return finish_row(r, row, start, eol, next, err, errcap);
        }
        if (at >= r->end && r->end < r->size) {
            /* A range's end: right only between rows (delim_clean). */
            if (r->p.pstate != LIBCSV_ROW_NOT_BEGUN || r->row_done)
                r->unclean = 1;
            r->pos = r->end;
            return UC_ENOTFOUND;
        }
        if (at >= r->end) {
            if (csv_fini(&r->p, on_field, on_row, r) != 0)
                goto csv_failed;
            /* csv_fini resets the parser for reuse. */
            uc_err e = flagged(r, err, errcap);
            if (e)
                return e;
            if (!r->row_done) {
                r->pos = r->end;
                return UC_ENOTFOUND;
            }
            return finish_row(r, row, start, r->end, r->end, err, errcap);
        }
        eol = next_eol(r, at);
        uint64_t seg_end = eol < r->end ? eol + 1 : r->end;
        /* the row's bytes so far, without the line end at eol (row.len
         * counts the same way, and so does DELIM_LINES) */
        if (eol - start > r->lim.max_row)
            return too_long(r, err, errcap);
        if (csv_parse(&r->p, s + at, seg_end - at, on_field, on_row, r) != seg_end - at)
            goto csv_failed;
        uc_err e = flagged(r, err, errcap);
        if (e)
            return e;
        at = seg_end;
        if (r->row_done) {
            uint64_t next = seg_end;
            if (s[eol] == '\r' && next < r->end && s[next] == '\n')
                next++;
            return finish_row(r, row, start, eol, next, err, errcap);
        }
        if (r->p.pstate == LIBCSV_ROW_NOT_BEGUN) {
            /* A line of spaces only: libcsv skipped it; so do we. */
            start = at;
            r->row_start = at;
        }
    }
csv_failed:
    if (tl_oom)
        return UC_ENOMEM;
    if (csv_error(&r->p) == CSV_ENOMEM || csv_error(&r->p) == CSV_ETOOBIG)
        return field_too_long(r, err, errcap);
    snprintf(err, errcap, "Cannot parse the file at line %llu: %s",
             (unsigned long long)delim_line_at(r, r->row_start), csv_strerror(csv_error(&r->p)));
    return UC_EFORMAT;
}

const cell *delim_fields(const delim_reader *r, size_t *n)
{
    *n = r->ncells;
    return (const cell *)r->cells.data;
}

uint64_t delim_size(const delim_reader *r) { return r->size; }
const char *delim_data(const delim_reader *r) { return r->data; }

const char *delim_bytes_at(delim_reader *r, uint64_t off)
{
    if (off < r->dropped)
        r->dropped = 0; /* a new pass from the start: release it again */
    else if (off - r->dropped > RELEASE_STEP)
        release_before(r, off);
    return r->data + off;
}

size_t delim_bom_len(const delim_reader *r) { return r->bom; }
uint64_t delim_pos(const delim_reader *r) { return r->pos; }
