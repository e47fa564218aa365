/* limits.h: per-key rate limits and per-IP single-check ban counters,
 * both on the virtual clock, both in memory (a restart or /__mock/reset
 * clears them). */
#ifndef UC_LIMITS_H
#define UC_LIMITS_H

#include <stdint.h>

typedef struct limits limits;

limits *limits_new(void);
void limits_free(limits *l);  /* accepts NULL */

/* Count one batch submission by key against per_minute (fixed window
 * that opens at the first hit, as the `limits` library behind slowapi
 * does). Returns 0 if allowed; else the seconds until the window ends. */
int limits_rate_hit(limits *l, const char *key, int per_minute, int64_t now_ms);

/* Attempts left before ban for ip, starting at threshold. */
int limits_ban_left(limits *l, const char *ip, int threshold);
/* One black result for ip: returns attempts left after it (>= 0). */
int limits_ban_hit(limits *l, const char *ip, int threshold);

/* Forget everything (key NULL) or one key's rate window. Ban counters
 * are per IP and cleared only by a full reset. */
void limits_reset(limits *l, const char *key);

#endif
