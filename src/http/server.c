/* server.c: the libmicrohttpd daemon: per-request state, request
 * bodies, the order of work for one request (route, fault, upload,
 * handler), the access log and the request journal.
 *
 * Threading: a small pool of epoll threads serves every connection (slow
 * clients cost a socket, not a thread), with a connection limit and an
 * idle timeout set on purpose. A request that must wait (a fault's delay,
 * an answer given mid-upload) is suspended and resumed by one timer
 * thread (delayq.c, through req_defer), never given a thread of its own. */
#include "http/server.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/messages.h"
#include "http/delayq.h"
#include "http/faults.h"
#include "http/journal.h"
#include "http/resp.h"
#include "http/control.h"
#include "http/routes.h"
#include "http/upload.h"

#define SMALL_BODY_MAX (16u << 20) /* control API bodies (lists, faults) */
#define PEM_MAX (16u << 20)        /* a --tls-cert or --tls-key file */
#define DRAIN_MS 8000
/* Epoll threads, one a core (4 gave a worse p99 under wrk -c64: bench/RESULTS.md).
 * Request work is short, except an upload's: its writes and, at the end, its fsync
 * (submit) block its thread, and that thread's other connections wait meanwhile. */
#define HTTP_THREADS 2
/* An epoll thread that always has another request ready never blocks, and
 * the scheduler takes its core from it only at a tick (4 ms at HZ=250):
 * whatever shares the core (a client on the same machine, as wrk is in
 * bench/run.py) waits that long, and so do the answers it has to read.
 * So a thread that has finished requests back to back for BURST_US offers
 * its core (sched_yield: at once back when nothing else wants it). A gap
 * of GAP_US between two finished requests means it waited (for a request
 * or for its core): the burst starts again, so a server that is not
 * saturated never yields. */
#define BURST_US 200
#define GAP_US 50
#define MAX_CONNECTIONS 1024 /* open at once, waiting ones included */
#define IDLE_TIMEOUT_S 20 /* a connection silent this long is closed (slow clients) */
/* Each connection's memory pool: it holds the request's headers (so it
 * caps them: one header line up to about 60 KiB, a URL up to about 60 KiB,
 * some 300 cookie lines of 100 bytes; past that MHD answers 431, or 414
 * for the request line, and closes), the read buffer (half of it: an
 * upload arrives in pieces of about 32 KiB, gathered by upload.c into
 * larger writes) and the response's headers. libmicrohttpd zeroes the
 * whole pool after every keep-alive request: at 256 KiB that memset was a
 * quarter of a status request's CPU (64 connections' pools, 16 MB, do not
 * stay in cache); at 64 KiB it is about 5%. */
#define CONN_POOL_BYTES (64u << 10)

/* Header-phase work: faults, then the upload's start. Returns 1 to go
 * on, 0 when answered or suspended (*ret set). */
static int begin(req *rq, enum MHD_Result *ret)
{
    *ret = MHD_YES;
    if (!rq->begun) {
        rq->begun = 1;
        if (faults_apply(rq, ret))
            return 0;
        if (rq->deferred)
            return 0;
    }
    if (rq->route->body == BODY_UPLOAD && !rq->up && !upload_begin(rq, ret))
        return 0;
    return 1;
}

/* Keep a chunk of a small body. Past the cap, or out of memory, the rest
 * is read and dropped, and the answer given once the body is in. */
static enum MHD_Result small_body(req *rq, const char *data, size_t n)
{
    if (rq->body_oom || rq->body_too_big)
        return MHD_YES;
    uc_err e = buf_add(&rq->body, data, n);
    if (e == UC_ELIMIT)
        rq->body_too_big = 1;
    else if (e)
        rq->body_oom = 1;
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
        rq->arrived_ms = clock_now_ms();
        rq->arrival = journal_arrival(a->journal);
        rq->fault_drop_after = -1;
        buf_init(&rq->body, SMALL_BODY_MAX);
        atomic_fetch_add(&a->inflight, 1);
        int known;
        rq->route = routes_match(method, url, rq->param, sizeof rq->param, &known);
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
        return resp_detail(rq, 413, MSG_BODY_TOO_LARGE);
    if (rq->body_oom)
        return resp_500_static(c, rq);
    enum MHD_Result ret;
    if (rq->route->query && !control_query_ok(rq, &ret)) /* strict control routes */
        return ret;
    ret = rq->route->fn(rq);
    /* A handler that could not build its answer (out of memory) still
     * answers: a JSON 500, never a silently closed connection. */
    if (ret == MHD_NO && !rq->status && !rq->drop)
        ret = resp_500_static(c, rq);
    return ret;
}

/* s into dst[cap], cut to fit (what snprintf "%s" did, for less: this
 * runs once a request). */
