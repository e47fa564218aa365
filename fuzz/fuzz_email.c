/* fuzz_email.c: address syntax (email_validate_pydantic, email_validate)
 * and classification (classify) on arbitrary bytes, with the built-in
 * domain lists and a small account list derived from nothing but
 * constants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify/classify.h"
#include "verify/email.h"

static domain_lists *dl;
static acct_lists *al;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    if (domain_lists_load(NULL, &dl, err, sizeof err))
        abort();
    al = acct_lists_new();
    static const char white[] = "# white\nboss@example.com\ntrusted.org\n";
    static const char black[] = "spam.example\nbad@x.io\n\n";
    if (!al || acct_lists_add(al, LIST_WHITE, white, sizeof white - 1) ||
        acct_lists_add(al, LIST_BLACK, black, sizeof black - 1))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size heap copy: any read past the end is an ASan report. */
    char *addr = malloc(size ? size : 1);
    if (!addr)
        return 0;
    memcpy(addr, data, size);
    char *reason = NULL;
    email_addr e;
    email_verdict ev = email_validate_pydantic(addr, size, &e, &reason);
    bool ok = ev == EMAIL_VALID;
    if (ev == EMAIL_INVALID && !reason)
        __builtin_trap(); /* every rejection has a reason */
    if (ok && (e.len != strlen(e.normalized) || e.normalized[e.at] != '@' ||
               e.ascii_len != strlen(e.ascii_email) || e.len > EMAIL_OCTETS_MAX ||
               e.ascii_domain_len != strlen(e.ascii_domain)))
        __builtin_trap(); /* the forms are whole and fit */
    free(reason);
    /* a valid address is valid again as normalized, with the same forms */
    email_addr again;
    if (ok && (email_validate(e.normalized, e.len, &again, NULL) != EMAIL_VALID ||
               strcmp(again.normalized, e.normalized) != 0))
        __builtin_trap();
    reason = NULL;
    if (email_validate(addr, size, NULL, &reason) == EMAIL_INVALID && !reason)
        __builtin_trap();
    free(reason);
    verdict v, w;
    if (classify(dl, NULL, addr, size, &v))
        goto done; /* out of memory: no verdict */
    if ((int)v < 0 || v >= V_COUNT)
        __builtin_trap();
    if (ev == EMAIL_INVALID && v != V_BLACK_INVALID)
        __builtin_trap(); /* invalid syntax must classify as invalid */
    if (classify(dl, al, addr, size, &w))
        goto done;
    if ((int)w < 0 || w >= V_COUNT || !verdict_category(w) || !verdict_domain_type(w))
        __builtin_trap();
    /* The user's own lists, fed the input. */
    acct_lists *mine = acct_lists_new();
    if (mine) {
        (void)acct_lists_add(mine, LIST_GREY, addr, size);
        verdict x;
        (void)classify(dl, mine, addr, size, &x);
        acct_lists_free(mine);
    }
done:
    free(addr);
    return 0;
}
