/* email_syntax.h: the checks of email-validator 2.3.0's syntax.py, for
 * email.c to put together (internal to src/verify/).
 *
 * Each check works on code points in a pyctx and returns true when it
 * passes; false when the library raises EmailSyntaxError, with the
 * exception's text in x->err (or x->oom set when memory ran out). */
#ifndef UC_EMAIL_SYNTAX_H
#define UC_EMAIL_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verify/idna.h"
#include "verify/pystr.h"

/* ---- shared by every part (email_syntax.c) -------------------------------- */

/* safe_character_display(c) */
void ev_char_display(pytext *b, uint32_t c);

/* Raise prefix + the sorted displays of the characters of s[0, n) for
 * which bad() holds + "." when there is one; else pass. */
bool ev_bad_chars(pyctx *x, const char *prefix, const uint32_t *s, size_t n,
                  bool (*bad)(uint32_t));

/* check_unsafe_chars(s, allow_space) */
bool ev_unsafe_chars(pyctx *x, const uint32_t *s, size_t n, bool allow_space);

/* check_dot_atom(s, start_descr, end_descr, is_hostname); the descriptions
 * hold one %s (Python's {}). */
bool ev_dot_atom(pyctx *x, const uint32_t *s, size_t n, const char *start_descr,
                 const char *end_descr, bool hostname);

/* "(N character(s) too many)", get_length_reason() */
void ev_length_reason(pytext *b, size_t len, size_t limit);

/* ---- the address and its local part (email_syntax.c) --------------------- */

typedef struct ev_split {
    bool display;          /* angle brackets were found (a display name) */
    uint32_t *local;       /* unquoted and unescaped */
    size_t local_n;
    bool quoted;           /* the local part was quoted */
    uint32_t *domain;      /* after the @-sign, as given */
    size_t domain_n;
} ev_split;

/* split_email(s) */
bool ev_split_email(pyctx *x, uint32_t *s, size_t n, ev_split *out);

typedef struct ev_local {
    uint32_t *s;           /* the local part, re-quoted if it needs quotes */
    size_t n;
    bool smtputf8;         /* not ASCII: ascii_local_part is None */
} ev_local;

/* validate_email_local_part(s, quoted_local_part=quoted) with the
 * defaults validate_email passes. */
bool ev_local_part(pyctx *x, uint32_t *s, size_t n, bool quoted, ev_local *out);

/* ---- the domain (email_domain.c) ------------------------------------------ */

typedef struct ev_domain {
    uint32_t *i18n;        /* the domain decoded from its IDNA form */
    size_t i18n_n;
    char *ascii;           /* the IDNA (A-label) form, in x's memory */
    size_t ascii_n;
} ev_domain;

/* validate_email_domain_name(d) */
bool ev_domain_name(pyctx *x, uint32_t *d, size_t n, ev_domain *out);

/* validate_email_domain_literal(lit): the address inside the brackets is
 * checked as Python's ipaddress module checks it. */
bool ev_domain_literal(pyctx *x, const uint32_t *lit, size_t n);

#endif
