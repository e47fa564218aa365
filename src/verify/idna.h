/* idna.h: IDNA 2008 as Python's idna package (3.3, Debian 12's
 * python3-idna) does it, for the email validator.
 *
 * Strings are code points (see pystr.h) in scratch memory. Errors are the
 * package's IDNAError texts: static strings, or a per-thread buffer valid
 * until this thread's next call here; pystr_oom when memory runs out. */
#ifndef UC_IDNA_H
#define UC_IDNA_H

#include <stddef.h>
#include <stdint.h>

#include "verify/pystr.h"

#define IDNA_LABEL_MAX 63   /* octets of an A-label */
#define IDNA_DOMAIN_MAX 253 /* octets of an encoded domain, no trailing dot */

/* idna.uts46_remap(s, std3_rules=False, transitional=False), NFC included.
 * On success *out (in a's memory) and *outn hold the mapped string. */
const char *idna_uts46_remap(pyarena *a, const uint32_t *s, size_t n,
                             uint32_t **out, size_t *outn);

/* idna.encode(d) together with the idna.decode() of its result (which,
 * for what encode accepted, gives back the U-labels). ascii gets up to
 * IDNA_DOMAIN_MAX + 2 bytes, *alen the full length; i18n has room for
 * n + 1 code points and gets *in of them. d is used as scratch. */
const char *idna_encode(pyarena *a, uint32_t *d, size_t n, char *ascii,
                        size_t *alen, uint32_t *i18n, size_t *in);

#endif
