/* zipw.h: a zip archive written front to back, for result workbooks:
 * small entries stored whole, large ones deflated (igzip, level 1) as their
 * bytes come, in blocks on worker threads past a MiB (pdefl.h), sizes in a
 * data descriptor. Memory is constant whatever the entries' sizes; the archive is not zip64 (4 GB at most). Entries carry
 * a fixed date, so the same input gives the same bytes. */
#ifndef UC_ZIPW_H
#define UC_ZIPW_H

#include <stddef.h>
#include "core/err.h"

#define ZIPW_MAX_ENTRIES 16

typedef struct zipw zipw;

/* Create the archive at path (0600, truncated). UC_EIO (errno says why),
 * UC_ENOMEM. */
uc_err zipw_open(const char *path, zipw **out);
/* One stored entry with these bytes. */
uc_err zipw_add(zipw *z, const char *name, const void *data, size_t n);
/* Start a deflated entry; zipw_write its bytes, then zipw_end. One
 * streamed entry at a time; no zipw_add in between. */
uc_err zipw_begin(zipw *z, const char *name);
uc_err zipw_write(zipw *z, const void *p, size_t n);
uc_err zipw_end(zipw *z);
/* Instead of zipw_write's copy: room for the streamed entry's next bytes
 * (at least one, *room of them; valid until any other call), then
 * zipw_commit of how many were written. NULL when not streaming or on a
 * failure, which zipw_write and zipw_end then return. */
unsigned char *zipw_room(zipw *z, size_t *room);
void zipw_commit(zipw *z, size_t n);
/* Write the central directory and close the file. Frees z whatever the
 * result. UC_ELIMIT when the archive passed 4 GB; UC_EIO with errno set
 * to the failed write's or close's. */
uc_err zipw_close(zipw *z);
/* Abandon: close and free; the caller removes the file. Accepts NULL. */
void zipw_abort(zipw *z);
/* errno of the last failed write or close (0 if none). */
int zipw_errno(const zipw *z);

#endif
