/* tasks.h: batch tasks as rows in the database.
 *
 * The database is the truth about a task; files in the data dir belong to
 * a task only while its row exists (see store/files.h). Storage used by an
 * account is derived from the rows (upload + result bytes), never kept as
 * a separate counter that could drift. */
#ifndef UC_TASKS_H
#define UC_TASKS_H

#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"
#include "store/db.h"

#define TASK_ID_LEN 36
#define TASK_KEY_MAX 512      /* longest API key accepted */
#define TASK_NAME_MAX 256     /* project_name bytes (50 characters of UTF-8) */
#define TASK_FILENAME_MAX 256
#define TASK_ERROR_MAX 512

/* A task's state. The database stores the name (task_status_name); this
 * table is the only place the names are written or compared. */
enum task_status { TASK_PROCESSING, TASK_COMPLETED, TASK_FAILED };
/* task_each's filter for "any status". */
#define TASK_STATUS_ANY (-1)

/* The format of an upload (and of its result): its file extension. */
enum task_format { TASK_CSV, TASK_TSV, TASK_TXT, TASK_XLSX };

/* "processing", "completed", "failed": a static string, never NULL. */
const char *task_status_name(enum task_status s);
/* The status named s (exact, lowercase). false if s names none. */
bool task_status_parse(const char *s, enum task_status *out);

/* "csv", "tsv", "txt", "xlsx": a static string, never NULL; also the file
 * extension of the task's upload and result. */
const char *task_format_name(enum task_format f);
/* The format named s, ignoring case (a file extension as a client wrote
 * it). false if s names none. */
bool task_format_parse(const char *s, enum task_format *out);

typedef struct task {
    char id[TASK_ID_LEN + 1];
    char api_key[TASK_KEY_MAX + 1];
    char project_name[TASK_NAME_MAX + 1];
    char filename[TASK_FILENAME_MAX + 1];
    enum task_format format;
    bool deduplicate;
    enum task_status status;
    char error[TASK_ERROR_MAX + 1];
    int64_t created_at, finished_at; /* ms on the virtual clock; 0 = none */
    int64_t rows, duplicates_removed, invalid, charged;
    int64_t upload_bytes, result_bytes;
    char fault_fail[TASK_ERROR_MAX + 1]; /* armed fault: fail with this */
    int64_t fault_delay_ms;
    struct prepass *pre; /* not stored: the rows read while the upload
                            streamed (jobs/prepass.h), the job's to free */
} task;

/* Insert a new task (status processing). */
uc_err task_insert(db *d, const task *t);

/* Load task id. api_key != NULL restricts to that owner (another key's
 * task is UC_ENOTFOUND, exactly as a missing one). */
uc_err task_get(db *d, const char *id, const char *api_key, task *out);

/* Where a run's time went, in ms, for the task_completed log line (not
 * stored). A pass that does not tell its phases apart (XLSX) counts all
 * of its time as read. */
typedef struct task_phases {
    int64_t wait;      /* from the submission (virtual clock) to the run */
    int64_t prepass;   /* the pre-pass's reading, as the upload streamed */
    int64_t read;      /* the run's first pass: parse, check, classify */
    int64_t merge;     /* the split's dedup: which rows stay */
    int64_t write;     /* the result's bytes */
    int64_t commit;    /* the result made durable and put in place */
} task_phases;

/* Counts of a finished run. */
typedef struct task_result {
    int64_t rows, duplicates_removed, invalid, charged, result_bytes;
    int threads;       /* the run's threads (1: single-threaded); not stored */
    int64_t prepass_bytes; /* of them read while the upload streamed; not stored */
    task_phases ms;    /* not stored */
} task_result;

/* Mark a processing task completed (with its counts) or failed (with
 * error). Returns UC_ENOTFOUND if the task no longer exists or is no
 * longer processing (deleted meanwhile): the caller then owns and removes
 * whatever files it made. */
uc_err task_complete(db *d, const char *id, const task_result *r);
uc_err task_fail(db *d, const char *id, const char *error);

/* Insert a new task already finished, as task_insert then task_complete
 * (r) or task_fail (error, r NULL) would leave it, in one statement (a
 * task run before its row went in: jobs/run.c job_execute_first). */
uc_err task_insert_finished(db *d, const task *t, const task_result *r, const char *error);

/* Delete the row. UC_ENOTFOUND if it was not there (or not api_key's).
 * Once the deletion is committed, the caller forgets the task's cached
 * status answer (store/statuscache.h): jobs/retention.c does, for these
 * two and every other deletion. */
uc_err task_delete(db *d, const char *id, const char *api_key);

/* Call fn for each task, oldest first. api_key NULL = all accounts;
 * status is an enum task_status or TASK_STATUS_ANY; created_before > 0
 * limits to older tasks. fn returning non-zero stops the walk. */
typedef int (*task_fn)(void *ud, const task *t);
uc_err task_each(db *d, const char *api_key, int status,
                 int64_t created_before, task_fn fn, void *ud);

/* Bytes of storage an account uses (uploads + results of its tasks): one
 * row read, the sum being kept by triggers on tasks (schema/002). */
uc_err task_storage_used(db *d, const char *api_key, int64_t *out);

/* Delete every task row (api_key NULL) or one account's. */
uc_err task_delete_all(db *d, const char *api_key);

/* Generate a random UUIDv4 string into out (37 bytes). */
void task_new_id(char out[TASK_ID_LEN + 1]);
/* True if s is a canonical lowercase UUID (what task_new_id makes). */
bool task_id_valid(const char *s);

#endif
