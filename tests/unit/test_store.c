/* test_store.c: the store on a real SQLite file: task rows (insert, load,
 * finish, walk, delete), the status/format tables, quota sums, account rows
 * and lists, transactions (a failing step rolls the whole change back),
 * migrations from an old schema (rows survive), and the shared directory
 * fsyncs behind a file's commit (dirsync). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "scratch.h"

#include "core/clock.h"
#include "core/embed.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/dirsync.h"
#include "store/files.h"
#include "store/tasks.h"

/* ---- fixture: a fresh directory with a database in it ---- */

typedef struct fx {
    char dir[64];
    char path[128];
    db *d;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char err[256] = "";
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/ucmock-store-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/ucmock.db", f->dir);
    if (db_open(f->path, &f->d, err, sizeof err) != UC_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    db_close(f->d);
    scratch_remove(f->dir);
    free(f);
    return 0;
}

static task new_task(const char *key, enum task_format fmt, int64_t created, int64_t bytes)
{
    task t;
    memset(&t, 0, sizeof t);
    task_new_id(t.id);
    snprintf(t.api_key, sizeof t.api_key, "%s", key);
    snprintf(t.project_name, sizeof t.project_name, "proj %s", t.id);
    snprintf(t.filename, sizeof t.filename, "list.%s", task_format_name(fmt));
    t.format = fmt;
    t.deduplicate = true;
    t.created_at = created;
    t.upload_bytes = bytes;
    return t;
}

/* ---- the name tables ---- */

static void test_names(void **state)
{
    (void)state;
    enum task_status s;
    enum task_format f;
    const enum task_status ss[] = {TASK_PROCESSING, TASK_COMPLETED, TASK_FAILED};
    for (size_t i = 0; i < 3; i++) {
        assert_true(task_status_parse(task_status_name(ss[i]), &s));
        assert_int_equal(s, ss[i]);
    }
    assert_string_equal(task_status_name(TASK_PROCESSING), "processing");
    assert_string_equal(task_status_name(TASK_COMPLETED), "completed");
    assert_string_equal(task_status_name(TASK_FAILED), "failed");
    assert_false(task_status_parse("Failed", &s)); /* the database's exact text */
    assert_false(task_status_parse("", &s));
    const char *fmts[] = {"csv", "tsv", "txt", "xlsx"};
    for (size_t i = 0; i < 4; i++) {
        assert_true(task_format_parse(fmts[i], &f));
        assert_string_equal(task_format_name(f), fmts[i]);
    }
    assert_true(task_format_parse("XLSX", &f)); /* an extension as typed */
    assert_int_equal(f, TASK_XLSX);
    assert_false(task_format_parse("xls", &f));
    assert_false(task_format_parse("csv ", &f));
}

/* ---- task rows ---- */

static void test_task_roundtrip(void **state)
{
    fx *f = *state;
    task t = new_task("k1", TASK_XLSX, 1000, 1234);
    t.deduplicate = false;
    snprintf(t.fault_fail, sizeof t.fault_fail, "boom");
    t.fault_delay_ms = 77;
    assert_int_equal(task_insert(f->d, &t), UC_OK);
    assert_int_equal(task_insert(f->d, &t), UC_EDB); /* same id */

    task g;
    assert_int_equal(task_get(f->d, t.id, NULL, &g), UC_OK);
    assert_string_equal(g.id, t.id);
    assert_string_equal(g.api_key, "k1");
    assert_string_equal(g.project_name, t.project_name);
    assert_string_equal(g.filename, "list.xlsx");
    assert_int_equal(g.format, TASK_XLSX);
    assert_false(g.deduplicate);
    assert_int_equal(g.status, TASK_PROCESSING);
    assert_string_equal(g.error, "");
    assert_int_equal(g.created_at, 1000);
    assert_int_equal(g.finished_at, 0);
    assert_int_equal(g.upload_bytes, 1234);
    assert_string_equal(g.fault_fail, "boom");
    assert_int_equal(g.fault_delay_ms, 77);

    /* another key's task is as missing as a missing one */
    assert_int_equal(task_get(f->d, t.id, "k2", &g), UC_ENOTFOUND);
    assert_int_equal(task_get(f->d, t.id, "k1", &g), UC_OK);
    char other[TASK_ID_LEN + 1];
    task_new_id(other);
    assert_int_equal(task_get(f->d, other, NULL, &g), UC_ENOTFOUND);
}

static void test_task_finish(void **state)
{
    fx *f = *state;
    task a = new_task("k1", TASK_CSV, 1, 10), b = new_task("k1", TASK_TSV, 2, 20);
    assert_int_equal(task_insert(f->d, &a), UC_OK);
    assert_int_equal(task_insert(f->d, &b), UC_OK);

    task_result r = {.rows = 5, .duplicates_removed = 1, .invalid = 2, .charged = 3,
                     .result_bytes = 99};
    assert_int_equal(task_complete(f->d, a.id, &r), UC_OK);
    task g;
    assert_int_equal(task_get(f->d, a.id, NULL, &g), UC_OK);
    assert_int_equal(g.status, TASK_COMPLETED);
    assert_int_equal(g.rows, 5);
    assert_int_equal(g.duplicates_removed, 1);
    assert_int_equal(g.invalid, 2);
    assert_int_equal(g.charged, 3);
    assert_int_equal(g.result_bytes, 99);
    assert_true(g.finished_at > 0);
    /* only a processing task finishes, and only once */
    assert_int_equal(task_complete(f->d, a.id, &r), UC_ENOTFOUND);
    assert_int_equal(task_fail(f->d, a.id, "late"), UC_ENOTFOUND);

    assert_int_equal(task_fail(f->d, b.id, "No email column found"), UC_OK);
    assert_int_equal(task_get(f->d, b.id, NULL, &g), UC_OK);
    assert_int_equal(g.status, TASK_FAILED);
    assert_string_equal(g.error, "No email column found");
    assert_int_equal(g.rows, 0);
    assert_int_equal(g.result_bytes, 0);

    /* deleted meanwhile: the worker learns it from the finish */
    assert_int_equal(task_delete(f->d, a.id, "k2"), UC_ENOTFOUND); /* not k2's */
    assert_int_equal(task_delete(f->d, a.id, "k1"), UC_OK);
    assert_int_equal(task_delete(f->d, a.id, NULL), UC_ENOTFOUND);
    assert_int_equal(task_get(f->d, a.id, NULL, &g), UC_ENOTFOUND);
}

/* A row inserted finished is the row insert + complete (or fail) makes,
 * storage sum included. */
static void test_task_insert_finished(void **state)
{
    fx *f = *state;
    task a = new_task("k1", TASK_CSV, 1, 10), b = new_task("k1", TASK_TSV, 2, 20);
    a.fault_delay_ms = 5;
    task_result r = {.rows = 5, .duplicates_removed = 1, .invalid = 2, .charged = 3,
                     .result_bytes = 99};
    assert_int_equal(task_insert_finished(f->d, &a, &r, NULL), UC_OK);
    assert_int_equal(task_insert_finished(f->d, &a, &r, NULL), UC_EDB); /* same id */
    assert_int_equal(task_insert_finished(f->d, &b, NULL, "No email column found"), UC_OK);
    task g;
    assert_int_equal(task_get(f->d, a.id, NULL, &g), UC_OK);
    assert_int_equal(g.status, TASK_COMPLETED);
    assert_string_equal(g.error, "");
    assert_string_equal(g.project_name, a.project_name);
    assert_int_equal(g.format, TASK_CSV);
    assert_true(g.deduplicate);
    assert_int_equal(g.created_at, 1);
    assert_true(g.finished_at > 0);
    assert_int_equal(g.rows, 5);
    assert_int_equal(g.duplicates_removed, 1);
    assert_int_equal(g.invalid, 2);
    assert_int_equal(g.charged, 3);
    assert_int_equal(g.upload_bytes, 10);
    assert_int_equal(g.result_bytes, 99);
    assert_string_equal(g.fault_fail, "");
    assert_int_equal(g.fault_delay_ms, 5);
    assert_int_equal(task_get(f->d, b.id, NULL, &g), UC_OK);
    assert_int_equal(g.status, TASK_FAILED);
    assert_string_equal(g.error, "No email column found");
    assert_int_equal(g.rows, 0);
    assert_int_equal(g.result_bytes, 0);
    assert_true(g.finished_at > 0);
    int64_t used = 0;
    assert_int_equal(task_storage_used(f->d, "k1", &used), UC_OK);
    assert_int_equal(used, 10 + 99 + 20);
    /* finished already: nothing more finishes it */
    assert_int_equal(task_complete(f->d, a.id, &r), UC_ENOTFOUND);
    assert_int_equal(task_fail(f->d, b.id, "late"), UC_ENOTFOUND);
}

typedef struct walk {
    int n, stop_after;
    char ids[8][TASK_ID_LEN + 1];
} walk;

static int walk_one(void *ud, const task *t)
{
    walk *w = ud;
    if (w->n < 8)
        memcpy(w->ids[w->n], t->id, TASK_ID_LEN + 1);
    w->n++;
    return w->stop_after && w->n == w->stop_after;
}

static void test_task_each(void **state)
{
    fx *f = *state;
    /* inserted out of creation order: the walk is oldest first */
    task c = new_task("k1", TASK_CSV, 300, 1), a = new_task("k1", TASK_CSV, 100, 1);
    task b = new_task("k2", TASK_TXT, 200, 1), d = new_task("k1", TASK_CSV, 400, 1);
    assert_int_equal(task_insert(f->d, &c), UC_OK);
    assert_int_equal(task_insert(f->d, &a), UC_OK);
    assert_int_equal(task_insert(f->d, &b), UC_OK);
    assert_int_equal(task_insert(f->d, &d), UC_OK);
    assert_int_equal(task_fail(f->d, d.id, "x"), UC_OK);

    walk w = {0};
    assert_int_equal(task_each(f->d, NULL, TASK_STATUS_ANY, 0, walk_one, &w), UC_OK);
    assert_int_equal(w.n, 4);
    assert_string_equal(w.ids[0], a.id);
    assert_string_equal(w.ids[1], b.id);
    assert_string_equal(w.ids[2], c.id);
    assert_string_equal(w.ids[3], d.id);

    memset(&w, 0, sizeof w);
    assert_int_equal(task_each(f->d, "k1", TASK_STATUS_ANY, 0, walk_one, &w), UC_OK);
    assert_int_equal(w.n, 3);

    memset(&w, 0, sizeof w);
    assert_int_equal(task_each(f->d, "k1", TASK_PROCESSING, 0, walk_one, &w), UC_OK);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.ids[0], a.id);
    assert_string_equal(w.ids[1], c.id);

    memset(&w, 0, sizeof w);
    assert_int_equal(task_each(f->d, NULL, TASK_FAILED, 0, walk_one, &w), UC_OK);
    assert_int_equal(w.n, 1);
    assert_string_equal(w.ids[0], d.id);

    memset(&w, 0, sizeof w); /* created strictly before 300 */
    assert_int_equal(task_each(f->d, NULL, TASK_STATUS_ANY, 300, walk_one, &w), UC_OK);
    assert_int_equal(w.n, 2);

    memset(&w, 0, sizeof w);
    w.stop_after = 2;
    assert_int_equal(task_each(f->d, NULL, TASK_STATUS_ANY, 0, walk_one, &w), UC_OK);
    assert_int_equal(w.n, 2);

    assert_int_equal(task_delete_all(f->d, "k1"), UC_OK);
    memset(&w, 0, sizeof w);
    assert_int_equal(task_each(f->d, NULL, TASK_STATUS_ANY, 0, walk_one, &w), UC_OK);
    assert_int_equal(w.n, 1);
    assert_string_equal(w.ids[0], b.id);
}

