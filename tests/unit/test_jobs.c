/* test_jobs.c: the jobs layer on a real data dir and database: submit and
 * its undo (each step made to fail), the quota rule, a whole run through
 * each pass on small inputs (dedup, padding, results), the single-threaded
 * pool mode, cancellation (queued, held, mid-pass, deleted meanwhile), and
 * the pure pieces (email column, cell spill). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "scratch.h"

#include "core/clock.h"
#include "core/torture.h"
#include "formats/xlsx_read.h"
#include "formats/xlsx_write.h"
#include "jobs/cellspill.h"
#include "jobs/pool.h"
#include "jobs/submit.h"
#include "store/accounts.h"
#include "store/files.h"

/* ---- fixture: a data dir, its database, domain lists, a pool ---- */

typedef struct fx {
    char dir[64];
    db *d;
    domain_lists *dl;
    job_env env;
    pool *p;
} fx;

static int setup_workers(void **state, int workers, int delay_ms)
{
    fx *f = calloc(1, sizeof *f);
    char err[256] = "", dbpath[FILES_PATH_MAX];
    snprintf(f->dir, sizeof f->dir, "/tmp/ucmock-jobs-XXXXXX");
    if (!f || !mkdtemp(f->dir) || files_init(f->dir, err, sizeof err) != UC_OK)
        return -1;
    snprintf(dbpath, sizeof dbpath, "%s/ucmock.db", f->dir);
    if (db_open(dbpath, &f->d, err, sizeof err) != UC_OK ||
        domain_lists_load(NULL, &f->dl, err, sizeof err) != UC_OK)
        return -1;
    account acct; /* the key's account, unlimited, as HTTP makes it first */
    if (account_get(f->d, "k", -1, &acct) != UC_OK)
        return -1;
    f->env = (job_env){f->d, f->dir, f->dl, delay_ms, 1u << 30, 10000, {NULL, NULL}, NULL,
                       UINT64_MAX, 0, -1};
    if (pool_start(&f->env, workers, &f->p) != UC_OK)
        return -1;
    *state = f;
    return 0;
}

static int setup_inline(void **state) { return setup_workers(state, 0, 0); }
static int setup_held(void **state) { return setup_workers(state, 1, 600000); }

static int teardown(void **state)
{
    fx *f = *state;
    pool_stop(f->p);
    db_close(f->d);
    domain_lists_free(f->dl);
    scratch_remove(f->dir);
    free(f);
    return 0;
}

/* Files in DIR/sub (uploads, results, tmp). */
static int count_files(const fx *f, const char *sub)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls -A %s/%s | wc -l", f->dir, sub);
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static int count_row(void *ud, const task *t)
{
    (void)t;
    (*(int *)ud)++;
    return 0;
}

static int count_tasks(const fx *f)
{
    int n = 0;
    assert_int_equal(task_each(f->d, NULL, TASK_STATUS_ANY, 0, count_row, &n), UC_OK);
    return n;
}

/* An upload as HTTP leaves it: a closed file under tmp/. */
static void write_upload(const fx *f, const void *data, size_t len, char *path)
{
    files_tmp_path(f->dir, ".part", path);
    FILE *o = fopen(path, "wb");
    assert_non_null(o);
    assert_int_equal(fwrite(data, 1, len, o), len);
    assert_int_equal(fclose(o), 0);
}

static task new_task(enum task_format fmt, int dedup)
{
    task t;
    memset(&t, 0, sizeof t);
    snprintf(t.api_key, sizeof t.api_key, "k");
    snprintf(t.project_name, sizeof t.project_name, "p");
    snprintf(t.filename, sizeof t.filename, "f.%s", task_format_name(fmt));
    t.format = fmt;
    t.deduplicate = dedup;
    return t;
}

/* The whole result file (malloc'd, NUL-terminated). */
static char *read_result(const fx *f, const task *t, size_t *len)
{
    char path[FILES_PATH_MAX];
    files_result_path(f->dir, t->id, t->format, path);
    FILE *i = fopen(path, "rb");
    assert_non_null(i);
    char *buf = calloc(1, 1 << 16);
    *len = fread(buf, 1, (1 << 16) - 1, i);
    fclose(i);
    return buf;
}

/* The data dir's subdirectories hold these many files. */
static void expect_counts(const fx *f, int uploads, int results, int tmp)
{
    assert_int_equal(count_files(f, "uploads"), uploads);
    assert_int_equal(count_files(f, "results"), results);
    assert_int_equal(count_files(f, "tmp"), tmp);
}

/* The task's result file holds want, and the data dir's subdirectories
 * hold these many files. */
static void expect_files(const fx *f, const task *t, const char *want, int uploads,
                         int results, int tmp)
{
    size_t len;
    char *out = read_result(f, t, &len);
    assert_string_equal(out, want);
    free(out);
    expect_counts(f, uploads, results, tmp);
}

