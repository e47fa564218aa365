/* journal.h: the request journal behind /__mock/requests: the last N
 * requests to the real API's endpoints, in the order they arrived, in
 * memory (a restart or /__mock/reset clears it). Safe to use from any
 * thread.
 *
 * A request is recorded when it completes, but listed by its arrival: its
 * connection may be closed (and the request completed) after the client
 * has read the answer and sent its next request on another connection,
 * which another HTTP thread may complete first. A client's POST then GET
 * are listed POST, GET whatever order their connections end in. */
#ifndef UC_JOURNAL_H
#define UC_JOURNAL_H

#include <jansson.h>
#include <stdint.h>

#include "store/tasks.h"

typedef struct journal journal;

typedef struct journal_entry {
    uint64_t seq;                    /* journal_arrival's number: the listing order */
    int64_t at_ms;                   /* virtual clock, when it arrived */
    char method[8];
    char path[256];
    char key[TASK_KEY_MAX + 1];      /* "" when the request had none */
    unsigned status;
    int64_t duration_ms;
    char task_id[TASK_ID_LEN + 1];   /* "" when none */
} journal_entry;

/* A ring of cap entries (0: record nothing). NULL when out of memory. */
journal *journal_new(size_t cap);
void journal_free(journal *j);  /* accepts NULL */

/* The next arrival number (1, 2, ...), taken when a request arrives and
 * kept in its entry's seq. */
uint64_t journal_arrival(journal *j);

/* Record e (copied) in its place by seq; past cap the entry that arrived
 * first goes (e itself, when it arrived before every entry kept). */
void journal_add(journal *j, const journal_entry *e);

/* Forget every entry (key NULL) or those of one key; the others keep
 * their order. */
void journal_clear(journal *j, const char *key);

/* Which entries journal_json lists; NULL fields match everything. */
typedef struct journal_filter {
    const char *path_prefix;
    const char *api_key;
    const char *task_id;
    size_t last;  /* only the last `last` of the matching ones; 0: all */
} journal_filter;

/* The matching entries (the last f->last of them), in arrival order, as
 * the JSON array of /__mock/requests (new reference; NULL when out of
 * memory). *matched, when not NULL, is how many entries match before
 * f->last cuts. */
json_t *journal_json(journal *j, const journal_filter *f, size_t *matched);

#endif
