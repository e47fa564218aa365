/* email_column.c: the address column of a file, from its first rows (see
 * email_column.h). */
#include "jobs/email_column.h"

#include <stdio.h>
#include <string.h>

/* Words that may stand before "email" ("Contact Email", "Work E-mail"). */
static const char *const qualifiers[] = {"contact", "primary", "work", "home", "personal",
                                         "business", "main", "other", "internet"};
/* Words that may follow it ("Email Address", "E-mail 1 - Value", "Emails"). */
static const char *const suffixes[] = {"addresses", "address", "addr", "value", "s"};

static int eat(const char **p, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0)
        return 0;
    *p += n;
    return 1;
}

int email_column_rank(const char *v, size_t len)
{
    /* Fold: ASCII lowercase, drop spaces, tabs, '-' and '_'. */
    char f[64];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == ' ' || c == '\t' || c == '-' || c == '_')
            continue;
        if (n == sizeof f)
            return -1; /* no address-column name is this long */
        f[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    const char *p = f, *end = f + n;
    int qualified = 0;
    for (size_t i = 0; i < sizeof qualifiers / sizeof *qualifiers; i++)
        if (eat(&p, end, qualifiers[i])) {
            qualified = 1;
            break;
        }
    if (!eat(&p, end, "email") && !eat(&p, end, "mail"))
        return -1;
    /* Then a number and suffixes in any order ("2address", "1value",
     * "address2"), and last an optional "(...)" qualifier. */
    unsigned long number = 0;
    int numbered = 0, parts = 0;
    while (p < end && *p != '(' && parts < 4) {
        parts++;
        if (*p >= '0' && *p <= '9') {
            if (numbered)
                return -1;
            numbered = 1;
            while (p < end && *p >= '0' && *p <= '9' && number < 1000)
                number = number * 10 + (unsigned long)(*p++ - '0');
            continue;
        }
        size_t i = 0;
        while (i < sizeof suffixes / sizeof *suffixes && !eat(&p, end, suffixes[i]))
            i++;
        if (i == sizeof suffixes / sizeof *suffixes)
            return -1;
    }
    if (p < end) {
        if (*p != '(' || end[-1] != ')')
            return -1;
        qualified = 1;
    }
    if (numbered && number > 1)
        return 3;
    if (qualified)
        return 2;
    return numbered ? 1 : 0;
}

/* out->reason: the failure, with the first row's cells quoted. */
static void say_missing(const cell *cells, size_t n, email_column *out)
{
    char *b = out->reason;
    size_t cap = sizeof out->reason, used;
    if (n == 0) {
        snprintf(b, cap, "No email column found: the first row is empty");
        return;
    }
    used = (size_t)snprintf(b, cap, "No email column found in the headers: ");
    size_t shown = n < EMAIL_COLUMN_LIST_MAX ? n : EMAIL_COLUMN_LIST_MAX;
    for (size_t i = 0; i < shown && used < cap; i++) {
        /* A name is cut at 40 bytes, on a UTF-8 boundary. */
        size_t len = cells[i].type == CELL_EMPTY ? 0 : cells[i].len;
        int cut = len > 40;
        if (cut) {
            len = 40;
            while (len && ((unsigned char)cells[i].v[len] & 0xC0) == 0x80)
                len--;
        }
        used += (size_t)snprintf(b + used, cap - used, "%s\"%.*s%s\"", i ? ", " : "",
                                 (int)len, len ? cells[i].v : "", cut ? "..." : "");
    }
    if (n > shown && used < cap)
        used += (size_t)snprintf(b + used, cap - used, " and %zu more", n - shown);
    if (used < cap)
        snprintf(b + used, cap - used,
                 ". Name the address column email, e-mail or email address, "
                 "or put the addresses in the first column");
}

uc_err email_column_find(const cell *cells, size_t n, email_column *out)
{
    out->reason[0] = 0;
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (cells[i].type != CELL_STRING)
            continue;
        int rank = email_column_rank(cells[i].v, cells[i].len);
        if (rank >= 0 && (best < 0 || rank < best)) {
            best = rank;
            out->col = (uint32_t)i;
        }
    }
    if (best >= 0) {
        out->has_header = 1;
        return UC_OK;
    }
    if (n > 0 && cells[0].type == CELL_STRING && cells[0].len &&
        memchr(cells[0].v, '@', cells[0].len)) {
        out->col = 0;
        out->has_header = 0;
        return UC_OK;
    }
    say_missing(cells, n, out);
    return UC_ENOTFOUND;
}

void email_probe_row(email_probe *p, const cell *first)
{
    p->rows++;
    if (first && first->type == CELL_STRING && first->len && memchr(first->v, '@', first->len))
        p->with_at++;
}

int email_probe_done(const email_probe *p)
{
    return p->rows >= EMAIL_PROBE_ROWS;
}

int email_probe_headerless(const email_probe *p)
{
    return p->with_at > 0 && p->with_at * 2 > p->rows;
}