/* Submit data as an upload of format fmt; returns the task row after. */
static task submit_bytes(fx *f, enum task_format fmt, int dedup, const char *data, size_t len)
{
    char tmp[FILES_PATH_MAX];
    write_upload(f, data, len, tmp);
    task t = new_task(fmt, dedup);
    t.upload_bytes = (int64_t)len;
    assert_int_equal(submit(f->d, f->p, f->dir, tmp, &t, NULL), UC_OK);
    assert_true(task_id_valid(t.id));
    assert_int_equal(access(tmp, F_OK), -1); /* moved, not copied */
    task row;
    assert_int_equal(task_get(f->d, t.id, NULL, &row), UC_OK);
    return row;
}

/* A finished task's status and counts. */
static void expect_task(const task *t, enum task_status st, int64_t rows, int64_t dups,
                        int64_t invalid, int64_t charged)
{
    assert_int_equal(t->status, st);
    assert_int_equal(t->rows, rows);
    assert_int_equal(t->duplicates_removed, dups);
    assert_int_equal(t->invalid, invalid);
    assert_int_equal(t->charged, charged);
}

/* ---- a run through the delimited pass (inline pool: submit runs it) ---- */

static const char CSV_IN[] =
    "email,name,age\r\n"
    "A@Example.com,first,1\r\n"
    "b@example.org,\"quoted, with comma\",2\r\n"
    "a@example.com,last,3\r\n"
    ",no address,4\r\n"
    "plaintext\r\n"
    "\r\n"
    "test@disposable.com,d,5";

/* CSV_IN's result: rows copied byte for byte (quotes kept), the short
 * row padded to the header's width, the line ending kept, none added at
 * the end */
static const char CSV_OUT[] = "email,name,age,category,domain_type\r\n"
                              "b@example.org,\"quoted, with comma\",2,white,unknown\r\n"
                              "a@example.com,last,3,white,unknown\r\n"
                              ",no address,4,black,invalid\r\n"
                              "plaintext,,,black,invalid\r\n"
                              "test@disposable.com,d,5,black,disposable";

static void test_csv_dedup(void **state)
{
    fx *f = *state;
    task t = submit_bytes(f, TASK_CSV, 1, CSV_IN, sizeof CSV_IN - 1);
    /* rows read, the first A@ merged into the last; two invalid (the
     * empty address and plaintext), three charged */
    expect_task(&t, TASK_COMPLETED, 6, 1, 2, 3);
    expect_files(f, &t, CSV_OUT, 1, 1, 0);
    /* the inline pool holds nothing between calls */
    int progress;
    assert_int_equal(pool_progress(f->p, t.id, &progress), 0);
}

static void test_csv_no_dedup_and_headerless_txt(void **state)
{
    fx *f = *state;
    task t = submit_bytes(f, TASK_CSV, 0, CSV_IN, sizeof CSV_IN - 1);
    expect_task(&t, TASK_COMPLETED, 6, 0, 2, 4);

    static const char TXT[] = "\xEF\xBB\xBFx@example.com\nX@example.com\n";
    t = submit_bytes(f, TASK_TXT, 1, TXT, sizeof TXT - 1);
    assert_int_equal(t.status, TASK_COMPLETED);
    size_t len;
    char *out = read_result(f, &t, &len);
    assert_string_equal(out, "\xEF\xBB\xBFX@example.com,white,unknown\n");
    free(out);
}

static void test_csv_failures_leave_no_result(void **state)
{
    fx *f = *state;
    static const char NOCOL[] = "name,phone\nAnn,1\n";
    task t = submit_bytes(f, TASK_CSV, 1, NOCOL, sizeof NOCOL - 1);
    assert_int_equal(t.status, TASK_FAILED);
    assert_string_equal(t.error, "No email column found in the headers: \"name\", \"phone\". "
                                 "Name the address column email, e-mail or email address, "
                                 "or put the addresses in the first column");
    static const char WIDE[] = "email\na@example.com,extra\n";
    t = submit_bytes(f, TASK_CSV, 1, WIDE, sizeof WIDE - 1);
    assert_int_equal(t.status, TASK_FAILED);
    assert_string_equal(t.error, "Row at line 2 has 2 fields, the header has 1");
    assert_int_equal(count_files(f, "results"), 0);
    assert_int_equal(count_files(f, "tmp"), 0);
}

/* ---- a run through the XLSX pass ---- */

typedef struct sheet {
    char text[4096];
    size_t len;
} sheet;

static int sheet_row(void *ud, uint32_t row, const cell *cells, size_t n)
{
    static const char code[] = {'-', 's', 'n', 'b', 'e'};
    sheet *s = ud;
    s->len += (size_t)snprintf(s->text + s->len, sizeof s->text - s->len, "%u:", row);
    for (size_t i = 0; i < n; i++)
        s->len += (size_t)snprintf(s->text + s->len, sizeof s->text - s->len, "|%c=%.*s",
                                   code[cells[i].type], (int)cells[i].len,
                                   cells[i].len ? cells[i].v : "");
    s->len += (size_t)snprintf(s->text + s->len, sizeof s->text - s->len, "\n");
    return 0;
}

