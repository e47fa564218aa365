/* control.c: the /__mock control API (clock, tasks, reset, accounts and
 * their lists, request journal, faults) and /healthz.
 *
 * Faults and the journal are kept here, in memory, behind one mutex. */
#include "http/control.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/messages.h"
#include "http/resp.h"
#include "http/routes.h"
#include "jobs/retention.h"
#include "store/accounts.h"
#include "store/files.h"

typedef struct jentry {
    int64_t at_ms;
    char method[8];
    char path[256];
    char key[TASK_KEY_MAX + 1];
    unsigned status;
    int64_t duration_ms;
    char task_id[TASK_ID_LEN + 1];
} jentry;

typedef struct fault {
    int id;
    json_t *spec;          /* as posted, for GET */
    char method[8];
    char *path_prefix;
    char *api_key;
    int times;             /* -1 = until cleared */
    int is_task;
    /* respond */
    int status;            /* 0 = no canned response */
    json_t *body;
    json_t *headers;
    int delay_ms;
    int drop;
    int64_t drop_after;    /* -1 = none */
    /* task */
    int task_fail;
    char *task_error;
    int processing_ms;
    struct fault *next;
} fault;

struct control {
    pthread_mutex_t lock;
    limits *lim;
    jentry *ring;
    size_t cap, head, n;   /* ring of cap; oldest at head */
    fault *faults;
    int next_id;
};

control *control_new(const config *cfg)
{
    control *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->cap = (size_t)cfg->journal_size;
    c->ring = calloc(c->cap, sizeof *c->ring);
    c->lim = limits_new();
    c->next_id = 1;
    if (!c->ring || !c->lim) {
        control_free(c);
        return NULL;
    }
    return c;
}

static void fault_free(fault *f)
{
    json_decref(f->spec);
    json_decref(f->body);
    json_decref(f->headers);
    free(f->path_prefix);
    free(f->api_key);
    free(f->task_error);
    free(f);
}

static void faults_clear(control *c, const char *key)
{
    for (fault **pp = &c->faults; *pp;) {
        fault *f = *pp;
        if (!key || (f->api_key && !strcmp(f->api_key, key))) {
            *pp = f->next;
            fault_free(f);
        } else {
            pp = &f->next;
        }
    }
}

