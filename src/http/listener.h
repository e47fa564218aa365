/* listener.h: the listen socket, made first thing at start so that a taken
 * address fails at once, before the data dir is touched.
 *
 * Two servers never share an address: the socket takes SO_REUSEADDR only
 * (a restart may follow connections still in TIME_WAIT), never
 * SO_REUSEPORT, so a second bind on a listening address fails. */
#ifndef UC_LISTENER_H
#define UC_LISTENER_H

#include <stddef.h>
#include <stdint.h>

typedef struct listener {
    int fd;        /* listening, close-on-exec; -1 = none */
    uint16_t port; /* the bound port: the chosen one when asked for 0 */
    int ipv6;
} listener;

/* Resolve host (a numeric address, else a name: its first address), bind
 * to port and listen. Returns 0 with *l filled (the caller owns l->fd),
 * or -1 with l->fd = -1 and err saying why: "HOST:PORT is already in use"
 * when another socket listens there. */
int listener_open(const char *host, uint16_t port, listener *l, char *err, size_t errcap);

/* Close l's socket if open (a daemon that took it may have closed it:
 * set l->fd to -1 then). */
void listener_close(listener *l);

#endif