static void test_xlsx_dedup(void **state)
{
    fx *f = *state;
    char in[FILES_PATH_MAX];
    files_tmp_path(f->dir, ".part", in);
    xlsxw *w;
    assert_int_equal(xlsxw_create(in, NULL, &w), UC_OK);
    const cell rows[][3] = {
        {{CELL_STRING, "n", 1, 0}, {CELL_STRING, " E-Mail ", 8, 0}, {CELL_EMPTY, NULL, 0, 0}},
        {{CELL_NUMBER, "1.50", 4, 0}, {CELL_STRING, "A@example.com", 13, 0}, {CELL_EMPTY, NULL, 0, 0}},
        {{CELL_NUMBER, "2", 1, 0}, {CELL_STRING, "b@example.org", 13, 0}, {CELL_BOOL, "1", 1, 0}},
        {{CELL_NUMBER, "3", 1, 0}, {CELL_STRING, "a@example.com", 13, 0}, {CELL_EMPTY, NULL, 0, 0}},
        {{CELL_ERROR, "#N/A", 4, 0}, {CELL_EMPTY, NULL, 0, 0}, {CELL_EMPTY, NULL, 0, 0}},
    };
    const size_t widths[] = {2, 2, 3, 2, 1};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(xlsxw_row(w, rows[i], widths[i]), UC_OK);
    assert_int_equal(xlsxw_close(w), UC_OK);

    task t = new_task(TASK_XLSX, 1);
    assert_int_equal(submit(f->d, f->p, f->dir, in, &t, NULL), UC_OK);
    assert_int_equal(task_get(f->d, t.id, NULL, &t), UC_OK);
    expect_task(&t, TASK_COMPLETED, 4, 1, 1, 2);

    char out[FILES_PATH_MAX], err[256] = "";
    files_result_path(f->dir, t.id, TASK_XLSX, out);
    sheet s = {.len = 0};
    assert_int_equal(xlsx_read(out, NULL, sheet_row, &s, err, sizeof err), UC_OK);
    /* types and number text kept; the two cells after the widest row */
    assert_string_equal(s.text,
                        "0:|s=n|s= E-Mail |-=|s=category|s=domain_type\n"
                        "1:|n=2|s=b@example.org|b=1|s=white|s=unknown\n"
                        "2:|n=3|s=a@example.com|-=|s=white|s=unknown\n"
                        "3:|e=#N/A|-=|-=|s=black|s=invalid\n");
    assert_int_equal(count_files(f, "tmp"), 0);
}

/* ---- submit and its undo ---- */

static void test_submit_commit_fails(void **state)
{
    fx *f = *state;
    char tmp[FILES_PATH_MAX];
    files_tmp_path(f->dir, ".part", tmp); /* never written: nothing to commit */
    task t = new_task(TASK_CSV, 1);
    assert_int_equal(submit(f->d, f->p, f->dir, tmp, &t, NULL), UC_EIO);
    assert_int_equal(count_tasks(f), 0);
    assert_int_equal(count_files(f, "uploads"), 0);
}

static void test_submit_insert_fails(void **state)
{
    fx *f = *state;
    scratch_sql(f->d, "CREATE TRIGGER no_tasks BEFORE INSERT ON tasks "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END");
    char tmp[FILES_PATH_MAX];
    write_upload(f, "email\na@example.com\n", 20, tmp);
    task t = new_task(TASK_CSV, 1);
    assert_int_equal(submit(f->d, f->p, f->dir, tmp, &t, NULL), UC_EDB);
    /* the committed upload was taken back out */
    assert_int_equal(count_files(f, "uploads"), 0);
    scratch_sql(f->d, "DROP TRIGGER no_tasks");
    assert_int_equal(count_tasks(f), 0);
}

static void test_submit_enqueue_fails(void **state)
{
#ifdef UC_TORTURE
    /* In the torture build the first allocation after arming is the
     * pool's job (files, rows and a pooled connection allocate nothing of
     * ours): the row and the file must both be taken back. */
    fx *f = *state;
    char tmp[FILES_PATH_MAX];
    write_upload(f, "email\na@example.com\n", 20, tmp);
    task t = new_task(TASK_CSV, 1);
    assert_int_equal(count_tasks(f), 0); /* the connection is pooled now */
    setenv("UCMOCK_TORTURE", "alloc:1", 1);
    torture_arm();
    assert_int_equal(submit(f->d, f->p, f->dir, tmp, &t, NULL), UC_ENOMEM);
    assert_int_equal(count_tasks(f), 0);
    assert_int_equal(count_files(f, "uploads"), 0);
#else
    (void)state;
    skip(); /* only the -Dtorture=true build can fail the queue's allocation */
#endif
}

/* ---- submit on worker threads: the job starts before its row is in ---- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}


static int setup_two_workers(void **state) { return setup_workers(state, 2, 0); }

/* Wait (bounded, generously) for the pool to finish t; the row after. */
static task wait_done(fx *f, const task *t)
{
    task row;
    for (int i = 0; i < 6000; i++) {
        assert_int_equal(task_get(f->d, t->id, NULL, &row), UC_OK);
        if (row.status != TASK_PROCESSING)
            break;
        sleep_ms(10);
    }
    return row;
}

/* Stop the pool now (its workers joined): nothing of it runs after. */
static void drain(fx *f)
{
    pool_stop(f->p);
    f->p = NULL;
}

static void test_submit_on_workers(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 20; i++) { /* the job and the commit race: often */
        task t = submit_bytes(f, TASK_CSV, 1, CSV_IN, sizeof CSV_IN - 1);
        t = wait_done(f, &t);
        expect_task(&t, TASK_COMPLETED, 6, 1, 2, 3);
        size_t len;
        char *out = read_result(f, &t, &len);
        assert_int_equal(len, sizeof CSV_OUT - 1);
        assert_string_equal(out, CSV_OUT);
        free(out);
    }
    expect_counts(f, 20, 20, 0);
}