/* The callback may write to the database (retention deletes as it walks). */
static int delete_one(void *ud, const task *t)
{
    return task_delete(ud, t->id, NULL) != UC_OK;
}

static void test_task_each_writes(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 5; i++) {
        task t = new_task("k1", TASK_CSV, i, 1);
        assert_int_equal(task_insert(f->d, &t), UC_OK);
    }
    assert_int_equal(task_each(f->d, NULL, TASK_STATUS_ANY, 0, delete_one, f->d), UC_OK);
    walk w = {0};
    assert_int_equal(task_each(f->d, NULL, TASK_STATUS_ANY, 0, walk_one, &w), UC_OK);
    assert_int_equal(w.n, 0);
}

/* ---- quota sums ---- */

static void test_storage_used(void **state)
{
    fx *f = *state;
    int64_t used = -1;
    assert_int_equal(task_storage_used(f->d, "k1", &used), UC_OK);
    assert_int_equal(used, 0);

    task a = new_task("k1", TASK_CSV, 1, 1000), b = new_task("k1", TASK_XLSX, 2, 250);
    task o = new_task("k2", TASK_CSV, 3, 1 << 20);
    assert_int_equal(task_insert(f->d, &a), UC_OK);
    assert_int_equal(task_insert(f->d, &b), UC_OK);
    assert_int_equal(task_insert(f->d, &o), UC_OK);
    assert_int_equal(task_storage_used(f->d, "k1", &used), UC_OK);
    assert_int_equal(used, 1250);

    /* a result counts once it is there; a failed task keeps its upload */
    task_result r = {.rows = 1, .result_bytes = 4000};
    assert_int_equal(task_complete(f->d, a.id, &r), UC_OK);
    assert_int_equal(task_fail(f->d, b.id, "x"), UC_OK);
    assert_int_equal(task_storage_used(f->d, "k1", &used), UC_OK);
    assert_int_equal(used, 1000 + 4000 + 250);

    assert_int_equal(task_delete(f->d, a.id, NULL), UC_OK);
    assert_int_equal(task_storage_used(f->d, "k1", &used), UC_OK);
    assert_int_equal(used, 250);
    assert_int_equal(task_storage_used(f->d, "k2", &used), UC_OK);
    assert_int_equal(used, 1 << 20);

    /* the sum is kept by triggers (schema/002): a rolled-back change
     * leaves it as it was; deleting every task of a key brings it to 0 */
    assert_int_equal(db_begin(f->d), UC_OK);
    assert_int_equal(task_delete(f->d, b.id, NULL), UC_OK);
    db_rollback(f->d);
    assert_int_equal(task_storage_used(f->d, "k1", &used), UC_OK);
    assert_int_equal(used, 250);
    assert_int_equal(task_delete_all(f->d, "k2"), UC_OK);
    assert_int_equal(task_storage_used(f->d, "k2", &used), UC_OK);
    assert_int_equal(used, 0);
    assert_int_equal(task_storage_used(f->d, "k1", &used), UC_OK);
    assert_int_equal(used, 250);
}

