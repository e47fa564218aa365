/* delim_reader.h: a delimited reader's state (internal to
 * src/formats/delim*.c): delimited.c reads rows with it, delim_open.c
 * makes it over a file or a buffer and grows it with the upload. */
#ifndef UC_DELIM_READER_H
#define UC_DELIM_READER_H

#include <csv.h>
#include <stdint.h>

#include "core/buf.h"
#include "formats/delimited.h"

struct delim_reader {
    int fd;
    const char *data;
    uint64_t size;
    size_t bom;
    delim_limits lim;
    char delim;
    struct csv_parser p;
    int p_live;
    uint64_t pos;
    uint64_t end;         /* reading stops here: size, or a range's end */
    int unclean;          /* the range ended inside a row (see delim_clean) */
    uint64_t row_start;   /* where the row being read began */
    uint64_t dropped;     /* pages of the map below this are released */
    int borrowed;         /* the mapping is another reader's (delim_open_shared) */
    int copied;           /* data is a malloc'd copy, not a mapping (small files) */

    /* per-row state filled by the callbacks */
    uint32_t want;
    uint32_t col;
    int row_done;
    int too_many_cols;
    int oom;              /* a buffer could not grow */
    int field_too_long; /* a field longer than lim.max_field */
    struct buf field; /* captured field bytes */
    struct buf cells; /* DELIM_ALL capture: cell records */
    struct buf offs;  /* size_t records: start of each captured field */
    size_t ncells;
};

#endif
