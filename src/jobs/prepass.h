/* prepass.h: the first pass of a CSV, TSV or TXT upload while it streams.
 *
 * A thread of its own tails the upload's file as it grows: it decides the
 * layout (delimiter, address column, header) on the first bytes, then
 * reads whole records (parse, check, classify, hash; records spilled as
 * pass_split's read phase does) up to the last record boundary it can
 * see, step by step. When the upload is complete the HTTP layer says so
 * (prepass_complete); the pre-pass reads on until the task's run takes
 * what it read: the split path reads only the rest (pass_split with a
 * split_pre). Nothing of it is
 * visible: the task appears as before, and a cut or refused upload frees
 * it, leaving nothing behind (its records live in an unlinked temp file).
 * A pre-pass that met something it cannot judge alone (a layout the whole
 * file may not share, a quote that leaves the boundary unclear) just
 * gives up; the run then reads every row itself. */
#ifndef UC_PREPASS_H
#define UC_PREPASS_H

#include <stdint.h>

#include "jobs/run.h"
#include "store/tasks.h"

/* An upload needs this many bytes before a step is worth a thread. */
#define PREPASS_MIN (1u << 20)

typedef struct prepass prepass;
typedef struct split_pre split_pre; /* pass.h */

/* Start tailing the upload being written at path (format fmt, for key's
 * lists), unless max pre-passes already run (or fmt is XLSX, or out of
 * resources): NULL then, and the upload goes on as without. env and path
 * are borrowed until prepass_free. */
prepass *prepass_start(const job_env *env, const char *path, enum task_format fmt,
                       const char *key, int max);

/* The file now holds size bytes (the upload's thread, after each write). */
void prepass_grow(prepass *pp, uint64_t size);

/* The upload is complete (the HTTP layer, after its last write): the
 * pre-pass reads on to the end of the file, while the upload is
 * committed and the task queued, until the run takes its rows. The file
 * may be renamed from now on (the pre-pass holds it open). quote_free:
 * no byte of the file is a double quote (the writer saw each byte as it
 * went by), so the run's split can cut it without counting them. Does
 * not wait. Accepts NULL. */
void prepass_complete(prepass *pp, int quote_free);

/* The run takes the rows: the pre-pass starts no more steps; wait for
 * the thread to end (the step under way ends on its own), then give its
 * rows, or NULL when it has none to give. The result is borrowed until
 * prepass_free (pass_split takes its fd). */
split_pre *prepass_rows(prepass *pp);

/* Stop if still running and free everything. Accepts NULL. */
void prepass_free(prepass *pp);

#endif
