/* db.c: SQLite connections, migrations and the statement cache.
 *
 * Migrations are the files schema/NNN_name.sql, compiled into the binary;
 * file NNN brings the database to user_version NNN. */
#include "store/db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embed.h"

#define STMT_SLOTS 64

struct db_conn {
    sqlite3 *h;
    const char *keys[STMT_SLOTS];   /* sql literal addresses */
    sqlite3_stmt *stmts[STMT_SLOTS];
    db_conn *next;                  /* free list */
};

struct db {
    char *path;
    pthread_mutex_t lock;
    db_conn *free;
    db_conn *all[256];
    int n_all;
};

static uc_err conn_open(const char *path, sqlite3 **out)
{
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(path, &h,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(h);
        return UC_EDB;
    }
    sqlite3_busy_timeout(h, 10000);
    rc = sqlite3_exec(h,
                      "PRAGMA journal_mode=WAL;"
                      "PRAGMA synchronous=NORMAL;"
                      "PRAGMA foreign_keys=ON;",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(h);
        return UC_EDB;
    }
    *out = h;
    return UC_OK;
}

static void conn_free(db_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < STMT_SLOTS; i++)
        sqlite3_finalize(c->stmts[i]);
    sqlite3_close(c->h);
    free(c);
}

static uc_err migrate(sqlite3 *h, char *err, size_t errcap)
{
    sqlite3_stmt *st = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);

    for (const struct embedded_file *f = schema_files; f->name; f++) {
        int n = atoi(f->name);
        if (n <= version)
            continue;
        char *msg = NULL;
        char sql[64];
        if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(h, (const char *)f->data, NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errcap, "schema %s: %s", f->name, msg ? msg : "?");
            sqlite3_free(msg);
            sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
            return UC_EDB;
        }
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d", n);
        if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(h, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errcap, "schema %s: %s", f->name, msg ? msg : "?");
            sqlite3_free(msg);
            sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
            return UC_EDB;
        }
        version = n;
    }
    return UC_OK;
}

uc_err db_open(const char *path, db **out, char *err, size_t errcap)
{
    db *d = calloc(1, sizeof *d);
    if (!d)
        return UC_ENOMEM;
    pthread_mutex_init(&d->lock, NULL);
    d->path = strdup(path);
    if (!d->path) {
        db_close(d);
        return UC_ENOMEM;
    }
    db_conn *c = db_acquire(d);
    if (!c) {
        snprintf(err, errcap, "cannot open database %s", path);
        db_close(d);
        return UC_EDB;
    }
    uc_err e = migrate(c->h, err, errcap);
    db_release(d, c);
    if (e) {
        db_close(d);
        return e;
    }
    *out = d;
    return UC_OK;
}

void db_close(db *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n_all; i++) {
        if (i == 0)
            sqlite3_wal_checkpoint_v2(d->all[i]->h, NULL,
                                      SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        conn_free(d->all[i]);
    }
    pthread_mutex_destroy(&d->lock);
    free(d->path);
    free(d);
}

/* The transaction this thread holds, if any (see db_begin). */
static __thread struct {
    db *d;
    db_conn *c;
    int depth;   /* db_begin calls not yet ended */
    int doomed;  /* an inner transaction rolled back: the whole one will */
} tl_tx;

db_conn *db_acquire(db *d)
{
    if (tl_tx.d == d)
        return tl_tx.c;
    pthread_mutex_lock(&d->lock);
    db_conn *c = d->free;
    if (c) {
        d->free = c->next;
        pthread_mutex_unlock(&d->lock);
        return c;
    }
    if (d->n_all == (int)(sizeof d->all / sizeof d->all[0])) {
        pthread_mutex_unlock(&d->lock);
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (!c || conn_open(d->path, &c->h) != UC_OK) {
        free(c);
        pthread_mutex_unlock(&d->lock);
        return NULL;
    }
    d->all[d->n_all++] = c;
    pthread_mutex_unlock(&d->lock);
    return c;
}

void db_release(db *d, db_conn *c)
{
    if (!c || (tl_tx.d == d && tl_tx.c == c))
        return;
    if (!sqlite3_get_autocommit(c->h)) /* a forgotten transaction */
        sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_lock(&d->lock);
    c->next = d->free;
    d->free = c;
    pthread_mutex_unlock(&d->lock);
}

/* The prepared statement for sql on this connection, reset and with its
 * bindings cleared. NULL on failure. */
static sqlite3_stmt *stmt(db_conn *c, const char *sql)
{
    int i;
    for (i = 0; i < STMT_SLOTS && c->keys[i]; i++)
        if (c->keys[i] == sql) {
            sqlite3_reset(c->stmts[i]);
            sqlite3_clear_bindings(c->stmts[i]);
            return c->stmts[i];
        }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                           NULL) != SQLITE_OK)
        return NULL;
    if (i == STMT_SLOTS) { /* cache full: should not happen; still work */
        sqlite3_finalize(c->stmts[STMT_SLOTS - 1]);
        i = STMT_SLOTS - 1;
    }
    c->keys[i] = sql;
    c->stmts[i] = st;
    return st;
}

