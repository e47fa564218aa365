/* idna.h: IDNA 2008 as Python's idna package (3.3, Debian 12's
 * python3-idna) does it, for the email validator.
 *
 * Strings are code points (see pystr.h) in the context's scratch memory.
 * Each function returns true on success; false when the package would
 * raise IDNAError, with the exception's text in c->err (or c->oom set when
 * memory ran out). */
#ifndef UC_IDNA_H
#define UC_IDNA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verify/pystr.h"

#define IDNA_LABEL_MAX 63   /* octets of an A-label */
#define IDNA_DOMAIN_MAX 253 /* octets of an encoded domain, no trailing dot */

/* idna.uts46_remap(s, std3_rules=False, transitional=False), NFC included:
 * *out (in c's memory) and *outn get the mapped string. */
bool idna_uts46_remap(pyctx *c, const uint32_t *s, size_t n, uint32_t **out,
                      size_t *outn);

/* idna.alabel(l) (l holds no dot): the A-label goes to out (room for
 * IDNA_LABEL_MAX bytes), its length to *outn. l may be overwritten. */
bool idna_alabel(pyctx *c, uint32_t *l, size_t n, char *out, size_t *outn);

/* idna.ulabel(l) of an ASCII label l[0, n): *u (in c's memory), *un get
 * the U-label (the label lower-cased, or its Punycode decoded). */
bool idna_ulabel(pyctx *c, const char *l, size_t n, uint32_t **u, size_t *un);

/* idna.encode(d), for its verdict only. d may be overwritten. */
bool idna_encode(pyctx *c, uint32_t *d, size_t n);

#endif
