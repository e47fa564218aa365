/* pdefl.h: one raw deflate stream (ISA-L's igzip, level 1) made in blocks of
 * PDEFL_BLOCK bytes, deflated on worker threads side by side (the way pigz
 * does it) and handed back in order. Each block is deflated on its own,
 * primed with the 32 KiB before it as the dictionary and ended with a
 * sync flush (the last with a finish), so the blocks join into one
 * stream. The bytes depend on the input alone: the same whether the
 * threads could start or the caller deflated every block itself.
 *
 * Contract: one caller thread calls everything below; the sink is called
 * on that thread, in stream order. The workers only deflate the blocks
 * given to them and never call back. */
#ifndef UC_PDEFL_H
#define UC_PDEFL_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

#define PDEFL_BLOCK (1u << 20)

typedef struct pdefl pdefl;

/* Where the deflated bytes go, in order; a failure stops the stream and
 * pdefl returns it from then on. */
typedef uc_err (*pdefl_sink)(void *ud, const void *p, size_t n);

/* A stream writing to sink(ud). UC_ENOMEM. Threads start only once a
 * stream passes one block. */
uc_err pdefl_new(pdefl_sink sink, void *ud, pdefl **out);
/* Start a new stream (after pdefl_finish, or to drop the current one). */
void pdefl_begin(pdefl *d);
/* Add n bytes (copied). The sink's failure, UC_EIO when deflate fails. */
uc_err pdefl_write(pdefl *d, const void *p, size_t n);
/* Room to write the stream's next bytes into directly (at least one
 * byte, *room of them), instead of pdefl_write's copy; then pdefl_commit
 * says how many were written. Valid until any other call. NULL on a
 * failure, which pdefl_write and pdefl_finish then return. */
unsigned char *pdefl_room(pdefl *d, size_t *room);
void pdefl_commit(pdefl *d, size_t n);
/* End the stream: everything deflated and handed to the sink. The
 * input's CRC-32 and size, and the deflated size, when it succeeds. */
uc_err pdefl_finish(pdefl *d, uint32_t *crc, uint64_t *usize, uint64_t *csize);
/* Never start workers: every block is deflated on the caller's thread
 * (for tests: the bytes are the same). Before the first write. */
void pdefl_serial(pdefl *d);
/* Stop the workers (dropping what they hold) and free. Accepts NULL. */
void pdefl_free(pdefl *d);

#endif
