/* outfile.h: a buffered, append-only output file for result writers.
 * Large writes; the caller makes it durable and renames it into place
 * (files_commit: one fsync, not one here and another there). */
#ifndef UC_OUTFILE_H
#define UC_OUTFILE_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

typedef struct outfile outfile;

uc_err outfile_open(const char *path, outfile **out);   /* creates, 0600 */
uc_err outfile_write(outfile *f, const void *buf, size_t len);
/* Append the first len bytes of the file open at fd (borrowed): how
 * segments written elsewhere join the output, copied in the kernel. */
uc_err outfile_append_fd(outfile *f, int fd, int64_t len);
/* Flush and close; *size gets the file's length. Frees f. */
uc_err outfile_close(outfile *f, int64_t *size);
/* Close and unlink the partial file. Accepts NULL. */
void outfile_abort(outfile *f);

#endif
