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

db_conn *db_acquire(db *d)
{
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
    if (!c)
        return;
    if (!sqlite3_get_autocommit(c->h)) /* a forgotten transaction */
        sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_lock(&d->lock);
    c->next = d->free;
    d->free = c;
    pthread_mutex_unlock(&d->lock);
}

sqlite3_stmt *db_stmt(db_conn *c, const char *sql)
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

uc_err db_step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? UC_OK : UC_EDB;
}

uc_err db_begin(db_conn *c)
{
    return sqlite3_exec(c->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
               ? UC_OK : UC_EDB;
}

uc_err db_commit(db_conn *c)
{
    if (sqlite3_exec(c->h, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return UC_OK;
    sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
    return UC_EDB;
}

void db_rollback(db_conn *c) { sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL); }

uc_err db_meta_get_i64(db *d, const char *key, int64_t *out)
{
    db_conn *c = db_acquire(d);
    if (!c)
        return UC_EDB;
    sqlite3_stmt *st = db_stmt(c, "SELECT value FROM meta WHERE key = ?1");
    uc_err e = UC_EDB;
    if (st) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = strtoll((const char *)sqlite3_column_text(st, 0), NULL, 10);
            e = UC_OK;
        } else if (rc == SQLITE_DONE) {
            e = UC_ENOTFOUND;
        }
        sqlite3_reset(st);
    }
    db_release(d, c);
    return e;
}

uc_err db_meta_set_i64(db *d, const char *key, int64_t v)
{
    db_conn *c = db_acquire(d);
    if (!c)
        return UC_EDB;
    sqlite3_stmt *st = db_stmt(c, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    uc_err e = UC_EDB;
    if (st) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)v);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, buf, -1, SQLITE_TRANSIENT);
        e = db_step_done(st);
    }
    db_release(d, c);
    return e;
}
