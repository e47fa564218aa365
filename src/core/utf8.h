/* utf8.h: UTF-8 checks shared by the readers and the HTTP layer. */
#ifndef UC_UTF8_H
#define UC_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the one UTF-8 sequence at the start of s[0, n) (n >= 1): its
 * code point goes to *cp and its length (1..4) is returned. 0 when s does
 * not start with a well-formed sequence: a stray continuation byte, an
 * overlong form, a surrogate, a code point past U+10FFFF, or a sequence
 * cut short by n. A NUL decodes as U+0000, length 1. The project's only
 * UTF-8 decoder: every reader and validator judges bytes the same way. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

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
