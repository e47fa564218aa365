/* bigmem.h: large anonymous buffers kept from one task to the next.
 *
 * On a virtual machine a fresh page costs far more to fault in than the
 * work done on it (about 19 us a 4 KiB page here: 64 MiB of fresh memory
 * 315 ms, the same pages again 4 ms). A large task's big arrays (row
 * records, dedup tables, per-row outcomes) come from here and go back
 * here; the pages stay mapped and faulted in for the next task, up to
 * BIGMEM_KEEP bytes in all (the rest is unmapped), and given back to the
 * system when no task has used them for a while (bigmem_trim_idle, from
 * the sweeper): an idle server does not hold a large task's memory.
 * Thread-safe. Internal to src/jobs, and main's sweeper. */
#ifndef UC_BIGMEM_H
#define UC_BIGMEM_H

#include <stddef.h>
#include <stdint.h>

#define BIGMEM_UNIT ((size_t)2 << 20)  /* sizes are rounded up to this */
#define BIGMEM_KEEP ((size_t)160 << 20) /* bytes kept between tasks at most */

/* len bytes rounded up to BIGMEM_UNIT (*cap), aligned to BIGMEM_UNIT: a
 * kept buffer of exactly that size, else a fresh mapping. The contents
 * are undefined (a kept buffer holds what its last user left). NULL on
 * ENOMEM or len 0. Give it back with bigmem_give(p, *cap). */
void *bigmem_take(size_t len, size_t *cap);
/* Keep p (cap bytes, from bigmem_take) for a later take, or unmap it when
 * BIGMEM_KEEP bytes are kept already. Accepts NULL. */
void bigmem_give(void *p, size_t cap);
/* For an array that may be small or large: n bytes from bigmem_take when
 * n >= BIGMEM_MIN (*cap its size), else from malloc (*cap 0). NULL on
 * ENOMEM. */
#define BIGMEM_MIN ((size_t)256 << 10)
void *bigmem_alloc(size_t n, size_t *cap);
/* Room for n bytes, the first used of p copied (p from bigmem_alloc, *cap
 * as it set it; updated): realloc's contract, p untouched on failure. */
void *bigmem_resize(void *p, size_t used, size_t *cap, size_t n);
/* Back to where bigmem_alloc took it from. Accepts NULL. */
void bigmem_free(void *p, size_t cap);
/* Unmap every kept buffer when none was taken or given back in the
 * idle_ms before now_ms (clock_mono_ms); the bytes given back. */
size_t bigmem_trim_idle(int64_t now_ms, int64_t idle_ms);
/* Bytes kept now (for tests). */
size_t bigmem_kept(void);

#endif