static void test_submit_insert_fails_on_workers(void **state)
{
    fx *f = *state;
    scratch_sql(f->d, "CREATE TRIGGER no_tasks BEFORE INSERT ON tasks "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END");
    for (int i = 0; i < 20; i++) {
        char tmp[FILES_PATH_MAX];
        write_upload(f, CSV_IN, sizeof CSV_IN - 1, tmp);
        task t = new_task(TASK_CSV, 1);
        assert_int_equal(submit(f->d, f->p, f->dir, tmp, &t, NULL), UC_EDB);
        unlink(tmp);
    }
    drain(f); /* every job that started has ended: none left a file */
    scratch_sql(f->d, "DROP TRIGGER no_tasks");
    assert_int_equal(count_tasks(f), 0);
    expect_counts(f, 0, 0, 0);
}

/* A small upload with no delay runs on the submitting thread: its row is
 * in finished when submit returns, and nothing of it is left in the pool
 * or in tmp/. */
static void test_small_task_finished_when_submitted(void **state)
{
    fx *f = *state;
    task t = submit_bytes(f, TASK_CSV, 1, CSV_IN, sizeof CSV_IN - 1);
    expect_task(&t, TASK_COMPLETED, 6, 1, 2, 3);
    assert_true(t.finished_at >= t.created_at && t.finished_at > 0);
    assert_int_equal(t.result_bytes, (int64_t)sizeof CSV_OUT - 1);
    int progress;
    assert_int_equal(pool_progress(f->p, t.id, &progress), 0);
    expect_counts(f, 1, 1, 0);
}

/* An upload held in memory (submit_mem) that runs on the submitting
 * thread is never written: its row counts its bytes, only its result is
 * on disk; one that failed leaves no file at all. */
static void test_submit_mem_runs_unstored(void **state)
{
    fx *f = *state;
    task t = new_task(TASK_CSV, 1);
    t.upload_bytes = sizeof CSV_IN - 1;
    assert_int_equal(submit_mem(f->d, f->p, f->dir, CSV_IN, &t, NULL), UC_OK);
    task row;
    assert_int_equal(task_get(f->d, t.id, NULL, &row), UC_OK);
    expect_task(&row, TASK_COMPLETED, 6, 1, 2, 3);
    assert_int_equal(row.upload_bytes, (int64_t)sizeof CSV_IN - 1);
    expect_files(f, &row, CSV_OUT, 0, 1, 0);

    static const char NOCOL[] = "name\nAnn\n";
    t = new_task(TASK_CSV, 1);
    t.upload_bytes = sizeof NOCOL - 1;
    assert_int_equal(submit_mem(f->d, f->p, f->dir, NOCOL, &t, NULL), UC_OK);
    assert_int_equal(task_get(f->d, t.id, NULL, &row), UC_OK);
    assert_int_equal(row.status, TASK_FAILED);
    expect_counts(f, 0, 1, 0);
}

/* One past the size that runs on the submitting thread is written to its
 * place in uploads/ under the task's id, byte for byte, and run from
 * there; a submission that fails takes it back out, as submit does. */
static void test_submit_mem_stored_when_not_run_here(void **state)
{
    fx *f = *state;
    size_t n = (64 << 10) + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memcpy(big, "email\n", 6);
    for (size_t i = 6; i < n; i++)
        big[i] = (i % 32 == 31) ? '\n' : 'a';
    task t = new_task(TASK_CSV, 1);
    t.upload_bytes = (int64_t)n;
    assert_int_equal(submit_mem(f->d, f->p, f->dir, big, &t, NULL), UC_OK);
    char path[FILES_PATH_MAX];
    files_upload_path(f->dir, t.id, t.format, path);
    FILE *i = fopen(path, "rb");
    assert_non_null(i);
    char *back = malloc(n + 1);
    assert_int_equal(fread(back, 1, n + 1, i), n);
    fclose(i);
    assert_memory_equal(back, big, n);
    free(back);
    task row;
    assert_int_equal(task_get(f->d, t.id, NULL, &row), UC_OK);
    assert_int_equal(row.status, TASK_COMPLETED);

    scratch_sql(f->d, "CREATE TRIGGER no_tasks BEFORE INSERT ON tasks "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END");
    for (int k = 0; k < 2; k++) { /* stored, then run here */
        t = new_task(TASK_CSV, 1);
        t.upload_bytes = k ? 20 : (int64_t)n;
        assert_int_equal(submit_mem(f->d, f->p, f->dir, k ? "email\na@example.com\n" : big,
                                    &t, NULL), UC_EDB);
        assert_int_equal(count_files(f, "uploads"), 1);
        assert_int_equal(count_files(f, "results"), 1);
    }
    scratch_sql(f->d, "DROP TRIGGER no_tasks");
    assert_int_equal(count_tasks(f), 1);
    free(big);
}

/* A reset may remove the account between the submission's credit check
 * and the charge: the task, let in, is charged to the account made again
 * with the starting credits (here unlimited). */
static void test_charge_makes_a_removed_account(void **state)
{
    fx *f = *state;
    scratch_sql(f->d, "DELETE FROM accounts");
    task t = submit_bytes(f, TASK_CSV, 1, CSV_IN, sizeof CSV_IN - 1);
    expect_task(&t, TASK_COMPLETED, 6, 1, 2, 3);
    account acct;
    assert_int_equal(account_get(f->d, "k", 0, &acct), UC_OK);
    assert_int_equal(acct.credits, -1);
    assert_int_equal(acct.charged, 3);
}

/* A held job of a task whose upload is in place, as submit makes it. */
static pool_held *held_job(fx *f, task *t)
{
    char tmp[FILES_PATH_MAX], path[FILES_PATH_MAX];
    write_upload(f, CSV_IN, sizeof CSV_IN - 1, tmp);
    *t = new_task(TASK_CSV, 1);
    task_new_id(t->id);
    t->created_at = clock_now_ms(); /* where a delay starts */
    files_upload_path(f->dir, t->id, t->format, path);
    assert_int_equal(rename(tmp, path), 0);
    pool_held *h = NULL;
    assert_int_equal(pool_submit_held(f->p, t, &h), UC_OK);
    return h;
}

static void test_held_job_waits_for_its_row(void **state)
{
    fx *f = *state;
    task t;
    pool_held *h = held_job(f, &t);
    /* the job may run now, but records nothing before the release: the
     * row inserted late is the one it completes */
    for (int i = 0; i < 50 && count_files(f, "results") == 0; i++)
        sleep_ms(10);
    assert_int_equal(task_insert(f->d, &t), UC_OK);
    pool_release(f->p, h, true);
    t = wait_done(f, &t);
    expect_task(&t, TASK_COMPLETED, 6, 1, 2, 3);
    assert_int_equal(count_files(f, "results"), 1);
}

static void test_held_job_released_without_row(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 20; i++) { /* released queued, running or done */
        task t;
        pool_held *h = held_job(f, &t);
        for (int k = 0; k < i % 4; k++)
            sleep_ms(1);
        pool_release(f->p, h, false);
    }
    drain(f);
    assert_int_equal(count_tasks(f), 0);
    expect_counts(f, 20, 0, 0); /* the 20 uploads: the test's own */
}

/* The submitter's side of a held job, on a thread of its own: a moment's
 * work, the row in, the release. */
struct submitter {
    fx *f;
    task *t;
    pool_held *h;
};

static void *insert_and_release(void *arg)
{
    struct submitter *sb = arg;
    sleep_ms(50);
    assert_int_equal(task_insert(sb->f->d, sb->t), UC_OK);
    pool_release(sb->f->p, sb->h, true);
    return NULL;
}

static void test_cancel_all_waits_for_a_held_job(void **state)
{
    fx *f = *state; /* one worker, every job held for 10 minutes */
    task a = submit_bytes(f, TASK_CSV, 1, "email\na@example.com\n", 20);
    task b;
    struct submitter sb = {f, &b, held_job(f, &b)};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, insert_and_release, &sb), 0);
    /* returns once b is released (its row in) and dropped too: a reset
     * then finds its row, as a task submitted just before */
    pool_cancel_all(f->p, NULL);
    pthread_join(th, NULL);
    int progress;
    assert_int_equal(pool_progress(f->p, a.id, &progress), 0);
    assert_int_equal(pool_progress(f->p, b.id, &progress), 0);
    assert_int_equal(task_get(f->d, b.id, NULL, &b), UC_OK);
    assert_int_equal(b.status, TASK_PROCESSING);
    assert_int_equal(count_files(f, "results"), 0);
    assert_int_equal(count_files(f, "tmp"), 0);
}

