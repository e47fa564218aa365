/* clock.c: virtual wall clock (real time plus a settable offset). */
#include "core/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t offset_ms;

static int64_t real_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t real_ms(clockid_t id) { return real_us(id) / 1000; }

int64_t clock_now_ms(void) { return real_ms(CLOCK_REALTIME) + atomic_load(&offset_ms); }
int64_t clock_offset_ms(void) { return atomic_load(&offset_ms); }
void clock_set_offset_ms(int64_t off) { atomic_store(&offset_ms, off); }
int64_t clock_retention_end(int64_t created_ms, int days)
{
    return created_ms + (int64_t)days * CLOCK_DAY_MS;
}

int64_t clock_retention_cutoff(int days)
{
    return clock_now_ms() - (int64_t)days * CLOCK_DAY_MS;
}

int64_t clock_mono_ms(void) { return real_ms(CLOCK_MONOTONIC); }
int64_t clock_mono_us(void) { return real_us(CLOCK_MONOTONIC); }

void clock_format(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int clock_parse(const char *s, int64_t *ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    int64_t frac = 0;
    if (*p == '.') {
        int64_t scale = 100;
        for (p++; *p >= '0' && *p <= '9'; p++) {
            frac += (*p - '0') * scale;
            scale /= 10;
        }
    }
    int64_t tz = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        /* exactly [+-]HH:MM */
        for (int i = 1; i <= 5; i++)
            if (i == 3 ? p[i] != ':' : (p[i] < '0' || p[i] > '9'))
                return -1;
        int hh = (p[1] - '0') * 10 + (p[2] - '0');
        int mm = (p[4] - '0') * 10 + (p[5] - '0');
        if (hh > 23 || mm > 59)
            return -1;
        tz = (int64_t)(hh * 60 + mm) * 60 * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    *ms = ((int64_t)timegm(&tm) - tz) * 1000 + frac;
    return 0;
}
