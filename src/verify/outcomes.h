/* outcomes.h: chosen outcomes: a category/domain_type given to an exact
 * address or to a domain and its subdomains, for every account or for one
 * (a scenario's "outcomes", see README "Scenarios").
 *
 * The classifier consults them after syntax validation and before every
 * other rule (classify.c): an account's own outcome beats a global one;
 * within one scope an exact address beats a domain, and a longer domain
 * beats its parents. An address matches as dedup compares it: the
 * validated address, Unicode lower-cased.
 *
 * A table is filled (outcomes_add) by one thread, then installed in a
 * slot, after which it is never changed: readers share it by reference,
 * so a task that took it at its start keeps it whatever is installed
 * later. */
#ifndef UC_OUTCOMES_H
#define UC_OUTCOMES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "verify/classify.h"
#include "verify/email.h"

#define OUTCOMES_KEY_MAX 512   /* longest account key (as TASK_KEY_MAX) */

typedef struct outcomes outcomes;

/* A new, empty table with one reference; NULL when out of memory. */
outcomes *outcomes_new(void);
/* Another reference to o (o may be NULL: returns NULL). */
outcomes *outcomes_ref(outcomes *o);
/* Drop one reference; the last frees the table. Accepts NULL. */
void outcomes_unref(outcomes *o);

/* Add the outcome v for text: an address (domain false) or a domain
 * (true), for the account key (NULL: every account). text must be what
 * the validator accepts as an address, or as the domain of one. Returns
 * UC_OK; UC_EINVAL with *why (malloc'd, the caller frees; NULL when out of
 * memory) saying why text can never match; UC_EEXIST when the scope
 * already has an outcome for the same address or domain; UC_ENOMEM.
 * V_BLACK_INVALID is refused (UC_EINVAL, *why set): it is syntax's own. */
uc_err outcomes_add(outcomes *o, const char *key, bool domain, const char *text,
                    verdict v, char **why);

/* Entries, in the order added. */
size_t outcomes_count(const outcomes *o);

/* Call fn for each entry in the order added (key NULL for a global one;
 * text as given to outcomes_add); fn returns nonzero to stop. */
typedef int (*outcomes_fn)(void *ud, const char *key, bool domain, const char *text,
                           verdict v);
void outcomes_each(const outcomes *o, outcomes_fn fn, void *ud);

/* The outcome chosen for the valid address e as seen by account key
 * (NULL: global ones only): true with *v set, false when none applies.
 * Thread-safe on an installed table; no allocation for an ASCII address. */
bool outcomes_find(const outcomes *o, const char *key, const email_addr *e, verdict *v);

/* ---- the installed table, shared by requests and workers ---- */

typedef struct outcomes_slot outcomes_slot;

/* A slot holding an empty table; NULL when out of memory. */
outcomes_slot *outcomes_slot_new(void);
void outcomes_slot_free(outcomes_slot *s);  /* accepts NULL */
/* A reference to the installed table (never NULL for a slot made by
 * outcomes_slot_new; NULL for s NULL). */
outcomes *outcomes_slot_get(outcomes_slot *s);
/* Install o (its reference is taken); the old table goes when its last
 * reader drops it. */
void outcomes_slot_set(outcomes_slot *s, outcomes *o);

#endif