/* ---- accounts ---- */

/* account_lists_each's callback for test_accounts: kinds and bodies
 * gathered as "kind:body;" in the order seen. */
typedef struct seen_lists {
    int n, fail_at; /* fail_at: answer UC_EINVAL at that call (1-based), 0 never */
    char all[256];
} seen_lists;

static uc_err see_list(void *ud, const char *kind, const char *body, size_t len)
{
    seen_lists *s = ud;
    if (++s->n == s->fail_at)
        return UC_EINVAL;
    size_t at = strlen(s->all);
    snprintf(s->all + at, sizeof s->all - at, "%s:%.*s;", kind, (int)len, body);
    return UC_OK;
}

static void test_accounts(void **state)
{
    fx *f = *state;
    account a;
    assert_int_equal(account_get(f->d, "paid", 10, &a), UC_OK);
    assert_int_equal(a.credits, 10);
    assert_int_equal(a.charged, 0);
    /* created once: a later start value does not reset it */
    assert_int_equal(account_charge(f->d, "paid", 4), UC_OK);
    assert_int_equal(account_get(f->d, "paid", 500, &a), UC_OK);
    assert_int_equal(a.credits, 6);
    assert_int_equal(a.charged, 4);
    /* more than the balance: nothing charged */
    assert_int_equal(account_charge(f->d, "paid", 7), UC_EQUOTA);
    assert_int_equal(account_get(f->d, "paid", 10, &a), UC_OK);
    assert_int_equal(a.credits, 6);
    assert_int_equal(a.charged, 4);
    assert_int_equal(account_charge(f->d, "paid", 6), UC_OK);
    assert_int_equal(account_get(f->d, "paid", 10, &a), UC_OK);
    assert_int_equal(a.credits, 0);

    assert_int_equal(account_get(f->d, "free", -1, &a), UC_OK);
    assert_int_equal(a.credits, -1);
    assert_int_equal(account_charge(f->d, "free", 1000000), UC_OK);
    assert_int_equal(account_get(f->d, "free", -1, &a), UC_OK);
    assert_int_equal(a.credits, -1);
    assert_int_equal(a.charged, 1000000);

    assert_int_equal(account_charge(f->d, "nobody", 1), UC_EQUOTA); /* no row */

    char *body = NULL;
    assert_int_equal(account_list_get(f->d, "paid", "black", &body), UC_OK);
    assert_string_equal(body, "");
    free(body);
    const char text[] = "spam.example\n# note\nbad@x.org\n";
    assert_int_equal(account_list_put(f->d, "paid", "black", text, 13), UC_OK);
    assert_int_equal(account_list_get(f->d, "paid", "black", &body), UC_OK);
    assert_string_equal(body, "spam.example\n"); /* exactly len bytes */
    free(body);
    assert_int_equal(account_list_put(f->d, "paid", "black", text, sizeof text - 1), UC_OK);
    assert_int_equal(account_list_get(f->d, "paid", "black", &body), UC_OK);
    assert_string_equal(body, text);
    free(body);
    assert_int_equal(account_list_get(f->d, "paid", "white", &body), UC_OK);
    assert_string_equal(body, "");
    free(body);
    /* all of a key's lists in one read: the ones put, no other key's */
    assert_int_equal(account_list_put(f->d, "paid", "grey", "g.org", 5), UC_OK);
    assert_int_equal(account_list_put(f->d, "free", "white", "w.org", 5), UC_OK);
    seen_lists seen = {0};
    assert_int_equal(account_lists_each(f->d, "paid", see_list, &seen), UC_OK);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.all, "black:spam.example\n# note\nbad@x.org\n;grey:g.org;");
    seen.n = 0;
    seen.all[0] = 0;
    seen.fail_at = 1; /* fn's error ends the walk and is returned */
    assert_int_equal(account_lists_each(f->d, "paid", see_list, &seen), UC_EINVAL);
    assert_int_equal(seen.n, 1);

    assert_int_equal(account_delete_all(f->d, "paid"), UC_OK);
    assert_int_equal(account_list_get(f->d, "paid", "black", &body), UC_OK);
    assert_string_equal(body, "");
    free(body);
    assert_int_equal(account_get(f->d, "paid", 3, &a), UC_OK); /* made anew */
    assert_int_equal(a.credits, 3);
    assert_int_equal(a.charged, 0);
    assert_int_equal(account_get(f->d, "free", 3, &a), UC_OK); /* untouched */
    assert_int_equal(a.charged, 1000000);
}

