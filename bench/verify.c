/* verify.c: micro-benchmark of the validator and classifier on a list of
 * addresses, one a line (e.g. the email column of a bench/gen.py file).
 *
 *   build-release/bench/verify ADDRESSES [REPEATS]
 *
 * Times email_validate_pydantic() alone and then with classify_valid()
 * (built-in domain lists) over every line, REPEATS times (default 5), and
 * prints the best run of each in ns per address. For instruction counts
 * that machine load does not disturb, run it under valgrind --tool=callgrind
 * with REPEATS 1 and 2 and take the difference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verify/classify.h"
#include "verify/email.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ADDRESSES [REPEATS]\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    char chunk[1 << 16];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got > cap) {
            cap = (len + got) * 2;
            char *t = realloc(text, cap);
            if (!t)
                return 1;
            text = t;
        }
        memcpy(text + len, chunk, got);
        len += got;
    }
    fclose(f);
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    char err[256];
    domain_lists *dl = NULL;
    if (domain_lists_load(NULL, &dl, err, sizeof err) != UC_OK) {
        fprintf(stderr, "domain lists: %s\n", err);
        return 1;
    }
    for (int classify_too = 0; classify_too < 2; classify_too++) {
        double best = 1e30;
        size_t lines = 0, valid = 0;
        for (int r = 0; r < repeats; r++) {
            double t0 = now();
            lines = valid = 0;
            for (char *p = text, *end = text + len; p < end; lines++) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                email_addr e;
                if (email_validate_pydantic(p, n, &e, NULL) == EMAIL_VALID) {
                    valid++;
                    if (classify_too)
                        (void)classify_valid(dl, NULL, &e);
                }
                p += n + 1;
            }
            double t = now() - t0;
            if (t < best)
                best = t;
        }
        printf("%s: %zu addresses (%zu valid), best of %d: %.1f ns/address\n",
               classify_too ? "validate + classify" : "validate", lines, valid, repeats,
               lines ? best * 1e9 / (double)lines : 0.0);
    }
    domain_lists_free(dl);
    free(text);
    return 0;
}
