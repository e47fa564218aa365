/* xlsx_styles.c: the styles part (xl/styles.xml) as far as results keep
 * it: custom number formats (<numFmts>), which fonts are bold (<fonts>),
 * and each cell format's number format and font (<cellXfs>). Fills,
 * borders, alignment and the differential formats (<dxfs>, which also
 * hold fonts and numFmts) are skipped. */
#include "formats/xlsx_styles.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { IN_NONE, IN_NUMFMTS, IN_FONTS, IN_CELLXFS };

typedef struct stctx {
    xpart xp;             /* first: handlers get an stctx */
    xlsx_meta *m;
    int in;               /* which list we are in */
    bool in_font;
    struct buf bold;      /* bool per font */
    struct buf xf_font;   /* uint32_t font per cell format, resolved at the end */
} stctx;

/* A failed add: a cap (what names it) or out of memory. */
static void fail_code(stctx *x, uc_err e, const char *what)
{
    if (e == UC_ELIMIT)
        xpart_stop(&x->xp, e, "XLSX rejected: %s has more than %s", x->xp.name, what);
    else
        xpart_stop(&x->xp, UC_ENOMEM, "Out of memory reading XLSX styles");
}

#define TOO_MANY_XFS "65536 cell formats"
#define TOO_MANY_FONTS "65536 fonts"
#define TOO_MANY_FMTS "1 MiB of number formats"

static void font_start(stctx *x)
{
    bool plain = false;
    uc_err e = buf_add(&x->bold, &plain, sizeof plain);
    if (e)
        fail_code(x, e, TOO_MANY_FONTS);
    else
        x->in_font = true;
}

static void bold_start(stctx *x, const char **atts)
{
    const char *v = xml_attr(atts, "val");
    bool *bold = (bool *)x->bold.data;
    bold[x->bold.len / sizeof *bold - 1] = !v || !strcmp(v, "1") || !strcmp(v, "true");
}

static void xf_start(stctx *x, const char **atts)
{
    const char *nf = xml_attr(atts, "numFmtId"), *fid = xml_attr(atts, "fontId");
    uint32_t numfmt = 0, font = 0;
    if (nf && !xml_u32(nf, &numfmt))
        numfmt = 0;
    if (fid && !xml_u32(fid, &font))
        font = 0;
    uc_err e = buf_reserve(&x->xf_font, sizeof font);
    if (!e && !(e = xlsx_meta_add_xf(x->m, numfmt, false)))
        buf_add(&x->xf_font, &font, sizeof font);  /* room is reserved */
    if (e)
        fail_code(x, e, TOO_MANY_XFS);
}

static void numfmt_start(stctx *x, const char **atts)
{
    const char *id = xml_attr(atts, "numFmtId"), *code = xml_attr(atts, "formatCode");
    uint32_t v;
    if (!id || !code || !xml_u32(id, &v))
        return;  /* unusable: cells naming it fall back to General */
    uc_err e = xlsx_meta_add_numfmt(x->m, v, code);
    if (e)
        fail_code(x, e, TOO_MANY_FMTS);
}

static void XMLCALL st_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    stctx *x = ud;
    const char *l;
    if (xml_ns(name, &l) != XNS_MAIN)
        return;
    switch (x->in) {
    case IN_NONE:
        x->in = !strcmp(l, "numFmts") ? IN_NUMFMTS
              : !strcmp(l, "fonts")   ? IN_FONTS
              : !strcmp(l, "cellXfs") ? IN_CELLXFS
                                      : IN_NONE;
        break;
    case IN_NUMFMTS:
        if (!strcmp(l, "numFmt"))
            numfmt_start(x, atts);
        break;
    case IN_FONTS:
        if (!x->in_font && !strcmp(l, "font"))
            font_start(x);
        else if (x->in_font && l[0] == 'b' && !l[1])
            bold_start(x, atts);
        break;
    case IN_CELLXFS:
        if (!strcmp(l, "xf"))
            xf_start(x, atts);
        break;
    }
}

static void XMLCALL st_end(void *ud, const XML_Char *name)
{
    stctx *x = ud;
    const char *l;
    if (xml_ns(name, &l) != XNS_MAIN)
        return;
    if (x->in == IN_FONTS && !strcmp(l, "font"))
        x->in_font = false;
    else if (!strcmp(l, "numFmts") || !strcmp(l, "fonts") || !strcmp(l, "cellXfs"))
        x->in = IN_NONE;
}

uc_err xlsx_styles_read(xpart *xp, const char *name, xlsx_meta *m)
{
    stctx x = { .xp = *xp, .m = m };
    buf_init(&x.bold, XLSX_MAX_XFS * sizeof(bool));
    buf_init(&x.xf_font, SIZE_MAX);  /* one per cell format: capped by those */
    uc_err e = xpart_parse_opt(&x.xp, &x, name, st_start, st_end, NULL);
    if (!e) {
        const bool *bold = (const bool *)x.bold.data;
        const uint32_t *font = (const uint32_t *)x.xf_font.data;
        size_t nfonts = x.bold.len / sizeof *bold;
        for (size_t i = 0; i < xlsx_meta_nxfs(m); i++)
            xlsx_meta_set_bold(m, i, font[i] < nfonts && bold[font[i]]);
        if (xlsx_meta_settle(m))
            e = xpart_fail(xp, UC_ENOMEM, "Out of memory reading XLSX styles");
    }
    buf_free(&x.bold);
    buf_free(&x.xf_font);
    return e;
}
