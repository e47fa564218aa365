/* faults.c: parsing fault specs, the table of armed faults, and applying
 * an HTTP fault to a request (see faults.h). */
#include "http/faults.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/messages.h"
#include "http/resp.h"

#define DELAY_MAX_MS 600000          /* respond.delay_ms */
#define PROCESSING_MAX_MS 3600000    /* task.processing_ms */
#define PATH_PREFIX_MAX 1024         /* match.path_prefix, characters */
#define HEADER_VALUE_MAX 4096        /* respond.headers values, characters */
#define FAULTS_MAX 10000             /* armed at once */
#define FAULTS_MAX_TEXT "10000"

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
    int oom;               /* a copy could not be made while parsing */
    struct fault *next;
} fault;

struct faults {
    pthread_mutex_t lock;
    fault *head;           /* in the order armed: the first match wins */
    /* Changed under lock; read without it by every request, which takes
     * the lock only when something is armed: two HTTP threads queueing on
     * it (a futex sleep, then a wait for a core) cost the status
     * endpoint its p99 under wrk. */
    atomic_size_t count;
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
    if (!f)
        return;
    json_decref(f->spec);
    fault_action_release(&f->act);
    free(f->path_prefix);
    free(f->api_key);
    free(f->task_error);
    free(f);
}

/* Unlink and free *pp. Caller holds the lock. */
static void remove_at(faults *fs, fault **pp)
{
    fault *f = *pp;
    *pp = f->next;
    fault_free(f);
    fs->count--;
}

