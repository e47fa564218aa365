/* server.h: the HTTP daemon, the application it serves, and one request.
 *
 * The http layer is the only one that knows about HTTP: it maps uc_err to
 * status codes, logs, and turns requests into calls on the store and the
 * job pool. */
#ifndef UC_SERVER_H
#define UC_SERVER_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/config.h"
#include "jobs/pool.h"
#include "jobs/run.h"
#include "store/db.h"
#include "store/tasks.h"
#include "verify/classify.h"

struct control;  /* http/control.c: journal, faults, limits */

typedef struct app {
    config *cfg;
    db *d;
    pool *pool;
    domain_lists *dl;
    job_env env;
    unsigned char secret[32];
    struct control *ctl;
    struct MHD_Daemon *daemon;
    uint16_t port;
    atomic_int ready;
    atomic_int inflight;      /* requests begun and not completed */
    char *tls_cert_pem, *tls_key_pem;
} app;

struct upload;

/* Per-request state, kept in MHD's con_cls slot and freed in the
 * request-completed callback. */
typedef struct req {
    app *a;
    struct MHD_Connection *c;
    const char *method;
    const char *url;
    const struct route *route;
    char param[128];          /* the {id} of the path, if any */
    int64_t t0;               /* clock_mono_ms() at arrival */
    unsigned status;          /* what was queued (0 = nothing yet) */
    uint64_t bytes;           /* response body bytes */
    char task_id[TASK_ID_LEN + 1]; /* for the journal */
    const char *api_key;      /* X-API-Key, borrowed from MHD; NULL if none */
    struct upload *up;        /* POST batch-check-emails */
    char *body;               /* small request bodies (control API) */
    size_t body_len, body_cap;
    int body_too_big;
    int body_oom;             /* a body buffer could not grow */
    int64_t fault_drop_after; /* cut a download after this many bytes; -1 none */
    int begun;                /* the header-phase work is done */
    int deferred;             /* suspended by req_defer, not yet resumed */
    int drop;                 /* close the connection without an answer */
} req;

/* Start listening (cfg->listen_host:port). On success a->port is the bound
 * port. */
int server_start(app *a, char *err, size_t errcap);
/* Stop accepting, finish in-flight requests, close. */
void server_stop(app *a);

/* Helpers for route handlers. */
const char *req_header(req *rq, const char *name);
/* A query parameter as Starlette reads it (case-sensitive name, last
 * value wins). req_query_n gives any bytes with their length; req_query
 * gives NULL for a value holding a NUL. Borrowed from MHD. */
const char *req_query(req *rq, const char *name);
const char *req_query_n(req *rq, const char *name, size_t *len);
/* The origin download URLs are built on: --public-url, else the request's
 * scheme and Host. */
void req_origin(req *rq, char *out, size_t cap);
/* The client's IP address as text. */
void req_client_ip(req *rq, char *out, size_t cap);

/* Suspend the connection; after delay_ms, another thread calls fn (which
 * may queue a response: MHD accepts one for a suspended connection at any
 * time) and resumes it. A response queued by fn ends the request; if fn
 * queues none, handling goes on where it stopped. Returns 0, or -1 when
 * no thread could be started (nothing was suspended then). */
typedef void (*defer_fn)(req *rq, void *arg);
int req_defer(req *rq, int delay_ms, defer_fn fn, void *arg);

/* Checks X-API-Key. Returns 1 when the request may go on (rq->api_key
 * set); else queues the 401 and returns 0. */
int req_auth(req *rq, enum MHD_Result *ret);

#endif
