/* log.c: event lines on stderr, logfmt text or JSON (jansson), each written
 * whole with one write() so threads never interleave. */
#include "core/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/utf8.h"

static int threshold = LOG_INFO;
static int json_mode;
static const char *names[] = {"debug", "info", "warn", "error"};

int log_set_level(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(name, names[i])) {
            threshold = i;
            return 0;
        }
    return -1;
}

int log_set_format(const char *name)
{
    if (!strcasecmp(name, "text"))
        json_mode = 0;
    else if (!strcasecmp(name, "json"))
        json_mode = 1;
    else
        return -1;
    return 0;
}

int log_enabled(enum log_level lv) { return (int)lv >= threshold; }

static void write_line(const char *s, size_t n)
{
    ssize_t w = write(STDERR_FILENO, s, n);
    (void)w;
}

/* "2026-01-02T03:04:05.678Z", wall-clock time (not the virtual clock). */
static void timestamp(char out[32])
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", (long)tv.tv_usec / 1000);
}

/* ---- text mode ---- */

static void put(log_line *l, const char *s, size_t n)
{
    /* keep room for the "…" of a cut line and its newline */
    size_t room = sizeof l->buf - 5 - l->n;
    if (n > room)
        n = room;
    memcpy(l->buf + l->n, s, n);
    l->n += n;
}

static int needs_quotes(const char *v, size_t n)
{
    if (n == 0)
        return 1;
    int nul;
    if (utf8_scan((const unsigned char *)v, 0, n, &nul) != n)
        return 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f)
            return 1;
    }
    return 0;
}

/* v[0, n) in double quotes: \" \\ \n \r \t, other control bytes and bytes
 * that are not well-formed UTF-8 as \xNN; "…" before the closing quote
 * when the value was cut. */
static void put_quoted(log_line *l, const char *v, size_t n, int cut)
{
    const unsigned char *s = (const unsigned char *)v;
    put(l, "\"", 1);
    size_t i = 0;
    while (i < n) {
        int nul;
        size_t bad = (size_t)utf8_scan(s, i, n, &nul);
        for (; i < bad; i++) {
            char esc[8];
            switch (s[i]) {
            case '"': put(l, "\\\"", 2); break;
            case '\\': put(l, "\\\\", 2); break;
            case '\n': put(l, "\\n", 2); break;
            case '\r': put(l, "\\r", 2); break;
            case '\t': put(l, "\\t", 2); break;
            default:
                if (s[i] < ' ' || s[i] == 0x7f) {
                    snprintf(esc, sizeof esc, "\\x%02x", s[i]);
                    put(l, esc, 4);
                } else {
                    put(l, (const char *)s + i, 1);
                }
            }
        }
        if (i < n) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\x%02x", s[i]);
            put(l, esc, 4);
            i++;
        }
    }
    if (cut)
        put(l, "…", 3);
    put(l, "\"", 1);
}

/* ---- lines ---- */

int log_begin(log_line *l, enum log_level lv, const char *event)
{
    l->on = log_enabled(lv);
    l->json = json_mode;
    l->obj = NULL;
    l->n = 0;
    if (!l->on)
        return 0;
    char ts[32];
    timestamp(ts);
    if (l->json) {
        l->obj = json_object();
        if (l->obj) {
            json_object_set_new(l->obj, "ts", json_string(ts));
            json_object_set_new(l->obj, "level", json_string(names[lv]));
            json_object_set_new(l->obj, "event", json_string(event));
        }
        return 1;
    }
    int n = snprintf(l->buf, sizeof l->buf, "time=%s level=%s event=%s", ts, names[lv],
                     event);
    l->n = n > 0 && (size_t)n < sizeof l->buf ? (size_t)n : 0;
    return 1;
}

void log_str(log_line *l, const char *key, const char *val)
{
    if (!l->on || !val)
        return;
    size_t n = strlen(val);
    int cut = n > LOG_VALUE_MAX;
    if (cut) {
        n = LOG_VALUE_MAX;
        while (n > 0 && ((unsigned char)val[n] & 0xc0) == 0x80)
            n--; /* end on a character boundary */
    }
    if (l->json) {
        if (!l->obj)
            return;
        char *s = utf8_sanitize_dup(val, n);
        if (!s)
            return;
        if (cut) {
            char *t = realloc(s, strlen(s) + 4);
            if (t) {
                strcat(t, "…");
                s = t;
            }
        }
        json_object_set_new(l->obj, key, json_string(s));
        free(s);
        return;
    }
    put(l, " ", 1);
    put(l, key, strlen(key));
    put(l, "=", 1);
    if (cut || needs_quotes(val, n)) {
        put_quoted(l, val, n, cut);
    } else {
        put(l, val, n);
    }
}

void log_int(log_line *l, const char *key, long long val)
{
    if (!l->on)
        return;
    if (l->json) {
        if (l->obj)
            json_object_set_new(l->obj, key, json_integer((json_int_t)val));
        return;
    }
    char num[32];
    int n = snprintf(num, sizeof num, " %s=", key);
    put(l, num, n > 0 ? (size_t)n : 0);
    n = snprintf(num, sizeof num, "%lld", val);
    put(l, num, (size_t)n);
}

void log_end(log_line *l)
{
    if (!l->on)
        return;
    l->on = 0;
    if (l->json) {
        if (!l->obj)
            return;
        char *s = json_dumps(l->obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(l->obj);
        l->obj = NULL;
        if (!s)
            return;
        size_t n = strlen(s);
        s[n] = '\n'; /* over the NUL: the line is s[0, n] */
        write_line(s, n + 1);
        free(s);
        return;
    }
    if (l->n == sizeof l->buf - 5) /* cut: room was kept for this */
        memcpy(l->buf + l->n, "…", 3), l->n += 3;
    l->buf[l->n++] = '\n';
    write_line(l->buf, l->n);
}

void log_key_shown(const char *key, char out[LOG_KEY_SHOWN])
{
    size_t n = strlen(key);
    if (n <= 8) {
        memcpy(out, key, n + 1);
        return;
    }
    size_t k = 8;
    while (k > 0 && ((unsigned char)key[k] & 0xc0) == 0x80)
        k--; /* never split a UTF-8 character */
    unsigned h = (unsigned)(XXH3_64bits(key, n) & 0xffffff);
    memcpy(out, key, k);
    snprintf(out + k, LOG_KEY_SHOWN - k, "…#%06x", h);
}