void control_free(control *c)
{
    if (!c)
        return;
    faults_clear(c, NULL);
    limits_free(c->lim);
    free(c->ring);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

limits *control_limits(app *a) { return a->ctl->lim; }

/* ---- helpers ---- */

static json_t *body_json(req *rq, enum MHD_Result *ret)
{
    if (!rq->body_len)
        return json_object();
    json_error_t je;
    json_t *j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
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

/* ---- health and clock ---- */

enum MHD_Result control_healthz(req *rq)
{
    app *a = rq->a;
    int64_t v;
    char probe[FILES_PATH_MAX];
    snprintf(probe, sizeof probe, "%s/tmp", a->cfg->data_dir);
    int ok = atomic_load(&a->ready) && access(probe, W_OK) == 0 &&
             db_meta_get_i64(a->d, "clock_offset_ms", &v) != UC_EDB;
    if (!ok)
        return resp_queue_json(rq, 503, json_pack("{s:s}", "status", "unavailable"));
    return resp_queue_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}

enum MHD_Result control_clock_get(req *rq)
{
    return resp_queue_json(rq, 200, clock_json());
}

/* Apply retention now: used whenever the clock moves. */
static void sweep_now(app *a)
{
    retention_env env = ret_env(a);
    int64_t cutoff = clock_now_ms() - (int64_t)a->cfg->retention_days * 86400000;
    retention_sweep(&env, cutoff, NULL);
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
    clock_format(t->created_at + (int64_t)l->a->cfg->retention_days * 86400000, expires,
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
    if (!req_auth(rq, &ret))
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

static void journal_clear(control *c, const char *key)
{
    if (!key) {
        c->head = c->n = 0;
        return;
    }
    size_t w = 0;
    for (size_t i = 0; i < c->n; i++) {
        jentry *e = &c->ring[(c->head + i) % c->cap];
        if (strcmp(e->key, key) != 0)
            c->ring[(c->head + w++) % c->cap] = *e;
    }
    c->n = w;
}

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
    uc_err e = retention_delete_all(&env, key);
    if (!e)
        e = account_delete_all(a->d, key);
    control *c = a->ctl;
    pthread_mutex_lock(&c->lock);
    faults_clear(c, key);
    journal_clear(c, key);
    pthread_mutex_unlock(&c->lock);
    limits_reset(c->lim, key);
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
    const char *body = rq->body ? rq->body : "";
    if (memchr(body, 0, rq->body_len))
        return resp_detail(rq, 400, "The list must be text");
    /* Parse it once now so a bad list is refused here, not at the next
     * run; the parse also counts the entries for the answer. */
    acct_lists *al = acct_lists_new();
    uc_err e = al ? acct_lists_add(al, LIST_WHITE, body, rq->body_len) : UC_ENOMEM;
    size_t entries = e ? 0 : acct_lists_entries(al);
    acct_lists_free(al);
    if (e)
        return resp_detail(rq, 400, "The list could not be read");
    if (account_list_put(rq->a->d, key, kind, body, rq->body_len) != UC_OK)
        return resp_detail(rq, 500, MSG_INTERNAL);
    return resp_queue_json(rq, 200, json_pack("{s:s,s:s,s:I}", "api_key", key, "kind", kind,
                                              "entries", (json_int_t)entries));
}

/* ---- journal ---- */

void control_journal_add(req *rq, int64_t duration_ms)
{
    control *c = rq->a->ctl;
    if (!c->cap)
        return;
    jentry e;
    memset(&e, 0, sizeof e);
    e.at_ms = clock_now_ms();
    snprintf(e.method, sizeof e.method, "%s", rq->method);
    snprintf(e.path, sizeof e.path, "%s", rq->url);
    const char *k = rq->api_key ? rq->api_key : req_header(rq, "X-API-Key");
    snprintf(e.key, sizeof e.key, "%s", k ? k : "");
    e.status = rq->status;
    e.duration_ms = duration_ms;
    snprintf(e.task_id, sizeof e.task_id, "%s", rq->task_id);
    pthread_mutex_lock(&c->lock);
    if (c->n < c->cap) {
        c->ring[(c->head + c->n) % c->cap] = e;
        c->n++;
    } else {
        c->ring[c->head] = e;
        c->head = (c->head + 1) % c->cap;
    }
    pthread_mutex_unlock(&c->lock);
}

enum MHD_Result control_journal_get(req *rq)
{
    control *c = rq->a->ctl;
    const char *pp = req_query(rq, "path_prefix");
    const char *key = req_query(rq, "api_key");
    const char *tid = req_query(rq, "task_id");
    json_t *arr = json_array();
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n; i++) {
        jentry *e = &c->ring[(c->head + i) % c->cap];
        if ((pp && strncmp(e->path, pp, strlen(pp)) != 0) || (key && strcmp(e->key, key)) ||
            (tid && strcmp(e->task_id, tid)))
            continue;
        char at[32];
        clock_format(e->at_ms, at, sizeof at);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:s?}", "time", at,
                                             "method", e->method, "path", e->path,
                                             "api_key", e->key, "status", (int)e->status,
                                             "duration_ms", (json_int_t)e->duration_ms,
                                             "task_id", e->task_id[0] ? e->task_id : NULL));
    }
    pthread_mutex_unlock(&c->lock);
    return resp_queue_json(rq, 200, json_pack("{s:o}", "requests", arr));
}

enum MHD_Result control_journal_delete(req *rq)
{
    control *c = rq->a->ctl;
    pthread_mutex_lock(&c->lock);
    journal_clear(c, NULL);
    pthread_mutex_unlock(&c->lock);
    return resp_queue_json(rq, 200, json_pack("{s:b}", "cleared", 1));
}

/* ---- faults ---- */

