/* xlsx_fast.c: a chunk of sheet rows in the plain shape spreadsheet
 * writers give them (<row> of <c> of <v> or <is><t>), read without expat:
 * the same handler calls expat would make (xlsx_sheet.h), several times
 * faster. Anything outside that shape (a comment, an entity, a CR in
 * text, another element, a prefix it cannot resolve, ...) makes it give
 * the chunk back, and xlsx_chunks.c parses that chunk with expat: this
 * reader only ever accepts well-formed XML, and reads it as expat does. */
#include "formats/xlsx_sheet.h"

#include <stdio.h>
#include <string.h>

#define ATT_MAX 16          /* attributes in one tag */
#define ATT_TEXT 4096       /* their names and values, NUL-terminated */

typedef struct fscan {
    xctx *x;
    const char *p, *end;
    const char *ns;         /* the chunk's bindings: "prefix\0uri\0" each */
    size_t nslen;
    const char *name[5];    /* "uri local" of row, c, v, is, t */
    const char *atts[2 * ATT_MAX + 1];
    char text[ATT_TEXT];
} fscan;

enum { N_ROW, N_C, N_V, N_IS, N_T };

/* Bytes of an XML name (ASCII only here). */
static bool name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(unsigned char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(fscan *f)
{
    while (f->p < f->end && is_ws((unsigned char)*f->p))
        f->p++;
}

/* One well-formed UTF-8 sequence of an XML character at p (lead byte
 * >= 0x80): its length, or 0 (surrogates, U+FFFE/U+FFFF, overlongs, past
 * U+10FFFF, cut short). */
static size_t utf8_char(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!n || (size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3) {
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0;
        if (c == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))
            return 0;
    } else if (n == 4) {
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0;
    }
    return n;
}

/* Text up to the next '<': printable ASCII, tab, LF and UTF-8, with no
 * '&', CR or "]]>" (which would need expat's decoding). Its length, or
 * -1 when it is not that plain. */
static long plain_text(fscan *f)
{
    const unsigned char *s = (const unsigned char *)f->p, *e = (const unsigned char *)f->end;
    const unsigned char *p = s;
    while (p < e) {
        unsigned char c = *p;
        if (c >= 0x20 && c < 0x80) {
            if (c == '<')
                break;
            if (c == '&')
                return -1;
            if (c == '>' && p - s >= 2 && p[-1] == ']' && p[-2] == ']')
                return -1;
            p++;
        } else if (c == '\t' || c == '\n') {
            p++;
        } else if (c >= 0x80) {
            size_t n = utf8_char(p, e);
            if (!n)
                return -1;
            p += n;
        } else {
            return -1;
        }
    }
    if (p == e)
        return -1;  /* no end tag in the chunk */
    return (long)(p - s);
}

/* The uri bound to prefix (len bytes) in the chunk, or NULL. */
static const char *bound(const fscan *f, const char *prefix, size_t len)
{
    const char *uri = NULL;
    for (const char *q = f->ns, *end = f->ns + f->nslen; q && q < end;) {
        const char *u = q + strlen(q) + 1;
        if (strlen(q) == len && !memcmp(q, prefix, len))
            uri = u;  /* the innermost (last) binding stands */
        q = u + strlen(u) + 1;
    }
    return uri && *uri ? uri : NULL;
}

/* The attributes of a start tag after its name, into f->atts; *empty for
 * "/>". false when they are not plain (an entity, a white space character
 * other than space, a declaration, an unbound prefix, a duplicate). */
static bool attributes(fscan *f, bool *empty)
{
    size_t na = 0, used = 0;
    const char *raw[ATT_MAX];
    size_t rawlen[ATT_MAX], local[ATT_MAX];
    for (;;) {
        const char *before = f->p;
        skip_ws(f);
        if (f->p >= f->end)
            return false;
        if (*f->p == '>' || *f->p == '/') {
            *empty = *f->p == '/';
            if (*empty && (f->end - f->p < 2 || f->p[1] != '>'))
                return false;
            f->p += *empty ? 2 : 1;
            f->atts[2 * na] = NULL;
            return true;
        }
        if (f->p == before || na == ATT_MAX)
            return false;  /* no space before the name */
        const char *n = f->p;
        size_t colon = 0;
        if (!name_start((unsigned char)*f->p))
            return false;
        while (++f->p < f->end && (name_char((unsigned char)*f->p) || *f->p == ':')) {
            if (*f->p == ':') {
                if (colon || f->p + 1 >= f->end || !name_start((unsigned char)f->p[1]))
                    return false;
                colon = (size_t)(f->p - n);
            }
        }
        size_t nl = (size_t)(f->p - n);
        if (nl >= 5 && !memcmp(n, "xmlns", 5))
            return false;
        if (colon && !(colon == 3 && !memcmp(n, "xml", 3)) && !bound(f, n, colon))
            return false;
        for (size_t i = 0; i < na; i++) {
            if (rawlen[i] == nl && !memcmp(raw[i], n, nl))
                return false;
            /* two prefixes may name one namespace: same local part, give up */
            if (colon && local[i] && nl - colon == rawlen[i] - local[i] &&
                !memcmp(n + colon, raw[i] + local[i], nl - colon))
                return false;
        }
        raw[na] = n;
        rawlen[na] = nl;
        local[na] = colon;
        skip_ws(f);
        if (f->p >= f->end || *f->p != '=')
            return false;
        f->p++;
        skip_ws(f);
        if (f->p >= f->end || (*f->p != '"' && *f->p != '\''))
            return false;
        char q = *f->p++;
        const char *v = f->p;
        while (f->p < f->end && *f->p != q) {
            unsigned char c = (unsigned char)*f->p;
            if (c >= 0x80) {
                size_t k = utf8_char((const unsigned char *)f->p, (const unsigned char *)f->end);
                if (!k)
                    return false;
                f->p += k;
            } else if (c < 0x20 || c == '<' || c == '&') {
                return false;  /* tabs and line ends would be normalised */
            } else {
                f->p++;
            }
        }
        if (f->p >= f->end)
            return false;
        size_t vl = (size_t)(f->p - v);
        f->p++;
        if (used + nl + vl + 2 > ATT_TEXT)
            return false;
        char *tn = f->text + used, *tv = tn + nl + 1;
        memcpy(tn, n, nl);
        tn[nl] = '\0';
        memcpy(tv, v, vl);
        tv[vl] = '\0';
        used += nl + vl + 2;
        f->atts[2 * na] = tn;  /* a prefixed name stays a qname: the handlers
                                * only look at unprefixed ones */
        f->atts[2 * na + 1] = tv;
        na++;
    }
}

