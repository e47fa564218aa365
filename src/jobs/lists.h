/* lists.h: an account's own white, grey and black lists, loaded for the
 * classifier, with the chosen outcomes of a scenario. Batch runs and
 * single checks (http/v1.c) load them alike. */
#ifndef UC_LISTS_H
#define UC_LISTS_H

#include "core/err.h"
#include "store/db.h"
#include "verify/classify.h"
#include "verify/outcomes.h"

/* Load key's white/grey/black lists from the database into a new set
 * (*out, the caller's: free with acct_lists_free), with the chosen
 * outcomes installed in oc now (a snapshot: the set keeps that table
 * whatever is installed later; oc NULL: none). */
uc_err lists_load(db *d, outcomes_slot *oc, const char *key, acct_lists **out);

#endif
