/* fuzz_signed_url.c: download_verify (src/http/download.h) on id, expires
 * and signature strings split from the input at NUL bytes; also checks that
 * a URL signed by download_sign always verifies. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/download.h"

static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    int64_t now;
    memcpy(&now, data, sizeof now);
    data += 8;
    size -= 8;
    /* Three NUL-terminated strings, each an exact-size heap block. */
    char *part[3] = {NULL, NULL, NULL};
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        const uint8_t *end = off < size ? memchr(data + off, 0, size - off) : NULL;
        size_t n = end ? (size_t)(end - (data + off)) : size - (off < size ? off : size);
        part[i] = malloc(n + 1);
        if (!part[i])
            abort();
        if (n)
            memcpy(part[i], data + off, n);
        part[i][n] = '\0';
        off += n + 1;
    }
    dl_verdict v = download_verify(secret, part[0], part[1], part[2], now);
    if (v != DL_OK && v != DL_BAD && v != DL_EXPIRED)
        __builtin_trap();
    /* NULLs are what a missing query argument looks like. */
    (void)download_verify(secret, part[0], NULL, part[2], now);
    (void)download_verify(secret, part[0], part[1], NULL, now);

    /* Round trip: a genuine signature over a short id and a non-negative
     * expiry (all the server ever signs) verifies. */
    int64_t exp = now < 0 ? -(now + 1) : now;
    exp = exp < INT64_MAX - 10 ? exp + 10 : exp;
    char sig[65];
    download_sign(secret, part[0], exp, sig);
    char expires[32];
    snprintf(expires, sizeof expires, "%lld", (long long)exp);
    v = download_verify(secret, part[0], expires, sig, exp - 10);
    if (strlen(part[0]) <= 64 && v != DL_OK)
        __builtin_trap();
    for (int i = 0; i < 3; i++)
        free(part[i]);
    return 0;
}