static void test_quota_rule(void **state)
{
    fx *f = *state;
    int64_t room;
    assert_int_equal(submit_room(f->d, "k", 1000, &room), UC_OK);
    assert_int_equal(room, 1000);
    task t = submit_bytes(f, TASK_CSV, 1, "email\na@example.com\n", 20);
    assert_int_equal(t.status, TASK_COMPLETED);
    int64_t used = t.upload_bytes + t.result_bytes;
    assert_int_equal(used, 20 + 55);
    assert_int_equal(submit_room(f->d, "k", 1000, &room), UC_OK);
    assert_int_equal(room, 1000 - used);
    assert_true(submit_fits(room, (uint64_t)room));
    assert_false(submit_fits(room, (uint64_t)room + 1));
    /* over the limit already (a smaller limit after a restart): nothing fits */
    assert_int_equal(submit_room(f->d, "k", 10, &room), UC_OK);
    assert_int_equal(room, 10 - used);
    assert_false(submit_fits(room, 0));
    /* a limit past INT64_MAX is not turned negative */
    assert_int_equal(submit_room(f->d, "k", UINT64_MAX, &room), UC_OK);
    assert_int_equal(room, INT64_MAX);
    assert_true(submit_fits(room, (uint64_t)1 << 62));
    /* another key's tasks are not counted */
    assert_int_equal(submit_room(f->d, "other", 1000, &room), UC_OK);
    assert_int_equal(room, 1000);
    /* the sum unreadable (its table, kept by triggers on tasks, gone): an
     * error, not the whole limit as room */
    scratch_sql(f->d, "ALTER TABLE storage RENAME TO storage_away");
    room = 7;
    assert_int_equal(submit_room(f->d, "k", 1000, &room), UC_EDB);
    assert_int_equal(room, 7);
    scratch_sql(f->d, "ALTER TABLE storage_away RENAME TO storage");
}

