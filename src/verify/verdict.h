/* verdict.h: what the classifier decides, the (category, domain_type)
 * pairs of the real service, with their one name/parse table (verdict.c):
 * the names are written and compared there only. */
#ifndef UC_VERDICT_H
#define UC_VERDICT_H

/* Every (category, domain_type) pair the real service returns. */
typedef enum verdict {
    V_WHITE_UNKNOWN = 0,
    V_BLACK_INVALID,
    V_BLACK_DISPOSABLE,
    V_GREY_MULTI_ALIAS,
    V_GREY_MASKED,
    V_BLACK_MASKED,
    V_GREY_SUSPICIOUS,
    V_BLACK_SUSPICIOUS,
    V_BLACK_NO_WEBSITE,
    V_WHITE_LIST,      /* the account's own white list */
    V_GREY_LIST,
    V_BLACK_LIST,
    V_COUNT
} verdict;

const char *verdict_category(verdict v);     /* "white" | "grey" | "black" */
const char *verdict_domain_type(verdict v);  /* "unknown", "invalid", ... */
/* The documented values a valid address can get, NULL-terminated (for
 * strict checks): every category, every domain_type but invalid. */
extern const char *const verdict_categories[];
extern const char *const verdict_domain_types[];
/* The verdict of a (category, domain_type) pair the service returns: 0,
 * or -1 when the pair is not one of them (e.g. white / disposable). */
int verdict_parse(const char *category, const char *domain_type, verdict *out);

#endif
