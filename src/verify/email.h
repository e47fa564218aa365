/* email.h: address syntax, judged as the real service judges it.
 *
 * The real service validates with pydantic's EmailStr, i.e.
 * python-email-validator with deliverability checks off. email_valid()
 * gives the same verdict as Debian 12's python3-email-validator (1.3.0)
 * validate_email(addr, check_deliverability=False), and on failure the
 * same reason text that library puts in its exception. */
#ifndef UC_EMAIL_H
#define UC_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

/* addr: UTF-8 bytes (not NUL-terminated), already trimmed of surrounding
 * white space by the caller. Never allocates on the ASCII fast path;
 * thread-safe. Returns true when valid. When invalid and reason != NULL,
 * *reason points to email_validator's message text, e.g. "The email address
 * is not valid. It must have exactly one @-sign."; texts with interpolated
 * parts live in a per-thread buffer, valid until this thread's next call
 * (copy it to keep it). A NUL inside an interpolated part reads as U+FFFD;
 * texts over 1023 bytes are truncated. */
bool email_valid(const char *addr, size_t len, const char **reason);

#endif