/* ---- cancellation (one worker; every task held for 600 s) ---- */

static void test_cancel_held_and_queued(void **state)
{
    fx *f = *state;
    task a = submit_bytes(f, TASK_CSV, 1, "email\na@example.com\n", 20);
    task b = submit_bytes(f, TASK_CSV, 1, "email\nb@example.com\n", 20);
    int progress = -1;
    /* b waits behind a in the queue */
    assert_int_equal(pool_progress(f->p, b.id, &progress), 1);
    assert_int_equal(progress, 0);
    assert_int_equal(pool_cancel(f->p, b.id), 1);
    assert_int_equal(pool_progress(f->p, b.id, &progress), 0);
    /* a does its work, then is held: its progress stays under 100 */
    for (int i = 0; i < 500 && count_files(f, "tmp") == 0; i++)
        sleep_ms(10);
    assert_int_equal(pool_progress(f->p, a.id, &progress), 1);
    assert_in_range(progress, 0, 99);
    assert_int_equal(pool_cancel(f->p, a.id), 1); /* returns once it stopped */
    assert_int_equal(pool_progress(f->p, a.id, &progress), 0);
    assert_int_equal(pool_cancel(f->p, a.id), 0);
    /* the rows are the canceller's: untouched; no file of the runs left */
    assert_int_equal(task_get(f->d, a.id, NULL, &a), UC_OK);
    assert_int_equal(a.status, TASK_PROCESSING);
    assert_int_equal(task_get(f->d, b.id, NULL, &b), UC_OK);
    assert_int_equal(b.status, TASK_PROCESSING);
    assert_int_equal(count_files(f, "results"), 0);
    assert_int_equal(count_files(f, "tmp"), 0);
}

static void test_cancel_all_of_a_key(void **state)
{
    fx *f = *state;
    task a = submit_bytes(f, TASK_CSV, 1, "email\na@example.com\n", 20);
    task b = submit_bytes(f, TASK_CSV, 1, "email\nb@example.com\n", 20);
    pool_cancel_all(f->p, "someone else");
    int progress;
    assert_int_equal(pool_progress(f->p, a.id, &progress), 1);
    assert_int_equal(pool_progress(f->p, b.id, &progress), 1);
    pool_cancel_all(f->p, "k");
    assert_int_equal(pool_progress(f->p, a.id, &progress), 0);
    assert_int_equal(pool_progress(f->p, b.id, &progress), 0);
    assert_int_equal(count_files(f, "tmp"), 0);
}

