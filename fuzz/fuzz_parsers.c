/* fuzz_parsers.c: the small text parsers that read user-controlled input:
 * config_parse_size and config_parse_duration (flags, environment) and
 * clock_parse (RFC 3339 times posted to /__mock/clock). Input is an
 * exact-size NUL-terminated copy. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    uint64_t bytes = 0;
    (void)config_parse_size(s, &bytes);
    int64_t dur = 0;
    if (config_parse_duration(s, 1000, &dur) == 0 && (dur < 0 || dur > 100LL * 366 * 86400000))
        __builtin_trap();
    int64_t ms = 0;
    if (clock_parse(s, &ms) == 0) {
        /* What clock_format writes, clock_parse must read back. */
        char buf[64];
        clock_format(ms, buf, sizeof buf);
        int64_t back = 0;
        if (ms >= 0 && ms < 253402300800000LL && clock_parse(buf, &back) == 0 &&
            back / 1000 != ms / 1000)
            __builtin_trap();
    }
    free(s);
    return 0;
}
