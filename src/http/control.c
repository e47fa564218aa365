/* control.c: the /__mock control API: the virtual clock, tasks, reset,
 * accounts and their lists, the request journal and the faults. The state
 * behind the last two lives in journal.c and faults.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/messages.h"
#include "http/auth.h"
#include "http/control.h"
#include "http/faults.h"
#include "http/journal.h"
#include "http/limits.h"
#include "http/resp.h"
#include "jobs/retention.h"
#include "store/accounts.h"
#include "store/files.h"

/* ---- helpers ---- */

static json_t *body_json(req *rq, enum MHD_Result *ret)
{
    if (!rq->body.len)
        return json_object();
    json_error_t je;
    json_t *j = json_loadb(rq->body.data, rq->body.len, JSON_REJECT_DUPLICATES, &je);
    if (!j || !json_is_object(j)) {
        char msg[256];
        snprintf(msg, sizeof msg, "Invalid JSON body: %s", j ? "expected an object" : je.text);
        json_decref(j);
        *ret = resp_detail(rq, 400, msg);
        return NULL;
    }
    return j;
}

static retention_env ret_env(app *a)
{
    return (retention_env){a->d, a->pool, a->cfg->data_dir};
}

static json_t *clock_json(void)
{
    char now[32];
    clock_format(clock_now_ms(), now, sizeof now);
    return json_pack("{s:s,s:I}", "now", now, "offset_seconds",
                     (json_int_t)(clock_offset_ms() / 1000));
}

/* ---- clock ---- */

enum MHD_Result control_clock_get(req *rq)
{
    return resp_queue_json(rq, 200, clock_json());
}

/* Apply retention now: used whenever the clock moves. */
static void sweep_now(app *a)
{
    retention_env env = ret_env(a);
    retention_sweep(&env, clock_retention_cutoff(a->cfg->retention_days), NULL);
}

