/* db.h: the SQLite database: open, migrate, and a pool of connections.
 *
 * Each thread borrows a connection for the length of one operation
 * (db_acquire/db_release); each connection keeps its prepared statements,
 * so every statement is prepared once and every value is bound, never
 * spliced into SQL. WAL mode: readers never wait for the writer. */
#ifndef UC_DB_H
#define UC_DB_H

#include <sqlite3.h>
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

/* Borrow a connection (opening one if none is free). NULL on failure. */
db_conn *db_acquire(db *d);
void db_release(db *d, db_conn *c);

/* The prepared statement for sql on this connection, reset and with its
 * bindings cleared. sql must be a string literal (its address is the
 * cache key). NULL on failure. */
sqlite3_stmt *db_stmt(db_conn *c, const char *sql);
sqlite3 *db_handle(db_conn *c);

/* Run a statement that returns no rows (after binding). Resets it. */
uc_err db_step_done(sqlite3_stmt *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK on c. */
uc_err db_begin(db_conn *c);
uc_err db_commit(db_conn *c);
void db_rollback(db_conn *c);

/* The meta table: small persistent settings (e.g. the clock offset). */
uc_err db_meta_get_i64(db *d, const char *key, int64_t *out);
uc_err db_meta_set_i64(db *d, const char *key, int64_t v);

#endif
