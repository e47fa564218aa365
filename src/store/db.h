/* db.h: the SQLite database: open, migrate, a pool of connections, and
 * the one statement shape the store is written in.
 *
 * Each thread borrows a connection for the length of one statement (or
 * one transaction); each connection keeps its prepared statements, so
 * every statement is prepared once and every value is bound, never
 * spliced into SQL. WAL mode: readers never wait for the writer. */
#ifndef UC_DB_H
#define UC_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

typedef struct db db;
typedef struct db_conn db_conn;

/* Open (creating if missing) the database at path and apply every
 * schema/NNN_*.sql file newer than PRAGMA user_version, in order. */
uc_err db_open(const char *path, db **out, char *err, size_t errcap);
/* Checkpoint the WAL and close every connection. Accepts NULL. */
void db_close(db *d);

/* Raw access, for what the helpers below do not cover (tests, one-off
 * maintenance): borrow a connection (the thread's own inside a
 * transaction; opening one if none is free; NULL on failure), its SQLite
 * handle, and give it back (a transaction left open on it is rolled back,
 * unless it is the thread's db_begin one). */
db_conn *db_acquire(db *d);
sqlite3 *db_handle(db_conn *c);
void db_release(db *d, db_conn *c);

/* ---- one statement: the shape every store function has ------------------
 * Borrow a connection, take its cached prepared statement for sql (a
 * string literal: its address is the cache key), bind the arguments to
 * ?1, ?2, ... in order, step, reset, give the connection back. Arguments
 * are built with DB_TEXT / DB_BLOB / DB_I64 and passed as DB_ARGS(...):
 *
 *     db_exec(d, "DELETE FROM t WHERE id = ?1", &n, DB_ARGS(DB_TEXT(id)));
 */
typedef struct db_arg {
    enum { DB_ARG_TEXT, DB_ARG_I64 } type;
    const char *s;   /* text; NULL binds SQL NULL */
    int n;           /* text bytes, -1 = up to the NUL */
    int64_t i;
} db_arg;
#define DB_TEXT(str) ((db_arg){DB_ARG_TEXT, (str), -1, 0})
#define DB_BLOB(str, len) ((db_arg){DB_ARG_TEXT, (str), (int)(len), 0}) /* text of len bytes */
#define DB_I64(v) ((db_arg){DB_ARG_I64, NULL, 0, (int64_t)(v)})
#define DB_ARGS(...) (const db_arg[]){__VA_ARGS__}, \
    sizeof((const db_arg[]){__VA_ARGS__}) / sizeof(db_arg)
#define DB_NOARGS NULL, 0

/* Run sql, a statement that returns no rows. *changes (if not NULL) gets
 * the number of rows it changed. UC_EDB on any SQLite failure. */
uc_err db_exec(db *d, const char *sql, int *changes, const db_arg *args, size_t nargs);

/* A query in flight: read the current row's columns from st with
 * sqlite3_column_*(); they stay valid until the next db_next or db_done. */
typedef struct db_query {
    db *d;
    db_conn *c;
    sqlite3_stmt *st;
} db_query;

/* Start sql with its arguments bound (no row fetched yet). UC_EDB on
 * failure, and then q holds nothing (db_done on it is still fine). */
uc_err db_start(db_query *q, db *d, const char *sql, const db_arg *args, size_t nargs);
/* Fetch the next row: UC_OK with a row, UC_ENOTFOUND past the last row,
 * UC_EDB on failure. */
uc_err db_next(db_query *q);
/* Reset the statement and give the connection back. Accepts a query whose
 * db_start failed, and a zeroed one. */
void db_done(db_query *q);

/* ---- transactions --------------------------------------------------------
 * db_begin pins one connection to the calling thread and starts BEGIN
 * IMMEDIATE on it: every store call the thread makes until the matching
 * db_commit or db_rollback runs on that connection, inside the
 * transaction, so store functions compose into one atomic change without
 * taking a connection parameter. A db_begin inside a transaction joins it
 * (only the outermost end commits); a rollback anywhere inside dooms the
 * whole transaction: the outermost db_commit then rolls back and returns
 * UC_EDB. Never wait on another thread's database work while in one (the
 * write lock is held): e.g. cancel jobs before db_begin, not inside. */
uc_err db_begin(db *d);
/* End one db_begin. The outermost COMMITs; on failure (or when doomed)
 * it rolls back and returns UC_EDB. UC_EINVAL outside a transaction. */
uc_err db_commit(db *d);
/* End one db_begin, undoing the whole transaction (at the outermost
 * end). Does nothing outside a transaction. */
void db_rollback(db *d);
/* fn(ud) inside one transaction: committed when fn returns UC_OK, rolled
 * back (and fn's error returned) otherwise. */
uc_err db_tx(db *d, uc_err (*fn)(void *ud), void *ud);

/* The meta table: small persistent settings (e.g. the clock offset). */
uc_err db_meta_get_i64(db *d, const char *key, int64_t *out);
uc_err db_meta_set_i64(db *d, const char *key, int64_t v);

#endif
