/* outcomes.c: the table of chosen outcomes (see outcomes.h): entries in
 * the order added, an open-addressing index over (account, kind, match
 * text), and the slot that hands the installed table to readers. */
#include "verify/outcomes.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* A probe: account key, a NUL, the kind, the lower-cased match text. The
 * longest lower-cased address (254 bytes of UTF-8 growing by at most half)
 * fits with room to spare. */
#define PROBE_MAX (OUTCOMES_KEY_MAX + 2 + 512)

typedef struct entry {
    char *key;       /* NULL: every account */
    bool domain;
    char *text;      /* as given */
    char *probe;     /* key NUL kind match: what the index compares */
    size_t plen;
    verdict v;
} entry;

struct outcomes {
    atomic_int refs;
    entry *e;
    size_t n, cap;
    uint32_t *index;  /* entry + 1; 0 = empty */
    size_t mask;      /* index size - 1 (a power of two), 0 = no index */
    bool has_key;     /* some entry is an account's own */
};

outcomes *outcomes_new(void)
{
    outcomes *o = calloc(1, sizeof *o);
    if (o)
        atomic_init(&o->refs, 1);
    return o;
}

outcomes *outcomes_ref(outcomes *o)
{
    if (o)
        atomic_fetch_add(&o->refs, 1);
    return o;
}

void outcomes_unref(outcomes *o)
{
    if (!o || atomic_fetch_sub(&o->refs, 1) != 1)
        return;
    for (size_t i = 0; i < o->n; i++) {
        free(o->e[i].key);
        free(o->e[i].text);
        free(o->e[i].probe);
    }
    free(o->e);
    free(o->index);
    free(o);
}

size_t outcomes_count(const outcomes *o)
{
    return o ? o->n : 0;
}

void outcomes_each(const outcomes *o, outcomes_fn fn, void *ud)
{
    for (size_t i = 0; o && i < o->n; i++)
        if (fn(ud, o->e[i].key, o->e[i].domain, o->e[i].text, o->e[i].v))
            return;
}

/* The probe for (key, kind, s[0, n) lower-cased) in out (PROBE_MAX
 * bytes); its length, or 0 when it does not fit. s is valid UTF-8. */
static size_t probe_of(const char *key, bool domain, const char *s, size_t n, char *out)
{
    size_t kl = key ? strlen(key) : 0;
    if (kl > OUTCOMES_KEY_MAX)
        return 0;
    memcpy(out, key ? key : "", kl);
    out[kl] = 0;
    out[kl + 1] = domain ? 'd' : 'e';
    char *m = out + kl + 2;
    size_t room = PROBE_MAX - kl - 2, ml = room;
    uint8_t *r = u8_tolower((const uint8_t *)s, n, NULL, NULL, (uint8_t *)m, &ml);
    if (!r)
        return 0;
    if (r != (uint8_t *)m) { /* it did not fit: u8_tolower allocated */
        free(r);
        return 0;
    }
    return kl + 2 + ml;
}

static uint32_t *slot_of(const outcomes *o, const char *p, size_t n)
{
    uint64_t h = XXH3_64bits(p, n);
    for (size_t j = h & o->mask;; j = (j + 1) & o->mask) {
        uint32_t *s = &o->index[j];
        if (!*s)
            return s;
        const entry *e = &o->e[*s - 1];
        if (e->plen == n && !memcmp(e->probe, p, n))
            return s;
    }
}

static bool lookup(const outcomes *o, const char *p, size_t n, verdict *v)
{
    if (!n || !o->mask)
        return false;
    uint32_t *s = slot_of(o, p, n);
    if (!*s)
        return false;
    *v = o->e[*s - 1].v;
    return true;
}

/* Room for one more entry, and the index kept under half full. */
static uc_err grow(outcomes *o)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        entry *ne = realloc(o->e, cap * sizeof *ne);
        if (!ne)
            return UC_ENOMEM;
        o->e = ne;
        o->cap = cap;
    }
    if ((o->n + 1) * 2 <= o->mask)
        return UC_OK;
    size_t size = o->mask ? (o->mask + 1) * 2 : 64;
    uint32_t *old = o->index;
    size_t old_size = o->mask ? o->mask + 1 : 0;
    o->index = calloc(size, sizeof *o->index);
    if (!o->index) {
        o->index = old;
        return UC_ENOMEM;
    }
    o->mask = size - 1;
    for (size_t i = 0; i < old_size; i++)
        if (old[i]) {
            const entry *e = &o->e[old[i] - 1];
            *slot_of(o, e->probe, e->plen) = old[i];
        }
    free(old);
    return UC_OK;
}

