/* server.c: the libmicrohttpd daemon: routing, per-request state,
 * request bodies, the access log and the request journal.
 *
 * Threading: a small pool of epoll threads serves every connection (slow
 * clients cost a socket, not a thread), with a connection limit and an
 * idle timeout set on purpose. Anything that must wait (a fault's delay,
 * an answer given mid-upload) suspends its connection and finishes on a
 * short-lived thread of its own (req_defer). */
#include "http/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/messages.h"
#include "http/control.h"
#include "http/resp.h"
#include "http/routes.h"
#include "http/upload.h"

#define SMALL_BODY_MAX (16u << 20) /* control API bodies (lists, faults) */
#define V1 "/v1/external-api-requests/"
#define DRAIN_MS 8000
#define HTTP_THREADS 2  /* epoll threads (one a core); request work is short and never waits */
#define IDLE_TIMEOUT_S 20 /* a connection silent this long is closed (slow clients) */

typedef enum body_kind { BODY_NONE, BODY_SMALL, BODY_UPLOAD } body_kind;

typedef struct route {
    const char *method;
    const char *path;   /* exact path, or the prefix before {param} */
    int has_param;
    body_kind body;
    enum MHD_Result (*fn)(req *rq);
    int journal;        /* recorded in the request journal */
} route;

static const route routes[] = {
    {"POST", V1 "batch-check-emails", 0, BODY_UPLOAD, v1_batch_submit, 1},
    {"GET", V1 "batch-check-status/", 1, BODY_NONE, v1_batch_status, 1},
    {"GET", V1 "batch-task-download/", 1, BODY_NONE, v1_batch_download, 1},
    {"POST", V1 "check-email", 0, BODY_SMALL, v1_check_email, 1},
    {"GET", "/downloads/", 1, BODY_NONE, download_serve, 1},
    {"HEAD", "/downloads/", 1, BODY_NONE, download_serve, 1},
    {"GET", "/healthz", 0, BODY_NONE, control_healthz, 0},
    {"GET", "/__mock/clock", 0, BODY_NONE, control_clock_get, 0},
    {"POST", "/__mock/clock", 0, BODY_SMALL, control_clock_post, 0},
    {"GET", "/__mock/tasks", 0, BODY_NONE, control_tasks_list, 0},
    {"DELETE", "/__mock/tasks/", 1, BODY_NONE, control_task_delete, 0},
    {"POST", "/__mock/reset", 0, BODY_SMALL, control_reset, 0},
    {"GET", "/__mock/accounts/", 1, BODY_NONE, control_account_get, 0},
    {"GET", "/__mock/lists/", 1, BODY_NONE, control_list_get, 0},
    {"PUT", "/__mock/lists/", 1, BODY_SMALL, control_list_put, 0},
    {"GET", "/__mock/requests", 0, BODY_NONE, control_journal_get, 0},
    {"DELETE", "/__mock/requests", 0, BODY_NONE, control_journal_delete, 0},
    {"GET", "/__mock/faults", 0, BODY_NONE, control_faults_get, 0},
    {"POST", "/__mock/faults", 0, BODY_SMALL, control_faults_post, 0},
    {"DELETE", "/__mock/faults", 0, BODY_NONE, control_faults_delete, 0},
    {"GET", "/openapi.json", 0, BODY_NONE, ui_openapi, 0},
    {"GET", "/", 0, BODY_NONE, ui_dashboard, 0},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

/* The path of /__mock/accounts/{key}/lists/{kind} is rewritten to
 * /__mock/lists/{key}/{kind} before matching; see match(). */
static int path_matches(const route *r, const char *url, char *param, size_t cap)
{
    size_t n = strlen(r->path);
    if (!r->has_param)
        return strcmp(url, r->path) == 0;
    if (strncmp(url, r->path, n) != 0)
        return 0;
    const char *p = url + n;
    size_t pl = strlen(p);
    if (pl == 0)
        return 0;
    if (pl >= cap) /* too long to be any id: matched, and found nowhere */
        pl = cap - 1;
    /* only /__mock/lists/ params may hold one '/' (key/kind) */
    if (strchr(p, '/') && strcmp(r->path, "/__mock/lists/") != 0)
        return 0;
    memcpy(param, p, pl);
    param[pl] = 0;
    return 1;
}

/* Find the route; *allowed tells whether some route has this path. */
static const route *match(const char *method, const char *url, char *param,
                          size_t cap, int *path_known)
{
    char rewritten[512];
    const char *acc = "/__mock/accounts/";
    *path_known = 0;
    if (!strncmp(url, "/__mock/lists/", 14))
        return NULL; /* internal name: reached only through the rewrite */
    if (!strncmp(url, acc, strlen(acc))) {
        const char *rest = url + strlen(acc);
        const char *sl = strstr(rest, "/lists/");
        if (sl && (size_t)(sl - rest) < 300) {
            snprintf(rewritten, sizeof rewritten, "/__mock/lists/%.*s/%s",
                     (int)(sl - rest), rest, sl + 7);
            url = rewritten;
        }
    }
    *path_known = 0;
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (!path_matches(&routes[i], url, param, cap))
            continue;
        *path_known = 1;
        if (!strcmp(routes[i].method, method))
            return &routes[i];
    }
    return NULL;
}

