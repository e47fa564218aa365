/* limits.h: per-key rate limits and per-IP single-check ban counters,
 * both on the virtual clock, both in memory (a restart or /__mock/reset
 * clears them).
 *
 * Bans count per caller IP, as the real service does, whatever the key.
 * So that a test suite can reset one test's key and lift what that test
 * caused, the limiter also remembers which IPs each key's single checks
 * came from (limits_ban_touch). Every function is safe from any thread. */
#ifndef UC_LIMITS_H
#define UC_LIMITS_H

#include <jansson.h>
#include <stdint.h>

/* What a single check answers as remaining_attempts_before_ban when bans
 * are off (threshold 0): the real service's starting value. */
#define LIMITS_BAN_OFF_LEFT 5

typedef struct limits limits;

limits *limits_new(void);
void limits_free(limits *l);  /* accepts NULL */

/* Count one batch submission by key against per_minute (fixed window
 * that opens at the first hit, as the `limits` library behind slowapi
 * does). Returns 0 if allowed; else the seconds until the window ends. */
int limits_rate_hit(limits *l, const char *key, int per_minute, int64_t now_ms);

/* Attempts left before ban for ip, starting at threshold (0 = bans off:
 * always LIMITS_BAN_OFF_LEFT, and ip is never banned). */
int limits_ban_left(limits *l, const char *ip, int threshold);
/* One black result for ip: returns attempts left after it (>= 0). With
 * threshold 0 nothing is counted. */
int limits_ban_hit(limits *l, const char *ip, int threshold);
/* Remember that key made a single check from ip (for limits_reset). */
void limits_ban_touch(limits *l, const char *ip, const char *key);

/* Forget everything (key NULL); or key's rate window and the ban
 * counters of every IP key's single checks came from. */
void limits_reset(limits *l, const char *key);
/* Forget every ban counter (rate windows stay). */
void limits_bans_clear(limits *l);

/* The ban counters as GET /__mock/bans lists them, each IP with its black
 * results, attempts left and the keys seen from it (new reference; NULL
 * when out of memory). */
json_t *limits_bans_json(limits *l, int threshold);

#endif
