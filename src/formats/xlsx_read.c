/* xlsx_read.c: the first visible worksheet of an .xlsx, row by row. Parts
 * are inflated by zipr_read in chunks and fed straight to expat; only the
 * shared strings (one arena) and the current row are ever held. */
#include "formats/xlsx_read.h"
#include "core/io.h"

#include <expat.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_MAIN_T "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_MAIN_S "http://purl.oclc.org/ooxml/spreadsheetml/main"
#define NS_REL_T "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_REL_S "http://purl.oclc.org/ooxml/officeDocument/relationships"
#define NS_PKG "http://schemas.openxmlformats.org/package/2006/relationships"
#define NS_SEP ' '            /* URIs never hold a space */
#define MAX_PATH 1024         /* a part name we are willing to resolve */
#define MAX_RELS 65536        /* relationships in one .rels part */

/* expat 2.7 deprecates the line getter for a 64-bit one (meson.build
 * checks which the header has). */
#ifdef HAVE_XML_LINE64
#define XML_LINE(p) ((unsigned long)XML_GetCurrentLineNumber64(p))
#else
#define XML_LINE(p) ((unsigned long)XML_GetCurrentLineNumber(p))
#endif

enum { NS_NONE, NS_OTHER, NS_MAIN, NS_REL, NS_PKGREL };
enum { REL_OTHER, REL_OFFICEDOC, REL_WORKSHEET, REL_SST };

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

typedef struct rel {
    char *id;
    char *target;  /* resolved part name */
    int kind;
} rel;

typedef struct rcell {  /* a cell of the row being parsed */
    cell_type type;
    const char *ext;    /* text outside the row buffer (shared string) */
    size_t off, len;    /* else text at rowbuf.p + off */
} rcell;

typedef struct xctx {
    zipr *z;
    xlsx_limits lim;
    row_fn fn;
    void *ud;
    char *err;
    size_t errcap;
    XML_Parser p;
    const char *part;   /* part being parsed, for reasons */
    uc_err fail;        /* set by a handler that stopped the parser */

    /* relationships of the part last parsed as .rels */
    rel *rels;
    size_t nrels, relcap;
    char base[MAX_PATH];  /* directory rel targets are relative to */

    /* workbook */
    const rel *pick;      /* first visible worksheet */
    const rel *pick_any;  /* first worksheet whatever its state */

    /* shared strings: one arena, start offsets, a final sentinel */
    buf sst;
    size_t *soff;
    size_t nsst, soffcap;
    bool in_si, in_rph, collect;
    int rph_depth;

    /* sheet */
    buf rowbuf;
    rcell *rc;
    cell *out;
    size_t rccap, rowlen;  /* rowlen: columns touched in this row */
    bool in_data, in_row, in_c, in_is;
    uint32_t row;          /* 1-based row being parsed, 0 before the first */
    int64_t col;           /* 0-based column of the last cell */
    cell_type ctype;
    bool cshared, cinline;
    size_t coff;           /* start of this cell's text in rowbuf */
} xctx;

void xlsx_limits_default(xlsx_limits *lim)
{
    zipr_limits_default(&lim->zip);
    lim->max_columns = 16384;
    lim->max_rows = 1048576;
    lim->max_shared_bytes = 512ull << 20;
    lim->max_cell_bytes = 1u << 20;
}

static uc_err setf(xctx *x, uc_err code, const char *fmt, ...)
{
    if (x->err && x->errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errcap, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* From inside an expat handler: record the failure and stop parsing. The
 * first failure wins. */
static void stop(xctx *x, uc_err code, const char *fmt, ...)
{
    if (x->fail)
        return;
    x->fail = code;
    if (x->err && x->errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errcap, fmt, ap);
        va_end(ap);
    }
    XML_StopParser(x->p, XML_FALSE);
}

/* The zip reader names its format "zip"; name ours instead. */
static void rename_zip_reason(xctx *x)
{
    static const struct { const char *from, *to; } map[] = {
        { "Corrupt zip: ", "Corrupt XLSX: " },
        { "Zip rejected: ", "XLSX rejected: " },
    };
    if (!x->err || !x->errcap)
        return;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t fl = strlen(map[i].from), tl = strlen(map[i].to);
        if (strncmp(x->err, map[i].from, fl))
            continue;
        size_t rest = strlen(x->err + fl);
        if (tl + rest + 1 > x->errcap)
            rest = x->errcap - tl - 1;
        memmove(x->err + tl, x->err + fl, rest);
        memcpy(x->err, map[i].to, tl);
        x->err[tl + rest] = '\0';
        return;
    }
}