/* "<name" at p, followed by white space, '>' or '/'. */
static bool at_tag(const fscan *f, const char *tag, size_t n)
{
    return (size_t)(f->end - f->p) > n && !memcmp(f->p, tag, n) &&
           (is_ws((unsigned char)f->p[n]) || f->p[n] == '>' || f->p[n] == '/');
}

/* "</name" S? ">" at p: consumed. */
static bool end_tag(fscan *f, const char *tag, size_t n)
{
    if ((size_t)(f->end - f->p) < n + 1 || memcmp(f->p, tag, n))
        return false;
    f->p += n;
    skip_ws(f);
    if (f->p >= f->end || *f->p != '>')
        return false;
    f->p++;
    return true;
}

static bool start(fscan *f, int which, bool *empty)
{
    if (!attributes(f, empty))
        return false;
    xlsx_sheet_start(f->x, f->name[which], f->atts);
    if (*empty && !f->x->xp.fail)
        xlsx_sheet_end(f->x, f->name[which]);
    return !f->x->xp.fail;
}

static bool end(fscan *f, int which, const char *tag, size_t n)
{
    if (!end_tag(f, tag, n))
        return false;
    xlsx_sheet_end(f->x, f->name[which]);
    return !f->x->xp.fail;
}

/* <v> or <t> after its start tag: the text, then the end tag. */
static bool text_elem(fscan *f, int which, const char *tag, size_t n)
{
    long len = plain_text(f);
    if (len < 0)
        return false;
    if (len) {
        xlsx_sheet_chars(f->x, f->p, (int)len);
        if (f->x->xp.fail)
            return false;
        f->p += len;
    }
    return end(f, which, tag, n);
}

static bool cell_content(fscan *f)
{
    bool empty;
    for (;;) {
        skip_ws(f);
        if (f->p >= f->end)
            return false;
        if (at_tag(f, "<v", 2)) {
            f->p += 2;
            if (!start(f, N_V, &empty) || (!empty && !text_elem(f, N_V, "</v", 3)))
                return false;
        } else if (at_tag(f, "<is", 3)) {
            f->p += 3;
            if (!start(f, N_IS, &empty))
                return false;
            while (!empty) {
                skip_ws(f);
                if (at_tag(f, "<t", 2)) {
                    bool tempty;
                    f->p += 2;
                    if (!start(f, N_T, &tempty) || (!tempty && !text_elem(f, N_T, "</t", 3)))
                        return false;
                } else {
                    if (!end(f, N_IS, "</is", 4))
                        return false;
                    break;
                }
            }
        } else {
            return end(f, N_C, "</c", 3);
        }
    }
}

static bool row_content(fscan *f)
{
    bool empty;
    for (;;) {
        skip_ws(f);
        if (f->p >= f->end)
            return false;
        if (at_tag(f, "<c", 2)) {
            f->p += 2;
            if (!start(f, N_C, &empty) || (!empty && !cell_content(f)))
                return false;
        } else {
            return end(f, N_ROW, "</row", 5);
        }
    }
}

bool xlsx_fast_rows(xctx *x, const char *s, size_t n, const char *ns, size_t nslen)
{
    static const char *const locals[] = {"row", "c", "v", "is", "t"};
    char names[5][XLSX_PATH_MAX];
    fscan f = {.x = x, .p = s, .end = s + n, .ns = ns, .nslen = nslen};
    const char *uri = bound(&f, "", 0);
    const char *local;
    if (!uri || strlen(uri) + 4 > XLSX_PATH_MAX)
        return false;
    for (int i = 0; i < 5; i++) {
        snprintf(names[i], sizeof names[i], "%s %s", uri, locals[i]);
        f.name[i] = names[i];
    }
    if (xml_ns(f.name[0], &local) != XNS_MAIN)
        return false;  /* rows in another namespace: expat sorts them out */
    bool empty;
    for (;;) {
        skip_ws(&f);
        if (f.p >= f.end)
            return true;
        if (!at_tag(&f, "<row", 4))
            return false;
        f.p += 4;
        if (!start(&f, N_ROW, &empty) || (!empty && !row_content(&f)))
            return false;
    }
}
