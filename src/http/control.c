/* control.c: the /__mock control API's index, virtual clock, tasks,
 * reset, bans and request journal, and what every control handler shares:
 * strict bodies and queries (see control.h). */
#include "http/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/messages.h"
#include "core/utf8.h"
#include "http/auth.h"
#include "http/faults.h"
#include "http/journal.h"
#include "http/limits.h"
#include "http/resp.h"
#include "http/routes.h"
#include "http/scenario.h"
#include "jobs/retention.h"
#include "store/files.h"

#define ADVANCE_MAX_S 3.2e9  /* about a century */
/* GET /__mock/requests?last=N: at most the largest --journal-size */
#define JOURNAL_LAST_MAX 1000000
#define JOURNAL_LAST_MAX_TEXT "1000000"

/* ---- what the handlers share ---- */

enum MHD_Result control_json(req *rq, control_check_fn check, control_act_fn act, void *ud)
{
    jcheck *jc = jcheck_new();
    if (!jc)
        return resp_detail(rq, 500, MSG_INTERNAL);
    jloc body = JLOC_ROOT("body");
    json_t *j = rq->body.len ? jcheck_load(jc, &body, rq->body.data, rq->body.len)
                             : json_object();
    if (j)
        check(jc, &body, j, ud);
    enum MHD_Result ret;
    if (jcheck_failed(jc))
        ret = control_refuse(rq, jc);
    else if (!j) /* no problem, no body: out of memory */
        ret = resp_detail(rq, 500, MSG_INTERNAL);
    else
        ret = act(rq, ud);
    json_decref(j);
    jcheck_free(jc);
    return ret;
}

enum MHD_Result control_refuse(req *rq, jcheck *jc)
{
    if (jcheck_oom(jc))
        return resp_detail(rq, 500, MSG_INTERNAL);
    return resp_queue_json(rq, 400, json_pack("{s:O}", "detail", jcheck_problems(jc)));
}

typedef struct query_args {
    json_t *args;  /* name -> value */
    int oom;
} query_args;

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    query_args *q = cls;
    char *name = key ? utf8_sanitize_dup(key, key_size) : NULL;
    json_t *v = value ? resp_text(value, value_size) : json_null();
    if (!name || !v) {
        json_decref(v);
        q->oom = 1;
    } else if (json_object_set_new(q->args, name, v) != 0) { /* v taken even so */
        q->oom = 1;
    }
    free(name);
    return MHD_YES;
}

int control_query_ok(req *rq, enum MHD_Result *ret)
{
    query_args q = {json_object(), 0};
    jcheck *jc = jcheck_new();
    if (q.args && jc)
        MHD_get_connection_values_n(rq->c, MHD_GET_ARGUMENT_KIND, query_arg, &q);
    if (!q.args || !jc || q.oom) {
        json_decref(q.args);
        jcheck_free(jc);
        *ret = resp_detail(rq, 500, MSG_INTERNAL);
        return 0;
    }
    jloc at = JLOC_ROOT("query");
    jcheck_object(jc, &at, q.args, rq->route->query);
    int ok = !jcheck_failed(jc);
    if (!ok)
        *ret = control_refuse(rq, jc);
    json_decref(q.args);
    jcheck_free(jc);
    return ok;
}

static retention_env ret_env(app *a)
{
    return (retention_env){a->d, a->pool, a->cfg->data_dir, &a->env.hook};
}

/* ---- index ---- */

static void index_one(void *ud, const route *r)
{
    json_t *arr = ud;
    if (r->journal || !r->doc)
        return;
    json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "method", r->method, "path",
                                         r->tmpl ? r->tmpl : r->path, "summary", r->doc));
}

enum MHD_Result control_index(req *rq)
{
    json_t *arr = json_array();
    if (arr)
        routes_each(index_one, arr);
    return resp_queue_json(rq, 200, json_pack("{s:o,s:s}", "endpoints", arr, "openapi",
                                              "/openapi.json"));
}

/* ---- clock ---- */

static json_t *clock_json(void)
{
    char now[32];
    clock_format(clock_now_ms(), now, sizeof now);
    return json_pack("{s:s,s:I}", "now", now, "offset_seconds",
                     (json_int_t)(clock_offset_ms() / 1000));
}

enum MHD_Result control_clock_get(req *rq)
{
    return resp_queue_json(rq, 200, clock_json());
}

/* Move the clock to offset off (kept across restarts); retention applies
 * at once. */
static enum MHD_Result clock_move(req *rq, int64_t off)
{
    app *a = rq->a;
    int64_t was = clock_offset_ms();
    clock_set_offset_ms(off);
    if (db_meta_set_i64(a->d, "clock_offset_ms", off) != UC_OK)
        return resp_detail(rq, 500, MSG_INTERNAL);
    control_clock_moved(a, was);
    return resp_queue_json(rq, 200, clock_json());
}

