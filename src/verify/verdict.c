/* verdict.c: the names of the verdicts, as the result columns and the
 * single check show them, and back from names to a verdict (scenarios
 * choose outcomes by name). */
#include "verify/verdict.h"

#include <stddef.h>
#include <string.h>

/* Each verdict's category and domain_type, as the result columns show them. */
static const struct {
    const char *category, *domain_type;
} vnames[V_COUNT] = {
    [V_WHITE_UNKNOWN] = {"white", "unknown"},
    [V_BLACK_INVALID] = {"black", "invalid"},
    [V_BLACK_DISPOSABLE] = {"black", "disposable"},
    [V_GREY_MULTI_ALIAS] = {"grey", "multi-alias services"},
    [V_GREY_MASKED] = {"grey", "masked legitimate"},
    [V_BLACK_MASKED] = {"black", "masked legitimate"},
    [V_GREY_SUSPICIOUS] = {"grey", "suspicious signs"},
    [V_BLACK_SUSPICIOUS] = {"black", "suspicious signs"},
    [V_BLACK_NO_WEBSITE] = {"black", "no website"},
    [V_WHITE_LIST] = {"white", "white"},
    [V_GREY_LIST] = {"grey", "grey"},
    [V_BLACK_LIST] = {"black", "black"},
};

const char *verdict_category(verdict v)
{
    return (unsigned)v < V_COUNT ? vnames[v].category : "white";
}

const char *verdict_domain_type(verdict v)
{
    return (unsigned)v < V_COUNT ? vnames[v].domain_type : "unknown";
}

const char *const verdict_categories[] = {"white", "grey", "black", NULL};
const char *const verdict_domain_types[] = {
    "unknown", "disposable", "multi-alias services", "masked legitimate",
    "suspicious signs", "no website", "white", "grey", "black", NULL,
};

int verdict_parse(const char *category, const char *domain_type, verdict *out)
{
    for (int v = 0; v < V_COUNT; v++)
        if (!strcmp(vnames[v].category, category) && !strcmp(vnames[v].domain_type, domain_type)) {
            *out = (verdict)v;
            return 0;
        }
    return -1;
}
