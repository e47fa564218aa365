/* faults.c: parsing fault specs, the table of armed faults, and applying
 * an HTTP fault to a request (see faults.h). */
#include "http/faults.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/messages.h"
#include "http/resp.h"

#define DELAY_MAX_MS 600000          /* respond.delay_ms */
#define PROCESSING_MAX_MS 3600000    /* task.processing_ms */

typedef struct fault {
    int id;
    json_t *spec;          /* as posted, for listing */
    /* match */
    char method[8];        /* "" = any */
    char *path_prefix;     /* NULL = any */
    char *api_key;         /* NULL = any */
    int times;             /* uses left; -1 = until cleared */
    int is_task;
    fault_action act;      /* an HTTP fault */
    /* a job fault */
    int task_fail;
    char *task_error;
    int processing_ms;
    struct fault *next;
} fault;

struct faults {
    pthread_mutex_t lock;
    fault *head;           /* in the order armed: the first match wins */
    int next_id;
};

faults *faults_new(void)
{
    faults *fs = calloc(1, sizeof *fs);
    if (!fs)
        return NULL;
    pthread_mutex_init(&fs->lock, NULL);
    fs->next_id = 1;
    return fs;
}

static void fault_free(fault *f)
{
    json_decref(f->spec);
    fault_action_release(&f->act);
    free(f->path_prefix);
    free(f->api_key);
    free(f->task_error);
    free(f);
}

/* Caller holds the lock. */
static void clear_locked(faults *fs, const char *key)
{
    for (fault **pp = &fs->head; *pp;) {
        fault *f = *pp;
        if (!key || (f->api_key && !strcmp(f->api_key, key))) {
            *pp = f->next;
            fault_free(f);
        } else {
            pp = &f->next;
        }
    }
}

void faults_free(faults *fs)
{
    if (!fs)
        return;
    clear_locked(fs, NULL);
    pthread_mutex_destroy(&fs->lock);
    free(fs);
}

void faults_clear(faults *fs, const char *key)
{
    pthread_mutex_lock(&fs->lock);
    clear_locked(fs, key);
    pthread_mutex_unlock(&fs->lock);
}

void fault_action_release(fault_action *act)
{
    json_decref(act->body);
    json_decref(act->headers);
    act->body = act->headers = NULL;
}

/* ---- parsing a spec ---- */

static const char *str_or_null(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return v && json_is_string(v) ? json_string_value(v) : NULL;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* An integer member in lo..hi, or absent (*out untouched). */
static int int_in(json_t *o, const char *k, json_int_t lo, json_int_t hi, json_int_t *out)
{
    json_t *v = json_object_get(o, k);
    if (!v)
        return 1;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return 0;
    *out = json_integer_value(v);
    return 1;
}

/* "match": which requests (or submissions) the fault applies to. */
static const char *parse_match(fault *f, json_t *m)
{
    if (!json_is_object(m))
        return "match must be an object";
    const char *meth = str_or_null(m, "method");
    if (meth)
        snprintf(f->method, sizeof f->method, "%s", meth);
    f->path_prefix = dup_or_null(str_or_null(m, "path_prefix"));
    f->api_key = dup_or_null(str_or_null(m, "api_key"));
    return NULL;
}

/* "task": a job fault. */
static const char *parse_task(fault *f, json_t *t)
{
    if (!json_is_object(t))
        return "task must be an object";
    f->is_task = 1;
    const char *outcome = str_or_null(t, "outcome");
    enum task_status want = TASK_COMPLETED;
    if (outcome && (!task_status_parse(outcome, &want) || want == TASK_PROCESSING))
        return "task.outcome must be failed or completed";
    f->task_fail = want == TASK_FAILED;
    const char *err = str_or_null(t, "error");
    f->task_error = strdup(err ? err : MSG_ERROR_PROCESSING);
    json_int_t pm = 0;
    if (!int_in(t, "processing_ms", 0, PROCESSING_MAX_MS, &pm))
        return "task.processing_ms must be 0..3600000";
    f->processing_ms = (int)pm;
    return NULL;
}

/* "respond": an HTTP fault. */
static const char *parse_respond(fault *f, json_t *r)
{
    if (!json_is_object(r))
        return "respond must be an object";
    json_int_t st = 0, delay = 0, after = -1;
    if (!int_in(r, "status", 100, 599, &st))
        return "respond.status must be an HTTP status code";
    f->act.status = (int)st;
    f->act.body = json_incref(json_object_get(r, "body"));
    json_t *h = json_object_get(r, "headers");
    if (h && !json_is_object(h))
        return "respond.headers must be an object of strings";
    f->act.headers = json_incref(h);
    if (!int_in(r, "delay_ms", 0, DELAY_MAX_MS, &delay))
        return "respond.delay_ms must be 0..600000";
    f->act.delay_ms = (int)delay;
    f->act.drop = json_is_true(json_object_get(r, "drop_connection"));
    if (!int_in(r, "drop_after_bytes", 0, INT64_MAX, &after))
        return "respond.drop_after_bytes must be >= 0";
    f->act.drop_after = after;
    return NULL;
}

/* Build a fault from its spec; NULL with *msg set when invalid. */
static fault *fault_parse(json_t *j, const char **msg)
{
    fault *f = calloc(1, sizeof *f);
    if (!f) {
        *msg = "out of memory";
        return NULL;
    }
    f->act.drop_after = -1;
    f->times = -1;
    json_t *times = json_object_get(j, "times");
    json_t *m = json_object_get(j, "match");
    json_t *t = json_object_get(j, "task");
    json_t *r = json_object_get(j, "respond");
    *msg = NULL;
    if (times && !json_is_null(times)) {
        if (!json_is_integer(times) || json_integer_value(times) < 1)
            *msg = "times must be a positive integer";
        else
            f->times = (int)json_integer_value(times);
    }
    if (!*msg && m)
        *msg = parse_match(f, m);
    if (!*msg && (t != NULL) == (r != NULL))
        *msg = "give exactly one of respond (an HTTP fault) or task (a job fault)";
    if (!*msg)
        *msg = t ? parse_task(f, t) : parse_respond(f, r);
    if (*msg) {
        fault_free(f);
        return NULL;
    }
    f->spec = json_incref(j);
    return f;
}

/* ---- the table ---- */

static json_t *fault_json(const fault *f)
{
    json_t *o = json_deep_copy(f->spec);
    json_object_set_new(o, "id", json_integer(f->id));
    json_object_set_new(o, "times_left", f->times < 0 ? json_null() : json_integer(f->times));
    return o;
}

json_t *faults_arm(faults *fs, json_t *spec, char *msg, size_t cap)
{
    const char *why;
    fault *f = fault_parse(spec, &why);
    if (!f) {
        snprintf(msg, cap, "%s", why);
        return NULL;
    }
    pthread_mutex_lock(&fs->lock);
    f->id = fs->next_id++;
    fault **pp = &fs->head;
    while (*pp)
        pp = &(*pp)->next;
    *pp = f;
    json_t *o = fault_json(f);
    pthread_mutex_unlock(&fs->lock);
    return o;
}

json_t *faults_json(faults *fs)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&fs->lock);
    for (fault *f = fs->head; f; f = f->next)
        json_array_append_new(arr, fault_json(f));
    pthread_mutex_unlock(&fs->lock);
    return arr;
}

