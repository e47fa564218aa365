/* classify.c: category and domain_type of an address, deterministically,
 * from the domain lists (built in from fixtures/domains/, extended or
 * replaced by a user directory) and the account's own lists.
 *
 * PRECEDENCE (first rule that applies wins):
 *   1. Invalid syntax (email_validate_pydantic() false) -> black / invalid
 *   1b. A chosen outcome (a scenario's, outcomes.h) for the address or its
 *      domain: the account's own, else a global one  -> as chosen
 *   2. Account lists: the address itself, or its domain or any parent
 *      domain, is on one of the account's lists. If it is on several,
 *      black > grey > white.                 -> black|grey|white / black|grey|white
 *      The sandbox domains account-white.com, account-grey.com and
 *      account-black.com are implicitly on every account's white, grey and
 *      black list.
 *   3. Domain lists, matched on the domain and every parent domain; not
 *      consulted at all when the domain (or a parent) is in well_known:
 *        disposable                                    -> black / disposable
 *        masking, entry written "!domain"              -> black / masked legitimate
 *        masking                                       -> grey  / masked legitimate
 *        multi_alias                                   -> grey  / multi-alias services
 *        no_website                                    -> black / no website
 *   4. Suspicious signs: a '+' in the local part; more than 3 dots in the
 *      whole address. Both signs                       -> black / suspicious signs
 *      One of them                                     -> grey  / suspicious signs
 *   5. Otherwise                                       -> white / unknown
 *
 * Matching is on the normalized address (what pydantic's EmailStr gives),
 * as bytes with ASCII case folded (list entries are stored lower-case); an
 * internationalised domain is looked up in both spellings, Unicode and
 * IDNA (xn--), so a list entry may be written either way.
 */
#include "verify/classify.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/buf.h"
#include "core/embed.h"
#include "verify/email.h"
#include "verify/hset.h"
#include "verify/outcomes.h"

/* fixtures/domains/<name>.txt, embedded by tools/embed.py (meson). */
extern const struct embedded_file domain_list_files[];

#define ENTRY_MAX 320   /* longest list entry accepted (an address is <= 254) */
#define ENTRY_MAX_TEXT "320"

/* ---- list text ------------------------------------------------------------ */

/* The entry of line [*l, *l + *n): the comment and outer blanks dropped. */
static void entry_of(const char **l, size_t *n)
{
    const char *hash = memchr(*l, '#', *n);
    if (hash)
        *n = (size_t)(hash - *l);
    while (*n && ((*l)[*n - 1] == ' ' || (*l)[*n - 1] == '\t' || (*l)[*n - 1] == '\r'))
        (*n)--;
    while (*n && (**l == ' ' || **l == '\t')) {
        (*l)++;
        (*n)--;
    }
}

/* Trim, drop the comment, fold ASCII case. Returns the entry length (0 for
 * nothing) in out (room for ENTRY_MAX), or -1 when the entry is too long or
 * holds white space. *bang tells whether it was written "!entry". */