static const char *str_or_null(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return v && json_is_string(v) ? json_string_value(v) : NULL;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Build a fault from its JSON; NULL with msg set when invalid. */
static fault *fault_parse(json_t *j, char *msg, size_t cap)
{
    fault *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(msg, cap, "out of memory");
        return NULL;
    }
    f->drop_after = -1;
    f->times = -1;
    json_t *times = json_object_get(j, "times");
    if (times && !json_is_null(times)) {
        if (!json_is_integer(times) || json_integer_value(times) < 1) {
            snprintf(msg, cap, "times must be a positive integer");
            goto bad;
        }
        f->times = (int)json_integer_value(times);
    }
    json_t *m = json_object_get(j, "match");
    if (m && !json_is_object(m)) {
        snprintf(msg, cap, "match must be an object");
        goto bad;
    }
    if (m) {
        const char *meth = str_or_null(m, "method");
        if (meth)
            snprintf(f->method, sizeof f->method, "%s", meth);
        f->path_prefix = dup_or_null(str_or_null(m, "path_prefix"));
        f->api_key = dup_or_null(str_or_null(m, "api_key"));
    }
    json_t *t = json_object_get(j, "task");
    json_t *r = json_object_get(j, "respond");
    if ((t != NULL) == (r != NULL)) {
        snprintf(msg, cap, "give exactly one of respond (an HTTP fault) or task (a job fault)");
        goto bad;
    }
    if (t) {
        if (!json_is_object(t)) {
            snprintf(msg, cap, "task must be an object");
            goto bad;
        }
        f->is_task = 1;
        const char *outcome = str_or_null(t, "outcome");
        enum task_status want = TASK_COMPLETED;
        if (outcome && (!task_status_parse(outcome, &want) || want == TASK_PROCESSING)) {
            snprintf(msg, cap, "task.outcome must be failed or completed");
            goto bad;
        }
        f->task_fail = want == TASK_FAILED;
        const char *err = str_or_null(t, "error");
        f->task_error = strdup(err ? err : MSG_ERROR_PROCESSING);
        json_t *pm = json_object_get(t, "processing_ms");
        if (pm && (!json_is_integer(pm) || json_integer_value(pm) < 0 ||
                   json_integer_value(pm) > 3600000)) {
            snprintf(msg, cap, "task.processing_ms must be 0..3600000");
            goto bad;
        }
        f->processing_ms = pm ? (int)json_integer_value(pm) : 0;
    } else {
        if (!json_is_object(r)) {
            snprintf(msg, cap, "respond must be an object");
            goto bad;
        }
        json_t *st = json_object_get(r, "status");
        if (st && (!json_is_integer(st) || json_integer_value(st) < 100 ||
                   json_integer_value(st) > 599)) {
            snprintf(msg, cap, "respond.status must be an HTTP status code");
            goto bad;
        }
        f->status = st ? (int)json_integer_value(st) : 0;
        f->body = json_incref(json_object_get(r, "body"));
        json_t *h = json_object_get(r, "headers");
        if (h && !json_is_object(h)) {
            snprintf(msg, cap, "respond.headers must be an object of strings");
            goto bad;
        }
        f->headers = json_incref(h);
        json_t *d = json_object_get(r, "delay_ms");
        if (d && (!json_is_integer(d) || json_integer_value(d) < 0 ||
                  json_integer_value(d) > 600000)) {
            snprintf(msg, cap, "respond.delay_ms must be 0..600000");
            goto bad;
        }
        f->delay_ms = d ? (int)json_integer_value(d) : 0;
        f->drop = json_is_true(json_object_get(r, "drop_connection"));
        json_t *da = json_object_get(r, "drop_after_bytes");
        if (da) {
            if (!json_is_integer(da) || json_integer_value(da) < 0) {
                snprintf(msg, cap, "respond.drop_after_bytes must be >= 0");
                goto bad;
            }
            f->drop_after = json_integer_value(da);
        }
    }
    f->spec = json_incref(j);
    return f;
bad:
    fault_free(f);
    return NULL;
}

static json_t *fault_json(const fault *f)
{
    json_t *o = json_deep_copy(f->spec);
    json_object_set_new(o, "id", json_integer(f->id));
    json_object_set_new(o, "times_left", f->times < 0 ? json_null() : json_integer(f->times));
    return o;
}

enum MHD_Result control_faults_post(req *rq)
{
    enum MHD_Result ret;
    json_t *j = body_json(rq, &ret);
    if (!j)
        return ret;
    char msg[160];
    fault *f = fault_parse(j, msg, sizeof msg);
    json_decref(j);
    if (!f)
        return resp_detail(rq, 400, msg);
    control *c = rq->a->ctl;
    pthread_mutex_lock(&c->lock);
    f->id = c->next_id++;
    fault **pp = &c->faults;
    while (*pp)
        pp = &(*pp)->next;
    *pp = f;
    json_t *o = fault_json(f);
    pthread_mutex_unlock(&c->lock);
    return resp_queue_json(rq, 201, o);
}

enum MHD_Result control_faults_get(req *rq)
{
    control *c = rq->a->ctl;
    json_t *arr = json_array();
    pthread_mutex_lock(&c->lock);
    for (fault *f = c->faults; f; f = f->next)
        json_array_append_new(arr, fault_json(f));
    pthread_mutex_unlock(&c->lock);
    return resp_queue_json(rq, 200, json_pack("{s:o}", "faults", arr));
}

enum MHD_Result control_faults_delete(req *rq)
{
    control *c = rq->a->ctl;
    pthread_mutex_lock(&c->lock);
    faults_clear(c, NULL);
    pthread_mutex_unlock(&c->lock);
    return resp_queue_json(rq, 200, json_pack("{s:b}", "cleared", 1));
}

