/* email_column.c: the address column of a file, from its first row (see
 * email_column.h). */
#include "jobs/email_column.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const header_names[] = {"email", "e-mail", "email address", "emails"};

/* A header cell naming the address column: one of the names in any case,
 * ignoring blanks around it. */
static int is_email_header(const char *v, size_t len)
{
    while (len && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < sizeof header_names / sizeof *header_names; i++)
        if (strlen(header_names[i]) == len && strncasecmp(v, header_names[i], len) == 0)
            return 1;
    return 0;
}

/* List the row's cells into out->found: "a", "b", ... cut to fit. */
static void list_found(const cell *cells, size_t n, email_column *out)
{
    char *p = out->found;
    size_t room = sizeof out->found - 4; /* keeps space for "..." and NUL */
    size_t used = 0;
    out->found[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t need = (i ? 2 : 0) + 2 + cells[i].len;
        if (used + need > room) {
            memcpy(p + used, "...", 4);
            return;
        }
        used += (size_t)snprintf(p + used, room + 4 - used, "%s\"%.*s\"", i ? ", " : "",
                                 (int)cells[i].len, cells[i].len ? cells[i].v : "");
    }
}

uc_err email_column_find(const cell *cells, size_t n, email_column *out)
{
    out->found[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (cells[i].type == CELL_STRING && is_email_header(cells[i].v, cells[i].len)) {
            out->col = (uint32_t)i;
            out->has_header = 1;
            return UC_OK;
        }
    if (n > 0 && cells[0].type == CELL_STRING && cells[0].len &&
        memchr(cells[0].v, '@', cells[0].len)) {
        out->col = 0;
        out->has_header = 0;
        return UC_OK;
    }
    list_found(cells, n, out);
    return UC_ENOTFOUND;
}