static int parse_line(const char *l, size_t n, char *out, bool *bang)
{
    entry_of(&l, &n);
    *bang = n && *l == '!';
    if (*bang) {
        l++;
        n--;
    }
    if (n >= 2 && l[0] == '*' && l[1] == '.') {  /* "*.example.com" */
        l += 2;
        n -= 2;
    } else if (n && (l[0] == '.' || l[0] == '@')) {  /* ".example.com" */
        l++;
        n--;
    }
    if (n > ENTRY_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = l[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\0')
            return -1;
        out[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    return (int)n;
}

/* A cursor over the lines of a list text: each next_line gives one line
 * (without its '\n'), its number and what parse_line makes of it. */
typedef struct lines {
    const char *p, *end;    /* what is left */
    size_t lineno;          /* of the current line, from 1 */
    const char *line;       /* the current line, n bytes */
    size_t n;
    char e[ENTRY_MAX];      /* its entry: m bytes, 0 none, -1 refused */
    int m;
    bool bang;
} lines;

static void lines_start(lines *ls, const char *text, size_t len)
{
    ls->p = text;
    ls->end = text + len;
    ls->lineno = 0;
}

static bool next_line(lines *ls)
{
    if (ls->p >= ls->end)
        return false;
    const char *nl = memchr(ls->p, '\n', (size_t)(ls->end - ls->p));
    ls->line = ls->p;
    ls->n = nl ? (size_t)(nl - ls->p) : (size_t)(ls->end - ls->p);
    ls->p += ls->n + 1;
    ls->lineno++;
    ls->m = parse_line(ls->line, ls->n, ls->e, &ls->bang);
    return true;
}

/* ASCII-lower-case copy of s[0, n) into buf. */
static void fold(const char *s, size_t n, char *buf)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
}

/* ---- domain lists -------------------------------------------------------- */

enum {
    DL_DISPOSABLE = 1 << 0,
    DL_MULTI_ALIAS = 1 << 1,
    DL_MASK_GREY = 1 << 2,
    DL_MASK_BLACK = 1 << 3,
    DL_NO_WEBSITE = 1 << 4,
    DL_WELL_KNOWN = 1 << 5,
};

static const struct {
    const char *name;  /* file is <name>.txt; replacement <name>.replace */
    uint8_t bit;
} list_defs[] = {
    { "disposable", DL_DISPOSABLE },
    { "multi_alias", DL_MULTI_ALIAS },
    { "masking", DL_MASK_GREY },
    { "no_website", DL_NO_WEBSITE },
    { "well_known", DL_WELL_KNOWN },
};
#define NLISTS (sizeof list_defs / sizeof list_defs[0])

struct domain_lists {
    hset set;
    uint64_t gen;   /* this load's number, > 0: the domain caches' key */
};

static _Atomic uint64_t dl_loads; /* domain_lists loaded so far */

static uc_err add_list_text(hset *s, uint8_t bit, const char *text,
                            size_t len, const char *what, char *err,
                            size_t errcap)
{
    lines ls;
    lines_start(&ls, text, len);
    while (next_line(&ls)) {
        if (ls.m == 0)
            continue;
        if (ls.m < 0 || memchr(ls.e, '@', (size_t)ls.m) ||
            (ls.bang && bit != DL_MASK_GREY)) {
            snprintf(err, errcap, "%s:%zu: not a domain%s", what, ls.lineno,
                     ls.bang ? " ('!' is for masking lists only)" : "");
            return UC_EFORMAT;
        }
        uc_err rc = hset_or(s, ls.e, (size_t)ls.m, ls.bang ? DL_MASK_BLACK : bit);
        if (rc) {
            snprintf(err, errcap, "%s: %s", what, uc_strerror(rc));
            return rc;
        }
    }
    return UC_OK;
}

/* Read a whole file; UC_ENOTFOUND when it does not exist. */
static uc_err read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? UC_ENOTFOUND : UC_EIO;
    struct buf b;
    buf_init(&b, (size_t)64 << 20); /* 64 MiB per list is plenty */
    uc_err rc = UC_OK;
    for (;;) {
        if ((rc = buf_reserve(&b, 65536)) != UC_OK)
            break;
        size_t r = fread(b.data + b.len, 1, 65536, f);
        buf_added(&b, r);
        if (r == 0) {
            if (ferror(f))
                rc = UC_EIO;
            break;
        }
    }
    fclose(f);
    if (rc) {
        buf_free(&b);
        return rc;
    }
    *out = buf_take(&b, len);
    return UC_OK;
}

static uc_err add_user_file(hset *s, uint8_t bit, const char *dir,
                            const char *name, const char *suffix,
                            bool *found, char *err, size_t errcap)
{
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    *found = false;
    if ((size_t)snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix) >=
        sizeof path) {
        snprintf(err, errcap, "domain list directory path too long");
        return UC_EINVAL;
    }
    uc_err rc = read_file(path, &text, &len);
    if (rc == UC_ENOTFOUND)
        return UC_OK;
    if (rc) {
        snprintf(err, errcap, "%s: %s", path, uc_strerror(rc));
        return rc;
    }
    *found = true;
    rc = add_list_text(s, bit, text, len, path, err, errcap);
    free(text);
    return rc;
}

/* Built-in lists first. With user_dir, for each list <name>:
 *   <user_dir>/<name>.replace  replaces the built-in list (may be empty);
 *   <user_dir>/<name>.txt      extends it (after any replacement).
 * Names: disposable, multi_alias, masking, no_website, well_known. A missing
 * file changes nothing; a missing or unreadable user_dir is an error. */
