/* fuzz_zip.c: the zip reader (src/formats/zip.h) on arbitrary archives.
 *
 * Open with small caps, look up the names the XLSX reader asks for, and
 * inflate every entry into a sink that checks nothing but its arguments. */
#include <stdint.h>
#include <string.h>

#include "formats/zip.h"
#include "fuzz_file.h"

static volatile unsigned sinkv;

typedef struct counter {
    uint64_t bytes;
    uint64_t cap;
} counter;

static uc_err count_sink(void *ud, const void *buf, size_t len)
{
    counter *c = ud;
    if (len == 0 && buf == NULL)
        return UC_OK;
    sinkv += fuzz_touch(buf, len);
    c->bytes += len;
    if (c->bytes > c->cap)
        __builtin_trap(); /* the reader let more through than its cap */
    return UC_OK;
}

static uc_err stop_sink(void *ud, const void *buf, size_t len)
{
    (void)ud;
    (void)buf;
    (void)len;
    return UC_ECANCELED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {
        "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
        "XL\\_rels\\workbook.xml.rels", "xl/worksheets/sheet1.xml",
        "xl/sharedStrings.xml", "", "/",
    };
    fuzz_file f;
    fuzz_file_open(&f, data, size);
    zipr_limits lim = {.max_entry_bytes = 256 << 10, .max_total_bytes = 1 << 20,
                       .max_entries = 64};
    char err[256];
    zipr *z = NULL;
    if (zipr_open(f.path, &lim, &z, err, sizeof err) == UC_OK) {
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            (void)zipr_find(z, names[i]);
        uc_err e = UC_OK;
        for (int idx = 0; e != UC_ENOTFOUND && idx < 70; idx++) {
            counter c = {0, lim.max_entry_bytes};
            e = zipr_read(z, idx, count_sink, &c, err, sizeof err);
            if (e && !memchr(err, '\0', sizeof err))
                __builtin_trap();
        }
        /* A sink that refuses must stop the read with its own code. */
        e = zipr_read(z, 0, stop_sink, NULL, err, sizeof err);
        (void)e;
        zipr_close(z);
    } else if (!memchr(err, '\0', sizeof err)) {
        __builtin_trap();
    }
    fuzz_file_close(&f);
    return 0;
}
