/* tasks.c: task rows: insert, load, finish, delete, walk. */
#include "store/tasks.h"

#include "core/buf.h"
#include "core/clock.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define TASK_COLS                                                             \
    "id, api_key, project_name, filename, format, deduplicate, status, "     \
    "coalesce(error, ''), created_at, coalesce(finished_at, 0), rows, "      \
    "duplicates_removed, invalid, charged, upload_bytes, result_bytes, "     \
    "coalesce(fault_fail, ''), fault_delay_ms"

static const char *const status_names[] = {
    [TASK_PROCESSING] = "processing", [TASK_COMPLETED] = "completed",
    [TASK_FAILED] = "failed",
};
static const char *const format_names[] = {
    [TASK_CSV] = "csv", [TASK_TSV] = "tsv", [TASK_TXT] = "txt", [TASK_XLSX] = "xlsx",
};
#define NAMES(a) (sizeof(a) / sizeof(a)[0])

/* Index of s in names[0, n) (ASCII case ignored if nocase), or -1. */
static int name_index(const char *const *names, size_t n, const char *s, bool nocase)
{
    for (size_t i = 0; i < n; i++)
        if (!(nocase ? strcasecmp(s, names[i]) : strcmp(s, names[i])))
            return (int)i;
    return -1;
}

const char *task_status_name(enum task_status s)
{
    return status_names[(size_t)s < NAMES(status_names) ? s : TASK_FAILED];
}

bool task_status_parse(const char *s, enum task_status *out)
{
    int i = name_index(status_names, NAMES(status_names), s, false);
    if (i >= 0)
        *out = (enum task_status)i;
    return i >= 0;
}

const char *task_format_name(enum task_format f)
{
    return format_names[(size_t)f < NAMES(format_names) ? f : TASK_CSV];
}

bool task_format_parse(const char *s, enum task_format *out)
{
    int i = name_index(format_names, NAMES(format_names), s, true);
    if (i >= 0)
        *out = (enum task_format)i;
    return i >= 0;
}

static void copy_col(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", s ? (const char *)s : "");
}

/* The row at st into t; UC_EDB if its status or format names none (the
 * schema's CHECK constraints make that a corrupt database). */
static uc_err row_to_task(sqlite3_stmt *st, task *t)
{
    memset(t, 0, sizeof *t);
    copy_col(st, 0, t->id, sizeof t->id);
    copy_col(st, 1, t->api_key, sizeof t->api_key);
    copy_col(st, 2, t->project_name, sizeof t->project_name);
    copy_col(st, 3, t->filename, sizeof t->filename);
    const unsigned char *fmt = sqlite3_column_text(st, 4);
    if (!fmt || !task_format_parse((const char *)fmt, &t->format))
        return UC_EDB;
    t->deduplicate = sqlite3_column_int(st, 5) != 0;
    const unsigned char *status = sqlite3_column_text(st, 6);
    if (!status || !task_status_parse((const char *)status, &t->status))
        return UC_EDB;
    copy_col(st, 7, t->error, sizeof t->error);
    t->created_at = sqlite3_column_int64(st, 8);
    t->finished_at = sqlite3_column_int64(st, 9);
    t->rows = sqlite3_column_int64(st, 10);
    t->duplicates_removed = sqlite3_column_int64(st, 11);
    t->invalid = sqlite3_column_int64(st, 12);
    t->charged = sqlite3_column_int64(st, 13);
    t->upload_bytes = sqlite3_column_int64(st, 14);
    t->result_bytes = sqlite3_column_int64(st, 15);
    copy_col(st, 16, t->fault_fail, sizeof t->fault_fail);
    t->fault_delay_ms = sqlite3_column_int64(st, 17);
    return UC_OK;
}

/* One INSERT for both: a new processing row (task_insert: no finish time,
 * counts 0), or one already finished (r, or the error of a failure). */
static uc_err insert_row(db *d, const task *t, enum task_status st, const char *error,
                         const task_result *r)
{
    static const task_result none;
    if (!r)
        r = &none;
    return db_exec(d,
        "INSERT INTO tasks (id, api_key, project_name, filename, format, "
        "deduplicate, status, error, created_at, finished_at, rows, "
        "duplicates_removed, invalid, charged, upload_bytes, result_bytes, "
        "fault_fail, fault_delay_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, CASE WHEN ?7 = 'processing' THEN NULL ELSE ?10 END, ?11, ?12, "
        "?13, ?14, ?15, ?16, nullif(?17, ''), ?18)", NULL,
        DB_ARGS(DB_TEXT(t->id), DB_TEXT(t->api_key), DB_TEXT(t->project_name),
                DB_TEXT(t->filename), DB_TEXT(task_format_name(t->format)),
                DB_I64(t->deduplicate), DB_TEXT(task_status_name(st)), DB_TEXT(error),
                DB_I64(t->created_at), DB_I64(clock_now_ms()), DB_I64(r->rows),
                DB_I64(r->duplicates_removed), DB_I64(r->invalid), DB_I64(r->charged),
                DB_I64(t->upload_bytes), DB_I64(r->result_bytes), DB_TEXT(t->fault_fail),
                DB_I64(t->fault_delay_ms)));
}

