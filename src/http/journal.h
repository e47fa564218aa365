/* journal.h: the request journal behind /__mock/requests: the last N
 * requests to the real API's endpoints, oldest first, in memory (a
 * restart or /__mock/reset clears it). Safe to use from any thread. */
#ifndef UC_JOURNAL_H
#define UC_JOURNAL_H

#include <jansson.h>
#include <stdint.h>

#include "store/tasks.h"

typedef struct journal journal;

typedef struct journal_entry {
    int64_t at_ms;                   /* virtual clock, when it completed */
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

/* Record e (copied); past cap the oldest entry goes. */
void journal_add(journal *j, const journal_entry *e);

/* Forget every entry (key NULL) or those of one key; the others keep
 * their order. */
void journal_clear(journal *j, const char *key);

/* Which entries journal_json lists; NULL fields match everything. */
typedef struct journal_filter {
    const char *path_prefix;
    const char *api_key;
    const char *task_id;
} journal_filter;

/* The matching entries, oldest first, as the JSON array of
 * /__mock/requests (new reference; NULL when out of memory). */
json_t *journal_json(journal *j, const journal_filter *f);

#endif
