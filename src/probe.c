/* probe.c: `ucmock --probe URL`, a health check that needs no curl (the
 * container image's HEALTHCHECK): one HTTP/1.0 GET over a plain socket,
 * success when the answer's status is 200, all within a short deadline. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"

/* Wait for ev on fd until deadline; 1 when ready, 0 on time-out. */
static int wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {fd, ev, 0};
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return 0;
    }
}

/* http://HOST[:PORT][/PATH] -> parts. Returns 0 on success. */
static int split_url(const char *url, char *host, size_t hcap, char *port, size_t pcap,
                     const char **path)
{
    if (strncmp(url, "http://", 7) != 0)
        return -1;
    const char *h = url + 7, *slash = strchr(h, '/');
    const char *end = slash ? slash : h + strlen(h);
    const char *colon = NULL;
    if (*h == '[') { /* [::1]:8080 */
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb)
            return -1;
        if (rb + 1 < end && rb[1] != ':')
            return -1;
        colon = rb + 1 < end ? rb + 1 : NULL;
        h++;
        if ((size_t)(rb - h) >= hcap || rb == h)
            return -1;
        memcpy(host, h, (size_t)(rb - h));
        host[rb - h] = 0;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        const char *he = colon ? colon : end;
        if ((size_t)(he - h) >= hcap || he == h)
            return -1;
        memcpy(host, h, (size_t)(he - h));
        host[he - h] = 0;
    }
    if (colon) {
        size_t n = (size_t)(end - colon - 1);
        if (n == 0 || n >= pcap || strspn(colon + 1, "0123456789") < n)
            return -1;
        memcpy(port, colon + 1, n);
        port[n] = 0;
    } else {
        snprintf(port, pcap, "80");
    }
    *path = slash ? slash : "/";
    return 0;
}

/* A connected socket to host:port before deadline, or -1 (why in msg). */
static int dial(const char *host, const char *port, int64_t deadline, char *msg, size_t cap)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        snprintf(msg, cap, "%s", gai_strerror(gai));
        return -1;
    }
    int fd = -1;
    snprintf(msg, cap, "no address");
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            snprintf(msg, cap, "socket: %s", strerror(errno));
            continue;
        }
        int err = 0;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            err = errno;
            if (err == EINPROGRESS) {
                socklen_t l = sizeof err;
                err = wait_fd(fd, POLLOUT, deadline) ? 0 : ETIMEDOUT;
                if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0)
                    err = errno;
            }
        }
        if (err) {
            snprintf(msg, cap, "connect: %s", strerror(err));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

int probe_run(const char *url, int timeout_ms)
{
    char host[256], port[8], req[1024], msg[160];
    const char *path;
    if (split_url(url, host, sizeof host, port, sizeof port, &path) != 0) {
        fprintf(stderr, "ucmock: --probe takes http://HOST[:PORT]/PATH, got '%s'\n", url);
        return 1;
    }
    int64_t deadline = clock_mono_ms() + timeout_ms;
    int fd = dial(host, port, deadline, msg, sizeof msg);
    if (fd < 0) {
        fprintf(stderr, "ucmock: probe %s: %s\n", url, msg);
        return 1;
    }
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.0\r\nHost: %s%s%s:%s\r\nUser-Agent: ucmock-probe\r\n"
                     "Connection: close\r\n\r\n",
                     path, strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
                     port);
    if (n < 0 || (size_t)n >= sizeof req) {
        close(fd);
        fprintf(stderr, "ucmock: probe %s: URL too long\n", url);
        return 1;
    }
    /* The status line is all we read: "HTTP/1.x 200 ...". */
    char line[64];
    size_t sent = 0, got = 0;
    const char *why = NULL;
    while (!why && sent < (size_t)n) {
        ssize_t w = send(fd, req + sent, (size_t)n - sent, MSG_NOSIGNAL);
        if (w > 0)
            sent += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EINTR)
            why = strerror(errno);
        else if (!wait_fd(fd, POLLOUT, deadline))
            why = "timed out";
    }
    while (!why && got < 13) {
        ssize_t r = recv(fd, line + got, sizeof line - 1 - got, 0);
        if (r > 0)
            got += (size_t)r;
        else if (r == 0)
            why = "connection closed before an answer";
        else if (errno != EAGAIN && errno != EINTR)
            why = strerror(errno);
        else if (!wait_fd(fd, POLLIN, deadline))
            why = "timed out";
    }
    close(fd);
    if (why) {
        fprintf(stderr, "ucmock: probe %s: %s\n", url, why);
        return 1;
    }
    line[got] = 0;
    if (strncmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ') {
        fprintf(stderr, "ucmock: probe %s: not an HTTP answer\n", url);
        return 1;
    }
    if (strncmp(line + 9, "200", 3) != 0 || (line[12] != ' ' && line[12] != '\r')) {
        fprintf(stderr, "ucmock: probe %s: status %.3s\n", url, line + 9);
        return 1;
    }
    return 0;
}
