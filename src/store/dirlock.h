/* dirlock.h: one server per data dir.
 *
 * DIR/ucmock.lock holds the owner's pid and an fcntl write lock for the
 * owner's whole life. The kernel drops the lock when the process ends, even
 * by SIGKILL, so a lock file left by a crash never blocks a restart. */
#ifndef UC_DIRLOCK_H
#define UC_DIRLOCK_H

#include <stddef.h>
#include "core/err.h"

/* Take the data dir's lock before anything reads or writes the dir,
 * creating the dir itself (0700) if missing. On success *fd is the lock's
 * descriptor: keep it open (closing any descriptor of the lock file would
 * drop the lock); dirlock_release closes it. UC_EEXIST when another process
 * holds the lock (err names its pid), UC_EIO when the dir or the file cannot
 * be made or locked; err says which. */
uc_err dirlock_take(const char *dir, int *fd, char *err, size_t errcap);

/* Drop the lock (fd < 0 is fine). The file stays: removing it would race
 * with a server starting at the same moment. */
void dirlock_release(int fd);

#endif
