/* torture.h: fault injection for the -Dtorture=true build.
 *
 * That build links the project's code with --wrap for malloc, calloc,
 * realloc, strdup, strndup, write, pwrite, fsync, fdatasync and rename, so
 * the Nth such call made by our code (not by the libraries) can be made to
 * fail. UCMOCK_TORTURE="alloc:N", "write:N" or "fsync:N" (fdatasync
 * counted with fsync) chooses the call,
 * counted from torture_arm(), which main() calls once the server is ready;
 * a failed fsync or fdatasync logs "torture: fsync N failed: PATH".
 * In every other build torture_arm() does nothing. */
#ifndef UC_TORTURE_H
#define UC_TORTURE_H

void torture_arm(void);

#endif