uc_err domain_lists_load(const char *user_dir, domain_lists **out,
                         char *err, size_t errcap)
{
    char dummy[8];
    if (!err || !errcap) {
        err = dummy;
        errcap = sizeof dummy;
    }
    err[0] = '\0';
    *out = NULL;
    domain_lists *dl = calloc(1, sizeof *dl);
    if (!dl) {
        snprintf(err, errcap, "%s", uc_strerror(UC_ENOMEM));
        return UC_ENOMEM;
    }
    hset_init(&dl->set);
    dl->gen = atomic_fetch_add(&dl_loads, 1) + 1;
    uc_err rc = UC_OK;
    for (size_t i = 0; i < NLISTS; i++) {
        char fname[64];
        snprintf(fname, sizeof fname, "%s.txt", list_defs[i].name);
        const struct embedded_file *ef = domain_list_files;
        while (ef->name && strcmp(ef->name, fname) != 0)
            ef++;
        if (!ef->name)
            continue;
        rc = add_list_text(&dl->set, list_defs[i].bit, (const char *)ef->data,
                           ef->len, fname, err, errcap);
        if (rc)
            goto fail;
    }
    if (user_dir) {
        DIR *d = opendir(user_dir);
        if (!d) {
            snprintf(err, errcap, "%s: %s", user_dir, strerror(errno));
            rc = errno == ENOENT ? UC_ENOTFOUND : UC_EIO;
            goto fail;
        }
        closedir(d);
        for (size_t i = 0; i < NLISTS; i++) {
            uint8_t bit = list_defs[i].bit;
            bool found;
            /* a replacement is loaded into a fresh set, then merged */
            hset repl;
            hset_init(&repl);
            rc = add_user_file(&repl, bit, user_dir, list_defs[i].name,
                               ".replace", &found, err, errcap);
            if (!rc && found) {
                uint8_t clear = bit == DL_MASK_GREY ? DL_MASK_GREY | DL_MASK_BLACK
                                                    : bit;
                hset_clear_bits(&dl->set, clear);
                rc = hset_or_all(&dl->set, &repl);
            }
            hset_free(&repl);
            if (!rc)
                rc = add_user_file(&dl->set, bit, user_dir, list_defs[i].name,
                                   ".txt", &found, err, errcap);
            if (rc)
                goto fail;
        }
    }
    *out = dl;
    return UC_OK;
fail:
    if (!err[0])
        snprintf(err, errcap, "%s", uc_strerror(rc));
    domain_lists_free(dl);
    return rc;
}

void domain_lists_free(domain_lists *dl)
{
    if (!dl)
        return;
    hset_free(&dl->set);
    free(dl);
}

/* ---- account lists ------------------------------------------------------- */

enum { AL_WHITE = 1 << LIST_WHITE, AL_GREY = 1 << LIST_GREY,
       AL_BLACK = 1 << LIST_BLACK };

struct acct_lists {
    hset set;
    size_t lines;   /* entries read, over every acct_lists_add */
    outcomes *oc;   /* chosen outcomes (a reference), or NULL */
    char *oc_key;   /* the account they are seen as */
};

acct_lists *acct_lists_new(void)
{
    acct_lists *al = calloc(1, sizeof *al);
    if (al)
        hset_init(&al->set);
    return al;
}

uc_err acct_lists_add(acct_lists *al, acct_list_kind kind, const char *text,
                      size_t len)
{
    if (!al || (unsigned)kind > LIST_BLACK || (!text && len))
        return UC_EINVAL;
    lines ls;
    lines_start(&ls, text, len);
    while (next_line(&ls)) {
        if (ls.m == 0)
            continue;
        if (ls.m < 0 || ls.bang)
            return UC_EINVAL;
        uc_err rc = hset_or(&al->set, ls.e, (size_t)ls.m, (uint8_t)(1u << kind));
        if (rc)
            return rc;
        al->lines++;
    }
    return UC_OK;
}

/* Why the entry e (m bytes, as parse_line made it) can never match an
 * address; NULL when it can. The reason is written into why. */