static void test_meta(void **state)
{
    fx *f = *state;
    int64_t v = 0;
    assert_int_equal(db_meta_get_i64(f->d, "clock_offset", &v), UC_ENOTFOUND);
    assert_int_equal(db_meta_set_i64(f->d, "clock_offset", -86400000), UC_OK);
    assert_int_equal(db_meta_get_i64(f->d, "clock_offset", &v), UC_OK);
    assert_int_equal(v, -86400000);
    assert_int_equal(db_meta_set_i64(f->d, "clock_offset", 5), UC_OK);
    assert_int_equal(db_meta_get_i64(f->d, "clock_offset", &v), UC_OK);
    assert_int_equal(v, 5);
}

/* ---- transactions ---- */

static int count_tasks(db *d)
{
    walk w = {0};
    assert_int_equal(task_each(d, NULL, TASK_STATUS_ANY, 0, walk_one, &w), UC_OK);
    return w.n;
}

static void test_tx_commit_and_rollback(void **state)
{
    fx *f = *state;
    task a = new_task("k1", TASK_CSV, 1, 1), b = new_task("k1", TASK_CSV, 2, 1);

    assert_int_equal(db_begin(f->d), UC_OK);
    assert_int_equal(task_insert(f->d, &a), UC_OK);
    assert_int_equal(count_tasks(f->d), 1); /* the transaction sees its own rows */
    db_rollback(f->d);
    assert_int_equal(count_tasks(f->d), 0);

    /* a failing step: the rows before it go too */
    assert_int_equal(db_begin(f->d), UC_OK);
    assert_int_equal(task_insert(f->d, &a), UC_OK);
    assert_int_equal(task_insert(f->d, &b), UC_OK);
    assert_int_equal(task_insert(f->d, &a), UC_EDB);
    db_rollback(f->d);
    assert_int_equal(count_tasks(f->d), 0);

    assert_int_equal(db_begin(f->d), UC_OK);
    assert_int_equal(task_insert(f->d, &a), UC_OK);
    assert_int_equal(task_insert(f->d, &b), UC_OK);
    assert_int_equal(db_commit(f->d), UC_OK);
    assert_int_equal(count_tasks(f->d), 2);

    /* outside a transaction */
    assert_int_equal(db_commit(f->d), UC_EINVAL);
    db_rollback(f->d); /* nothing to do */
    assert_int_equal(count_tasks(f->d), 2);
}

