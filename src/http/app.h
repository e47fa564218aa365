/* app.h: what the HTTP layer serves from: configuration, the store, the
 * job pool, and the in-memory state of the mock (armed faults, the
 * request journal, the real API's rate and ban counters).
 *
 * main.c builds one app and owns everything in it; the daemon and the
 * handlers only borrow it. */
#ifndef UC_APP_H
#define UC_APP_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/config.h"
#include "http/listener.h"
#include "jobs/pool.h"
#include "jobs/run.h"
#include "store/db.h"
#include "verify/classify.h"

struct faults;   /* http/faults.h */
struct journal;  /* http/journal.h */
struct limits;   /* http/limits.h */
struct delayq;   /* http/delayq.h */
struct MHD_Daemon;

typedef struct app {
    config *cfg;
    db *d;
    pool *pool;
    domain_lists *dl;
    job_env env;
    unsigned char secret[32];
    struct faults *faults;    /* armed by /__mock/faults */
    struct journal *journal;  /* the /__mock/requests ring */
    struct limits *limits;    /* the real API's rate windows and bans */
    listener listen;          /* opened by main first thing; the daemon serves it */
    /* set by server_start, cleared by server_stop */
    struct MHD_Daemon *daemon;
    struct delayq *delays;    /* deadlines of suspended requests */
    uint16_t port;
    atomic_int ready;
    atomic_int inflight;      /* requests begun and not completed */
    char *tls_cert_pem, *tls_key_pem;
} app;

#endif
