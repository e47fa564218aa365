/* utf8.h: UTF-8 checks shared by the readers and the HTTP layer. */
#ifndef UC_UTF8_H
#define UC_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Scan s[a, b) for the first byte that is not part of well-formed UTF-8
 * (no overlongs, surrogates or code points past U+10FFFF) or is a NUL.
 * Returns its offset, or b when all is well; *nul tells which it was.
 * ASCII runs are checked 8 bytes at a time. */
uint64_t utf8_scan(const unsigned char *s, uint64_t a, uint64_t b, int *nul);

/* A malloc'd, NUL-terminated copy of s[0, n) with every ill-formed byte
 * (and NUL) replaced by U+FFFD, as Python's errors="replace" would read
 * it. NULL on ENOMEM. */
char *utf8_sanitize_dup(const char *s, size_t n);

#endif