const char *req_header(req *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, name);
}

typedef struct qfind {
    const char *name;
    const char *v;
    size_t len;
} qfind;

static enum MHD_Result qfind_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
    qfind *q = cls;
    (void)kind;
    if (key && key_size == strlen(q->name) && !memcmp(key, q->name, key_size)) {
        q->v = value ? value : "";  /* "?a" alone is an empty value */
        q->len = value ? value_size : 0;
    }
    return MHD_YES;
}

const char *req_query_n(req *rq, const char *name, size_t *len)
{
    /* As Starlette reads a query: names are case-sensitive, the last of
     * repeated names wins, and values may hold any byte (even NUL). */
    qfind q = {name, NULL, 0};
    MHD_get_connection_values_n(rq->c, MHD_GET_ARGUMENT_KIND, qfind_one, &q);
    if (len)
        *len = q.len;
    return q.v;
}

const char *req_query(req *rq, const char *name)
{
    size_t n;
    const char *v = req_query_n(rq, name, &n);
    return v && memchr(v, 0, n) ? NULL : v; /* a NUL cannot be a C string */
}

void req_origin(req *rq, char *out, size_t cap)
{
    if (rq->a->cfg->public_url[0]) {
        snprintf(out, cap, "%s", rq->a->cfg->public_url);
        return;
    }
    const char *host = req_header(rq, MHD_HTTP_HEADER_HOST);
    const char *scheme = rq->a->cfg->tls_cert[0] ? "https" : "http";
    char def[300];
    if (!host || !*host || strpbrk(host, " /\\\"<>")) {
        snprintf(def, sizeof def, "%s:%u", rq->a->cfg->listen_host, rq->a->port);
        host = def;
    }
    snprintf(out, cap, "%s://%s", scheme, host);
}