/* Take one use of f; remove it when used up. Caller holds the lock. */
static void consume(control *c, fault *f)
{
    if (f->times < 0 || --f->times > 0)
        return;
    for (fault **pp = &c->faults; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            fault_free(f);
            return;
        }
}

/* What an HTTP fault does once its delay is over. */
typedef struct fault_reply {
    int status;
    int drop;
    int64_t drop_after;
    json_t *body, *headers;
} fault_reply;

static void fault_reply_free(fault_reply *fr)
{
    json_decref(fr->body);
    json_decref(fr->headers);
    free(fr);
}

/* Queue the canned response, or mark the download to be cut. Returns 1
 * when the request was answered (or is to be dropped: *ret MHD_NO). */
static int fault_reply_send(req *rq, const fault_reply *fr, enum MHD_Result *ret)
{
    *ret = MHD_YES;
    if (fr->drop && fr->drop_after < 0) {
        *ret = MHD_NO; /* close the connection without a response */
        return 1;
    }
    if (fr->status) {
        json_t *b = fr->body ? json_incref(fr->body)
                             : json_pack("{s:s}", "detail", "Injected fault");
        char *s = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        json_decref(b);
        struct MHD_Response *r =
            s ? MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE) : NULL;
        if (!r) {
            free(s);
            *ret = MHD_NO;
            return 1;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        const char *hk;
        json_t *hv;
        json_object_foreach(fr->headers, hk, hv)
            if (json_is_string(hv))
                MHD_add_response_header(r, hk, json_string_value(hv));
        *ret = resp_queue(rq, (unsigned)fr->status, r, strlen(s));
        MHD_destroy_response(r);
        return 1;
    }
    if (fr->drop_after >= 0)
        rq->fault_drop_after = fr->drop_after;
    return 0;
}

static void fault_deferred(req *rq, void *arg)
{
    fault_reply *fr = arg;
    enum MHD_Result ret;
    if (fault_reply_send(rq, fr, &ret) && ret == MHD_NO)
        rq->drop = 1; /* closed when the connection resumes */
    fault_reply_free(fr);
}

int control_fault_apply(req *rq, enum MHD_Result *ret)
{
    control *c = rq->a->ctl;
    if (!rq->route || !strncmp(rq->url, "/__mock/", 8) || !strcmp(rq->url, "/healthz"))
        return 0;
    const char *key = req_header(rq, "X-API-Key");
    pthread_mutex_lock(&c->lock);
    fault *f;
    for (f = c->faults; f; f = f->next) {
        if (f->is_task)
            continue;
        if (f->method[0] && strcasecmp(f->method, rq->method))
            continue;
        if (f->path_prefix && strncmp(rq->url, f->path_prefix, strlen(f->path_prefix)))
            continue;
        if (f->api_key && (!key || strcmp(f->api_key, key)))
            continue;
        break;
    }
    if (!f) {
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    /* Copy what we need, then let go of the lock before sleeping. */
    int delay = f->delay_ms, status = f->status, drop = f->drop;
    int64_t drop_after = f->drop_after;
    json_t *body = json_incref(f->body), *headers = json_incref(f->headers);
    consume(c, f);
    pthread_mutex_unlock(&c->lock);

    fault_reply *fr = malloc(sizeof *fr);
    if (!fr) {
        json_decref(body);
        json_decref(headers);
        *ret = MHD_NO;
        return 1;
    }
    *fr = (fault_reply){status, drop, drop_after, body, headers};
    if (delay > 0) {
        /* The answer (or the go-ahead) comes after the delay, from
         * another thread; the connection is suspended meanwhile. */
        if (req_defer(rq, delay, fault_deferred, fr) != 0) {
            fault_reply_free(fr);
            *ret = MHD_NO;
            return 1;
        }
        *ret = MHD_YES;
        return 1;
    }
    int answered = fault_reply_send(rq, fr, ret);
    fault_reply_free(fr);
    return answered;
}

void control_task_fault_take(app *a, const char *key, task *t)
{
    control *c = a->ctl;
    pthread_mutex_lock(&c->lock);
    for (fault *f = c->faults; f; f = f->next) {
        if (!f->is_task || (f->api_key && strcmp(f->api_key, key)))
            continue;
        if (f->task_fail)
            snprintf(t->fault_fail, sizeof t->fault_fail, "%s", f->task_error);
        t->fault_delay_ms = f->processing_ms;
        consume(c, f);
        break;
    }
    pthread_mutex_unlock(&c->lock);
}