sqlite3 *db_handle(db_conn *c) { return c->h; }

static uc_err bind(sqlite3_stmt *st, const db_arg *args, size_t nargs)
{
    for (size_t i = 0; i < nargs; i++) {
        int rc = SQLITE_OK;
        if (args[i].type == DB_ARG_I64)
            rc = sqlite3_bind_int64(st, (int)i + 1, args[i].i);
        else if (args[i].s) /* NULL text: left unbound, i.e. NULL */
            rc = sqlite3_bind_text(st, (int)i + 1, args[i].s, args[i].n, SQLITE_STATIC);
        if (rc != SQLITE_OK)
            return UC_EDB;
    }
    return UC_OK;
}

uc_err db_start(db_query *q, db *d, const char *sql, const db_arg *args, size_t nargs)
{
    q->d = d;
    q->st = NULL;
    q->c = db_acquire(d);
    if (!q->c)
        return UC_EDB;
    q->st = stmt(q->c, sql);
    if (!q->st || bind(q->st, args, nargs) != UC_OK) {
        db_done(q);
        return UC_EDB;
    }
    return UC_OK;
}

uc_err db_next(db_query *q)
{
    int rc = sqlite3_step(q->st);
    return rc == SQLITE_ROW ? UC_OK : rc == SQLITE_DONE ? UC_ENOTFOUND : UC_EDB;
}

void db_done(db_query *q)
{
    if (q->st)
        sqlite3_reset(q->st);
    if (q->c)
        db_release(q->d, q->c);
    q->st = NULL;
    q->c = NULL;
}

uc_err db_exec(db *d, const char *sql, int *changes, const db_arg *args, size_t nargs)
{
    db_query q;
    uc_err e = db_start(&q, d, sql, args, nargs);
    if (e)
        return e;
    e = db_next(&q);
    if (e == UC_ENOTFOUND) /* done: what a statement without rows says */
        e = UC_OK;
    if (!e && changes)
        *changes = sqlite3_changes(q.c->h);
    db_done(&q);
    return e;
}

/* Run a statement without arguments or rows (BEGIN, COMMIT) from the
 * connection's cache: sqlite3_exec would parse it each time, twice a
 * task. SQLITE_OK once done. */
static int run_cached(db_conn *c, const char *sql)
{
    sqlite3_stmt *st = stmt(c, sql);
    if (!st)
        return SQLITE_ERROR;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

uc_err db_begin(db *d)
{
    if (tl_tx.d == d) { /* nested: joins the outer transaction */
        tl_tx.depth++;
        return UC_OK;
    }
    if (tl_tx.d)
        return UC_EINVAL;
    db_conn *c = db_acquire(d);
    if (!c)
        return UC_EDB;
    if (run_cached(c, "BEGIN IMMEDIATE") != SQLITE_OK) {
        db_release(d, c);
        return UC_EDB;
    }
    tl_tx.d = d;
    tl_tx.c = c;
    tl_tx.depth = 1;
    tl_tx.doomed = 0;
    return UC_OK;
}

/* Unpin the thread's transaction connection and give it back. */
static void unpin(db *d)
{
    db_conn *c = tl_tx.c;
    tl_tx.d = NULL;
    tl_tx.c = NULL;
    db_release(d, c);
}

uc_err db_commit(db *d)
{
    if (tl_tx.d != d)
        return UC_EINVAL;
    if (--tl_tx.depth > 0)
        return tl_tx.doomed ? UC_EDB : UC_OK;
    uc_err e = UC_OK;
    if (tl_tx.doomed ||
        run_cached(tl_tx.c, "COMMIT") != SQLITE_OK) {
        sqlite3_exec(tl_tx.c->h, "ROLLBACK", NULL, NULL, NULL);
        e = UC_EDB;
    }
    unpin(d);
    return e;
}

void db_rollback(db *d)
{
    if (tl_tx.d != d)
        return;
    if (--tl_tx.depth > 0) {
        tl_tx.doomed = 1;
        return;
    }
    sqlite3_exec(tl_tx.c->h, "ROLLBACK", NULL, NULL, NULL);
    unpin(d);
}

uc_err db_tx(db *d, uc_err (*fn)(void *ud), void *ud)
{
    uc_err e = db_begin(d);
    if (e)
        return e;
    e = fn(ud);
    if (e) {
        db_rollback(d);
        return e;
    }
    return db_commit(d);
}

uc_err db_meta_get_i64(db *d, const char *key, int64_t *out)
{
    db_query q;
    uc_err e = db_start(&q, d, "SELECT value FROM meta WHERE key = ?1", DB_ARGS(DB_TEXT(key)));
    if (!e)
        e = db_next(&q);
    if (!e)
        *out = strtoll((const char *)sqlite3_column_text(q.st, 0), NULL, 10);
    db_done(&q);
    return e;
}

uc_err db_meta_set_i64(db *d, const char *key, int64_t v)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)v);
    return db_exec(d, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   NULL, DB_ARGS(DB_TEXT(key), DB_TEXT(text)));
}