void req_client_ip(req *rq, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(rq->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = 0;
    if (!ci || !ci->client_addr)
        return;
    socklen_t len = ci->client_addr->sa_family == AF_INET6
                        ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (getnameinfo(ci->client_addr, len, out, (socklen_t)cap, NULL, 0, NI_NUMERICHOST))
        snprintf(out, cap, "unknown");
}

int req_auth(req *rq, enum MHD_Result *ret)
{
    const char *k = req_header(rq, "X-API-Key");
    if (!k || !*k) {
        *ret = resp_detail(rq, 401, MSG_NO_AUTH);
        return 0;
    }
    const config *cfg = rq->a->cfg;
    int ok = strlen(k) <= TASK_KEY_MAX;
    if (ok && cfg->n_api_keys > 0) {
        ok = 0;
        for (size_t i = 0; i < cfg->n_api_keys; i++)
            if (!strcmp(cfg->api_keys[i], k))
                ok = 1;
    }
    if (!ok) {
        *ret = resp_detail(rq, 401, MSG_BAD_KEY);
        return 0;
    }
    rq->api_key = k;
    return 1;
}

typedef struct deferral {
    req *rq;
    int delay_ms;
    defer_fn fn;
    void *arg;
} deferral;

static void *deferred_main(void *p)
{
    deferral d = *(deferral *)p;
    free(p);
    if (d.delay_ms > 0) {
        struct timespec ts = {d.delay_ms / 1000, (long)(d.delay_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
    struct MHD_Connection *c = d.rq->c;
    if (d.fn)
        d.fn(d.rq, d.arg);
    MHD_resume_connection(c);
    return NULL;
}

int req_defer(req *rq, int delay_ms, defer_fn fn, void *arg)
{
    deferral *d = malloc(sizeof *d);
    if (!d)
        return -1;
    *d = (deferral){rq, delay_ms, fn, arg};
    rq->deferred = 1;
    MHD_suspend_connection(rq->c);
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 64 * 1024);
    int rc = pthread_create(&t, &at, deferred_main, d);
    pthread_attr_destroy(&at);
    if (rc != 0) {
        free(d);
        rq->deferred = 0;
        MHD_resume_connection(rq->c);
        return -1;
    }
    return 0;
}

/* Header-phase work: faults, then the upload's start. Returns 1 to go
 * on, 0 when answered or suspended (*ret set). */
static int begin(req *rq, enum MHD_Result *ret)
{
    *ret = MHD_YES;
    if (!rq->begun) {
        rq->begun = 1;
        if (control_fault_apply(rq, ret))
            return 0;
        if (rq->deferred)
            return 0;
    }
    if (rq->route->body == BODY_UPLOAD && !rq->up && !upload_begin(rq, ret))
        return 0;
    return 1;
}

static enum MHD_Result small_body(req *rq, const char *data, size_t n)
{
    if (rq->body_oom)
        return MHD_YES;
    if (rq->body_too_big || rq->body_len + n > SMALL_BODY_MAX) {
        rq->body_too_big = 1;
        return MHD_YES;
    }
    if (rq->body_len + n + 1 > rq->body_cap) {
        size_t nc = rq->body_cap ? rq->body_cap : 4096;
        while (nc < rq->body_len + n + 1)
            nc *= 2;
        char *nb = realloc(rq->body, nc);
        if (!nb) {
            rq->body_oom = 1; /* answered with a 500 once the body is in */
            return MHD_YES;
        }
        rq->body = nb;
        rq->body_cap = nc;
    }
    memcpy(rq->body + rq->body_len, data, n);
    rq->body_len += n;
    rq->body[rq->body_len] = 0;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    app *a = cls;
    req *rq = *con_cls;
    (void)version;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq) /* answered; MHD then drops the body and closes */
            return resp_500_static(c, NULL);
        *con_cls = rq;
        rq->a = a;
        rq->c = c;
        rq->method = method;
        rq->url = url;
        rq->t0 = clock_mono_ms();
        rq->fault_drop_after = -1;
        atomic_fetch_add(&a->inflight, 1);
        int known;
        rq->route = match(method, url, rq->param, sizeof rq->param, &known);
        if (!rq->route)
            return known ? resp_detail(rq, 405, MSG_METHOD_NOT_ALLOWED)
                         : resp_detail(rq, 404, MSG_NOT_FOUND);
        enum MHD_Result ret;
        begin(rq, &ret);
        return ret;
    }
    if (rq->drop)
        return MHD_NO;
    if (rq->deferred) { /* resumed after a delay: the header phase again */
        rq->deferred = 0;
        if (*upload_data_size == 0) {
            enum MHD_Result ret;
            begin(rq, &ret);
            return ret;
        }
    }
    if (rq->status) { /* answered early (e.g. 401, 413): drop the rest */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rq->route->body == BODY_UPLOAD)
            return upload_feed(rq, upload_data, n);
        if (rq->route->body == BODY_SMALL)
            return small_body(rq, upload_data, n);
        return MHD_YES; /* a body nobody asked for: ignored */
    }
    if (rq->body_too_big)
        return resp_detail(rq, 413, "Request body too large");
    if (rq->body_oom)
        return resp_500_static(c, rq);
    enum MHD_Result ret = rq->route->fn(rq);
    /* A handler that could not build its answer (out of memory) still
     * answers: a JSON 500, never a silently closed connection. */
    if (ret == MHD_NO && !rq->status && !rq->drop)
        ret = resp_500_static(c, rq);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    app *a = cls;
    req *rq = *con_cls;
    (void)c;
    if (!rq)
        return;
    atomic_fetch_sub(&a->inflight, 1);
    int64_t ms = clock_mono_ms() - rq->t0;
    if (!a->cfg->quiet && log_enabled(LOG_INFO)) {
        const char *k = rq->api_key ? rq->api_key : "";
        log_msg(LOG_INFO, "method=%s path=\"%s\" status=%u bytes=%llu duration_ms=%lld "
                "key=%.4s%s%s%s", rq->method, rq->url, rq->status,
                (unsigned long long)rq->bytes, (long long)ms, k, *k ? "…" : "",
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=",
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : "true");
    }
    if (rq->route && rq->route->journal)
        control_journal_add(rq, ms);
    upload_free(rq->up);
    free(rq->body);
    free(rq);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = 0;
    log_msg(LOG_DEBUG, "mhd=\"%s\"", buf);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rbe");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = 0;
    return buf;
}