static bool buf_grow(buf *b, size_t need)
{
    if (need <= b->cap)
        return true;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < need)
        nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np)
        return false;
    b->p = np;
    b->cap = nc;
    return true;
}

/* Split an expat name "uri local" and classify the namespace. */
static int ns_of(const char *name, const char **local)
{
    /* The common case first, without scanning for the separator:
     * strncmp stops at a shorter name's NUL. */
    static const size_t lm = sizeof(NS_MAIN_T) - 1;
    if (!strncmp(name, NS_MAIN_T, lm) && name[lm] == NS_SEP) {
        *local = name + lm + 1;
        return NS_MAIN;
    }
    const char *sp = strchr(name, NS_SEP);
    if (!sp) {
        *local = name;
        return NS_NONE;
    }
    *local = sp + 1;
    size_t n = (size_t)(sp - name);
#define IS(u) (n == sizeof(u) - 1 && !memcmp(name, u, n))
    if (IS(NS_MAIN_T) || IS(NS_MAIN_S))
        return NS_MAIN;
    if (IS(NS_REL_T) || IS(NS_REL_S))
        return NS_REL;
    if (IS(NS_PKG))
        return NS_PKGREL;
#undef IS
    return NS_OTHER;
}

static const char *attr(const char **atts, const char *name)
{
    for (; *atts; atts += 2)
        if (!strcmp(atts[0], name))
            return atts[1];
    return NULL;
}

/* _xHHHH_ escapes (ST_Xstring) decoded in place; returns the new length.
 * Surrogate pairs written as two escapes are joined; a lone surrogate
 * becomes U+FFFD. Output never outgrows input (7 bytes in, <= 4 out). */
