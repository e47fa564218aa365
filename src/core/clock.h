/* clock.h: the one virtual clock every time-based rule reads.
 *
 * now = real time + offset. Tests move it forward through /__mock/clock;
 * the offset is kept in the database so a restart keeps it. */
#ifndef UC_CLOCK_H
#define UC_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Virtual now, Unix milliseconds. Thread-safe. */
int64_t clock_now_ms(void);
int64_t clock_offset_ms(void);
void clock_set_offset_ms(int64_t off);

/* Format ms as RFC 3339 UTC, "2026-11-26T06:35:12Z". buf >= 32 bytes. */
void clock_format(int64_t ms, char *buf, size_t cap);
/* Parse RFC 3339 ("...Z" or "+HH:MM", optional fraction). 0 on success. */
int clock_parse(const char *s, int64_t *ms);

/* Retention, in one place: a task created at created_ms expires (is
 * deleted, with its files) once now passes created_ms + days. */
#define CLOCK_DAY_MS INT64_C(86400000)
/* When a task created at created_ms expires. */
int64_t clock_retention_end(int64_t created_ms, int days);
/* Now minus days: the tasks created before it have expired. */
int64_t clock_retention_cutoff(int days);

/* Real monotonic time in ms, for durations; in us, for short ones. */
int64_t clock_mono_ms(void);
int64_t clock_mono_us(void);

#endif