static void test_tx_nested(void **state)
{
    fx *f = *state;
    task a = new_task("k1", TASK_CSV, 1, 1), b = new_task("k1", TASK_CSV, 2, 1);

    /* an inner rollback dooms the outer transaction */
    assert_int_equal(db_begin(f->d), UC_OK);
    assert_int_equal(task_insert(f->d, &a), UC_OK);
    assert_int_equal(db_begin(f->d), UC_OK);
    assert_int_equal(task_insert(f->d, &b), UC_OK);
    db_rollback(f->d);
    assert_int_equal(db_commit(f->d), UC_EDB);
    assert_int_equal(count_tasks(f->d), 0);

    /* inner commits leave the decision to the outermost */
    assert_int_equal(db_begin(f->d), UC_OK);
    assert_int_equal(db_begin(f->d), UC_OK);
    assert_int_equal(task_insert(f->d, &a), UC_OK);
    assert_int_equal(db_commit(f->d), UC_OK);
    assert_int_equal(task_insert(f->d, &b), UC_OK);
    db_rollback(f->d);
    assert_int_equal(count_tasks(f->d), 0);

    /* and the connection is usable again afterwards */
    assert_int_equal(task_insert(f->d, &a), UC_OK);
    assert_int_equal(count_tasks(f->d), 1);
}