static const char *entry_problem(const char *e, size_t m, char *why, size_t cap)
{
    char probe[ENTRY_MAX + 5];
    bool addr = memchr(e, '@', m) != NULL;
    size_t pn = 0;
    if (!addr) {
        /* A domain is judged as the domain of an address; one without a
         * dot can only match as the last label (a TLD), so as a.TLD. */
        const char *pre = memchr(e, '.', m) ? "x@" : "x@a.";
        pn = strlen(pre);
        memcpy(probe, pre, pn);
        memcpy(probe + pn, e, m);
    }
    char *reason = NULL;
    if (email_validate(addr ? e : probe, addr ? m : m + pn, NULL, &reason))
        return NULL;
    snprintf(why, cap, "not a valid %s: %s", addr ? "address" : "domain",
             reason ? reason : "out of memory");
    free(reason);
    return why;
}

/* Whether the entry of line l (comment and outer blanks aside) holds
 * white space, which parse_line refuses as it refuses a long entry. */
static bool inner_space(const char *l, size_t n)
{
    entry_of(&l, &n);
    return memchr(l, ' ', n) || memchr(l, '\t', n) || memchr(l, '\r', n);
}

size_t acct_lists_check(const char *text, size_t len, acct_lists_bad_fn bad, void *ud)
{
    size_t nbad = 0;
    lines ls;
    lines_start(&ls, text, len);
    while (next_line(&ls)) {
        char why[1200];
        const char *problem = NULL;
        if (memchr(ls.line, '\0', ls.n))
            problem = "holds a NUL byte";
        else if (ls.m < 0)
            problem = inner_space(ls.line, ls.n) ? "white space inside the entry"
                                                 : "longer than " ENTRY_MAX_TEXT " bytes";
        else if (ls.m > 0 && ls.bang)
            problem = "'!' entries are for the built-in masking list only";
        else if (ls.m > 0)
            problem = entry_problem(ls.e, (size_t)ls.m, why, sizeof why);
        if (problem) {
            nbad++;
            bad(ud, ls.lineno, ls.line, ls.n, problem);
        }
    }
    return nbad;
}

size_t acct_lists_entries(const acct_lists *al)
{
    return al->lines;
}

uc_err acct_lists_use_outcomes(acct_lists *al, outcomes *oc, const char *key)
{
    char *k = key ? strdup(key) : NULL;
    if (key && !k) {
        outcomes_unref(oc);
        return UC_ENOMEM;
    }
    outcomes_unref(al->oc);
    free(al->oc_key);
    al->oc = oc;
    al->oc_key = k;
    return UC_OK;
}

void acct_lists_free(acct_lists *al)
{
    if (!al)
        return;
    hset_free(&al->set);
    outcomes_unref(al->oc);
    free(al->oc_key);
    free(al);
}

/* ---- classify -------------------------------------------------------------- */

/* Sandbox domains on every account's lists (see the precedence above). */
static uint8_t sandbox_acct(const char *dom, size_t n)
{
    static const struct { const char *d; uint8_t bits; } sb[] = {
        { "account-white.com", AL_WHITE },
        { "account-grey.com", AL_GREY },
        { "account-black.com", AL_BLACK },
    };
    for (size_t i = 0; i < sizeof sb / sizeof sb[0]; i++)
        if (strlen(sb[i].d) == n && memcmp(sb[i].d, dom, n) == 0)
            return sb[i].bits;
    return 0;
}

/* OR of the values of dom and each of its parent domains. */
static uint8_t lookup_suffixes(const hset *s, const char *dom, size_t n)
{
    uint8_t bits = 0;
    for (;;) {
        bits |= hset_get(s, dom, n);
        const char *dot = memchr(dom, '.', n);
        if (!dot)
            return bits;
        n -= (size_t)(dot - dom) + 1;
        dom = dot + 1;
    }
}

/* The domain lists' bits of a domain and its parents (lookup_suffixes),
 * through a small cache per thread: a list of a million addresses holds a
 * few hundred domains, and every lookup walks the domain's labels, a hash
 * and a probe of a large table each (a tenth of a large task's CPU). A
 * slot is known by the lists' load number, so lists loaded later at the
 * same address never meet an earlier load's bits. */
#define DCACHE_SLOTS 256
#define DCACHE_DOM 55
typedef struct dcache_slot {
    uint64_t gen;   /* 0: empty */
    uint8_t len, bits;
    char dom[DCACHE_DOM];
} dcache_slot;
static __thread dcache_slot dcache[DCACHE_SLOTS];

