/* xlsx_xml.h: what the XLSX reader's parts share (internal to
 * src/formats/xlsx_*.c): one zip entry at a time through expat,
 * namespace-aware; DOCTYPEs, entity declarations and external entities are
 * refused; the first failure a handler reports wins and stops the parse.
 * Also the namespace test, attribute lookup and _xHHHH_ unescaping. */
#ifndef UC_XLSX_XML_H
#define UC_XLSX_XML_H

#include <expat.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "formats/zip.h"

#define XLSX_PATH_MAX 1024    /* a part name we are willing to resolve */

/* Which namespace an element or attribute name is in (strict and
 * transitional spellings fold together). */
enum { XNS_NONE, XNS_OTHER, XNS_MAIN, XNS_REL, XNS_PKGREL };

/* The state of one part's parse. Every parse context of the reader starts
 * with an xpart, so the user data expat hands a handler is both. */
typedef struct xpart {
    zipr *z;            /* borrowed: the open package */
    char *err;          /* borrowed: where a reason goes (may be NULL) */
    size_t errcap;
    XML_Parser p;       /* live during xpart_parse only */
    const char *name;   /* part being parsed, for reasons */
    uc_err fail;        /* set by a handler that stopped the parser */
    uint64_t line_skip; /* lines of the part p was not given (xlsx_chunks.c),
                         * added to the line a reason names */
} xpart;

/* Make x->p for the part name: namespace-aware, with the guards, ctx as
 * the handlers' user data (it starts with x). Then give it the bytes with
 * xpart_feed (UC_OK, or the failure with its reason in x->err) and free
 * it with xpart_parser_free (accepts a parser never made). */
uc_err xpart_parser(xpart *x, void *ctx, const char *name, XML_StartElementHandler start,
                    XML_EndElementHandler end, XML_CharacterDataHandler chars);
uc_err xpart_feed(xpart *x, const void *data, size_t len, bool final);
void xpart_parser_free(xpart *x);
/* The reason for the parser's own failure ("bad XML in ... at line N"). */
uc_err xpart_bad_xml(xpart *x);

/* Parse entry idx (named name, for reasons) with the given handlers; ctx
 * is what the handlers get and must start with x itself. Returns UC_OK or
 * the failure, its reason in x->err. */
uc_err xpart_parse(xpart *x, void *ctx, int idx, const char *name,
                   XML_StartElementHandler start, XML_EndElementHandler end,
                   XML_CharacterDataHandler chars);
/* Like xpart_parse, but a missing part is no error (nothing is parsed). */
uc_err xpart_parse_opt(xpart *x, void *ctx, const char *name,
                       XML_StartElementHandler start, XML_EndElementHandler end,
                       XML_CharacterDataHandler chars);

/* Write a reason (printf-style) and return code. */
uc_err xpart_fail(xpart *x, uc_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* From inside a handler: record the failure and stop the parse. */
void xpart_stop(xpart *x, uc_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A reason from the zip reader names its format "zip": name ours. */
void xpart_zip_reason(xpart *x);

#define XNS_MAIN_URI "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

/* Split an expat name "uri local" and classify its namespace. */
int xml_ns_slow(const char *name, const char **local);
static inline int xml_ns(const char *name, const char **local)
{
    /* the common case inline, without scanning for the separator:
     * strncmp stops at a shorter name's NUL */
    static const size_t lm = sizeof(XNS_MAIN_URI) - 1;
    if (!strncmp(name, XNS_MAIN_URI, lm) && name[lm] == ' ') {
        *local = name + lm + 1;
        return XNS_MAIN;
    }
    return xml_ns_slow(name, local);
}
/* The value of the attribute without namespace named name, or NULL. */
const char *xml_attr(const char **atts, const char *name);
/* Decode _xHHHH_ escapes (ST_Xstring) in place; returns the new length.
 * Surrogate pairs written as two escapes are joined, a lone surrogate
 * becomes U+FFFD. */
size_t xml_unescape_slow(char *s, size_t n);
static inline size_t xml_unescape(char *s, size_t n)
{
    return memchr(s, '_', n) ? xml_unescape_slow(s, n) : n;  /* the common case */
}
/* A decimal number of at most 9 digits in s (NUL-terminated); false
 * for anything else. */
bool xml_u32(const char *s, uint32_t *out);

#endif
