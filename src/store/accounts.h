/* accounts.h: per-account state: credits, charged total, custom lists.
 *
 * An account is an API key. Rows are created on first use with the
 * configured starting credits. */
#ifndef UC_ACCOUNTS_H
#define UC_ACCOUNTS_H

#include <stdint.h>
#include "core/err.h"
#include "store/db.h"

typedef struct account {
    int64_t credits;   /* -1 = unlimited */
    int64_t charged;   /* addresses charged so far */
    int64_t created_at;
} account;

/* Load key's account, creating it with start_credits (-1 = unlimited) if
 * it does not exist yet. */
uc_err account_get(db *d, const char *key, int64_t start_credits, account *out);

/* Make key's account with start_credits (-1 = unlimited) unless it has
 * one (left as it is). */
uc_err account_make(db *d, const char *key, int64_t start_credits);

/* Set key's balance to credits (>= 0; -1 = unlimited), creating the
 * account if it does not exist yet. */
uc_err account_set_credits(db *d, const char *key, int64_t credits);

/* Call fn for every account, oldest first (fn returns nonzero to stop;
 * key and a are valid during the call only). */
uc_err account_each(db *d, int (*fn)(void *ud, const char *key, const account *a),
                    void *ud);

/* Charge n addresses atomically. UC_EQUOTA when the balance cannot cover
 * n (nothing is charged then). */
uc_err account_charge(db *d, const char *key, int64_t n);

/* The account's list of kind ("white", "grey", "black") as text; *out is
 * malloc'd (caller frees), "" when never set. */
uc_err account_list_get(db *d, const char *key, const char *kind, char **out);
uc_err account_list_put(db *d, const char *key, const char *kind,
                        const char *body, size_t len);

/* Call fn with each list key has stored (kind "white", "grey" or "black",
 * body and its length, borrowed for the call; fn must not use the
 * database), all read at once, in the order of their kind names; a kind
 * never put is not called. Stops at fn's first error and returns it;
 * UC_EDB when the read fails. */
typedef uc_err (*account_list_fn)(void *ud, const char *kind, const char *body, size_t len);
uc_err account_lists_each(db *d, const char *key, account_list_fn fn, void *ud);

/* Delete accounts and their lists, all (key NULL) or one, in one
 * transaction (or as part of the caller's, see db_begin). */
uc_err account_delete_all(db *d, const char *key);

#endif
