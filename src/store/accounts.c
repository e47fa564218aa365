/* accounts.c: account rows (credits, charged) and their custom lists. */
#include "store/accounts.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

/* key's row into out: UC_ENOTFOUND if there is none. */
static uc_err account_read(db *d, const char *key, account *out)
{
    db_query q;
    uc_err e = db_start(&q, d, "SELECT coalesce(credits, -1), charged, created_at FROM accounts "
                               "WHERE api_key = ?1", DB_ARGS(DB_TEXT(key)));
    if (!e)
        e = db_next(&q);
    if (!e) {
        out->credits = sqlite3_column_int64(q.st, 0);
        out->charged = sqlite3_column_int64(q.st, 1);
        out->created_at = sqlite3_column_int64(q.st, 2);
    }
    db_done(&q);
    return e;
}

uc_err account_get(db *d, const char *key, int64_t start_credits, account *out)
{
    /* Read first: an account is made once and read at every submission,
     * and a read takes no write lock (the workers' commits wait on it). */
    uc_err e = account_read(d, key, out);
    if (e != UC_ENOTFOUND)
        return e;
    e = account_make(d, key, start_credits);
    if (!e)
        e = account_read(d, key, out);
    return e == UC_ENOTFOUND ? UC_EDB : e; /* inserted just before */
}

uc_err account_make(db *d, const char *key, int64_t start_credits)
{
    return db_exec(d, "INSERT INTO accounts (api_key, created_at, credits) "
                      "VALUES (?1, ?2, nullif(?3, -1)) ON CONFLICT DO NOTHING", NULL,
                   DB_ARGS(DB_TEXT(key), DB_I64(clock_now_ms()),
                           DB_I64(start_credits < 0 ? -1 : start_credits)));
}

uc_err account_set_credits(db *d, const char *key, int64_t credits)
{
    return db_exec(d, "INSERT INTO accounts (api_key, created_at, credits) "
                      "VALUES (?1, ?2, nullif(?3, -1)) "
                      "ON CONFLICT(api_key) DO UPDATE SET credits = excluded.credits", NULL,
                   DB_ARGS(DB_TEXT(key), DB_I64(clock_now_ms()),
                           DB_I64(credits < 0 ? -1 : credits)));
}

uc_err account_each(db *d, int (*fn)(void *ud, const char *key, const account *a),
                    void *ud)
{
    db_query q;
    uc_err e = db_start(&q, d, "SELECT api_key, coalesce(credits, -1), charged, created_at "
                               "FROM accounts ORDER BY created_at, api_key", DB_NOARGS);
    while (!e && (e = db_next(&q)) == UC_OK) {
        account a = {sqlite3_column_int64(q.st, 1), sqlite3_column_int64(q.st, 2),
                     sqlite3_column_int64(q.st, 3)};
        const char *key = (const char *)sqlite3_column_text(q.st, 0);
        if (fn(ud, key ? key : "", &a))
            break;
    }
    db_done(&q);
    return e == UC_ENOTFOUND ? UC_OK : e;
}

uc_err account_charge(db *d, const char *key, int64_t n)
{
    int changed = 0;
    uc_err e = db_exec(d,
        "UPDATE accounts SET charged = charged + ?2, "
        "credits = CASE WHEN credits IS NULL THEN NULL ELSE credits - ?2 END "
        "WHERE api_key = ?1 AND (credits IS NULL OR credits >= ?2)", &changed,
        DB_ARGS(DB_TEXT(key), DB_I64(n)));
    return !e && changed == 0 ? UC_EQUOTA : e;
}

uc_err account_list_get(db *d, const char *key, const char *kind, char **out)
{
    db_query q;
    uc_err e = db_start(&q, d, "SELECT body FROM account_lists "
                               "WHERE api_key = ?1 AND kind = ?2",
                        DB_ARGS(DB_TEXT(key), DB_TEXT(kind)));
    if (!e)
        e = db_next(&q);
    if (!e || e == UC_ENOTFOUND) {
        const char *b = e ? "" : (const char *)sqlite3_column_text(q.st, 0);
        *out = strdup(b ? b : "");
        e = *out ? UC_OK : UC_ENOMEM;
    }
    db_done(&q);
    return e;
}

uc_err account_lists_each(db *d, const char *key, account_list_fn fn, void *ud)
{
    db_query q;
    uc_err e = db_start(&q, d, "SELECT kind, body FROM account_lists WHERE api_key = ?1 "
                               "ORDER BY kind",
                        DB_ARGS(DB_TEXT(key)));
    while (!e && (e = db_next(&q)) == UC_OK) {
        const char *kind = (const char *)sqlite3_column_text(q.st, 0);
        const char *body = (const char *)sqlite3_column_text(q.st, 1);
        e = fn(ud, kind ? kind : "", body ? body : "", body ? strlen(body) : 0);
    }
    if (e == UC_ENOTFOUND) /* no more rows */
        e = UC_OK;
    db_done(&q);
    return e;
}

uc_err account_list_put(db *d, const char *key, const char *kind,
                        const char *body, size_t len)
{
    return db_exec(d, "INSERT INTO account_lists (api_key, kind, body) "
                      "VALUES (?1, ?2, ?3) ON CONFLICT(api_key, kind) "
                      "DO UPDATE SET body = excluded.body", NULL,
                   DB_ARGS(DB_TEXT(key), DB_TEXT(kind), DB_BLOB(body, len)));
}

uc_err account_delete_all(db *d, const char *key)
{
    uc_err e = db_begin(d);
    if (e)
        return e;
    e = db_exec(d, "DELETE FROM accounts WHERE ?1 IS NULL OR api_key = ?1", NULL,
                DB_ARGS(DB_TEXT(key)));
    if (!e)
        e = db_exec(d, "DELETE FROM account_lists WHERE ?1 IS NULL OR api_key = ?1", NULL,
                    DB_ARGS(DB_TEXT(key)));
    if (e) {
        db_rollback(d);
        return e;
    }
    return db_commit(d);
}