/* Take one use of f; remove it when used up. Caller holds the lock. */
static void consume(faults *fs, fault *f)
{
    if (f->times < 0 || --f->times > 0)
        return;
    for (fault **pp = &fs->head; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            fault_free(f);
            return;
        }
}

int faults_take_http(faults *fs, const char *method, const char *path, const char *key,
                     fault_action *act)
{
    pthread_mutex_lock(&fs->lock);
    fault *f;
    for (f = fs->head; f; f = f->next) {
        if (f->is_task)
            continue;
        if (f->method[0] && strcasecmp(f->method, method))
            continue;
        if (f->path_prefix && strncmp(path, f->path_prefix, strlen(f->path_prefix)))
            continue;
        if (f->api_key && (!key || strcmp(f->api_key, key)))
            continue;
        break;
    }
    if (f) {
        *act = f->act;
        json_incref(act->body);
        json_incref(act->headers);
        consume(fs, f);
    }
    pthread_mutex_unlock(&fs->lock);
    return f != NULL;
}

void faults_take_task(faults *fs, const char *key, task *t)
{
    pthread_mutex_lock(&fs->lock);
    for (fault *f = fs->head; f; f = f->next) {
        if (!f->is_task || (f->api_key && strcmp(f->api_key, key)))
            continue;
        if (f->task_fail)
            snprintf(t->fault_fail, sizeof t->fault_fail, "%s", f->task_error);
        t->fault_delay_ms = f->processing_ms;
        consume(fs, f);
        break;
    }
    pthread_mutex_unlock(&fs->lock);
}

/* ---- applying an HTTP fault to a request ---- */

/* Queue the canned response, or mark the download to be cut. Returns 1
 * when the request was answered (or is to be dropped: *ret MHD_NO). */
static int act_now(req *rq, const fault_action *act, enum MHD_Result *ret)
{
    *ret = MHD_YES;
    if (act->drop && act->drop_after < 0) {
        *ret = MHD_NO; /* close the connection without a response */
        return 1;
    }
    if (act->status) {
        json_t *b = act->body ? json_incref(act->body)
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
        json_object_foreach(act->headers, hk, hv)
            if (json_is_string(hv))
                MHD_add_response_header(r, hk, json_string_value(hv));
        *ret = resp_queue(rq, (unsigned)act->status, r, strlen(s));
        MHD_destroy_response(r);
        return 1;
    }
    if (act->drop_after >= 0)
        rq->fault_drop_after = act->drop_after;
    return 0;
}

/* The delay is over (on the timer thread; the connection is suspended). */
static void act_later(req *rq, void *arg, int cancelled)
{
    fault_action *act = arg;
    enum MHD_Result ret;
    if (!cancelled && act_now(rq, act, &ret) && ret == MHD_NO)
        rq->drop = 1; /* closed when the connection resumes */
    fault_action_release(act);
    free(act);
}

int faults_apply(req *rq, enum MHD_Result *ret)
{
    if (!rq->route || !strncmp(rq->url, "/__mock/", 8) || !strcmp(rq->url, "/healthz"))
        return 0;
    fault_action act;
    if (!faults_take_http(rq->a->faults, rq->method, rq->url,
                          req_header(rq, "X-API-Key"), &act))
        return 0;
    if (act.delay_ms <= 0) {
        int answered = act_now(rq, &act, ret);
        fault_action_release(&act);
        return answered;
    }
    /* The answer (or the go-ahead) comes after the delay, from the timer
     * thread; the connection is suspended meanwhile. */
    fault_action *later = malloc(sizeof *later);
    if (later)
        *later = act;
    if (!later || req_defer(rq, act.delay_ms, act_later, later) != 0) {
        fault_action_release(&act);
        free(later);
        *ret = MHD_NO;
        return 1;
    }
    *ret = MHD_YES;
    return 1;
}
