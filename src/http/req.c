/* req.c: reading a request (headers, query, client address, origin) and
 * making it wait on the daemon's timer (see req.h). */
#include "http/req.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/delayq.h"

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

/* One suspended request waiting on the timer. Owned by the timer entry:
 * freed when it fires, before the connection is resumed (after which rq
 * may be freed at any moment by the daemon). */
typedef struct deferral {
    req *rq;
    struct MHD_Connection *c;
    defer_fn fn;
    void *arg;
} deferral;

static void deferral_fire(void *p, int cancelled)
{
    deferral d = *(deferral *)p;
    free(p);
    if (d.fn)
        d.fn(d.rq, d.arg, cancelled);
    if (cancelled)
        d.rq->drop = 1; /* closed without an answer once resumed */
    MHD_resume_connection(d.c); /* allowed from any thread */
}

int req_defer(req *rq, int delay_ms, defer_fn fn, void *arg)
{
    deferral *d = malloc(sizeof *d);
    if (!d)
        return -1;
    *d = (deferral){rq, rq->c, fn, arg};
    /* Suspend before the entry exists, so the timer can never resume a
     * connection that is not suspended yet. */
    rq->deferred = 1;
    MHD_suspend_connection(rq->c);
    if (delayq_add(rq->a->delays, delay_ms, deferral_fire, d) != 0) {
        free(d);
        rq->deferred = 0;
        MHD_resume_connection(rq->c);
        return -1;
    }
    return 0;
}