static void copy_cut(char *dst, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* The journal's record of a finished request. */
static void journal_record(req *rq, int64_t duration_ms)
{
    journal_entry e;
    memset(&e, 0, sizeof e);
    e.seq = rq->arrival;
    e.at_ms = rq->arrived_ms;
    copy_cut(e.method, sizeof e.method, rq->method);
    copy_cut(e.path, sizeof e.path, rq->url);
    const char *k = rq->api_key ? rq->api_key : req_header(rq, "X-API-Key");
    copy_cut(e.key, sizeof e.key, k ? k : "");
    e.status = rq->status;
    e.duration_ms = duration_ms;
    copy_cut(e.task_id, sizeof e.task_id, rq->task_id);
    journal_add(rq->a->journal, &e);
}

/* Called as each request ends, its answer sent: see BURST_US. */
static void offer_core(void)
{
    static _Thread_local int64_t burst_from, last;
    int64_t now = clock_mono_us();
    if (now - last > GAP_US)
        burst_from = now;
    last = now;
    if (now - burst_from >= BURST_US) {
        sched_yield();
        burst_from = last = clock_mono_us();
    }
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
    log_line l;
    if (!a->cfg->quiet && log_begin(&l, LOG_INFO, "request")) {
        char shown[LOG_KEY_SHOWN];
        if (rq->api_key)
            log_key_shown(rq->api_key, shown);
        log_str(&l, "method", rq->method);
        log_str(&l, "path", rq->url);
        log_int(&l, "status", rq->status);
        log_int(&l, "bytes", (long long)rq->bytes);
        log_int(&l, "duration_ms", ms);
        log_str(&l, "key", rq->api_key ? shown : NULL);
        log_str(&l, "task", rq->task_id[0] ? rq->task_id : NULL);
        log_str(&l, "aborted", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? NULL : "true");
        log_end(&l);
    }
    if (rq->route && rq->route->journal)
        journal_record(rq, ms);
    upload_free(rq->up);
    buf_free(&rq->body);
    free(rq);
    *con_cls = NULL;
    offer_core();
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = 0;
    log_line l;
    if (log_begin(&l, LOG_DEBUG, "mhd")) {
        log_str(&l, "msg", buf);
        log_end(&l);
    }
}

/* A whole PEM file as a C string (taken); NULL if it cannot be read or
 * is past PEM_MAX. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rbe");
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b, PEM_MAX);
    size_t r;
    do {
        if (buf_reserve(&b, 4096) != UC_OK || ferror(f)) {
            buf_free(&b);
            fclose(f);
            return NULL;
        }
        r = fread(b.data + b.len, 1, 4096, f);
        buf_added(&b, r);
    } while (r > 0);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b, NULL);
}

int server_start(app *a, char *err, size_t errcap)
{
    /* Before the daemon: requests may wait at once. A connection waits
     * on one entry at a time, so the connection limit bounds the queue. */
    a->delays = delayq_new(MAX_CONNECTIONS);
    if (!a->delays) {
        snprintf(err, errcap, "cannot start the timer thread");
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    if (a->listen.ipv6)
        flags |= MHD_USE_IPv6;
    char *cert = NULL, *key = NULL;
    if (a->cfg->tls_cert[0]) {
        cert = slurp(a->cfg->tls_cert);
        key = slurp(a->cfg->tls_key);
        if (!cert || !key) {
            snprintf(err, errcap, "cannot read --tls-cert/--tls-key");
            free(cert);
            free(key);
            return -1;
        }
        flags |= MHD_USE_TLS;
    }
    /* The daemon gets its own descriptor of the socket: whether it closes
     * it when it fails to start differs between versions, and ours stays
     * ours to close either way. */
    int fd = fcntl(a->listen.fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errcap, "cannot start the HTTP daemon: %s", strerror(errno));
        free(cert);
        free(key);
        return -1;
    }
    struct MHD_OptionItem tls_opts[] = {
        {cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert},
        {cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    a->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, a,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_POOL_BYTES,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
    a->tls_cert_pem = cert; /* kept until the daemon stops */
    a->tls_key_pem = key;
    if (!a->daemon) { /* the address is bound already: the rest is TLS */
        snprintf(err, errcap, cert ? "cannot start HTTPS: are --tls-cert and --tls-key "
                                     "a matching PEM certificate and key?"
                                   : "cannot start the HTTP daemon");
        return -1; /* server_stop frees the rest */
    }
    a->port = a->listen.port;
    return 0;
}

void server_stop(app *a)
{
    if (a->daemon) {
        /* No MHD_quiesce_daemon: in 0.9.75 it races a pool worker that
         * takes the listen socket out of its own epoll set at the same
         * moment, and the loser aborts the process ("Failed to remove
         * listen FD from epoll set", seen on SIGTERM under load). New
         * requests are served during the drain; the daemon closes its
         * copy of the socket when it stops. */
        /* Requests waiting out a fault's delay are closed now, without an
         * answer, rather than keep the stop waiting (up to 600 s). */
        delayq_close(a->delays);
        /* Let requests under way finish (idle keep-alive connections hold
         * none), then close what is left. */
        int64_t until = clock_mono_ms() + DRAIN_MS;
        while (atomic_load(&a->inflight) > 0 && clock_mono_ms() < until) {
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
        /* MHD must not be stopped with a connection suspended (it aborts):
         * fire what the timer still holds, and let no request wait from
         * here on (req_defer fails, the request is closed). */
        delayq_stop(a->delays);
        MHD_stop_daemon(a->daemon); /* joins the connection threads */
        a->daemon = NULL;
    }
    listener_close(&a->listen);
    delayq_free(a->delays);
    a->delays = NULL;
    free(a->tls_cert_pem);
    free(a->tls_key_pem);
    a->tls_cert_pem = a->tls_key_pem = NULL;
}