static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static long esc_at(const char *s, size_t i, size_t n)
{
    if (n - i < 7 || s[i] != '_' || s[i + 1] != 'x' || s[i + 6] != '_')
        return -1;
    long v = 0;
    for (int k = 2; k < 6; k++) {
        int h = hexval(s[i + k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned long c)
{
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | c >> 12);
        o[1] = (char)(0x80 | (c >> 6 & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | c >> 18);
    o[1] = (char)(0x80 | (c >> 12 & 0x3F));
    o[2] = (char)(0x80 | (c >> 6 & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static size_t unescape(char *s, size_t n)
{
    if (!memchr(s, '_', n))
        return n;
    size_t i = 0, o = 0;
    while (i < n) {
        long v = esc_at(s, i, n);
        if (v < 0) {
            s[o++] = s[i++];
            continue;
        }
        i += 7;
        unsigned long c = (unsigned long)v;
        if (c >= 0xD800 && c <= 0xDBFF) {
            long lo = esc_at(s, i, n);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
                i += 7;
            } else {
                c = 0xFFFD;
            }
        } else if (c >= 0xDC00 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        o += put_utf8(s + o, c);
    }
    return o;
}

/* ---- parts: feed an entry through expat ---------------------------- */

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sys,
                               const XML_Char *pub, int has_internal)
{
    xctx *x = ud;
    stop(x, UC_EFORMAT, "XLSX rejected: XML contains a DOCTYPE (in %s)", x->part);
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param,
                              const XML_Char *value, int value_len,
                              const XML_Char *base, const XML_Char *sys,
                              const XML_Char *pub, const XML_Char *notation)
{
    xctx *x = ud;
    stop(x, UC_EFORMAT, "XLSX rejected: XML declares an entity (in %s)", x->part);
}

static int XMLCALL on_extent(XML_Parser p, const XML_Char *ctx, const XML_Char *base,
                             const XML_Char *sys, const XML_Char *pub)
{
    return XML_STATUS_ERROR;  /* never fetch external entities */
}

static uc_err xml_sink(void *ud, const void *data, size_t len)
{
    xctx *x = ud;
    if (XML_Parse(x->p, data, (int)len, 0) == XML_STATUS_OK)
        return UC_OK;
    if (x->fail)
        return x->fail;
    return setf(x, UC_EFORMAT, "Corrupt XLSX: bad XML in %s at line %lu: %s",
                x->part, XML_LINE(x->p),
                XML_ErrorString(XML_GetErrorCode(x->p)));
}

/* Parse the part at index idx with the given handlers. */
static uc_err parse_part(xctx *x, int idx, const char *name,
                         XML_StartElementHandler start, XML_EndElementHandler end,
                         XML_CharacterDataHandler chars)
{
    x->p = XML_ParserCreateNS(NULL, NS_SEP);
    if (!x->p)
        return setf(x, UC_ENOMEM, "Out of memory reading XLSX");
    x->part = name;
    x->fail = UC_OK;
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, start, end);
    if (chars)
        XML_SetCharacterDataHandler(x->p, chars);
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    XML_SetEntityDeclHandler(x->p, on_entity);
    XML_SetExternalEntityRefHandler(x->p, on_extent);
    XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);

    uc_err e = zipr_read(x->z, idx, xml_sink, x, x->err, x->errcap);
    if (e && !x->fail)
        rename_zip_reason(x);
    if (!e && XML_Parse(x->p, NULL, 0, 1) != XML_STATUS_OK)
        e = x->fail ? x->fail
                    : setf(x, UC_EFORMAT, "Corrupt XLSX: bad XML in %s at line %lu: %s",
                           name, XML_LINE(x->p),
                           XML_ErrorString(XML_GetErrorCode(x->p)));
    XML_ParserFree(x->p);
    x->p = NULL;
    return e;
}

/* ---- relationships ------------------------------------------------- */

/* Resolve target against base ("xl/" or "") into out: absolute targets
 * drop their '/', '.' and '..' segments fold, '\' becomes '/'. */
static bool resolve(const char *base, const char *target, char *out)
{
    char tmp[2 * MAX_PATH];
    if (*target == '/' || *target == '\\')
        snprintf(tmp, sizeof tmp, "%s", target + 1);
    else if (snprintf(tmp, sizeof tmp, "%s%s", base, target) >= (int)sizeof tmp)
        return false;
    size_t o = 0;
    size_t segs[MAX_PATH / 2], ns = 0;
    for (char *s = tmp; *s;) {
        char *e = s;
        while (*e && *e != '/' && *e != '\\')
            e++;
        size_t l = (size_t)(e - s);
        if (l == 0 || (l == 1 && s[0] == '.')) {
            /* skip */
        } else if (l == 2 && s[0] == '.' && s[1] == '.') {
            if (ns)
                o = segs[--ns];
        } else {
            if (ns == sizeof segs / sizeof segs[0] || o + l + 2 > MAX_PATH)
                return false;
            segs[ns++] = o;
            if (o)
                out[o++] = '/';
            memcpy(out + o, s, l);
            o += l;
        }
        s = *e ? e + 1 : e;
    }
    out[o] = '\0';
    return o > 0;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static void free_rels(xctx *x)
{
    for (size_t i = 0; i < x->nrels; i++) {
        free(x->rels[i].id);
        free(x->rels[i].target);
    }
    x->nrels = 0;
}

static void XMLCALL rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    xctx *x = ud;
    const char *local;
    if (ns_of(name, &local) != NS_PKGREL || strcmp(local, "Relationship"))
        return;
    const char *id = attr(atts, "Id"), *type = attr(atts, "Type");
    const char *target = attr(atts, "Target"), *mode = attr(atts, "TargetMode");
    if (!id || !type || !target || (mode && !strcmp(mode, "External")))
        return;
    if (x->nrels == MAX_RELS) {
        stop(x, UC_ELIMIT, "XLSX rejected: more than %d relationships in %s",
             MAX_RELS, x->part);
        return;
    }
    char path[MAX_PATH];
    if (!resolve(x->base, target, path))
        return;  /* unusable target: as good as absent */
    if (x->nrels == x->relcap) {
        size_t nc = x->relcap ? 2 * x->relcap : 16;
        rel *nr = realloc(x->rels, nc * sizeof *nr);
        if (!nr) {
            stop(x, UC_ENOMEM, "Out of memory reading XLSX");
            return;
        }
        x->rels = nr;
        x->relcap = nc;
    }
    rel *r = &x->rels[x->nrels];
    r->kind = ends_with(type, "/officeDocument") ? REL_OFFICEDOC
            : ends_with(type, "/worksheet")      ? REL_WORKSHEET
            : ends_with(type, "/sharedStrings")  ? REL_SST
                                                 : REL_OTHER;
    r->id = strdup(id);
    r->target = strdup(path);
    if (!r->id || !r->target) {
        free(r->id);
        free(r->target);
        stop(x, UC_ENOMEM, "Out of memory reading XLSX");
        return;
    }
    x->nrels++;
}

static void XMLCALL no_end(void *ud, const XML_Char *name) {}

/* Parse the .rels part of the part named owner ("" for the package) into
 * x->rels. A missing .rels part leaves the list empty. */
static uc_err read_rels(xctx *x, const char *owner)
{
    char rp[MAX_PATH + 16];
    const char *slash = strrchr(owner, '/');
    size_t dl = slash ? (size_t)(slash - owner + 1) : 0;
    snprintf(x->base, sizeof x->base, "%.*s", (int)dl, owner);
    snprintf(rp, sizeof rp, "%.*s_rels/%s.rels", (int)dl, owner, owner + dl);
    free_rels(x);
    int idx = zipr_find(x->z, rp);
    if (idx < 0)
        return UC_OK;
    return parse_part(x, idx, rp, rels_start, no_end, NULL);
}

static const rel *rel_kind(const xctx *x, int kind)
{
    for (size_t i = 0; i < x->nrels; i++)
        if (x->rels[i].kind == kind)
            return &x->rels[i];
    return NULL;
}

/* ---- workbook: pick the sheet ------------------------------------- */

static void XMLCALL wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    xctx *x = ud;
    const char *local;
    if (ns_of(name, &local) != NS_MAIN || strcmp(local, "sheet") || x->pick)
        return;
    const char *rid = NULL, *state = NULL;
    for (; *atts; atts += 2) {
        const char *al;
        int ns = ns_of(atts[0], &al);
        if (ns == NS_REL && !strcmp(al, "id"))
            rid = atts[1];
        else if (ns == NS_NONE && !strcmp(al, "state"))
            state = atts[1];
    }
    if (!rid)
        return;
    for (size_t i = 0; i < x->nrels; i++) {
        if (strcmp(x->rels[i].id, rid) || x->rels[i].kind != REL_WORKSHEET)
            continue;
        bool hidden = state && (!strcmp(state, "hidden") || !strcmp(state, "veryHidden"));
        if (!x->pick_any)
            x->pick_any = &x->rels[i];
        if (!hidden)
            x->pick = &x->rels[i];
        return;
    }
}

/* ---- shared strings ------------------------------------------------ */

static void XMLCALL sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    xctx *x = ud;
    const char *local;
    if (ns_of(name, &local) != NS_MAIN)
        return;
    if (!strcmp(local, "si")) {
        char sz[32];
        if (x->nsst + 2 > x->soffcap) {
            size_t nc = x->soffcap ? 2 * x->soffcap : 1024;
            /* the offsets count against the arena cap too */
            if (x->sst.len + nc * sizeof(size_t) > x->lim.max_shared_bytes) {
                stop(x, UC_ELIMIT, "XLSX rejected: shared strings exceed the %s cap",
                     io_size_str(x->lim.max_shared_bytes, sz, sizeof sz));
                return;
            }
            size_t *no = realloc(x->soff, nc * sizeof *no);
            if (!no) {
                stop(x, UC_ENOMEM, "Out of memory reading XLSX shared strings");
                return;
            }
            x->soff = no;
            x->soffcap = nc;
        }
        x->soff[x->nsst] = x->sst.len;
        x->in_si = true;
    } else if (!strcmp(local, "rPh")) {
        x->in_rph = true;
    } else if (!strcmp(local, "t")) {
        x->collect = x->in_si && !x->in_rph;
    }
}

static void XMLCALL sst_end(void *ud, const XML_Char *name)
{
    xctx *x = ud;
    const char *local;
    if (ns_of(name, &local) != NS_MAIN)
        return;
    if (!strcmp(local, "t")) {
        x->collect = false;
    } else if (!strcmp(local, "rPh")) {
        x->in_rph = false;
    } else if (!strcmp(local, "si") && x->in_si) {
        size_t s = x->soff[x->nsst];
        if (x->sst.len > s) /* sst.p may still be NULL when all were empty */
            x->sst.len = s + unescape(x->sst.p + s, x->sst.len - s);
        x->nsst++;
        x->in_si = false;
    }
}

static void XMLCALL sst_chars(void *ud, const XML_Char *s, int len)
{
    xctx *x = ud;
    if (!x->collect)
        return;
    size_t start = x->soff[x->nsst];
    if (x->sst.len - start + (size_t)len > x->lim.max_cell_bytes) {
        stop(x, UC_ELIMIT, "XLSX rejected: shared string %zu is longer than %zu bytes",
             x->nsst, x->lim.max_cell_bytes);
        return;
    }
    if (x->sst.len + (size_t)len + x->soffcap * sizeof(size_t) > x->lim.max_shared_bytes) {
        char sz[32];
        stop(x, UC_ELIMIT, "XLSX rejected: shared strings exceed the %s cap",
             io_size_str(x->lim.max_shared_bytes, sz, sizeof sz));
        return;
    }
    if (!buf_grow(&x->sst, x->sst.len + (size_t)len)) {
        stop(x, UC_ENOMEM, "Out of memory reading XLSX shared strings");
        return;
    }
    memcpy(x->sst.p + x->sst.len, s, (size_t)len);
    x->sst.len += (size_t)len;
}

/* ---- worksheet ----------------------------------------------------- */

static void col_name(uint64_t col, char *out)  /* 0-based -> "AB" */
{
    char tmp[16];
    int n = 0;
    col++;
    while (col && n < 15) {
        tmp[n++] = (char)('A' + (col - 1) % 26);
        col = (col - 1) / 26;
    }
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

static void XMLCALL sheet_chars(void *ud, const XML_Char *s, int len)
{
    xctx *x = ud;
    if (!x->collect)
        return;
    buf *b = &x->rowbuf;
    if (b->len - x->coff + (size_t)len > x->lim.max_cell_bytes) {
        char cn[16];
        col_name((uint64_t)x->col, cn);
        stop(x, UC_ELIMIT, "XLSX rejected: cell %s%u holds more than %zu bytes of text",
             cn, x->row, x->lim.max_cell_bytes);
        return;
    }
    if (b->len + (size_t)len > b->cap && !buf_grow(b, b->len + (size_t)len)) {
        stop(x, UC_ENOMEM, "Out of memory reading XLSX");
        return;
    }
    memcpy(b->p + b->len, s, (size_t)len);
    b->len += (size_t)len;
}

/* <row>: its number from r, else the previous one plus one. */
static void row_start(xctx *x, const char **atts)
{
    const char *r = attr(atts, "r");
    uint64_t n = x->row + 1;
    if (r) {
        n = 0;
        for (const char *p = r; *p; p++) {
            if (*p < '0' || *p > '9' || n > UINT32_MAX) {
                stop(x, UC_EFORMAT, "Corrupt XLSX: bad row number \"%.20s\"", r);
                return;
            }
            n = n * 10 + (uint64_t)(*p - '0');
        }
        if (n == 0) {
            stop(x, UC_EFORMAT, "Corrupt XLSX: bad row number \"%.20s\"", r);
            return;
        }
    }
    if (n > x->lim.max_rows) {
        stop(x, UC_ELIMIT, "XLSX rejected: row %llu is past the %u-row limit",
             (unsigned long long)n, x->lim.max_rows);
        return;
    }
    x->row = (uint32_t)n;
    x->col = -1;
    x->in_row = true;
    x->rowlen = 0;
    x->rowbuf.len = 0;
}

static void cell_start(xctx *x, const char **atts)
{
    const char *r = NULL, *t = NULL;
    for (; *atts; atts += 2) {
        if (atts[0][0] == 'r' && !atts[0][1])
            r = atts[1];
        else if (atts[0][0] == 't' && !atts[0][1])
            t = atts[1];
    }
    int64_t col = x->col + 1;
    if (r) {
        const char *p = r;
        uint64_t c = 0, rn = 0;
        for (; (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'); p++) {
            c = c * 26 + (uint64_t)((*p & ~0x20) - 'A' + 1);
            if (c > x->lim.max_columns) {
                stop(x, UC_ELIMIT,
                     "XLSX rejected: cell %.20s is past the %u-column limit", r,
                     x->lim.max_columns);
                return;
            }
        }
        for (; *p >= '0' && *p <= '9'; p++)
            if ((rn = rn * 10 + (uint64_t)(*p - '0')) > x->lim.max_rows) {
                stop(x, UC_ELIMIT, "XLSX rejected: cell %.20s is past the %u-row limit",
                     r, x->lim.max_rows);
                return;
            }
        if (c == 0 || *p) {
            stop(x, UC_EFORMAT, "Corrupt XLSX: bad cell reference \"%.20s\"", r);
            return;
        }
        col = (int64_t)c - 1;
    } else if (col >= (int64_t)x->lim.max_columns) {
        stop(x, UC_ELIMIT, "XLSX rejected: row %u has more than %u columns", x->row,
             x->lim.max_columns);
        return;
    }
    x->col = col;
    x->cshared = x->cinline = false;
    x->ctype = CELL_NUMBER;
    if (t) {
        if (!strcmp(t, "s"))
            x->ctype = CELL_STRING, x->cshared = true;
        else if (!strcmp(t, "inlineStr"))
            x->ctype = CELL_STRING, x->cinline = true;
        else if (!strcmp(t, "b"))
            x->ctype = CELL_BOOL;
        else if (!strcmp(t, "e"))
            x->ctype = CELL_ERROR;
        else if (strcmp(t, "n"))
            x->ctype = CELL_STRING;  /* str, d (ISO date text), unknown */
    }
    x->coff = x->rowbuf.len;
    x->in_c = true;
}

static bool grow_row(xctx *x, size_t n)
{
    if (n <= x->rccap)
        return true;
    size_t nc = x->rccap ? x->rccap : 64;
    while (nc < n)
        nc *= 2;
    rcell *nr = realloc(x->rc, nc * sizeof *nr);
    if (!nr)
        return false;
    x->rc = nr;
    cell *no = realloc(x->out, nc * sizeof *no);
    if (!no)
        return false;
    x->out = no;
    x->rccap = nc;
    return true;
}

static void cell_end(xctx *x)
{
    x->in_c = false;
    size_t off = x->coff, len = x->rowbuf.len - off;
    const char *ext = NULL;
    if (x->cinline && len) /* rowbuf.p may still be NULL when empty */
        len = unescape(x->rowbuf.p + off, len);
    if (x->cshared && len) {
        uint64_t idx = 0;
        const char *s = x->rowbuf.p + off;
        for (size_t i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9' || idx > UINT32_MAX) {
                stop(x, UC_EFORMAT, "Corrupt XLSX: bad shared string index \"%.*s\"",
                     (int)(len < 20 ? len : 20), s);
                return;
            }
            idx = idx * 10 + (uint64_t)(s[i] - '0');
        }
        if (idx >= x->nsst) {
            stop(x, UC_EFORMAT, "Corrupt XLSX: shared string index %llu out of range",
                 (unsigned long long)idx);
            return;
        }
        ext = x->sst.p + x->soff[idx];
        len = x->soff[idx + 1] - x->soff[idx];
    }
    x->rowbuf.len = ext ? off : off + len;
    size_t c = (size_t)x->col;
    if (!grow_row(x, c + 1)) {
        stop(x, UC_ENOMEM, "Out of memory reading XLSX");
        return;
    }
    for (size_t i = x->rowlen; i < c; i++)
        x->rc[i].type = CELL_EMPTY, x->rc[i].len = 0;
    rcell *rc = &x->rc[c];
    rc->type = len ? x->ctype : CELL_EMPTY;
    rc->ext = ext;
    rc->off = off;
    rc->len = len;
    if (c + 1 > x->rowlen)
        x->rowlen = c + 1;
}

static void row_end(xctx *x)
{
    x->in_row = false;
    size_t n = x->rowlen;
    while (n && x->rc[n - 1].type == CELL_EMPTY)
        n--;
    if (!n)
        return;
    for (size_t i = 0; i < n; i++) {
        const rcell *rc = &x->rc[i];
        cell *o = &x->out[i];
        o->type = rc->type;
        o->len = rc->type == CELL_EMPTY ? 0 : rc->len;
        o->v = !o->len ? NULL : rc->ext ? rc->ext : x->rowbuf.p + rc->off;
    }
    if (x->fn(x->ud, x->row - 1, x->out, n))
        stop(x, UC_ECANCELED, "Cancelled");
}

static void XMLCALL sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    xctx *x = ud;
    const char *l;
    if (ns_of(name, &l) != NS_MAIN)
        return;
    if (x->in_c) {
        if (l[0] == 'v' && !l[1])
            x->collect = !x->cinline;
        else if (l[0] == 't' && !l[1])
            x->collect = x->in_is && !x->in_rph;
        else if (!strcmp(l, "is"))
            x->in_is = true;
        else if (!strcmp(l, "rPh"))
            x->in_rph = true;
    } else if (x->in_row) {
        if (l[0] == 'c' && !l[1])
            cell_start(x, atts);
    } else if (x->in_data) {
        if (!strcmp(l, "row"))
            row_start(x, atts);
    } else if (!strcmp(l, "sheetData")) {
        x->in_data = true;
    }
}

static void XMLCALL sheet_end(void *ud, const XML_Char *name)
{
    xctx *x = ud;
    const char *l;
    if (ns_of(name, &l) != NS_MAIN)
        return;
    if (x->in_c) {
        if ((l[0] == 'v' || l[0] == 't') && !l[1])
            x->collect = false;
        else if (l[0] == 'c' && !l[1])
            cell_end(x);
        else if (!strcmp(l, "is"))
            x->in_is = false;
        else if (!strcmp(l, "rPh"))
            x->in_rph = false;
    } else if (x->in_row) {
        if (!strcmp(l, "row"))
            row_end(x);
    } else if (!strcmp(l, "sheetData")) {
        x->in_data = false;
    }
}

/* ---- the read ------------------------------------------------------ */

static uc_err find_part(xctx *x, const char *name, int *idx)
{
    *idx = zipr_find(x->z, name);
    if (*idx < 0)
        return setf(x, UC_EFORMAT, "Corrupt XLSX: part %s is missing", name);
    return UC_OK;
}

uc_err xlsx_read(const char *path, const xlsx_limits *lim, row_fn fn, void *ud,
                 char *err, size_t errcap)
{
    xctx x = { .fn = fn, .ud = ud, .err = err, .errcap = errcap };
    char wb[MAX_PATH], sheet[MAX_PATH], sst[MAX_PATH] = "";
    int idx;
    uc_err e;
    if (lim)
        x.lim = *lim;
    else
        xlsx_limits_default(&x.lim);
    if (err && errcap)
        err[0] = '\0';

    e = zipr_open(path, &x.lim.zip, &x.z, err, errcap);
    if (e) {
        rename_zip_reason(&x);
        goto fail;
    }
    /* package -> workbook */
    if ((e = read_rels(&x, "")))
        goto fail;
    const rel *r = rel_kind(&x, REL_OFFICEDOC);
    snprintf(wb, sizeof wb, "%s", r ? r->target : "xl/workbook.xml");
    if (zipr_find(x.z, wb) < 0) {
        e = setf(&x, UC_EFORMAT, "Not an XLSX workbook: no workbook part found");
        goto fail;
    }
    /* workbook -> first visible worksheet, shared strings */
    if ((e = read_rels(&x, wb)))
        goto fail;
    if ((r = rel_kind(&x, REL_SST)))
        snprintf(sst, sizeof sst, "%s", r->target);
    if ((e = find_part(&x, wb, &idx)) ||
        (e = parse_part(&x, idx, wb, wb_start, no_end, NULL)))
        goto fail;
    if (!x.pick)
        x.pick = x.pick_any;
    if (!x.pick) {
        e = setf(&x, UC_EFORMAT, "No worksheet found in workbook");
        goto fail;
    }
    snprintf(sheet, sizeof sheet, "%s", x.pick->target);
    free_rels(&x);

    if (sst[0] && (idx = zipr_find(x.z, sst)) >= 0) {
        if ((e = parse_part(&x, idx, sst, sst_start, sst_end, sst_chars)))
            goto fail;
    }
    if (!buf_grow(&x.sst, 1) || !(x.soff || (x.soff = malloc(sizeof *x.soff)))) {
        e = setf(&x, UC_ENOMEM, "Out of memory reading XLSX");
        goto fail;
    }
    x.soff[x.nsst] = x.sst.len;  /* sentinel: end of the last string */
    x.collect = x.in_rph = false;

    if ((e = find_part(&x, sheet, &idx)))
        goto fail;
    e = parse_part(&x, idx, sheet, sheet_start, sheet_end, sheet_chars);
fail:
    free_rels(&x);
    free(x.rels);
    free(x.sst.p);
    free(x.soff);
    free(x.rowbuf.p);
    free(x.rc);
    free(x.out);
    zipr_close(x.z);
    return e;
}
