/* buf.c: the growable byte buffer (see buf.h). Grows by doubling from
 * BUF_MIN bytes, never past the cap (plus the NUL). */
#include "core/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BUF_MIN 64

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->max = max;
}

void buf_free(struct buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_truncate(struct buf *b, size_t len)
{
    if (len >= b->len)
        return;
    b->len = len;
    b->data[len] = '\0';
}

uc_err buf_reserve(struct buf *b, size_t n)
{
    if (n > b->max || b->len > b->max - n)
        return UC_ELIMIT;
    size_t need = b->len + n + 1; /* cannot overflow: len + n <= max */
    if (need <= b->alloc)
        return UC_OK;
    size_t na = b->alloc ? b->alloc : BUF_MIN;
    while (na < need)
        na = na > SIZE_MAX / 2 ? need : na * 2;
    if (b->max < SIZE_MAX && na > b->max + 1)
        na = b->max + 1; /* still >= need */
    char *p = realloc(b->data, na);
    if (!p)
        return UC_ENOMEM;
    if (!b->data)
        p[0] = '\0';
    b->data = p;
    b->alloc = na;
    return UC_OK;
}

void buf_added(struct buf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

uc_err buf_add_slow(struct buf *b, const void *p, size_t n)
{
    uc_err e = buf_reserve(b, n);
    if (e)
        return e;
    if (n)
        memcpy(b->data + b->len, p, n);
    buf_added(b, n);
    return UC_OK;
}

uc_err buf_addc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

uc_err buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

uc_err buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return UC_EINVAL;
    if ((size_t)n < sizeof small)
        return buf_add(b, small, (size_t)n);
    uc_err e = buf_reserve(b, (size_t)n);
    if (e)
        return e;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    buf_added(b, (size_t)n);
    return UC_OK;
}

uc_err buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    uc_err e = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return e;
}

char *buf_take(struct buf *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    return p;
}
