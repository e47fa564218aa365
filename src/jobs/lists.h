/* lists.h: an account's own white, grey and black lists, loaded for the
 * classifier. Batch runs and single checks (http/v1.c) load them alike. */
#ifndef UC_LISTS_H
#define UC_LISTS_H

#include "core/err.h"
#include "store/db.h"
#include "verify/classify.h"

/* Load key's white/grey/black lists from the database into a new set
 * (*out, the caller's: free with acct_lists_free). */
uc_err lists_load(db *d, const char *key, acct_lists **out);

#endif
