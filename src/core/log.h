/* log.h: leveled logging to stderr, one line per event, in logfmt text
 * (time=... level=info event=task_completed task=... rows=3) or, with
 * --log-format json, one JSON object per line ({"ts":...,"level":"info",
 * "event":"task_completed","task":...,"rows":3}) for log collectors.
 * Only the HTTP layer and main log; modules return errors instead. */
#ifndef UC_LOG_H
#define UC_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set the threshold from a name ("debug", "info", "warn", "error").
 * Returns 0, or -1 for an unknown name. */
int log_set_level(const char *name);
/* "text" (logfmt, the default) or "json". Returns 0, or -1. */
int log_set_format(const char *name);
int log_enabled(enum log_level lv);

#define LOG_LINE_MAX 4096
#define LOG_VALUE_MAX 1024 /* a longer value is cut, ending in "…" */

/* One line being built, on the caller's stack:
 *
 *     log_line l;
 *     if (log_begin(&l, LOG_INFO, "task_completed")) {
 *         log_str(&l, "task", id);
 *         log_int(&l, "rows", rows);
 *         log_end(&l);
 *     }
 *
 * log_begin returns 0 below the threshold (the other calls then do
 * nothing). Keys are fixed words chosen by the caller; values may hold any
 * bytes: text mode quotes and escapes what needs it, JSON mode escapes it
 * and shows ill-formed UTF-8 as U+FFFD. log_end writes the line with one
 * write(), so lines from different threads never interleave. */
typedef struct log_line {
    int on;
    int json;
    struct json_t *obj;       /* JSON mode */
    size_t n;                 /* text mode: bytes in buf */
    char buf[LOG_LINE_MAX];
} log_line;

int log_begin(log_line *l, enum log_level lv, const char *event);
/* A NULL value leaves the field out. */
void log_str(log_line *l, const char *key, const char *val);
void log_int(log_line *l, const char *key, long long val);
void log_end(log_line *l);

/* How an API key is shown in logs: whole up to 8 bytes ("ci-job-1"), else
 * its first 8 bytes (never splitting a UTF-8 character), "…#" and 6 hex
 * digits of a hash of the whole key ("sk_live_…#a1b2c3"), so different keys
 * look different without a long secret being printed whole. */
#define LOG_KEY_SHOWN 24
void log_key_shown(const char *key, char out[LOG_KEY_SHOWN]);

#endif
