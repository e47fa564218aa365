/* email_check.c: driver for the differential test of email_valid().
 * Reads one address per line from stdin (any bytes but '\n') and prints
 * "1" or "0" per line; with -r, invalid lines print "0\t<reason>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/email.h"

int main(int argc, char **argv)
{
    int with_reason = argc > 1 && strcmp(argv[1], "-r") == 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        const char *reason = NULL;
        if (email_valid(line, len, &reason))
            fputs("1\n", stdout);
        else if (with_reason)
            printf("0\t%s\n", reason);
        else
            fputs("0\n", stdout);
    }
    free(line);
    return ferror(stdout) ? 1 : 0;
}
