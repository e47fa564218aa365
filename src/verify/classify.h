/* classify.h: category and domain_type of an address, deterministically.
 *
 * Knowledge comes from domain lists (built in from fixtures/domains/, or a
 * user directory given with --domain-lists) and from the account's own
 * white/grey/black lists. Precedence is documented in README.md. */
#ifndef UC_CLASSIFY_H
#define UC_CLASSIFY_H

#include <stddef.h>
#include "core/err.h"
#include "verify/email.h"
#include "verify/verdict.h"

/* Global domain knowledge: read-only once loaded, shared by all threads. */
typedef struct domain_lists domain_lists;

/* Load the built-in lists, then, if user_dir != NULL, the user's files
 * from that directory (same file names; see README for replace/extend).
 * On failure writes a one-line reason into err. */
uc_err domain_lists_load(const char *user_dir, domain_lists **out,
                         char *err, size_t errcap);
void domain_lists_free(domain_lists *dl);  /* accepts NULL */

/* One account's own lists: exact addresses or whole domains. */
typedef enum acct_list_kind { LIST_WHITE = 0, LIST_GREY, LIST_BLACK } acct_list_kind;
typedef struct acct_lists acct_lists;

acct_lists *acct_lists_new(void);             /* NULL on ENOMEM */
/* Add every entry of a newline-separated text (blank lines and '#'
 * comments ignored; an entry with '@' is an address, else a domain). */
uc_err acct_lists_add(acct_lists *al, acct_list_kind kind,
                      const char *text, size_t len);
/* Check every line of a list text as acct_lists_add reads it, calling
 * bad(ud, line number from 1, the line's n bytes, why) for each entry that
 * no address could ever match: a NUL byte, white space inside, too long,
 * a '!' entry, an address the validator refuses, or a domain no valid
 * address can have (the validator's reason is in why). Returns how many
 * were bad. */
typedef void (*acct_lists_bad_fn)(void *ud, size_t line, const char *l, size_t n,
                                  const char *why);
size_t acct_lists_check(const char *text, size_t len, acct_lists_bad_fn bad, void *ud);
/* Entries (non-blank, non-comment lines) read by acct_lists_add so far. */
size_t acct_lists_entries(const acct_lists *al);
/* Let the classifier see the chosen outcomes oc (verify/outcomes.h; its
 * reference is taken, NULL for none) as account key sees them: they come
 * before the lists. UC_ENOMEM (oc released) when out of memory. */
struct outcomes;
uc_err acct_lists_use_outcomes(acct_lists *al, struct outcomes *oc, const char *key);
void acct_lists_free(acct_lists *al);         /* accepts NULL */

/* Classify an address email_validate_pydantic() accepted (its forms in e).
 * al may be NULL. Thread-safe, no allocation. */
verdict classify_valid(const domain_lists *dl, const acct_lists *al, const email_addr *e);

/* Validate value (a cell or a query value, UTF-8, as given) as pydantic's
 * EmailStr does, then classify it into *v: V_BLACK_INVALID when it is not
 * valid. UC_ENOMEM (and no verdict) when memory ran out. Thread-safe, no
 * allocation on the common path. */
uc_err classify(const domain_lists *dl, const acct_lists *al, const char *value, size_t len,
                verdict *v);

#endif