uc_err task_insert(db *d, const task *t)
{
    return insert_row(d, t, TASK_PROCESSING, NULL, NULL);
}

uc_err task_insert_finished(db *d, const task *t, const task_result *r, const char *error)
{
    return insert_row(d, t, error ? TASK_FAILED : TASK_COMPLETED, error, error ? NULL : r);
}

uc_err task_get(db *d, const char *id, const char *api_key, task *out)
{
    db_query q;
    uc_err e = db_start(&q, d, "SELECT " TASK_COLS " FROM tasks WHERE id = ?1 "
                               "AND (?2 IS NULL OR api_key = ?2)",
                        DB_ARGS(DB_TEXT(id), DB_TEXT(api_key)));
    if (!e)
        e = db_next(&q);
    if (!e)
        e = row_to_task(q.st, out);
    db_done(&q);
    return e;
}

/* Finish a processing task: completed with r's counts, or failed with
 * error (r NULL). */
static uc_err finish(db *d, const char *id, const task_result *r, const char *error)
{
    static const task_result none;
    if (!r)
        r = &none;
    int changed = 0;
    uc_err e = db_exec(d,
        "UPDATE tasks SET status = ?2, error = ?3, finished_at = ?4, rows = ?5, "
        "duplicates_removed = ?6, invalid = ?7, charged = ?8, result_bytes = ?9 "
        "WHERE id = ?1 AND status = ?10", &changed,
        DB_ARGS(DB_TEXT(id), DB_TEXT(task_status_name(error ? TASK_FAILED : TASK_COMPLETED)),
                DB_TEXT(error), DB_I64(clock_now_ms()), DB_I64(r->rows),
                DB_I64(r->duplicates_removed), DB_I64(r->invalid), DB_I64(r->charged),
                DB_I64(r->result_bytes), DB_TEXT(task_status_name(TASK_PROCESSING))));
    return !e && changed == 0 ? UC_ENOTFOUND : e;
}

uc_err task_complete(db *d, const char *id, const task_result *r)
{
    return finish(d, id, r, NULL);
}

uc_err task_fail(db *d, const char *id, const char *error)
{
    return finish(d, id, NULL, error);
}

uc_err task_delete(db *d, const char *id, const char *api_key)
{
    int changed = 0;
    uc_err e = db_exec(d, "DELETE FROM tasks WHERE id = ?1 AND (?2 IS NULL OR api_key = ?2)",
                       &changed, DB_ARGS(DB_TEXT(id), DB_TEXT(api_key)));
    return !e && changed == 0 ? UC_ENOTFOUND : e;
}

uc_err task_each(db *d, const char *api_key, int status,
                 int64_t created_before, task_fn fn, void *ud)
{
    const char *want = status == TASK_STATUS_ANY
                           ? NULL : task_status_name((enum task_status)status);
    db_query q;
    uc_err e = db_start(&q, d, "SELECT " TASK_COLS " FROM tasks "
        "WHERE (?1 IS NULL OR api_key = ?1) AND (?2 IS NULL OR status = ?2) "
        "AND (?3 = 0 OR created_at < ?3) ORDER BY created_at, rowid",
        DB_ARGS(DB_TEXT(api_key), DB_TEXT(want), DB_I64(created_before)));
    /* Collect first: fn may write to the database. */
    struct buf list;
    buf_init(&list, SIZE_MAX);
    task t;
    while (!e && (e = db_next(&q)) == UC_OK) {
        e = row_to_task(q.st, &t);
        if (!e)
            e = buf_add(&list, &t, sizeof t);
    }
    if (e == UC_ENOTFOUND)
        e = UC_OK;
    db_done(&q);
    const task *tl = (const task *)list.data;
    for (size_t i = 0; !e && i < list.len / sizeof t; i++)
        if (fn(ud, &tl[i]))
            break;
    buf_free(&list);
    return e;
}

uc_err task_storage_used(db *d, const char *api_key, int64_t *out)
{
    db_query q;
    /* The storage table is the sum, kept by triggers (schema/002). */
    uc_err e = db_start(&q, d, "SELECT coalesce((SELECT bytes FROM storage "
                               "WHERE api_key = ?1), 0)", DB_ARGS(DB_TEXT(api_key)));
    if (!e)
        e = db_next(&q) == UC_OK ? UC_OK : UC_EDB; /* a scalar query has its row */
    if (!e)
        *out = sqlite3_column_int64(q.st, 0);
    db_done(&q);
    return e;
}

uc_err task_delete_all(db *d, const char *api_key)
{
    return db_exec(d, "DELETE FROM tasks WHERE ?1 IS NULL OR api_key = ?1", NULL,
                   DB_ARGS(DB_TEXT(api_key)));
}

void task_new_id(char out[TASK_ID_LEN + 1])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, TASK_ID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

bool task_id_valid(const char *s)
{
    for (int i = 0; i < TASK_ID_LEN; i++) {
        char ch = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (ch != '-')
                return false;
        } else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return false;
        }
    }
    return s[TASK_ID_LEN] == 0;
}
