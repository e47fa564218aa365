/* buf.h: a growable byte buffer with a hard cap (after curl's dynbuf).
 *
 * One shape for every buffer that grows: text being built, bytes being
 * read, and arrays of fixed-size records (append sizeof(rec) bytes, read
 * back as (rec *)b.data; malloc's alignment suits any record). The cap
 * bounds what a user can make us hold: growing past it fails cleanly with
 * UC_ELIMIT and leaves the contents as they were.
 *
 * data is NULL until the first byte is added, then always NUL-terminated
 * (the NUL is not counted in len), so text can be used as a C string.
 * The fields are public for reading; write only through these functions
 * (or into room made by buf_reserve, then buf_added). */
#ifndef UC_BUF_H
#define UC_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include "core/err.h"

struct buf {
    char *data;    /* owned; NULL while empty and never grown */
    size_t len;    /* bytes held, not counting the NUL */
    size_t alloc;  /* bytes allocated (> len once data != NULL) */
    size_t max;    /* hard cap on len */
};

/* Start b empty, never to hold more than max bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t max);

/* Free b's memory and leave it empty (same cap). Accepts NULL, and a
 * zeroed or already freed buf. */
void buf_free(struct buf *b);

/* Empty b but keep its memory for reuse. */
void buf_reset(struct buf *b);

/* Keep only the first len bytes (len <= b->len), e.g. after decoding the
 * tail in place; memory is kept. */
void buf_truncate(struct buf *b, size_t len);

/* Make room for n more bytes (and the NUL) without adding any.
 * UC_ELIMIT if len + n would pass the cap, UC_ENOMEM if memory ran out;
 * b is unchanged on failure. */
uc_err buf_reserve(struct buf *b, size_t n);

/* After writing n bytes at data + len into room made by buf_reserve:
 * count them (and put the NUL after them). */
void buf_added(struct buf *b, size_t n);

/* Append n bytes from p (p may be NULL when n is 0). Errors as
 * buf_reserve; b unchanged on failure. */
uc_err buf_add_slow(struct buf *b, const void *p, size_t n);
static inline uc_err buf_add(struct buf *b, const void *p, size_t n)
{
    /* the common case, inline: it is on the per-field path of the readers */
    if (b->alloc - b->len > n) {
        if (n)
            memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return UC_OK;
    }
    return buf_add_slow(b, p, n);
}

/* Append one byte / a C string. Errors as buf_add. */
uc_err buf_addc(struct buf *b, char c);
uc_err buf_adds(struct buf *b, const char *s);

/* Append printf-formatted text. Errors as buf_add (UC_EINVAL for a bad
 * format); b unchanged on failure. */
uc_err buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
uc_err buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Hand the contents to the caller (free() them) and leave b empty.
 * Returns NULL if b never held a byte; *len (if given) gets the length. */
char *buf_take(struct buf *b, size_t *len);

#endif
