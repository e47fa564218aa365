/* xlsx_xml.c: the XML plumbing of the XLSX reader: a zip entry inflated in
 * chunks straight into expat, with the hostile-XML guards, and the small
 * helpers every part's handlers use. */
#include "formats/xlsx_xml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_MAIN_T XNS_MAIN_URI
#define NS_MAIN_S "http://purl.oclc.org/ooxml/spreadsheetml/main"
#define NS_REL_T "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_REL_S "http://purl.oclc.org/ooxml/officeDocument/relationships"
#define NS_PKG "http://schemas.openxmlformats.org/package/2006/relationships"
#define NS_SEP ' '            /* URIs never hold a space */

/* expat 2.7 deprecates the line getter for a 64-bit one (meson.build
 * checks which the header has). */
#ifdef HAVE_XML_LINE64
#define XML_LINE(p) ((unsigned long)XML_GetCurrentLineNumber64(p))
#else
#define XML_LINE(p) ((unsigned long)XML_GetCurrentLineNumber(p))
#endif

uc_err xpart_fail(xpart *x, uc_err code, const char *fmt, ...)
{
    if (x->err && x->errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errcap, fmt, ap);
        va_end(ap);
    }
    return code;
}

void xpart_stop(xpart *x, uc_err code, const char *fmt, ...)
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
    if (x->p) /* none while xlsx_fast.c reads */
        XML_StopParser(x->p, XML_FALSE);
}

void xpart_zip_reason(xpart *x)
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

int xml_ns_slow(const char *name, const char **local)
{
    const char *sp = strchr(name, NS_SEP);
    if (!sp) {
        *local = name;
        return XNS_NONE;
    }
    *local = sp + 1;
    size_t n = (size_t)(sp - name);
#define IS(u) (n == sizeof(u) - 1 && !memcmp(name, u, n))
    if (IS(NS_MAIN_T) || IS(NS_MAIN_S))
        return XNS_MAIN;
    if (IS(NS_REL_T) || IS(NS_REL_S))
        return XNS_REL;
    if (IS(NS_PKG))
        return XNS_PKGREL;
#undef IS
    return XNS_OTHER;
}

const char *xml_attr(const char **atts, const char *name)
{
    for (; *atts; atts += 2)
        if (!strcmp(atts[0], name))
            return atts[1];
    return NULL;
}

bool xml_u32(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    size_t i = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        if (i == 9)
            return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (!i || s[i])
        return false;
    *out = v;
    return true;
}

/* ---- _xHHHH_ escapes: output never outgrows input (7 bytes in, <= 4 out) */

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

size_t xml_unescape_slow(char *s, size_t n)
{
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

/* ---- one part through expat ---------------------------------------- */

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sys,
                               const XML_Char *pub, int has_internal)
{
    xpart *x = ud;
    xpart_stop(x, UC_EFORMAT, "XLSX rejected: XML contains a DOCTYPE (in %s)", x->name);
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param,
                              const XML_Char *value, int value_len,
                              const XML_Char *base, const XML_Char *sys,
                              const XML_Char *pub, const XML_Char *notation)
{
    xpart *x = ud;
    xpart_stop(x, UC_EFORMAT, "XLSX rejected: XML declares an entity (in %s)", x->name);
}

static int XMLCALL on_extent(XML_Parser p, const XML_Char *ctx, const XML_Char *base,
                             const XML_Char *sys, const XML_Char *pub)
{
    return XML_STATUS_ERROR;  /* never fetch external entities */
}

uc_err xpart_bad_xml(xpart *x)
{
    return xpart_fail(x, UC_EFORMAT, "Corrupt XLSX: bad XML in %s at line %lu: %s",
                      x->name, XML_LINE(x->p) + (unsigned long)x->line_skip,
                      XML_ErrorString(XML_GetErrorCode(x->p)));
}

uc_err xpart_feed(xpart *x, const void *data, size_t len, bool final)
{
    if (XML_Parse(x->p, data, (int)len, final) == XML_STATUS_OK)
        return UC_OK;
    return x->fail ? x->fail : xpart_bad_xml(x);
}

static uc_err xml_sink(void *ud, const void *data, size_t len)
{
    return xpart_feed(ud, data, len, false);
}

uc_err xpart_parser(xpart *x, void *ctx, const char *name, XML_StartElementHandler start,
                    XML_EndElementHandler end, XML_CharacterDataHandler chars)
{
    x->p = XML_ParserCreateNS(NULL, NS_SEP);
    if (!x->p)
        return xpart_fail(x, UC_ENOMEM, "Out of memory reading XLSX");
    x->name = name;
    x->fail = UC_OK;
    x->line_skip = 0;
    XML_SetUserData(x->p, ctx);
    XML_SetElementHandler(x->p, start, end);
    if (chars)
        XML_SetCharacterDataHandler(x->p, chars);
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    XML_SetEntityDeclHandler(x->p, on_entity);
    XML_SetExternalEntityRefHandler(x->p, on_extent);
    XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
    return UC_OK;
}

void xpart_parser_free(xpart *x)
{
    if (x->p)
        XML_ParserFree(x->p);
    x->p = NULL;
}

uc_err xpart_parse(xpart *x, void *ctx, int idx, const char *name,
                   XML_StartElementHandler start, XML_EndElementHandler end,
                   XML_CharacterDataHandler chars)
{
    uc_err e = xpart_parser(x, ctx, name, start, end, chars);
    if (e)
        return e;
    e = zipr_read(x->z, idx, xml_sink, x, x->err, x->errcap);
    if (e && !x->fail)
        xpart_zip_reason(x);
    if (!e)
        e = xpart_feed(x, NULL, 0, true);
    xpart_parser_free(x);
    return e;
}

uc_err xpart_parse_opt(xpart *x, void *ctx, const char *name,
                       XML_StartElementHandler start, XML_EndElementHandler end,
                       XML_CharacterDataHandler chars)
{
    int idx = name[0] ? zipr_find(x->z, name) : -1;
    return idx < 0 ? UC_OK : xpart_parse(x, ctx, idx, name, start, end, chars);
}
