/* lists.c: an account's lists from the store into the classifier's form
 * (see lists.h). */
#include "jobs/lists.h"

#include <stdlib.h>
#include <string.h>

#include "store/accounts.h"

uc_err lists_load(db *d, outcomes_slot *oc, const char *key, acct_lists **out)
{
    static const char *kinds[] = {"white", "grey", "black"};
    acct_lists *al = acct_lists_new();
    if (!al)
        return UC_ENOMEM;
    for (int k = 0; k < 3; k++) {
        char *body = NULL;
        uc_err e = account_list_get(d, key, kinds[k], &body);
        if (!e)
            e = acct_lists_add(al, (acct_list_kind)k, body, strlen(body));
        free(body);
        if (e) {
            acct_lists_free(al);
            return e;
        }
    }
    if (oc && acct_lists_use_outcomes(al, outcomes_slot_get(oc), key) != UC_OK) {
        acct_lists_free(al);
        return UC_ENOMEM;
    }
    *out = al;
    return UC_OK;
}