void control_clock_moved(app *a, int64_t was_ms)
{
    int64_t off = clock_offset_ms();
    log_line l;
    if (log_begin(&l, LOG_INFO, "clock_moved")) {
        char now[32];
        clock_format(clock_now_ms(), now, sizeof now);
        log_int(&l, "by_ms", off - was_ms);
        log_int(&l, "offset_ms", off);
        log_str(&l, "now", now);
        log_end(&l);
    }
    retention_env env = ret_env(a);
    retention_sweep(&env, clock_retention_cutoff(a->cfg->retention_days), NULL);
}

/* The offset the body asks for: *off set, or problems in jc. */
static void clock_target(jcheck *jc, const jloc *body, json_t *j, void *ud)
{
    int64_t *off = ud;
    static const char *const keys[] = {"advance_seconds", "set", NULL};
    if (!jcheck_object(jc, body, j, keys))
        return;
    double sec;
    const char *set;
    int ra = jcheck_number(jc, body, j, "advance_seconds", 0, 0, ADVANCE_MAX_S, &sec);
    int rs = jcheck_string(jc, body, j, "set", 0, 1, 64, &set);
    if ((ra == JC_ABSENT) == (rs == JC_ABSENT)) {
        jcheck_add(jc, body, "value_error", "Value error, give one of advance_seconds (a number "
                   "of seconds >= 0) or set (an RFC 3339 time)", j, NULL);
        return;
    }
    if (ra == JC_OK) {
        *off = clock_offset_ms() + (int64_t)(sec * 1000);
        return;
    }
    int64_t target;
    jloc sl = jloc_key(body, "set");
    if (rs == JC_OK && clock_parse(set, &target) != 0)
        jcheck_add(jc, &sl, "value_error", "Value error, expected an RFC 3339 time such as "
                   "2026-01-01T00:00:00Z", json_object_get(j, "set"), NULL);
    else if (rs == JC_OK)
        *off = target - (clock_now_ms() - clock_offset_ms());
}

static enum MHD_Result clock_act(req *rq, void *ud)
{
    return clock_move(rq, *(int64_t *)ud);
}

enum MHD_Result control_clock_post(req *rq)
{
    int64_t off = 0;
    return control_json(rq, clock_target, clock_act, &off);
}

enum MHD_Result control_clock_delete(req *rq)
{
    return clock_move(rq, 0);
}

/* ---- tasks ---- */

typedef struct listing {
    app *a;
    json_t *arr;
    int with_key;
} listing;

static int list_one(void *ud, const task *t)
{
    listing *l = ud;
    char created[32], expires[32], finished[32] = "";
    clock_format(t->created_at, created, sizeof created);
    clock_format(clock_retention_end(t->created_at, l->a->cfg->retention_days), expires,
                 sizeof expires);
    if (t->finished_at)
        clock_format(t->finished_at, finished, sizeof finished);
    int progress = 100;
    if (t->status == TASK_PROCESSING && !pool_progress(l->a->pool, t->id, &progress))
        progress = 0;
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:i,s:s,s:s,s:s*,s:I,s:I,s:I,s:I,s:I,s:I}",
        "task_id", t->id, "project_name", t->project_name, "filename", t->filename,
        "format", task_format_name(t->format), "deduplicate", t->deduplicate,
        "status", task_status_name(t->status),
        "progress", progress, "created_at", created, "expires_at", expires,
        "finished_at", t->finished_at ? finished : NULL, "rows", (json_int_t)t->rows,
        "duplicates_removed", (json_int_t)t->duplicates_removed, "invalid",
        (json_int_t)t->invalid, "charged", (json_int_t)t->charged, "upload_bytes",
        (json_int_t)t->upload_bytes, "result_bytes", (json_int_t)t->result_bytes);
    if (!o)
        return 0;
    if (t->status == TASK_FAILED)
        json_object_set_new(o, "error", json_string(t->error));
    if (t->finished_at) /* from upload done to result ready, for benchmarks */
        json_object_set_new(o, "processing_ms", json_integer(t->finished_at - t->created_at));
    if (l->with_key)
        json_object_set_new(o, "api_key", json_string(t->api_key));
    json_array_append_new(l->arr, o);
    return 0;
}

enum MHD_Result control_tasks_list(req *rq)
{
    app *a = rq->a;
    const char *key = req_header(rq, "X-API-Key");
    if (key && !*key)
        key = NULL;
    listing l = {a, json_array(), key == NULL};
    if (task_each(a->d, key, TASK_STATUS_ANY, 0, list_one, &l) != UC_OK) {
        json_decref(l.arr);
        return resp_detail(rq, 500, MSG_INTERNAL);
    }
    json_t *o = json_pack("{s:o}", "tasks", l.arr);
    if (key) {
        int64_t used = 0;
        task_storage_used(a->d, key, &used);
        json_object_set_new(o, "storage", json_pack("{s:I,s:I}", "used", (json_int_t)used,
                                                    "limit", (json_int_t)a->cfg->storage_limit));
    }
    return resp_queue_json(rq, 200, o);
}

