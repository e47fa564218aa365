/* accounts.c: account rows (credits, charged) and their custom lists. */
#include "store/accounts.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

uc_err account_get(db *d, const char *key, int64_t start_credits, account *out)
{
    db_conn *c = db_acquire(d);
    if (!c)
        return UC_EDB;
    uc_err e = UC_EDB;
    sqlite3_stmt *ins = db_stmt(c, "INSERT INTO accounts (api_key, created_at, credits) "
                                   "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");
    if (ins) {
        sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, clock_now_ms());
        if (start_credits >= 0)
            sqlite3_bind_int64(ins, 3, start_credits);
        e = db_step_done(ins);
    }
    sqlite3_stmt *st = e ? NULL : db_stmt(c, "SELECT coalesce(credits, -1), charged, "
                                             "created_at FROM accounts WHERE api_key = ?1");
    if (st) {
        e = UC_EDB;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            out->credits = sqlite3_column_int64(st, 0);
            out->charged = sqlite3_column_int64(st, 1);
            out->created_at = sqlite3_column_int64(st, 2);
            e = UC_OK;
        }
        sqlite3_reset(st);
    }
    db_release(d, c);
    return e;
}

uc_err account_charge(db *d, const char *key, int64_t n)
{
    db_conn *c = db_acquire(d);
    if (!c)
        return UC_EDB;
    sqlite3_stmt *st = db_stmt(c,
        "UPDATE accounts SET charged = charged + ?2, "
        "credits = CASE WHEN credits IS NULL THEN NULL ELSE credits - ?2 END "
        "WHERE api_key = ?1 AND (credits IS NULL OR credits >= ?2)");
    uc_err e = UC_EDB;
    if (st) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, n);
        e = db_step_done(st);
        if (!e && sqlite3_changes(db_handle(c)) == 0)
            e = UC_EQUOTA;
    }
    db_release(d, c);
    return e;
}

uc_err account_list_get(db *d, const char *key, const char *kind, char **out)
{
    db_conn *c = db_acquire(d);
    if (!c)
        return UC_EDB;
    sqlite3_stmt *st = db_stmt(c, "SELECT body FROM account_lists "
                                  "WHERE api_key = ?1 AND kind = ?2");
    uc_err e = UC_EDB;
    if (st) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
            const char *b = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "";
            *out = strdup(b ? b : "");
            e = *out ? UC_OK : UC_ENOMEM;
        }
        sqlite3_reset(st);
    }
    db_release(d, c);
    return e;
}

uc_err account_list_put(db *d, const char *key, const char *kind,
                        const char *body, size_t len)
{
    db_conn *c = db_acquire(d);
    if (!c)
        return UC_EDB;
    sqlite3_stmt *st = db_stmt(c, "INSERT INTO account_lists (api_key, kind, body) "
                                  "VALUES (?1, ?2, ?3) ON CONFLICT(api_key, kind) "
                                  "DO UPDATE SET body = excluded.body");
    uc_err e = UC_EDB;
    if (st) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, body, (int)len, SQLITE_STATIC);
        e = db_step_done(st);
    }
    db_release(d, c);
    return e;
}

uc_err account_delete_all(db *d, const char *key)
{
    db_conn *c = db_acquire(d);
    if (!c)
        return UC_EDB;
    uc_err e = UC_EDB;
    sqlite3_stmt *a = db_stmt(c, "DELETE FROM accounts WHERE ?1 IS NULL OR api_key = ?1");
    sqlite3_stmt *l = db_stmt(c, "DELETE FROM account_lists WHERE ?1 IS NULL OR api_key = ?1");
    if (a && l) {
        if (key) {
            sqlite3_bind_text(a, 1, key, -1, SQLITE_STATIC);
            sqlite3_bind_text(l, 1, key, -1, SQLITE_STATIC);
        }
        e = db_step_done(a);
        if (!e)
            e = db_step_done(l);
    }
    db_release(d, c);
    return e;
}

uc_err account_each(db *d, int (*fn)(void *ud, const char *key), void *ud)
{
    db_conn *c = db_acquire(d);
    if (!c)
        return UC_EDB;
    sqlite3_stmt *st = db_stmt(c, "SELECT api_key FROM accounts ORDER BY created_at");
    uc_err e = UC_EDB;
    if (st) {
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            if (fn(ud, (const char *)sqlite3_column_text(st, 0)))
                break;
        e = rc == SQLITE_ROW || rc == SQLITE_DONE ? UC_OK : UC_EDB;
        sqlite3_reset(st);
    }
    db_release(d, c);
    return e;
}
