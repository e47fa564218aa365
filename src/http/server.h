/* server.h: the HTTP daemon.
 *
 * The http layer is the only one that knows about HTTP: it maps uc_err to
 * status codes, logs, and turns requests into calls on the store and the
 * job pool. This header is for main.c; handlers include req.h. */
#ifndef UC_SERVER_H
#define UC_SERVER_H

#include <stddef.h>

#include "http/app.h"

/* Serve a->listen (opened with listener_open) with the timer thread that
 * resumes waiting requests. On success a->port is the bound port. On
 * failure err says why; server_stop then frees what was started. */
int server_start(app *a, char *err, size_t errcap);

/* Stop accepting, close requests that wait on a delay, let the others
 * finish (a few seconds at most), close, the listen socket too. Safe after
 * a failed or no server_start. */
void server_stop(app *a);

#endif
