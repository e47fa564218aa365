/* email.h: address syntax, judged as the real service judges it.
 *
 * The real service is FastAPI + pydantic v2, whose EmailStr runs
 * email-validator 2.x (here 2.3.0, with Debian 12's idna 3.3) with
 * deliverability checks off, behind pydantic's own validate_email wrapper.
 * These functions give that library's verdict, its exception text as the
 * reason, and its normalized forms (ValidatedEmail.normalized,
 * .ascii_email, .ascii_domain). README's "Validation and categories" lists
 * the deliberate differences. */
#ifndef UC_EMAIL_H
#define UC_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

#define EMAIL_OCTETS_MAX 254  /* the longest valid address, in UTF-8 bytes */

/* The forms of a valid address. Every one fits: the library checks each
 * against the 254-octet limit. Strings are NUL-terminated UTF-8. */
typedef struct email_addr {
    char normalized[EMAIL_OCTETS_MAX + 1]; /* local part (NFC, RFC 2142 names
                                              lower-cased) @ Unicode domain:
                                              what EmailStr hands the app */
    size_t len;                            /* bytes of normalized */
    size_t at;                             /* normalized[at] == '@' */
    char ascii_email[EMAIL_OCTETS_MAX + 1]; /* "" when the local part is not
                                               ASCII (Python's None) */
    size_t ascii_len;
    char ascii_domain[EMAIL_OCTETS_MAX + 1]; /* the IDNA (A-label) domain */
    size_t ascii_domain_len;
} email_addr;

/* What a check found. Compare with == EMAIL_VALID: EMAIL_NOMEM is no
 * verdict at all. */
typedef enum email_verdict {
    EMAIL_INVALID = 0,
    EMAIL_VALID = 1,
    EMAIL_NOMEM = 2,  /* memory ran out (Python would raise MemoryError) */
} email_verdict;

/* pydantic v2's validate_email(value): a value longer than 2,048 code
 * points is refused; "Name <addr>" is unwrapped with pydantic's own
 * pattern; white space is stripped; then email-validator judges it.
 *
 * value: len bytes of UTF-8 (not NUL-terminated; any bytes: an
 * undecodable byte reads as Python's surrogateescape would read it).
 * out: NULL, or filled when valid. reason: NULL, or set when invalid to a
 * malloc'd text the caller frees (the library's message). Thread-safe;
 * the common ASCII address takes a fast path that allocates nothing. */
email_verdict email_validate_pydantic(const char *value, size_t len, email_addr *out,
                                      char **reason);

/* email_validator.validate_email(addr, check_deliverability=False) itself:
 * no length cap, no unwrapping, no strip. Same contract otherwise. */
email_verdict email_validate(const char *addr, size_t len, email_addr *out, char **reason);

#endif
