/* email_check.c: driver for the differential test of the validator.
 *
 * Reads records "<length>\n<bytes>" from stdin (so an address may hold
 * any byte, newlines included) and judges each with
 * email_validate_pydantic(), or with --raw email_validate(). Writes per
 * record either
 *   "1 <n> <a> <d>\n" + normalized (n bytes) + ascii_email (a) + ascii_domain (d)
 * or
 *   "0 <r>\n" + the reason (r bytes; r is -1 when memory ran out). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/email.h"

int main(int argc, char **argv)
{
    int raw = argc > 1 && strcmp(argv[1], "--raw") == 0;
    size_t cap = 0;
    char *buf = NULL;
    unsigned long len;
    while (scanf("%lu", &len) == 1 && getchar() == '\n') {
        if (len + 1 > cap) {
            cap = len + 1;
            free(buf);
            if (!(buf = malloc(cap)))
                return 2;
        }
        if (fread(buf, 1, len, stdin) != len)
            return 2;
        email_addr e;
        char *reason = NULL;
        email_verdict v = raw ? email_validate(buf, len, &e, &reason)
                              : email_validate_pydantic(buf, len, &e, &reason);
        if (v == EMAIL_VALID) {
            printf("1 %zu %zu %zu\n", e.len, e.ascii_len, e.ascii_domain_len);
            fwrite(e.normalized, 1, e.len, stdout);
            fwrite(e.ascii_email, 1, e.ascii_len, stdout);
            fwrite(e.ascii_domain, 1, e.ascii_domain_len, stdout);
        } else if (reason) {
            printf("0 %zu\n", strlen(reason));
            fputs(reason, stdout);
        } else {
            fputs("0 -1\n", stdout);
        }
        free(reason);
    }
    free(buf);
    return ferror(stdout) ? 1 : 0;
}