/* A job run by hand (job_execute), as a worker would. */
static task stored_task(fx *f, const char *data)
{
    task t = new_task(TASK_CSV, 1);
    task_new_id(t.id);
    char path[FILES_PATH_MAX];
    files_upload_path(f->dir, t.id, TASK_CSV, path);
    FILE *o = fopen(path, "wb");
    assert_non_null(o);
    fputs(data, o);
    fclose(o);
    assert_int_equal(task_insert(f->d, &t), UC_OK);
    return t;
}

static void test_cancel_mid_pass(void **state)
{
    fx *f = *state;
    task t = stored_task(f, "email\na@example.com\n");
    job *j = calloc(1, sizeof *j);
    j->t = t;
    atomic_store(&j->cancel, 1); /* seen at the pass's first check */
    assert_int_equal(job_execute(&f->env, j), UC_ECANCELED);
    assert_int_equal(task_get(f->d, t.id, NULL, &t), UC_OK);
    assert_int_equal(t.status, TASK_PROCESSING);
    assert_int_equal(count_files(f, "results"), 0);
    assert_int_equal(count_files(f, "tmp"), 0);
    free(j);
}

/* The split path (pass_split.c) on one thread, every range in turn, its
 * records in files and in memory: the same result, counts and cleanup as
 * the single-threaded passes. */
static void test_split_same_result(void **state)
{
    fx *f = *state;
    f->env.split_min = UINT64_MAX;
    task want = submit_bytes(f, TASK_CSV, 1, CSV_IN, sizeof CSV_IN - 1);
    expect_task(&want, TASK_COMPLETED, 6, 1, 2, 3);
    size_t lw;
    char *ow = read_result(f, &want, &lw);
    for (int mem = 0; mem < 2; mem++) {
        f->env.split_min = 0;
        f->env.split_mem_max = mem ? UINT64_MAX : 0;
        task got = submit_bytes(f, TASK_CSV, 1, CSV_IN, sizeof CSV_IN - 1);
        expect_task(&got, TASK_COMPLETED, 6, 1, 2, 3);
        size_t l;
        char *o = read_result(f, &got, &l);
        assert_int_equal(l, lw);
        assert_memory_equal(o, ow, l);
        free(o);
        assert_int_equal(count_files(f, "tmp"), 0); /* no record or segment file left */
    }
    free(ow);
    f->env.split_min = UINT64_MAX;
    f->env.split_mem_max = 0;
}

/* The shortest rows there are (a byte and a line end; the last without
 * one): a range's records fill the room kept for them in memory exactly. */