typedef struct two {
    db *d;
    task a, b;
} two;

static uc_err insert_two(void *ud)
{
    two *t = ud;
    uc_err e = task_insert(t->d, &t->a);
    return e ? e : task_insert(t->d, &t->b);
}

static void test_db_tx(void **state)
{
    fx *f = *state;
    two t = {f->d, new_task("k1", TASK_CSV, 1, 1), new_task("k1", TASK_CSV, 2, 1)};
    t.b = t.a; /* the second insert fails: same id */
    assert_int_equal(db_tx(f->d, insert_two, &t), UC_EDB);
    assert_int_equal(count_tasks(f->d), 0);
    task_new_id(t.b.id);
    assert_int_equal(db_tx(f->d, insert_two, &t), UC_OK);
    assert_int_equal(count_tasks(f->d), 2);
}

/* A store function that changes several rows does it in one transaction:
 * account_delete_all with its second delete refused keeps the account. */
static void test_account_delete_all_atomic(void **state)
{
    fx *f = *state;
    account a;
    assert_int_equal(account_get(f->d, "k1", 5, &a), UC_OK);
    assert_int_equal(account_list_put(f->d, "k1", "white", "ok.org", 6), UC_OK);
    scratch_sql(f->d, "CREATE TRIGGER keep_lists BEFORE DELETE ON account_lists "
                   "BEGIN SELECT RAISE(ABORT, 'refused'); END");
    assert_int_equal(account_charge(f->d, "k1", 2), UC_OK);
    assert_int_equal(account_delete_all(f->d, "k1"), UC_EDB);
    assert_int_equal(account_get(f->d, "k1", 5, &a), UC_OK);
    assert_int_equal(a.charged, 2); /* the account row was not deleted */
    assert_int_equal(a.credits, 3);
    scratch_sql(f->d, "DROP TRIGGER keep_lists");
    assert_int_equal(account_delete_all(f->d, "k1"), UC_OK);
    assert_int_equal(account_get(f->d, "k1", 5, &a), UC_OK);
    assert_int_equal(a.charged, 0);
}

/* ---- migrations ---- */

static int schema_latest(void)
{
    int n = 0;
    for (const struct embedded_file *s = schema_files; s->name; s++)
        if (atoi(s->name) > n)
            n = atoi(s->name);
    return n;
}