static uint8_t domain_bits(const domain_lists *dl, const char *dom, size_t n)
{
    if (n > DCACHE_DOM)
        return lookup_suffixes(&dl->set, dom, n);
    dcache_slot *c = &dcache[XXH3_64bits(dom, n) & (DCACHE_SLOTS - 1)];
    if (c->gen == dl->gen && c->len == n && memcmp(c->dom, dom, n) == 0)
        return c->bits;
    uint8_t bits = lookup_suffixes(&dl->set, dom, n);
    c->gen = dl->gen;
    c->len = (uint8_t)n;
    c->bits = bits;
    memcpy(c->dom, dom, n);
    return bits;
}

/* The account-list bits of an address: its folded key, its domain and the
 * domain's parents, in both spellings of an internationalised domain. */
static uint8_t account_bits(const acct_lists *al, const email_addr *e, const char *key,
                            bool idn)
{
    const char *dom = key + e->at + 1;
    size_t dn = e->len - e->at - 1;
    uint8_t a = sandbox_acct(dom, dn);
    if (!al)
        return a;
    a |= hset_get(&al->set, key, e->len);
    a |= lookup_suffixes(&al->set, dom, dn);
    if (idn) {
        char akey[EMAIL_OCTETS_MAX + 1];  /* local@ascii-domain fits: checked */
        fold(e->normalized, e->at + 1, akey);
        memcpy(akey + e->at + 1, e->ascii_domain, e->ascii_domain_len);
        a |= hset_get(&al->set, akey, e->at + 1 + e->ascii_domain_len);
        a |= lookup_suffixes(&al->set, e->ascii_domain, e->ascii_domain_len);
    }
    return a;
}

verdict classify_valid(const domain_lists *dl, const acct_lists *al, const email_addr *e)
{
    verdict chosen;
    if (al && al->oc && outcomes_find(al->oc, al->oc_key, e, &chosen))
        return chosen;
    char key[EMAIL_OCTETS_MAX + 1];
    fold(e->normalized, e->len, key);
    const char *dom = key + e->at + 1;
    size_t dn = e->len - e->at - 1;
    bool idn = dn != e->ascii_domain_len || memcmp(dom, e->ascii_domain, dn) != 0;

    uint8_t a = account_bits(al, e, key, idn);
    if (a & AL_BLACK)
        return V_BLACK_LIST;
    if (a & AL_GREY)
        return V_GREY_LIST;
    if (a & AL_WHITE)
        return V_WHITE_LIST;

    uint8_t d = 0;
    if (dl) {
        d = domain_bits(dl, dom, dn);
        if (idn)
            d |= lookup_suffixes(&dl->set, e->ascii_domain, e->ascii_domain_len);
    }
    if (!(d & DL_WELL_KNOWN)) {
        if (d & DL_DISPOSABLE)
            return V_BLACK_DISPOSABLE;
        if (d & DL_MASK_BLACK)
            return V_BLACK_MASKED;
        if (d & DL_MASK_GREY)
            return V_GREY_MASKED;
        if (d & DL_MULTI_ALIAS)
            return V_GREY_MULTI_ALIAS;
        if (d & DL_NO_WEBSITE)
            return V_BLACK_NO_WEBSITE;
    }

    bool plus = memchr(e->normalized, '+', e->at) != NULL;
    size_t dots = 0;
    for (size_t i = 0; i < e->len; i++)
        dots += e->normalized[i] == '.';
    if (plus && dots > 3)
        return V_BLACK_SUSPICIOUS;
    if (plus || dots > 3)
        return V_GREY_SUSPICIOUS;
    return V_WHITE_UNKNOWN;
}

uc_err classify(const domain_lists *dl, const acct_lists *al, const char *value, size_t len,
                verdict *v)
{
    email_addr e;
    switch (email_validate_pydantic(value, len, &e, NULL)) {
    case EMAIL_VALID:
        *v = classify_valid(dl, al, &e);
        return UC_OK;
    case EMAIL_INVALID:
        *v = V_BLACK_INVALID;
        return UC_OK;
    default:
        return UC_ENOMEM;
    }
}