static void test_split_shortest_rows(void **state)
{
    fx *f = *state;
    char in[4096];
    size_t n = (size_t)snprintf(in, sizeof in, "email\n");
    for (size_t k = 0; n < sizeof in - 2; k++) {
        in[n++] = (char)('a' + k % 26);
        in[n++] = k % 3 ? '\n' : '\r';
    }
    in[n++] = 'z';
    f->env.split_min = UINT64_MAX;
    task want = submit_bytes(f, TASK_CSV, 0, in, n);
    f->env.split_min = 0;
    f->env.split_mem_max = UINT64_MAX;
    task got = submit_bytes(f, TASK_CSV, 0, in, n);
    assert_int_equal(want.status, TASK_COMPLETED);
    assert_int_equal(got.status, TASK_COMPLETED);
    assert_int_equal(got.rows, want.rows);
    size_t l1, l2;
    char *o1 = read_result(f, &want, &l1), *o2 = read_result(f, &got, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(o1, o2, l1);
    free(o1);
    free(o2);
    f->env.split_min = UINT64_MAX;
    f->env.split_mem_max = 0;
}

static void test_split_cancelled_and_failed(void **state)
{
    fx *f = *state;
    f->env.split_min = 0;
    task t = stored_task(f, "email\na@example.com\n");
    job *j = calloc(1, sizeof *j);
    j->t = t;
    atomic_store(&j->cancel, 1);
    assert_int_equal(job_execute(&f->env, j), UC_ECANCELED);
    assert_int_equal(count_files(f, "results"), 0);
    assert_int_equal(count_files(f, "tmp"), 0);
    free(j);
    /* the first bad row's reason, as one reader words it */
    task bad = submit_bytes(f, TASK_CSV, 1, "email,n\na@x.com,1\nb@x.com,1,2\nc\x01\n", 33);
    assert_int_equal(bad.status, TASK_FAILED);
    assert_string_equal(bad.error, "Row at line 3 has 3 fields, the header has 2");
    assert_int_equal(count_files(f, "tmp"), 0);
    f->env.split_min = UINT64_MAX;
}

static void test_borrow_idle_workers(void **state)
{
    (void)state;
    atomic_int spare = 3;
    job j = {.spare = &spare};
    assert_int_equal(job_borrow(&j, 5), 3);
    assert_int_equal(job_borrow(&j, 1), 0); /* none left to lend */
    job_unborrow(&j, 3);
    assert_int_equal(atomic_load(&spare), 3);
    atomic_store(&spare, -1); /* more tasks than workers for a moment */
    assert_int_equal(job_borrow(&j, 1), 0);
    job none = {.spare = NULL}; /* the single-threaded pool lends nothing */
    assert_int_equal(job_borrow(&none, 4), 0);
}

static void test_deleted_while_running(void **state)
{
    fx *f = *state;
    task t = stored_task(f, "email\na@example.com\n");
    assert_int_equal(task_delete(f->d, t.id, NULL), UC_OK);
    job *j = calloc(1, sizeof *j);
    j->t = t;
    /* the run completes, finds its row gone and removes its result; the
     * charge and the completion are one transaction: nothing charged */
    assert_int_equal(job_execute(&f->env, j), UC_ECANCELED);
    assert_int_equal(count_files(f, "results"), 0);
    assert_int_equal(count_files(f, "tmp"), 0);
    account a;
    assert_int_equal(account_get(f->d, "k", -1, &a), UC_OK);
    assert_int_equal(a.charged, 0);
    free(j);
}

/* ---- the cell spill ---- */

static void test_cellspill_round_trip(void **state)
{
    fx *f = *state;
    cellspill *s;
    assert_int_equal(cellspill_open(f->dir, &s), UC_OK);
    assert_int_equal(count_files(f, "tmp"), 0); /* anonymous */
    /* styles too: 0 (no bytes spent) up to the largest index */
    const cell r1[] = {{CELL_STRING, "a\0b", 3, 1}, {CELL_EMPTY, NULL, 0, 0},
                       {CELL_NUMBER, "1.50E+3", 7, 0}, {CELL_BOOL, "0", 1, 65535},
                       {CELL_ERROR, "#N/A", 4, 0x7fffffff}};
    char big[10000];
    memset(big, 'z', sizeof big);
    const cell r3[] = {{CELL_STRING, big, sizeof big, 0}};
    assert_int_equal(cellspill_put(s, r1, 5), UC_OK);
    assert_int_equal(cellspill_put(s, NULL, 0), UC_OK);
    assert_int_equal(cellspill_put(s, r3, 1), UC_OK);
    for (int pass = 0; pass < 2; pass++) {
        const cell *c;
        size_t n;
        assert_int_equal(cellspill_rewind(s), UC_OK);
        assert_int_equal(cellspill_get(s, &c, &n), UC_OK);
        assert_int_equal(n, 5);
        for (size_t i = 0; i < 5; i++) {
            assert_int_equal(c[i].type, r1[i].type);
            assert_int_equal(c[i].len, r1[i].len);
            assert_int_equal(c[i].style, r1[i].style);
            if (r1[i].len)
                assert_memory_equal(c[i].v, r1[i].v, r1[i].len);
            else
                assert_null(c[i].v);
        }
        assert_int_equal(cellspill_get(s, &c, &n), UC_OK);
        assert_int_equal(n, 0);
        assert_int_equal(cellspill_get(s, &c, &n), UC_OK);
        assert_int_equal(n, 1);
        assert_int_equal(c[0].len, sizeof big);
        assert_memory_equal(c[0].v, big, sizeof big);
        assert_int_equal(cellspill_get(s, &c, &n), UC_EIO); /* past the end */
    }
    cellspill_close(s);
    cellspill_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csv_dedup, setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_csv_no_dedup_and_headerless_txt, setup_inline,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_csv_failures_leave_no_result, setup_inline,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_xlsx_dedup, setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_submit_commit_fails, setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_submit_insert_fails, setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_submit_on_workers, setup_two_workers, teardown),
        cmocka_unit_test_setup_teardown(test_small_task_finished_when_submitted,
                                        setup_two_workers, teardown),
        cmocka_unit_test_setup_teardown(test_submit_mem_runs_unstored, setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_submit_mem_stored_when_not_run_here, setup_inline,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_charge_makes_a_removed_account, setup_two_workers,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_submit_insert_fails_on_workers, setup_two_workers,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_held_job_waits_for_its_row, setup_two_workers,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_held_job_released_without_row, setup_two_workers,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cancel_all_waits_for_a_held_job, setup_held, teardown),
        cmocka_unit_test_setup_teardown(test_quota_rule, setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_held_and_queued, setup_held, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_all_of_a_key, setup_held, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_mid_pass, setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_split_same_result, setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_split_shortest_rows, setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_split_cancelled_and_failed, setup_inline, teardown),
        cmocka_unit_test(test_borrow_idle_workers),
        cmocka_unit_test_setup_teardown(test_deleted_while_running, setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_cellspill_round_trip, setup_inline, teardown),
        /* last: arming the torture build's failure is once per process */
        cmocka_unit_test_setup_teardown(test_submit_enqueue_fails, setup_inline, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
