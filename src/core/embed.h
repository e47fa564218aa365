/* embed.h: data files compiled into the binary (tools/embed.py). */
#ifndef UC_EMBED_H
#define UC_EMBED_H
#include <stddef.h>

struct embedded_file {
    const char *name;            /* base name of the source file */
    const unsigned char *data;   /* contents, NUL-terminated for convenience */
    size_t len;                  /* length without the terminator */
};

/* Tables end with a {NULL, NULL, 0} entry. */
extern const struct embedded_file schema_files[];  /* schema/NNN_*.sql */

#endif