enum MHD_Result control_clock_post(req *rq)
{
    enum MHD_Result ret;
    json_t *j = body_json(rq, &ret);
    if (!j)
        return ret;
    json_t *adv = json_object_get(j, "advance_seconds");
    json_t *set = json_object_get(j, "set");
    int64_t off = clock_offset_ms();
    if (adv && json_is_number(adv)) {
        double sec = json_number_value(adv);
        if (!(sec > -3.2e9 && sec < 3.2e9)) { /* about a century either way */
            json_decref(j);
            return resp_detail(rq, 400, "advance_seconds must be within 100 years");
        }
        off += (int64_t)(sec * 1000);
    } else if (set && json_is_string(set)) {
        int64_t target;
        if (clock_parse(json_string_value(set), &target) != 0) {
            json_decref(j);
            return resp_detail(rq, 400, "set must be an RFC 3339 time, e.g. 2026-01-01T00:00:00Z");
        }
        off = target - (clock_now_ms() - clock_offset_ms());
    } else {
        json_decref(j);
        return resp_detail(rq, 400, "Give advance_seconds (a number) or set (an RFC 3339 time)");
    }
    json_decref(j);
    clock_set_offset_ms(off);
    db_meta_set_i64(rq->a->d, "clock_offset_ms", off);
    sweep_now(rq->a);
    return resp_queue_json(rq, 200, clock_json());
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
    enum MHD_Result ret;
    if (!auth_require(rq, &ret))
        return ret;
    retention_env env = ret_env(rq->a);
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

enum MHD_Result control_reset(req *rq)
{
    app *a = rq->a;
    enum MHD_Result ret;
    json_t *j = body_json(rq, &ret);
    if (!j)
        return ret;
    json_t *k = json_object_get(j, "api_key");
    const char *key = k && json_is_string(k) ? json_string_value(k) : NULL;
    if (k && !key) {
        json_decref(j);
        return resp_detail(rq, 400, "api_key must be a string");
    }
    retention_env env = ret_env(a);
    uc_err e = retention_reset(&env, key);
    faults_clear(a->faults, key);
    journal_clear(a->journal, key);
    limits_reset(a->limits, key);
    json_t *o = json_pack("{s:b,s:s?}", "reset", 1, "api_key", key);
    json_decref(j);
    if (e)
        return resp_detail(rq, 500, MSG_INTERNAL);
    return resp_queue_json(rq, 200, o);
}

/* ---- accounts and lists ---- */

static int kind_ok(const char *k)
{
    return !strcmp(k, "white") || !strcmp(k, "grey") || !strcmp(k, "black");
}

enum MHD_Result control_account_get(req *rq)
{
    app *a = rq->a;
    const char *key = rq->param;
    account acct;
    int64_t used = 0;
    if (account_get(a->d, key, a->cfg->credits, &acct) != UC_OK ||
        task_storage_used(a->d, key, &used) != UC_OK)
        return resp_detail(rq, 500, MSG_INTERNAL);
    json_t *o = json_pack("{s:s,s:o,s:I,s:I,s:I}", "api_key", key, "credits",
                          acct.credits < 0 ? json_null() : json_integer(acct.credits),
                          "charged", (json_int_t)acct.charged, "storage_used",
                          (json_int_t)used, "storage_limit",
                          (json_int_t)a->cfg->storage_limit);
    return resp_queue_json(rq, 200, o);
}

/* param is KEY/KIND */
static int split_list_param(req *rq, char *key, size_t cap, const char **kind)
{
    char *sl = strrchr(rq->param, '/');
    if (!sl || (size_t)(sl - rq->param) >= cap || sl == rq->param)
        return 0;
    memcpy(key, rq->param, (size_t)(sl - rq->param));
    key[sl - rq->param] = 0;
    *kind = sl + 1;
    return kind_ok(*kind);
}

enum MHD_Result control_list_get(req *rq)
{
    char key[TASK_KEY_MAX + 1];
    const char *kind;
    if (!split_list_param(rq, key, sizeof key, &kind))
        return resp_detail(rq, 404, MSG_NOT_FOUND);
    char *body = NULL;
    if (account_list_get(rq->a->d, key, kind, &body) != UC_OK)
        return resp_detail(rq, 500, MSG_INTERNAL);
    size_t n = strlen(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    enum MHD_Result ret = resp_queue(rq, 200, r, n);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result control_list_put(req *rq)
{
    char key[TASK_KEY_MAX + 1];
    const char *kind;
    if (!split_list_param(rq, key, sizeof key, &kind))
        return resp_detail(rq, 404, MSG_NOT_FOUND);
    const char *body = rq->body.data ? rq->body.data : "";
    size_t len = rq->body.len;
    if (memchr(body, 0, len))
        return resp_detail(rq, 400, "The list must be text");
    /* Parse it once now so a bad list is refused here, not at the next
     * run; the parse also counts the entries for the answer. */
    acct_lists *al = acct_lists_new();
    uc_err e = al ? acct_lists_add(al, LIST_WHITE, body, len) : UC_ENOMEM;
    size_t entries = e ? 0 : acct_lists_entries(al);
    acct_lists_free(al);
    if (e)
        return resp_detail(rq, 400, "The list could not be read");
    if (account_list_put(rq->a->d, key, kind, body, len) != UC_OK)
        return resp_detail(rq, 500, MSG_INTERNAL);
    return resp_queue_json(rq, 200, json_pack("{s:s,s:s,s:I}", "api_key", key, "kind", kind,
                                              "entries", (json_int_t)entries));
}

/* ---- journal ---- */

enum MHD_Result control_journal_get(req *rq)
{
    journal_filter f = {req_query(rq, "path_prefix"), req_query(rq, "api_key"),
                        req_query(rq, "task_id")};
    return resp_queue_json(rq, 200, json_pack("{s:o}", "requests",
                                              journal_json(rq->a->journal, &f)));
}

enum MHD_Result control_journal_delete(req *rq)
{
    journal_clear(rq->a->journal, NULL);
    return resp_queue_json(rq, 200, json_pack("{s:b}", "cleared", 1));
}

/* ---- faults ---- */

enum MHD_Result control_faults_post(req *rq)
{
    enum MHD_Result ret;
    json_t *j = body_json(rq, &ret);
    if (!j)
        return ret;
    char msg[160];
    json_t *o = faults_arm(rq->a->faults, j, msg, sizeof msg);
    json_decref(j);
    if (!o)
        return resp_detail(rq, 400, msg);
    return resp_queue_json(rq, 201, o);
}

enum MHD_Result control_faults_get(req *rq)
{
    return resp_queue_json(rq, 200, json_pack("{s:o}", "faults", faults_json(rq->a->faults)));
}

enum MHD_Result control_faults_delete(req *rq)
{
    faults_clear(rq->a->faults, NULL);
    return resp_queue_json(rq, 200, json_pack("{s:b}", "cleared", 1));
}
