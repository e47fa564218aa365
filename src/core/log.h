/* log.h: leveled logging to stderr, one logfmt line per event.
 * Only the HTTP layer and main log; modules return errors instead. */
#ifndef UC_LOG_H
#define UC_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set the threshold from a name ("debug", "info", "warn", "error").
 * Returns 0, or -1 for an unknown name. */
int log_set_level(const char *name);
int log_enabled(enum log_level lv);
/* msg is a printf format; the line starts with time= and level=. */
void log_msg(enum log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
