/* dirlock.c: the data dir's lock file, DIR/ucmock.lock (see dirlock.h). */
#include "store/dirlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/files.h"

/* The holder's pid: the kernel's answer, else what the file says (a
 * holder in another pid namespace shows as 0), else 0. */
static long holder_pid(int fd)
{
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK && q.l_pid > 0)
        return (long)q.l_pid;
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    return strtol(buf, NULL, 10);
}

uc_err dirlock_take(const char *dir, int *fd, char *err, size_t errcap)
{
    *fd = -1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "cannot create directory %s: %s", dir, strerror(errno));
        return UC_EIO;
    }
    char p[FILES_PATH_MAX];
    snprintf(p, sizeof p, "%s/ucmock.lock", dir);
    int f = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f < 0) {
        snprintf(err, errcap, "cannot open %s: %s", p, strerror(errno));
        return UC_EIO;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(f, F_SETLK, &fl) != 0) {
        int e = errno;
        if (e == EACCES || e == EAGAIN) {
            long pid = holder_pid(f);
            if (pid > 0)
                snprintf(err, errcap, "data dir %s is in use by another ucmock (pid %ld)",
                         dir, pid);
            else
                snprintf(err, errcap, "data dir %s is in use by another ucmock", dir);
            close(f);
            return UC_EEXIST;
        }
        snprintf(err, errcap, "cannot lock %s: %s", p, strerror(e));
        close(f);
        return UC_EIO;
    }
    /* The pid is for people and for holder_pid's fallback; the lock alone
     * decides, so a failed write is not fatal. */
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)n, 0) != n) {
        /* not fatal: see above */
    }
    *fd = f;
    return UC_OK;
}

void dirlock_release(int fd)
{
    if (fd >= 0)
        close(fd);
}
