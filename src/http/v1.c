/* v1.c: the real service's endpoints under /v1/external-api-requests/,
 * with its exact response shapes, status codes and messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/messages.h"
#include "http/auth.h"
#include "http/download.h"
#include "http/faults.h"
#include "http/limits.h"
#include "http/resp.h"
#include "http/upload.h"
#include "http/v1.h"
#include "jobs/lists.h"
#include "jobs/prepass.h"
#include "jobs/submit.h"
#include "store/accounts.h"
#include "store/files.h"
#include "store/statuscache.h"
#include "verify/email.h"

#define NAME_MAX_CHARS 50

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* pydantic's lax bool: 1 on true, 0 on false, -1 when not a bool. */
static int parse_bool(const char *v)
{
    static const char *t[] = {"1", "on", "t", "true", "y", "yes"};
    static const char *f[] = {"0", "off", "f", "false", "n", "no"};
    for (int i = 0; i < 6; i++) {
        if (!strcasecmp(v, t[i]))
            return 1;
        if (!strcasecmp(v, f[i]))
            return 0;
    }
    return -1;
}

/* The file's format from its name's extension; false if not accepted. */
static bool format_of(const char *filename, enum task_format *out)
{
    const char *base = filename;
    for (const char *p = filename; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    const char *dot = strrchr(base, '.');
    return dot && task_format_parse(dot + 1, out);
}

static const char *base_name(const char *filename)
{
    const char *base = filename;
    for (const char *p = filename; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    return base;
}

/* The form's fields as pydantic would judge them: NULL when they pass
 * (*dedup set), else the 422 list of errors. */
static json_t *form_errors(const upload_form *f, int *dedup)
{
    json_t *errs = resp_422_new();
    if (!f->has_file) {
        if (f->file_is_text)
            resp_422_add(errs, "value_error", "body", "file",
                         MSG_NOT_UPLOAD_FILE,
                         json_string(f->file_text), json_pack("{s:{}}", "error"));
        else
            resp_422_add(errs, "missing", "body", "file", MSG_FIELD_REQUIRED, NULL, NULL);
    }
    if (!f->project_name) {
        resp_422_add(errs, "missing", "body", "project_name", MSG_FIELD_REQUIRED, NULL, NULL);
    } else {
        size_t n = utf8_chars(f->project_name);
        if (n < 1)
            resp_422_add(errs, "string_too_short", "body", "project_name",
                         MSG_NAME_TOO_SHORT,
                         json_string(f->project_name), json_pack("{s:i}", "min_length", 1));
        else if (n > NAME_MAX_CHARS)
            resp_422_add(errs, "string_too_long", "body", "project_name",
                         MSG_NAME_TOO_LONG,
                         json_string(f->project_name),
                         json_pack("{s:i}", "max_length", NAME_MAX_CHARS));
    }
    *dedup = 1;
    if (f->deduplicate && (*dedup = parse_bool(f->deduplicate)) < 0)
        resp_422_add(errs, "bool_parsing", "body", "deduplicate",
                     MSG_BOOL_PARSING,
                     json_string(f->deduplicate), NULL);
    if (json_array_size(errs) > 0)
        return errs;
    json_decref(errs);
    return NULL;
}

/* Checks in FastAPI's order (key and upload caps before this: 401, 413),
 * then submit() does the work below HTTP. */
enum MHD_Result v1_batch_submit(req *rq)
{
    app *a = rq->a;
    upload_form f;
    upload_form_get(rq, &f);
    if (f.refused)
        return upload_refuse(rq);
    if (f.parse_error)
        return resp_detail(rq, 400, MSG_BAD_BODY);
    int dedup;
    json_t *errs = form_errors(&f, &dedup);
    if (errs)
        return resp_422_send(rq, errs);

    int wait = limits_rate_hit(a->limits, rq->api_key, a->cfg->rate_limit,
                               clock_now_ms());
    if (wait > 0) {
        char msg[96], ra[16];
        snprintf(msg, sizeof msg, MSG_RATE_LIMIT_FMT, a->cfg->rate_limit);
        snprintf(ra, sizeof ra, "%d", wait);
        return resp_queue_json_hdr(rq, 429, json_pack("{s:s}", "error", msg),
                                   MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    enum task_format fmt;
    if (!format_of(f.filename, &fmt))
        return resp_detail(rq, 400, MSG_BAD_EXTENSION);
    /* The room again: other tasks may have grown while the body came. */
    int64_t room;
    if (submit_room(a->d, rq->api_key, a->cfg->storage_limit, &room) != UC_OK)
        return resp_detail(rq, 500, MSG_ERROR_PROCESSING);
    if (!submit_fits(room, f.file_bytes))
        return resp_detail(rq, 413, MSG_QUOTA);
    account acct;
    if (account_get(a->d, rq->api_key, a->cfg->credits, &acct) != UC_OK)
        return resp_detail(rq, 500, MSG_ERROR_PROCESSING);
    if (acct.credits == 0)
        return resp_detail(rq, 402, MSG_NO_CREDITS);

    task t;
    memset(&t, 0, sizeof t);
    snprintf(t.api_key, sizeof t.api_key, "%s", rq->api_key);
    snprintf(t.project_name, sizeof t.project_name, "%s", f.project_name);
    snprintf(t.filename, sizeof t.filename, "%s", base_name(f.filename));
    t.format = fmt;
    t.deduplicate = dedup != 0;
    t.upload_bytes = (int64_t)f.file_bytes;
    faults_take_task(a->faults, rq->api_key, &t);
    const char *tmp, *mem;
    t.pre = upload_prepass_take(rq); /* the job's once queued */
    if (upload_file(rq, &tmp, &mem) != UC_OK ||
        (tmp ? submit(a->d, a->pool, a->cfg->data_dir, tmp, &t, &a->env.hook)
             : submit_mem(a->d, a->pool, a->cfg->data_dir, mem, &t, &a->env.hook)) != UC_OK) {
        prepass_free(t.pre);
        return resp_detail(rq, 500, MSG_ERROR_PROCESSING);
    }
    upload_file_moved(rq);
    snprintf(rq->task_id, sizeof rq->task_id, "%s", t.id);
    return resp_queue_json(rq, 200, json_pack("{s:s,s:s,s:s}", "task_id", t.id,
                                              "status", task_status_name(TASK_PROCESSING), "message",
                                              MSG_UPLOAD_OK));
}

/* Load the task named in the path for the caller's key (checked
 * already); queue 404 if not theirs. */
static int load_task(req *rq, task *t, enum MHD_Result *ret)
{
    if (task_id_valid(rq->param))
        memcpy(rq->task_id, rq->param, TASK_ID_LEN + 1);
    uc_err e = task_id_valid(rq->param) ? task_get(rq->a->d, rq->param, rq->api_key, t)
                                        : UC_ENOTFOUND;
    if (e == UC_ENOTFOUND) {
        *ret = resp_detail(rq, 404, MSG_NO_TASK);
        return 0;
    }
    if (e) { /* the store failed us: FastAPI's plain 500 */
        *ret = resp_detail(rq, 500, MSG_INTERNAL);
        return 0;
    }
    return 1;
}

/* Check the key, then load the caller's task named in the path. */
static int own_task(req *rq, task *t, enum MHD_Result *ret)
{
    return auth_require(rq, ret) && load_task(rq, t, ret);
}

/* s as a JSON string, appended to b, in the bytes jansson writes: plain
 * printable ASCII as it is (nothing to escape: the common case, without
 * an allocation), anything else through jansson. -1 when s is not UTF-8
 * (b unchanged) or out of memory. */
static int json_str_add(struct buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
        p++;
    if (!*p)
        return buf_printf(b, "\"%s\"", s) == UC_OK ? 0 : -1;
    json_t *j = json_string(s);
    char *q = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(j);
    int r = q && buf_adds(b, q) == UC_OK ? 0 : -1;
    free(q);
    return r;
}

/* The status body, written out directly: polling clients ask for it
 * most, and a jansson object of it took a dozen allocations (6% of the
 * request's CPU). The same bytes as json_dumps of the object, keys in
 * this order; "error" (failed tasks) left out when it is not UTF-8, as
 * json_object_set_new left it. NULL when out of memory or the project
 * name is not UTF-8 (a 500, as before). */
static char *status_json(const task *t, int progress, size_t *len)
{
    char created[32];
    clock_format(t->created_at, created, sizeof created);
    struct buf b;
    buf_init(&b, 8192); /* the longest: a name and an error of control bytes */
    int bad = buf_reserve(&b, 512) != UC_OK ||
              buf_printf(&b, "{\"task_id\":\"%s\",\"status\":\"%s\",\"project_name\":", t->id,
                         task_status_name(t->status)) != UC_OK ||
              json_str_add(&b, t->project_name) != 0 ||
              buf_printf(&b, ",\"created_at\":\"%s\",\"rows\":%lld,\"duplicates_removed\":%lld,"
                         "\"invalid\":%lld,\"charged\":%lld,\"progress\":%d", created,
                         (long long)t->rows, (long long)t->duplicates_removed,
                         (long long)t->invalid, (long long)t->charged, progress) != UC_OK;
    if (!bad && t->status == TASK_FAILED) {
        size_t keep = b.len;
        if (buf_adds(&b, ",\"error\":") != UC_OK || json_str_add(&b, t->error) != 0)
            buf_truncate(&b, keep);
    }
    if (bad || buf_addc(&b, '}') != UC_OK) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b, len);
}

/* A finished task's answer comes from the status cache (store/
 * statuscache.h) once one poll has read it: no database read, and the
 * same bytes. The key is checked as task_get checks it: another key's
 * task is a miss, and the database then answers its 404. */
enum MHD_Result v1_batch_status(req *rq)
{
    enum MHD_Result ret;
    if (!auth_require(rq, &ret))
        return ret;
    size_t n = 0;
    char *s;
    if (task_id_valid(rq->param) &&
        (s = statuscache_get(rq->param, rq->api_key, &n)) != NULL) {
        memcpy(rq->task_id, rq->param, TASK_ID_LEN + 1);
        return resp_queue_json_text(rq, 200, s, n);
    }
    uint64_t gen = statuscache_gen(); /* before the read: see statuscache.h */
    task t;
    if (!load_task(rq, &t, &ret))
        return ret;
    int progress = 100;
    if (t.status == TASK_PROCESSING && !pool_progress(rq->a->pool, t.id, &progress))
        progress = 0;
    s = status_json(&t, progress, &n);
    if (s && t.status != TASK_PROCESSING)
        statuscache_put(t.id, rq->api_key, s, n, gen);
    return resp_queue_json_text(rq, 200, s, n);
}

enum MHD_Result v1_batch_download(req *rq)
{
    task t;
    enum MHD_Result ret;
    if (!own_task(rq, &t, &ret))
        return ret;
    if (t.status == TASK_PROCESSING)
        return resp_detail(rq, 404, MSG_STILL_PROCESSING);
    if (t.status != TASK_COMPLETED)
        return resp_detail(rq, 400, MSG_ERROR_PROCESSING);
    int64_t expires = clock_now_ms() / 1000 + rq->a->cfg->url_ttl_seconds;
    char sig[65], origin[600], url[900], exp[32];
    download_sign(rq->a->secret, t.id, expires, sig);
    req_origin(rq, origin, sizeof origin);
    snprintf(url, sizeof url, "%s/downloads/%s?expires=%lld&signature=%s", origin, t.id,
             (long long)expires, sig);
    clock_format(expires * 1000, exp, sizeof exp);
    return resp_queue_json(rq, 200, json_pack("{s:s,s:s}", "download_url", url,
                                              "expires_at", exp));
}

enum MHD_Result v1_check_email(req *rq)
{
    app *a = rq->a;
    enum MHD_Result ret;
    if (!auth_require(rq, &ret))
        return ret;
    char ip[64];
    req_client_ip(rq, ip, sizeof ip);
    limits *lim = a->limits;
    int ban = a->cfg->ban_threshold; /* 0: --ban-threshold off */
    limits_ban_touch(lim, ip, rq->api_key); /* for POST /__mock/reset by key */
    if (limits_ban_left(lim, ip, ban) == 0)
        return resp_detail(rq, 403, MSG_BANNED);
    size_t elen;
    const char *email = req_query_n(rq, "email", &elen);
    if (!email) {
        json_t *errs = resp_422_new();
        resp_422_add(errs, "missing", "query", "email", MSG_FIELD_REQUIRED, NULL, NULL);
        return resp_422_send(rq, errs);
    }
    char *reason = NULL, *msg = NULL;
    email_addr ea;
    email_verdict ev = email_validate_pydantic(email, elen, &ea, &reason);
    if (ev == EMAIL_NOMEM)
        return resp_detail(rq, 500, MSG_INTERNAL);
    if (ev == EMAIL_INVALID) {
        if (asprintf(&msg, "value is not a valid email address: %s", reason) < 0) {
            free(reason);
            return resp_detail(rq, 500, MSG_INTERNAL);
        }
        json_t *errs = resp_422_new();
        resp_422_add(errs, "value_error", "query", "email", msg, resp_text(email, elen),
                     json_pack("{s:s}", "reason", reason));
        free(msg);
        free(reason);
        return resp_422_send(rq, errs);
    }
    account acct;
    acct_lists *al = NULL;
    if (account_get(a->d, rq->api_key, a->cfg->credits, &acct) != UC_OK ||
        lists_load(a->d, a->env.outcomes, rq->api_key, &al) != UC_OK)
        return resp_detail(rq, 500, MSG_INTERNAL);
    verdict v = classify_valid(a->dl, al, &ea);
    acct_lists_free(al);
    /* Charged last, so that no failure after it leaves a charge behind. */
    uc_err ce = account_charge(a->d, rq->api_key, 1);
    if (ce == UC_EQUOTA)
        return resp_detail(rq, 402, MSG_NO_CREDITS);
    if (ce)
        return resp_detail(rq, 500, MSG_INTERNAL);
    const char *cat = verdict_category(v);
    /* With bans off (0) the limiter counts nothing and answers the real
     * service's start value. */
    int left = !strcmp(cat, "black") ? limits_ban_hit(lim, ip, ban)
                                     : limits_ban_left(lim, ip, ban);
    char date[32];
    time_t now = (time_t)(clock_now_ms() / 1000);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%b %d, %Y", &tm);
    return resp_queue_json(rq, 200, json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "category", cat, "date_added", date,
        "domain", ea.normalized + ea.at + 1, "domain_age", "unknown", "email",
        ea.normalized, "mx_record", "",
        "premium", "False", "remaining_attempts_before_ban", left, "type",
        verdict_domain_type(v)));
}
