/* req.h: one request as the handlers see it, and the helpers they use
 * to read it (headers, query, client address) and to make it wait.
 *
 * The daemon (server.c) creates a req when a request arrives, keeps it in
 * MHD's con_cls slot and frees it when the request completes. Handlers
 * include this header (through routes.h), never server.h. */
#ifndef UC_REQ_H
#define UC_REQ_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "http/app.h"
#include "store/tasks.h"

struct route;   /* http/routes.h */
struct upload;  /* http/upload.h */

typedef struct req {
    app *a;
    struct MHD_Connection *c;
    const char *method;
    const char *url;
    const struct route *route;
    char param[128];          /* the {id} of the path, if any */
    int64_t t0;               /* clock_mono_ms() at arrival */
    int64_t arrived_ms;       /* clock_now_ms() (virtual) at arrival, for the journal */
    uint64_t arrival;         /* journal_arrival()'s number: the journal's order */
    unsigned status;          /* what was queued (0 = nothing yet) */
    uint64_t bytes;           /* response body bytes */
    char task_id[TASK_ID_LEN + 1]; /* for the journal */
    const char *api_key;      /* X-API-Key, borrowed from MHD; NULL if none */
    struct upload *up;        /* POST batch-check-emails */
    struct buf body;          /* a small body (BODY_SMALL routes), capped */
    int body_too_big;         /* it passed the cap: answered 413 */
    int body_oom;             /* it could not grow: answered 500 */
    int64_t fault_drop_after; /* cut a download after this many bytes; -1 none */
    int begun;                /* the header-phase work is done */
    int deferred;             /* suspended by req_defer, not yet resumed */
    int drop;                 /* close the connection without an answer */
} req;

/* A request header, borrowed from MHD; NULL if absent. */
const char *req_header(req *rq, const char *name);

/* A query parameter as Starlette reads it (case-sensitive name, last
 * value wins). req_query_n gives any bytes with their length; req_query
 * gives NULL for a value holding a NUL. Borrowed from MHD. */
const char *req_query(req *rq, const char *name);
const char *req_query_n(req *rq, const char *name, size_t *len);

/* The origin download URLs are built on: --public-url, else the request's
 * scheme and Host. */
void req_origin(req *rq, char *out, size_t cap);

/* The client's IP address as text ("" when MHD cannot tell). */
void req_client_ip(req *rq, char *out, size_t cap);

/* Make the request wait without holding a thread: the connection is
 * suspended, and after delay_ms the daemon's one timer thread calls fn
 * and resumes it. fn may queue a response (MHD takes one for a suspended
 * connection at any time); a response queued by fn ends the request, and
 * if fn queues none, handling goes on where it stopped. fn may also set
 * rq->drop to close the connection without an answer.
 *
 * When the server stops before delay_ms is over, fn is called with
 * cancelled = 1: it must then only release arg; the connection is closed
 * without an answer.
 *
 * Call only from a handler (MHD allows suspending only there). Returns 0,
 * or -1 when the wait could not be set up (out of memory, or the server
 * has stopped its timer): nothing was suspended then and fn is not
 * called. */
typedef void (*defer_fn)(req *rq, void *arg, int cancelled);
int req_defer(req *rq, int delay_ms, defer_fn fn, void *arg);

#endif