/* Caller holds the lock. */
static void clear_locked(faults *fs, const char *key)
{
    for (fault **pp = &fs->head; *pp;) {
        fault *f = *pp;
        if (!key || (f->api_key && !strcmp(f->api_key, key)))
            remove_at(fs, pp);
        else
            pp = &f->next;
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

/* ---- checking a spec ---- */

static const char *const SPEC_KEYS[] = {"match", "respond", "task", "times", NULL};
static const char *const MATCH_KEYS[] = {"method", "path_prefix", "api_key", NULL};
static const char *const RESPOND_KEYS[] = {"status", "body", "headers", "delay_ms",
                                           "drop_connection", "drop_after_bytes", NULL};
static const char *const TASK_KEYS[] = {"outcome", "error", "processing_ms", NULL};
/* the methods of the routes a fault can act on */
static const char *const METHODS[] = {"GET", "HEAD", "POST", NULL};

/* A copy of s kept by f; on failure f->oom tells. */
static char *keep(fault *f, const char *s)
{
    char *d = strdup(s);
    if (!d)
        f->oom = 1;
    return d;
}

/* "match": which requests (or submissions) the fault applies to. */
static void check_match(fault *f, jcheck *jc, const jloc *at, json_t *m)
{
    const char *meth = NULL, *prefix = NULL, *key = NULL;
    if (jcheck_literal(jc, at, m, "method", JC_NOCASE, METHODS, &meth) == JC_OK)
        snprintf(f->method, sizeof f->method, "%s", meth);
    if (jcheck_string(jc, at, m, "path_prefix", 0, 1, PATH_PREFIX_MAX, &prefix) == JC_OK) {
        jloc pl = jloc_key(at, "path_prefix");
        if (prefix[0] != '/')
            jcheck_add(jc, &pl, "value_error", "Value error, a path prefix starts with /",
                       json_object_get(m, "path_prefix"), NULL);
        else if (!strncmp(prefix, "/__mock", 7) || !strncmp(prefix, "/healthz", 8))
            jcheck_add(jc, &pl, "value_error", "Value error, the control API and /healthz "
                       "are never faulted", json_object_get(m, "path_prefix"), NULL);
        else
            f->path_prefix = keep(f, prefix);
    }
    if (jcheck_string(jc, at, m, "api_key", 0, 1, TASK_KEY_MAX, &key) == JC_OK)
        f->api_key = keep(f, key);
}

/* An HTTP token (RFC 9110), as a header name must be. */
static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
            return false;
    return true;
}

/* respond.headers: names that are tokens and not the server's own,
 * string values without control characters. */
static void check_headers(jcheck *jc, const jloc *at, json_t *h)
{
    static const char *const own[] = {"content-length", "transfer-encoding", "connection"};
    const char *name;
    json_t *v;
    json_object_foreach(h, name, v) {
        jloc hl = jloc_key(at, name);
        const char *why = NULL;
        if (!is_token(name)) {
            why = "Value error, a header name is a token: letters, digits and "
                  "!#$%&'*+-.^_`|~";
        } else {
            for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
                if (!strcasecmp(name, own[i]))
                    why = "Value error, Content-Length, Transfer-Encoding and Connection "
                          "are the server's own";
        }
        if (why) {
            jcheck_add(jc, &hl, "value_error", why, v, NULL);
            continue;
        }
        const char *s = NULL;
        if (jcheck_string(jc, at, h, name, 0, 0, HEADER_VALUE_MAX, &s) != JC_OK)
            continue;
        for (const char *p = s; *p; p++)
            if ((unsigned char)*p < 0x20 && *p != '\t') {
                jcheck_add(jc, &hl, "value_error", "Value error, a header value holds no "
                           "control characters (line breaks included)", v, NULL);
                break;
            }
    }
}

/* "respond": an HTTP fault. */
static void check_respond(fault *f, jcheck *jc, const jloc *at, json_t *r)
{
    json_int_t st = 0, delay = 0, after = -1;
    bool drop = false;
    json_t *h = NULL;
    if (jcheck_int(jc, at, r, "status", 0, 100, 599, &st) == JC_OK)
        f->act.status = (int)st;
    jcheck_any(jc, at, r, "body", 0, &f->act.body);
    json_incref(f->act.body);
    if (jcheck_member_object(jc, at, r, "headers", 0, NULL, &h) != JC_ABSENT && h) {
        jloc hl = jloc_key(at, "headers");
        check_headers(jc, &hl, h);
        f->act.headers = json_incref(h);
    }
    if (jcheck_int(jc, at, r, "delay_ms", 0, 0, DELAY_MAX_MS, &delay) == JC_OK)
        f->act.delay_ms = (int)delay;
    if (jcheck_bool(jc, at, r, "drop_connection", 0, &drop) == JC_OK)
        f->act.drop = drop;
    if (jcheck_int(jc, at, r, "drop_after_bytes", 0, 0, INT64_MAX, &after) == JC_OK)
        f->act.drop_after = after;
    if (st && drop)
        jcheck_add(jc, at, "value_error", "Value error, status and drop_connection exclude "
                   "each other: a dropped connection has no answer", r, NULL);
    if (st && after >= 0)
        jcheck_add(jc, at, "value_error", "Value error, status and drop_after_bytes exclude "
                   "each other: drop_after_bytes cuts a real answer's body", r, NULL);
}

/* "task": a job fault. */
static void check_task(fault *f, jcheck *jc, const jloc *at, json_t *t)
{
    /* the outcomes a job fault can force: the end states of a task */
    const char *const outcomes[] = {task_status_name(TASK_FAILED),
                                    task_status_name(TASK_COMPLETED), NULL};
    const char *outcome = outcomes[1], *err = NULL;
    enum task_status st = TASK_COMPLETED;
    json_int_t pm = 0;
    f->is_task = 1;
    int orc = jcheck_literal(jc, at, t, "outcome", 0, outcomes, &outcome);
    f->task_fail = task_status_parse(outcome, &st) && st == TASK_FAILED;
    if (jcheck_string(jc, at, t, "error", 0, 1, TASK_ERROR_MAX, &err) == JC_OK &&
        orc != JC_BAD && !f->task_fail)
        jcheck_add(jc, at, "value_error", "Value error, error goes with outcome failed "
                   "(a completed task has none)", t, NULL);
    f->task_error = keep(f, err ? err : MSG_ERROR_PROCESSING);
    if (jcheck_int(jc, at, t, "processing_ms", 0, 0, PROCESSING_MAX_MS, &pm) == JC_OK)
        f->processing_ms = (int)pm;
}

/* Check spec (at `at`) and build its fault; NULL when it has problems
 * (recorded in jc) or memory ran out. */
static fault *fault_parse(json_t *spec, jcheck *jc, const jloc *at)
{
    if (!jcheck_object(jc, at, spec, SPEC_KEYS))
        return NULL;
    fault *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->act.drop_after = -1;
    f->times = -1;
    json_int_t times;
    json_t *m = NULL, *r = NULL, *t = NULL;
    if (jcheck_int(jc, at, spec, "times", JC_NULLABLE, 1, INT_MAX, &times) == JC_OK)
        f->times = (int)times;
    jcheck_member_object(jc, at, spec, "match", 0, MATCH_KEYS, &m);
    jcheck_member_object(jc, at, spec, "respond", 0, RESPOND_KEYS, &r);
    jcheck_member_object(jc, at, spec, "task", 0, TASK_KEYS, &t);
    jloc ml = jloc_key(at, "match"), rl = jloc_key(at, "respond"), tl = jloc_key(at, "task");
    if (m)
        check_match(f, jc, &ml, m);
    if (r)
        check_respond(f, jc, &rl, r);
    if (t)
        check_task(f, jc, &tl, t);
    bool has_r = json_object_get(spec, "respond"), has_t = json_object_get(spec, "task");
    if (has_r == has_t)
        jcheck_add(jc, at, "value_error", "Value error, give exactly one of respond (an HTTP "
                   "fault) or task (a job fault)", spec, NULL);
    if (has_t && (f->method[0] || f->path_prefix))
        jcheck_add(jc, &ml, "value_error", "Value error, a job fault matches submissions by "
                   "api_key only (no method or path_prefix)", m, NULL);
    if (jcheck_failed(jc) || f->oom) {
        fault_free(f);
        return NULL;
    }
    f->spec = json_incref(spec);
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

json_t *faults_arm(faults *fs, json_t *spec, jcheck *jc, const jloc *at)
{
    fault *f = fault_parse(spec, jc, at);
    if (!f)
        return NULL;
    pthread_mutex_lock(&fs->lock);
    json_t *o = NULL;
    if (fs->count >= FAULTS_MAX) {
        jcheck_add(jc, at, "value_error", "Value error, " FAULTS_MAX_TEXT " faults are armed "
                   "(the most there can be): delete some first", NULL, NULL);
    } else {
        f->id = fs->next_id;
        o = fault_json(f);
    }
    if (o) {
        fs->next_id++;
        fault **pp = &fs->head;
        while (*pp)
            pp = &(*pp)->next;
        *pp = f;
        fs->count++;
        f = NULL;
    }
    pthread_mutex_unlock(&fs->lock);
    fault_free(f); /* accepts NULL */
    return o;
}

void faults_replace(faults *fs, faults *from)
{
    pthread_mutex_lock(&from->lock);
    fault *moved = from->head;
    size_t n = from->count;
    from->head = NULL;
    from->count = 0;
    pthread_mutex_unlock(&from->lock);
    pthread_mutex_lock(&fs->lock);
    clear_locked(fs, NULL);
    fs->head = moved;
    fs->count = n;
    for (fault *f = moved; f; f = f->next)
        f->id = fs->next_id++;
    pthread_mutex_unlock(&fs->lock);
}

json_t *faults_json(faults *fs)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&fs->lock);
    for (fault *f = fs->head; arr && f; f = f->next)
        if (json_array_append_new(arr, fault_json(f)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    pthread_mutex_unlock(&fs->lock);
    return arr;
}

json_t *faults_get(faults *fs, int id, int *found)
{
    json_t *o = NULL;
    *found = 0;
    pthread_mutex_lock(&fs->lock);
    for (fault *f = fs->head; f; f = f->next)
        if (f->id == id) {
            *found = 1;
            o = fault_json(f);
            break;
        }
    pthread_mutex_unlock(&fs->lock);
    return o;
}

int faults_delete(faults *fs, int id)
{
    int found = 0;
    pthread_mutex_lock(&fs->lock);
    for (fault **pp = &fs->head; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            remove_at(fs, pp);
            found = 1;
            break;
        }
    pthread_mutex_unlock(&fs->lock);
    return found;
}

/* Take one use of f; remove it when used up. Caller holds the lock. */
static void consume(faults *fs, fault *f)
{
    if (f->times < 0 || --f->times > 0)
        return;
    for (fault **pp = &fs->head; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            remove_at(fs, pp);
            return;
        }
}

int faults_take_http(faults *fs, const char *method, const char *path, const char *key,
                     fault_action *act)
{
    if (atomic_load(&fs->count) == 0)
        return 0;
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
        act->id = f->id;
        act->left = f->times < 0 ? -1 : f->times - 1;
        json_incref(act->body);
        json_incref(act->headers);
        consume(fs, f);
    }
    pthread_mutex_unlock(&fs->lock);
    return f != NULL;
}

void faults_take_task(faults *fs, const char *key, task *t)
{
    int id = 0, left = 0;
    if (atomic_load(&fs->count) == 0)
        return;
    pthread_mutex_lock(&fs->lock);
    for (fault *f = fs->head; f; f = f->next) {
        if (!f->is_task || (f->api_key && strcmp(f->api_key, key)))
            continue;
        if (f->task_fail)
            snprintf(t->fault_fail, sizeof t->fault_fail, "%s", f->task_error);
        t->fault_delay_ms = f->processing_ms;
        id = f->id;
        left = f->times < 0 ? -1 : f->times - 1;
        consume(fs, f);
        break;
    }
    pthread_mutex_unlock(&fs->lock);
    log_line l;
    if (id && log_begin(&l, LOG_INFO, "fault_fired")) {
        char shown[LOG_KEY_SHOWN];
        log_key_shown(key, shown);
        log_int(&l, "fault", id);
        log_str(&l, "kind", "task");
        log_str(&l, "key", shown);
        log_str(&l, "fail", t->fault_fail[0] ? t->fault_fail : NULL);
        if (t->fault_delay_ms)
            log_int(&l, "processing_ms", t->fault_delay_ms);
        log_int(&l, "left", left);
        log_end(&l);
    }
}

/* One line per HTTP fault that fires: which, on what, doing what. */
static void log_fired(req *rq, const fault_action *act)
{
    log_line l;
    if (!log_begin(&l, LOG_INFO, "fault_fired"))
        return;
    const char *key = req_header(rq, "X-API-Key");
    char shown[LOG_KEY_SHOWN];
    if (key)
        log_key_shown(key, shown);
    log_int(&l, "fault", act->id);
    log_str(&l, "kind", "http");
    log_str(&l, "method", rq->method);
    log_str(&l, "path", rq->url);
    log_str(&l, "key", key ? shown : NULL);
    if (act->delay_ms > 0)
        log_int(&l, "delay_ms", act->delay_ms);
    if (act->status)
        log_int(&l, "status", act->status);
    if (act->drop && act->drop_after < 0)
        log_str(&l, "drop", "connection");
    else if (act->drop_after >= 0)
        log_int(&l, "drop_after_bytes", act->drop_after);
    log_int(&l, "left", act->left);
    log_end(&l);
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
                              : json_pack("{s:s}", "detail", MSG_INJECTED_FAULT);
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
    log_fired(rq, &act);
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
