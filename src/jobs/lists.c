/* lists.c: an account's lists from the store into the classifier's form
 * (see lists.h). */
#include "jobs/lists.h"

#include <stdlib.h>
#include <string.h>

#include "store/accounts.h"

static uc_err add_list(void *ud, const char *kind, const char *body, size_t len)
{
    static const char *kinds[] = {"white", "grey", "black"};
    for (int k = 0; k < 3; k++)
        if (!strcmp(kind, kinds[k]))
            return acct_lists_add(ud, (acct_list_kind)k, body, len);
    return UC_OK; /* the schema allows no other kind */
}

uc_err lists_load(db *d, outcomes_slot *oc, const char *key, acct_lists **out)
{
    acct_lists *al = acct_lists_new();
    if (!al)
        return UC_ENOMEM;
    /* one read for the three lists (most accounts have none) */
    uc_err e = account_lists_each(d, key, add_list, al);
    if (e) {
        acct_lists_free(al);
        return e;
    }
    if (oc && acct_lists_use_outcomes(al, outcomes_slot_get(oc), key) != UC_OK) {
        acct_lists_free(al);
        return UC_ENOMEM;
    }
    *out = al;
    return UC_OK;
}