/* What the validator makes of text: the address's normalized form, or
 * the domain of "x@text"; NULL with *why set when it refuses. */
static const char *judge(const char *text, bool domain, email_addr *ea, char **why)
{
    char probe[600];
    const char *s = text;
    size_t n = strlen(text);
    if (domain) {
        if (n > sizeof probe - 3)
            n = sizeof probe - 3; /* past any valid domain: refused below */
        memcpy(probe, "x@", 2);
        memcpy(probe + 2, text, n);
        s = probe;
        n += 2;
    }
    char *reason = NULL;
    email_verdict ev = email_validate(s, n, ea, &reason);
    if (ev == EMAIL_VALID)
        return domain ? ea->normalized + ea->at + 1 : ea->normalized;
    if (ev == EMAIL_INVALID && asprintf(why, "not a valid %s: %s",
                                        domain ? "domain" : "address",
                                        reason ? reason : "") < 0)
        *why = NULL;
    free(reason);
    return NULL;
}

uc_err outcomes_add(outcomes *o, const char *key, bool domain, const char *text,
                    verdict v, char **why)
{
    *why = NULL;
    if (v == V_BLACK_INVALID || (unsigned)v >= V_COUNT) {
        *why = strdup("black/invalid is what syntax gives an address the validator "
                      "refuses; a valid one cannot have it");
        return UC_EINVAL;
    }
    email_addr ea;
    const char *m = judge(text, domain, &ea, why);
    if (!m)
        return *why ? UC_EINVAL : UC_ENOMEM;
    char p[PROBE_MAX];
    size_t pn = probe_of(key, domain, m, strlen(m), p);
    if (!pn)
        return UC_ENOMEM; /* cannot happen for a valid address and a capped key */
    if (grow(o) != UC_OK)
        return UC_ENOMEM;
    uint32_t *s = slot_of(o, p, pn);
    if (*s)
        return UC_EEXIST;
    entry *e = &o->e[o->n];
    *e = (entry){key ? strdup(key) : NULL, domain, strdup(text), malloc(pn), pn, v};
    if ((key && !e->key) || !e->text || !e->probe) {
        free(e->key);
        free(e->text);
        free(e->probe);
        return UC_ENOMEM;
    }
    memcpy(e->probe, p, pn);
    *s = (uint32_t)++o->n;
    o->has_key |= key != NULL;
    return UC_OK;
}

/* The scope's own outcome for e: the address, then its domain and each
 * parent, most specific first. */
static bool find_in(const outcomes *o, const char *key, const email_addr *e, verdict *v)
{
    char p[PROBE_MAX];
    if (lookup(o, p, probe_of(key, false, e->normalized, e->len, p), v))
        return true;
    const char *dom = e->normalized + e->at + 1;
    size_t dn = e->len - e->at - 1;
    for (;;) {
        if (lookup(o, p, probe_of(key, true, dom, dn, p), v))
            return true;
        const char *dot = memchr(dom, '.', dn);
        if (!dot)
            return false;
        dn -= (size_t)(dot - dom) + 1;
        dom = dot + 1;
    }
}

bool outcomes_find(const outcomes *o, const char *key, const email_addr *e, verdict *v)
{
    if (!o || !o->n)
        return false;
    if (key && o->has_key && find_in(o, key, e, v))
        return true;
    return find_in(o, NULL, e, v);
}

/* ---- the slot ---- */

struct outcomes_slot {
    pthread_mutex_t lock;
    outcomes *cur;
};

outcomes_slot *outcomes_slot_new(void)
{
    outcomes_slot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cur = outcomes_new();
    if (!s->cur) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void outcomes_slot_free(outcomes_slot *s)
{
    if (!s)
        return;
    outcomes_unref(s->cur);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

outcomes *outcomes_slot_get(outcomes_slot *s)
{
    if (!s)
        return NULL;
    pthread_mutex_lock(&s->lock);
    outcomes *o = outcomes_ref(s->cur);
    pthread_mutex_unlock(&s->lock);
    return o;
}

void outcomes_slot_set(outcomes_slot *s, outcomes *o)
{
    pthread_mutex_lock(&s->lock);
    outcomes *old = s->cur;
    s->cur = o;
    pthread_mutex_unlock(&s->lock);
    outcomes_unref(old);
}