int server_start(app *a, char *err, size_t errcap)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    char port[8];
    snprintf(port, sizeof port, "%u", a->cfg->listen_port);
    const char *host = a->cfg->listen_host;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        hints.ai_flags = AI_PASSIVE;
        rc = getaddrinfo(host, port, &hints, &ai);
    }
    if (rc != 0) {
        snprintf(err, errcap, "cannot resolve listen address %s: %s", host, gai_strerror(rc));
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    char *cert = NULL, *key = NULL;
    if (a->cfg->tls_cert[0]) {
        cert = slurp(a->cfg->tls_cert);
        key = slurp(a->cfg->tls_key);
        if (!cert || !key) {
            snprintf(err, errcap, "cannot read --tls-cert/--tls-key");
            free(cert);
            free(key);
            freeaddrinfo(ai);
            return -1;
        }
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem tls_opts[] = {
        {cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert},
        {cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    a->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, a,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    a->tls_cert_pem = cert; /* kept until the daemon stops */
    a->tls_key_pem = key;
    if (!a->daemon) {
        snprintf(err, errcap, "cannot listen on %s:%u (in use, or TLS files invalid?)",
                 host, a->cfg->listen_port);
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(a->daemon, MHD_DAEMON_INFO_BIND_PORT);
    a->port = di ? di->port : a->cfg->listen_port;
    return 0;
}

void server_stop(app *a)
{
    if (a->daemon) {
        /* Stop accepting; the listen socket is ours to close, but only
         * after the daemon is gone (its epoll sets still hold it). */
        MHD_socket s = MHD_quiesce_daemon(a->daemon);
        /* Let requests under way finish (idle keep-alive connections hold
         * none), then close what is left. */
        int64_t until = clock_mono_ms() + DRAIN_MS;
        while (atomic_load(&a->inflight) > 0 && clock_mono_ms() < until) {
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
        MHD_stop_daemon(a->daemon); /* joins the connection threads */
        a->daemon = NULL;
        if (s != MHD_INVALID_SOCKET)
            close(s);
    }
    free(a->tls_cert_pem);
    free(a->tls_key_pem);
    a->tls_cert_pem = a->tls_key_pem = NULL;
}