static int user_version(db *d)
{
    db_conn *c = db_acquire(d);
    sqlite3_stmt *st = NULL;
    int v = -1;
    assert_int_equal(sqlite3_prepare_v2(db_handle(c), "PRAGMA user_version", -1, &st, NULL),
                     SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    db_release(d, c);
    return v;
}

/* A database made by the first schema, with rows in it, opened by the
 * current code: migrated to the latest version, the rows still there. */
static void test_migrate_old_schema(void **state)
{
    fx *f = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/old.db", f->dir);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    const struct embedded_file *first = &schema_files[0];
    assert_int_equal(atoi(first->name), 1);
    assert_int_equal(sqlite3_exec(h, (const char *)first->data, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h,
        "PRAGMA user_version = 1;"
        "INSERT INTO accounts (api_key, created_at, credits, charged) "
        "VALUES ('old-key', 5, 40, 2);"
        "INSERT INTO tasks (id, api_key, project_name, filename, format, deduplicate, "
        "status, error, created_at, finished_at, rows, upload_bytes, result_bytes) "
        "VALUES ('0f8fad5b-d9cb-469f-a165-70867728950e', 'old-key', 'p', 'a.tsv', 'tsv', "
        "1, 'completed', NULL, 7, 9, 3, 100, 200);"
        "INSERT INTO account_lists VALUES ('old-key', 'grey', 'x.org');"
        "INSERT INTO meta VALUES ('clock_offset', '123');",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);

    db *d = NULL;
    char err[256] = "";
    assert_int_equal(db_open(path, &d, err, sizeof err), UC_OK);
    assert_int_equal(user_version(d), schema_latest());
    task t;
    assert_int_equal(task_get(d, "0f8fad5b-d9cb-469f-a165-70867728950e", "old-key", &t), UC_OK);
    assert_int_equal(t.status, TASK_COMPLETED);
    assert_int_equal(t.format, TASK_TSV);
    assert_int_equal(t.rows, 3);
    assert_int_equal(t.finished_at, 9);
    int64_t used = 0;
    assert_int_equal(task_storage_used(d, "old-key", &used), UC_OK);
    assert_int_equal(used, 300);
    account a;
    assert_int_equal(account_get(d, "old-key", -1, &a), UC_OK);
    assert_int_equal(a.credits, 40);
    assert_int_equal(a.charged, 2);
    char *body = NULL;
    assert_int_equal(account_list_get(d, "old-key", "grey", &body), UC_OK);
    assert_string_equal(body, "x.org");
    free(body);
    int64_t off = 0;
    assert_int_equal(db_meta_get_i64(d, "clock_offset", &off), UC_OK);
    assert_int_equal(off, 123);
    /* and it works as a current database */
    task n = new_task("old-key", TASK_CSV, 10, 1);
    assert_int_equal(task_insert(d, &n), UC_OK);
    db_close(d);

    /* opening again applies nothing twice */
    assert_int_equal(db_open(path, &d, err, sizeof err), UC_OK);
    assert_int_equal(user_version(d), schema_latest());
    assert_int_equal(task_get(d, n.id, NULL, &t), UC_OK);
    db_close(d);
}

/* A fresh file gets every schema; a database from a newer ucmock (a
 * user_version past every schema here) is opened as is. */
static void test_migrate_fresh_and_newer(void **state)
{
    fx *f = *state;
    assert_int_equal(user_version(f->d), schema_latest());
    task t = new_task("k", TASK_TXT, 1, 1);
    assert_int_equal(task_insert(f->d, &t), UC_OK);

    char path[160];
    snprintf(path, sizeof path, "%s/newer.db", f->dir);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, (const char *)schema_files[0].data, NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    db *d = NULL;
    char err[256] = "";
    assert_int_equal(db_open(path, &d, err, sizeof err), UC_OK);
    assert_int_equal(user_version(d), 999);
    db_close(d);
}

static void test_id(void **state)
{
    (void)state;
    char a[TASK_ID_LEN + 1], b[TASK_ID_LEN + 1];
    task_new_id(a);
    task_new_id(b);
    assert_true(task_id_valid(a));
    assert_string_not_equal(a, b);
    assert_int_equal(a[14], '4'); /* version 4 */
    assert_true(strchr("89ab", a[19]) != NULL);
    assert_false(task_id_valid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
    assert_false(task_id_valid("0f8fad5b-d9cb-469f-a165-70867728950"));
    assert_false(task_id_valid("0f8fad5b-d9cb-469f-a165-70867728950e0"));
    assert_false(task_id_valid("0f8fad5bxd9cb-469f-a165-70867728950e"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* ---- dirsync: directory fsyncs shared between threads ---- */

#define SYNCERS 8

typedef struct syncer_arg {
    const char *dir;
    int i;
    uc_err e;
} syncer_arg;

/* Commit a file of its own into dir/final (from dir/tmp-i). */
static void *commit_one(void *arg)
{
    syncer_arg *a = arg;
    char tmp[FILES_PATH_MAX], final[FILES_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/tmp-%d", a->dir, a->i);
    snprintf(final, sizeof final, "%s/final/f-%d", a->dir, a->i);
    FILE *o = fopen(tmp, "w");
    if (!o || fprintf(o, "file %d\n", a->i) < 0 || fclose(o) != 0) {
        a->e = UC_EIO;
        return NULL;
    }
    a->e = files_commit(tmp, final);
    return NULL;
}

static void *sync_one(void *arg)
{
    syncer_arg *a = arg;
    a->e = dirsync(a->dir);
    return NULL;
}

/* Run fn on SYNCERS threads at once, each with its own arg. */
static void run_threads(void *(*fn)(void *), syncer_arg *args)
{
    pthread_t th[SYNCERS];
    for (int i = 0; i < SYNCERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, fn, &args[i]), 0);
    for (int i = 0; i < SYNCERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
}

static void test_dirsync_commits(void **state)
{
    fx *f = *state;
    char final_dir[128];
    snprintf(final_dir, sizeof final_dir, "%s/final", f->dir);
    assert_int_equal(mkdir(final_dir, 0700), 0);
    syncer_arg args[SYNCERS];
    for (int i = 0; i < SYNCERS; i++)
        args[i] = (syncer_arg){f->dir, i, UC_EINVAL};
    run_threads(commit_one, args);
    for (int i = 0; i < SYNCERS; i++) {
        char p[FILES_PATH_MAX], want[32], got[32] = "";
        assert_int_equal(args[i].e, UC_OK);
        snprintf(p, sizeof p, "%s/final/f-%d", f->dir, i);
        snprintf(want, sizeof want, "file %d\n", i);
        FILE *in = fopen(p, "r");
        assert_non_null(in);
        assert_non_null(fgets(got, sizeof got, in));
        fclose(in);
        assert_string_equal(got, want);
        snprintf(p, sizeof p, "%s/tmp-%d", f->dir, i);
        assert_int_equal(access(p, F_OK), -1); /* moved */
    }
    /* a commit whose rename fails leaves its file where it was */
    char tmp[FILES_PATH_MAX], bad[FILES_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/tmp-x", f->dir);
    snprintf(bad, sizeof bad, "%s/missing/f", f->dir);
    FILE *o = fopen(tmp, "w");
    assert_non_null(o);
    fclose(o);
    assert_int_equal(files_commit(tmp, bad), UC_EIO);
    assert_int_equal(access(tmp, F_OK), 0);
}

static void test_dirsync_failure_reaches_every_waiter(void **state)
{
    fx *f = *state;
    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing", f->dir);
    syncer_arg args[SYNCERS];
    /* every request of a batch whose fsync fails (here: its directory
     * cannot be opened) is told so, never UC_OK */
    for (int i = 0; i < SYNCERS; i++)
        args[i] = (syncer_arg){missing, i, UC_OK};
    run_threads(sync_one, args);
    for (int i = 0; i < SYNCERS; i++)
        assert_int_equal(args[i].e, UC_EIO);
    /* and later requests are served: the same directory, once it exists */
    assert_int_equal(mkdir(missing, 0700), 0);
    for (int i = 0; i < SYNCERS; i++)
        args[i] = (syncer_arg){missing, i, UC_EIO};
    run_threads(sync_one, args);
    for (int i = 0; i < SYNCERS; i++)
        assert_int_equal(args[i].e, UC_OK);
    assert_int_equal(files_sync_dir(missing), UC_OK); /* the path's directory */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_id),
        T(test_task_roundtrip),
        T(test_task_finish),
        T(test_task_insert_finished),
        T(test_task_each),
        T(test_task_each_writes),
        T(test_storage_used),
        T(test_accounts),
        T(test_meta),
        T(test_tx_commit_and_rollback),
        T(test_tx_nested),
        T(test_db_tx),
        T(test_account_delete_all_atomic),
        T(test_migrate_old_schema),
        T(test_migrate_fresh_and_newer),
        T(test_dirsync_commits),
        T(test_dirsync_failure_reaches_every_waiter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