enum MHD_Result control_task_delete(req *rq)
{
    enum MHD_Result ret = MHD_NO; /* auth_require sets it; gcc -O3 may not see that */
    if (!auth_require(rq, &ret))
        return ret;
    retention_env env = ret_env(rq->a);
    if (task_id_valid(rq->param)) /* the access log's and journal's task */
        memcpy(rq->task_id, rq->param, TASK_ID_LEN + 1);
    uc_err e = task_id_valid(rq->param) ? retention_delete(&env, rq->param, rq->api_key)
                                        : UC_ENOTFOUND;
    if (e == UC_ENOTFOUND)
        return resp_detail(rq, 404, MSG_NO_TASK);
    if (e)
        return resp_detail(rq, 500, MSG_INTERNAL);
    return resp_queue_json(rq, 200, json_pack("{s:s,s:b}", "task_id", rq->param,
                                              "deleted", 1));
}

/* ---- reset ---- */

/* Wipe everything (key NULL) or one account, its faults, journal entries,
 * rate window and the bans of the IPs its single checks came from. */
static enum MHD_Result reset(req *rq, const char *key)
{
    app *a = rq->a;
    retention_env env = ret_env(a);
    uc_err e = retention_reset(&env, key);
    faults_clear(a->faults, key);
    scenario_forget(a, key);
    journal_clear(a->journal, key);
    limits_reset(a->limits, key);
    if (e)
        return resp_detail(rq, 500, MSG_INTERNAL);
    return resp_queue_json(rq, 200, json_pack("{s:b,s:s?}", "reset", 1, "api_key", key));
}

static void reset_check(jcheck *jc, const jloc *body, json_t *j, void *ud)
{
    static const char *const keys[] = {"api_key", NULL};
    if (jcheck_object(jc, body, j, keys))
        jcheck_string(jc, body, j, "api_key", 0, 1, TASK_KEY_MAX, (const char **)ud);
}

static enum MHD_Result reset_act(req *rq, void *ud)
{
    return reset(rq, *(const char **)ud);
}

enum MHD_Result control_reset(req *rq)
{
    const char *key = NULL; /* absent: everything */
    return control_json(rq, reset_check, reset_act, &key);
}

/* ---- bans ---- */

enum MHD_Result control_bans_get(req *rq)
{
    int t = rq->a->cfg->ban_threshold;
    json_t *bans = limits_bans_json(rq->a->limits, t);
    return resp_queue_json(rq, 200, json_pack("{s:o,s:o}", "threshold",
                                              t > 0 ? json_integer(t) : json_null(),
                                              "bans", bans));
}

enum MHD_Result control_bans_delete(req *rq)
{
    limits_bans_clear(rq->a->limits);
    return resp_queue_json(rq, 200, json_pack("{s:b}", "cleared", 1));
}

/* ---- journal ---- */

/* ?last=N of the journal: N in 1..JOURNAL_LAST_MAX as a decimal integer,
 * refused as pydantic refuses an int query parameter; absent: 0 (every
 * matching entry). Returns 0 with the answer queued in *ret on refusal. */
static int journal_last(req *rq, size_t *out, enum MHD_Result *ret)
{
    const char *s = req_query(rq, "last");
    *out = 0;
    if (!s)
        return 1;
    const char *p = s + (*s == '-'); /* a negative number is one, too small */
    char *end = NULL;
    errno = 0;
    unsigned long long n = *p >= '0' && *p <= '9' ? strtoull(p, &end, 10) : 0;
    int digits = end && !*end;
    if (digits && p == s && !errno && n >= 1 && n <= JOURNAL_LAST_MAX) {
        *out = (size_t)n;
        return 1;
    }
    jcheck *jc = jcheck_new();
    json_t *in = resp_text(s, strlen(s));
    if (!jc || !in) {
        jcheck_free(jc);
        json_decref(in);
        *ret = resp_detail(rq, 500, MSG_INTERNAL);
        return 0;
    }
    jloc q = JLOC_ROOT("query");
    jloc at = jloc_key(&q, "last");
    if (!digits)
        jcheck_add(jc, &at, "int_parsing", "Input should be a valid integer, unable to parse "
                   "string as an integer", in, NULL);
    else if (p != s || n < 1)
        jcheck_add(jc, &at, "greater_than_equal", "Input should be greater than or equal to 1",
                   in, json_pack("{s:i}", "ge", 1));
    else
        jcheck_add(jc, &at, "less_than_equal", "Input should be less than or equal to "
                   JOURNAL_LAST_MAX_TEXT, in, json_pack("{s:i}", "le", JOURNAL_LAST_MAX));
    *ret = control_refuse(rq, jc);
    json_decref(in);
    jcheck_free(jc);
    return 0;
}

enum MHD_Result control_journal_get(req *rq)
{
    enum MHD_Result ret;
    journal_filter f = {req_query(rq, "path_prefix"), req_query(rq, "api_key"),
                        req_query(rq, "task_id"), 0};
    if (!journal_last(rq, &f.last, &ret))
        return ret;
    size_t matched = 0;
    json_t *arr = journal_json(rq->a->journal, &f, &matched);
    return resp_queue_json(rq, 200, json_pack("{s:o,s:I}", "requests", arr, "matched",
                                              (json_int_t)matched));
}

enum MHD_Result control_journal_delete(req *rq)
{
    journal_clear(rq->a->journal, NULL);
    return resp_queue_json(rq, 200, json_pack("{s:b}", "cleared", 1));
}
