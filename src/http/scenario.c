/* scenario.c: checking, applying and exporting a scenario document (see
 * scenario.h). The pieces are the existing ones: jcheck for the strict
 * check, the fault engine's own check (faults_arm) for "faults", the
 * account store for credits and lists, verify/outcomes.c for outcomes. */
#include "http/scenario.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/control.h"
#include "http/faults.h"
#include "store/accounts.h"
#include "store/tasks.h"
#include "verify/classify.h"
#include "verify/outcomes.h"

#define ACCOUNTS_MAX 10000       /* accounts one scenario names */
#define ENTRIES_MAX 100000       /* items of one outcomes list or one list */
#define ENTRY_CHARS_MAX 320      /* an address or a domain, as lists take them */
#define FAULTS_MAX 10000         /* as many as can be armed */
#define OFFSET_MAX_S 3200000000LL /* the clock, about a century either way */
#define CREDITS_MAX 9007199254740991LL /* 2^53 - 1, as PUT /__mock/accounts */
#define FILE_MAX ((size_t)64 << 20)

static const char *const TOP_KEYS[] = {"clock", "accounts", "outcomes", "faults", NULL};
static const char *const CLOCK_KEYS[] = {"offset_seconds", "set", NULL};
static const char *const ACCOUNT_KEYS[] = {"credits", "lists", "outcomes", NULL};
static const char *const KINDS[] = {"white", "grey", "black", NULL};
static const char *const ENTRY_KEYS[] = {"email", "domain", "category", "domain_type", NULL};

/* One account as the scenario sets it. */
typedef struct staged_account {
    const char *key;        /* borrowed from the document */
    int64_t credits;        /* -1: unlimited */
    char *lists[3];         /* white, grey, black: one entry a line */
} staged_account;

struct scenario {
    json_t *doc;
    int has_clock;
    int64_t offset_ms;
    json_t *accounts;       /* the document's "accounts" (borrowed), or NULL */
    staged_account *acc;
    size_t nacc;
    int has_outcomes;       /* "outcomes" given: the global ones are replaced */
    outcomes *add;          /* every outcome the document gives */
    faults *faults;         /* "faults", armed in a table of their own */
    int oom;
};

/* Applies (and resets of outcomes) one at a time: each builds the next
 * outcomes table from the installed one. One app per process. */
static pthread_mutex_t apply_lock = PTHREAD_MUTEX_INITIALIZER;

void scenario_free(scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nacc; i++)
        for (int k = 0; k < 3; k++)
            free(s->acc[i].lists[k]);
    free(s->acc);
    outcomes_unref(s->add);
    faults_free(s->faults);
    json_decref(s->doc);
    free(s);
}

/* ---- checking ---- */

static void check_clock(scenario *s, jcheck *jc, const jloc *at, json_t *c)
{
    json_int_t off = 0;
    const char *set = NULL;
    int ro = jcheck_int(jc, at, c, "offset_seconds", 0, -OFFSET_MAX_S, OFFSET_MAX_S, &off);
    int rs = jcheck_string(jc, at, c, "set", 0, 1, 64, &set);
    if ((ro == JC_ABSENT) == (rs == JC_ABSENT)) {
        jcheck_add(jc, at, "value_error", "Value error, give one of offset_seconds (seconds "
                   "from real time) or set (an RFC 3339 time)", c, NULL);
        return;
    }
    int64_t target;
    jloc sl = jloc_key(at, "set");
    if (ro == JC_OK) {
        s->offset_ms = (int64_t)off * 1000;
        s->has_clock = 1;
    } else if (rs == JC_OK && clock_parse(set, &target) != 0) {
        jcheck_add(jc, &sl, "value_error", "Value error, expected an RFC 3339 time such as "
                   "2026-01-01T00:00:00Z", json_object_get(c, "set"), NULL);
    } else if (rs == JC_OK) {
        s->offset_ms = target - (clock_now_ms() - clock_offset_ms());
        s->has_clock = 1;
    }
}

/* "white / disposable is no pair...": the categories domain_type goes with. */
static void pair_problem(jcheck *jc, const jloc *at, json_t *e, const char *cat,
                         const char *type)
{
    char with[64] = "", msg[256];
    for (int v = 0; v < V_COUNT; v++)
        if (!strcmp(verdict_domain_type((verdict)v), type)) {
            size_t n = strlen(with);
            snprintf(with + n, sizeof with - n, "%s%s", n ? " or " : "",
                     verdict_category((verdict)v));
        }
    snprintf(msg, sizeof msg, "Value error, %s / %s is not an outcome the service gives: "
             "domain_type %s goes with category %s", cat, type, type, with);
    jcheck_add(jc, at, "value_error", msg, e, NULL);
}

/* One entry of an "outcomes" list, added to s->add for key (NULL: global). */
static void check_entry(scenario *s, jcheck *jc, const jloc *at, json_t *e, const char *key)
{
    if (!jcheck_object(jc, at, e, ENTRY_KEYS))
        return;
    const char *email = NULL, *dom = NULL, *cat = NULL, *type = NULL;
    int re = jcheck_string(jc, at, e, "email", 0, 1, ENTRY_CHARS_MAX, &email);
    int rd = jcheck_string(jc, at, e, "domain", 0, 1, ENTRY_CHARS_MAX, &dom);
    int rc = jcheck_literal(jc, at, e, "category", JC_REQUIRED, verdict_categories, &cat);
    json_t *tv = json_object_get(e, "domain_type");
    jloc tl = jloc_key(at, "domain_type");
    int rt = JC_BAD;
    if (json_is_string(tv) && !strcmp(json_string_value(tv), "invalid"))
        jcheck_add(jc, &tl, "value_error", "Value error, invalid is syntax's own outcome: an "
                   "address the validator refuses is black / invalid, a valid one cannot be",
                   tv, NULL);
    else
        rt = jcheck_literal(jc, at, e, "domain_type", JC_REQUIRED, verdict_domain_types,
                            &type);
    if ((re == JC_ABSENT) == (rd == JC_ABSENT)) {
        jcheck_add(jc, at, "value_error", "Value error, give one of email (one address) or "
                   "domain (a domain and its subdomains)", e, NULL);
        return;
    }
    verdict v = V_WHITE_UNKNOWN;
    if (rc == JC_OK && rt == JC_OK && verdict_parse(cat, type, &v) != 0) {
        pair_problem(jc, at, e, cat, type);
        return;
    }
    if (rc != JC_OK || rt != JC_OK || (re != JC_OK && rd != JC_OK))
        return;
    jloc wl = jloc_key(at, rd == JC_OK ? "domain" : "email");
    char *why = NULL;
    uc_err err = outcomes_add(s->add, key, rd == JC_OK, rd == JC_OK ? dom : email, v, &why);
    json_t *input = json_object_get(e, rd == JC_OK ? "domain" : "email");
    if (err == UC_EINVAL && why) {
        char msg[1200];
        snprintf(msg, sizeof msg, "Value error, %s", why);
        jcheck_add(jc, &wl, "value_error", msg, input, NULL);
    } else if (err == UC_EEXIST) {
        jcheck_add(jc, &wl, "value_error", "Value error, the list already has an outcome "
                   "for this address or domain", input, NULL);
    } else if (err) {
        s->oom = 1;
    }
    free(why);
}

static void check_outcomes(scenario *s, jcheck *jc, const jloc *at, json_t *obj,
                           const char *key)
{
    jcheck_iter it;
    jcheck_items(jc, at, obj, "outcomes", 0, ENTRIES_MAX, &it);
    for (json_t *e; (e = jcheck_item(&it));)
        check_entry(s, jc, &it.at, e, key);
}

/* A bad list entry: a problem at its index. */
typedef struct list_item {
    jcheck *jc;
    const jloc *at;
    json_t *input;
} list_item;

static void item_bad(void *ud, size_t line, const char *l, size_t n, const char *why)
{
    list_item *li = ud;
    char msg[1400];
    snprintf(msg, sizeof msg, "Value error, %s", why);
    jcheck_add(li->jc, li->at, "value_error", msg, li->input, NULL);
}

/* One of an account's lists: an array of entries, joined one a line into
 * *text (NULL when out of memory). */
static void check_list(scenario *s, jcheck *jc, const jloc *at, json_t *lists,
                       const char *kind, char **text)
{
    struct buf b;
    buf_init(&b, (size_t)64 << 20);
    jcheck_iter it;
    jcheck_items(jc, at, lists, kind, 0, ENTRIES_MAX, &it);
    for (json_t *item; (item = jcheck_item(&it));) {
        const char *v = json_string_value(item);
        size_t n = json_string_length(item);
        if (!v || strlen(v) != n) {
            jcheck_add(jc, &it.at, "string_type", "Input should be a valid string without "
                       "NUL", item, NULL);
            continue;
        }
        list_item li = {jc, &it.at, item};
        if (n == 0 || n > ENTRY_CHARS_MAX || strpbrk(v, "\n\r#") ||
            !v[strspn(v, " \t")]) {
            jcheck_add(jc, &it.at, "value_error", "Value error, one address or domain an "
                       "item: not blank, no line break or '#', at most 320 bytes", item,
                       NULL);
            continue;
        }
        acct_lists_check(v, n, item_bad, &li);
        if (buf_add(&b, v, n) || buf_add(&b, "\n", 1))
            s->oom = 1;
    }
    if (buf_add(&b, "", 1)) /* the NUL */
        s->oom = 1;
    size_t len;
    *text = s->oom ? NULL : buf_take(&b, &len);
    buf_free(&b);
}

static void check_account(scenario *s, jcheck *jc, const jloc *at, const char *key,
                          json_t *acct)
{
    staged_account *sa = &s->acc[s->nacc++];
    sa->key = key;
    sa->credits = -1;
    size_t kl = strlen(key);
    if (kl == 0 || kl > TASK_KEY_MAX)
        jcheck_add(jc, at, "value_error", "Value error, an API key has 1 to 512 bytes",
                   acct, NULL);
    if (!jcheck_object(jc, at, acct, ACCOUNT_KEYS))
        return;
    json_int_t credits;
    int rc = jcheck_int(jc, at, acct, "credits", JC_NULLABLE, 0, CREDITS_MAX, &credits);
    if (rc == JC_OK)
        sa->credits = credits;
    /* credits left out: what a new account gets (--credits) */
    json_t *lists = NULL;
    jcheck_member_object(jc, at, acct, "lists", 0, KINDS, &lists);
    jloc ll = jloc_key(at, "lists");
    for (int k = 0; k < 3; k++)
        check_list(s, jc, &ll, lists, KINDS[k], &sa->lists[k]);
    check_outcomes(s, jc, at, acct, key);
}

static void check_faults(scenario *s, jcheck *jc, const jloc *at, json_t *doc)
{
    jcheck_iter it;
    if (jcheck_items(jc, at, doc, "faults", 0, FAULTS_MAX, &it) != JC_OK)
        return;
    s->faults = faults_new();
    if (!s->faults) {
        s->oom = 1;
        return;
    }
    for (json_t *spec; (spec = jcheck_item(&it));) {
        size_t before = jcheck_count(jc);
        json_t *armed = faults_arm(s->faults, spec, jc, &it.at);
        if (!armed && jcheck_count(jc) == before)
            s->oom = 1;
        json_decref(armed);
    }
}

scenario *scenario_check(json_t *doc, jcheck *jc, const jloc *at)
{
    if (!jcheck_object(jc, at, doc, TOP_KEYS))
        return NULL;
    scenario *s = calloc(1, sizeof *s);
    if (!s || !(s->add = outcomes_new())) {
        free(s);
        return NULL;
    }
    s->doc = json_incref(doc);
    json_t *clk = NULL, *accounts = NULL;
    if (jcheck_member_object(jc, at, doc, "clock", 0, CLOCK_KEYS, &clk) != JC_ABSENT && clk) {
        jloc cl = jloc_key(at, "clock");
        check_clock(s, jc, &cl, clk);
    }
    if (jcheck_member_object(jc, at, doc, "accounts", 0, NULL, &accounts) == JC_OK) {
        jloc al = jloc_key(at, "accounts");
        size_t n = json_object_size(accounts);
        if (n > ACCOUNTS_MAX) {
            jcheck_add(jc, &al, "too_long", "Object should have at most 10000 accounts",
                       NULL, NULL);
        } else if (n && !(s->acc = calloc(n, sizeof *s->acc))) {
            s->oom = 1;
        } else {
            s->accounts = accounts;
            const char *key;
            json_t *acct;
            json_object_foreach(accounts, key, acct) {
                jloc kl = jloc_key(&al, key);
                check_account(s, jc, &kl, key, acct);
            }
        }
    }
    s->has_outcomes = json_object_get(doc, "outcomes") != NULL;
    check_outcomes(s, jc, at, doc, NULL);
    check_faults(s, jc, at, doc);
    if (jcheck_failed(jc) || s->oom) {
        scenario_free(s);
        return NULL;
    }
    return s;
}

/* ---- applying ---- */

typedef struct merging {
    const scenario *s;
    outcomes *next;
    const char *drop;   /* scenario_forget's key */
    int drop_all;
    uc_err err;
} merging;

static int keep_entry(void *ud, const char *key, bool domain, const char *text, verdict v)
{
    merging *m = ud;
    if (m->drop_all || (m->drop && key && !strcmp(key, m->drop)))
        return 0;
    if (m->s && (key ? m->s->accounts && json_object_get(m->s->accounts, key)
                     : m->s->has_outcomes))
        return 0; /* the scenario sets that list */
    char *why = NULL;
    m->err = outcomes_add(m->next, key, domain, text, v, &why);
    free(why);
    return m->err != UC_OK;
}

static int add_entry(void *ud, const char *key, bool domain, const char *text, verdict v)
{
    merging *m = ud;
    char *why = NULL;
    m->err = outcomes_add(m->next, key, domain, text, v, &why);
    free(why);
    return m->err != UC_OK;
}

/* The installed outcomes with m's changes: a new table, or NULL. */
static outcomes *merged(app *a, merging *m)
{
    outcomes *cur = outcomes_slot_get(a->env.outcomes);
    m->next = outcomes_new();
    m->err = m->next ? UC_OK : UC_ENOMEM;
    if (!m->err)
        outcomes_each(cur, keep_entry, m);
    if (!m->err && m->s)
        outcomes_each(m->s->add, add_entry, m);
    outcomes_unref(cur);
    if (m->err) {
        outcomes_unref(m->next);
        return NULL;
    }
    return m->next;
}

static uc_err store_accounts(app *a, const scenario *s)
{
    uc_err e = db_begin(a->d);
    if (e)
        return e;
    if (s->has_clock)
        e = db_meta_set_i64(a->d, "clock_offset_ms", s->offset_ms);
    for (size_t i = 0; !e && i < s->nacc; i++) {
        const staged_account *sa = &s->acc[i];
        json_t *acct = json_object_get(s->accounts, sa->key);
        int64_t credits = json_object_get(acct, "credits") ? sa->credits : a->cfg->credits;
        e = account_set_credits(a->d, sa->key, credits);
        for (int k = 0; !e && k < 3; k++)
            e = account_list_put(a->d, sa->key, KINDS[k], sa->lists[k],
                                 strlen(sa->lists[k]));
    }
    if (e) {
        db_rollback(a->d);
        return e;
    }
    return db_commit(a->d);
}

uc_err scenario_apply(app *a, scenario *s, const char *source)
{
    pthread_mutex_lock(&apply_lock);
    merging m = {s, NULL, NULL, 0, UC_OK};
    outcomes *next = s->nacc || s->has_outcomes ? merged(a, &m) : NULL;
    uc_err e = (s->nacc || s->has_outcomes) && !next ? UC_ENOMEM : UC_OK;
    if (!e)
        e = store_accounts(a, s);
    if (e) {
        outcomes_unref(next);
        pthread_mutex_unlock(&apply_lock);
        return e;
    }
    if (next)
        outcomes_slot_set(a->env.outcomes, next);
    if (s->faults)
        faults_replace(a->faults, s->faults);
    pthread_mutex_unlock(&apply_lock);
    if (s->has_clock) {
        int64_t was = clock_offset_ms();
        clock_set_offset_ms(s->offset_ms);
        control_clock_moved(a, was);
    }
    log_line l;
    if (log_begin(&l, LOG_INFO, "scenario_applied")) {
        log_str(&l, "source", source);
        log_int(&l, "accounts", (int64_t)s->nacc);
        log_int(&l, "outcomes", (int64_t)outcomes_count(s->add));
        log_int(&l, "faults", s->faults ? (int64_t)json_array_size(
                                              json_object_get(s->doc, "faults")) : -1);
        log_str(&l, "clock", s->has_clock ? "set" : "kept");
        log_end(&l);
    }
    return UC_OK;
}

void scenario_forget(app *a, const char *key)
{
    pthread_mutex_lock(&apply_lock);
    merging m = {NULL, NULL, key, key == NULL, UC_OK};
    outcomes *next = key ? merged(a, &m) : outcomes_new();
    if (next) /* out of memory: the outcomes stay (nothing better to do) */
        outcomes_slot_set(a->env.outcomes, next);
    pthread_mutex_unlock(&apply_lock);
}

/* ---- exporting ---- */

static json_t *entry_json(bool domain, const char *text, verdict v)
{
    return json_pack("{s:s,s:s,s:s}", domain ? "domain" : "email", text, "category",
                     verdict_category(v), "domain_type", verdict_domain_type(v));
}

/* A stored list text as the entries acct_lists_add reads from it. */
static json_t *list_entries(const char *text)
{
    json_t *arr = json_array();
    for (const char *p = text; arr && *p;) {
        size_t n = strcspn(p, "\n");
        const char *l = p;
        p += n + (p[n] == '\n');
        const char *hash = memchr(l, '#', n);
        if (hash)
            n = (size_t)(hash - l);
        while (n && strchr(" \t\r", l[n - 1]))
            n--;
        while (n && strchr(" \t", *l)) {
            l++;
            n--;
        }
        if (n && json_array_append_new(arr, json_stringn(l, n)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

typedef struct exporting {
    app *a;
    json_t *accounts;
    json_t *global;
    int failed;
} exporting;

static int export_account(void *ud, const char *key, const account *acct)
{
    exporting *x = ud;
    json_t *lists = json_object();
    for (int k = 0; lists && k < 3; k++) {
        char *text = NULL;
        json_t *entries = NULL;
        if (account_list_get(x->a->d, key, KINDS[k], &text) == UC_OK)
            entries = list_entries(text);
        free(text);
        if (!entries || json_object_set_new(lists, KINDS[k], entries) != 0) {
            json_decref(lists);
            lists = NULL;
        }
    }
    json_t *o = lists ? json_pack("{s:o,s:o,s:[]}", "credits", acct->credits < 0
                                  ? json_null() : json_integer(acct->credits),
                                  "lists", lists, "outcomes") : NULL;
    if (!o || json_object_set_new(x->accounts, key, o) != 0)
        x->failed = 1;
    return x->failed;
}

static int export_outcome(void *ud, const char *key, bool domain, const char *text,
                          verdict v)
{
    exporting *x = ud;
    json_t *list = key ? json_object_get(json_object_get(x->accounts, key), "outcomes")
                       : x->global;
    if (list && json_array_append_new(list, entry_json(domain, text, v)) != 0)
        x->failed = 1;
    return x->failed;
}

/* An armed fault as a scenario arms it: its spec, with the uses left. */
static json_t *fault_spec(json_t *listed)
{
    json_t *o = json_deep_copy(listed);
    if (!o)
        return NULL;
    json_t *left = json_object_get(o, "times_left");
    json_object_set(o, "times", left ? left : json_null());
    json_object_del(o, "times_left");
    json_object_del(o, "id");
    return o;
}

json_t *scenario_export(app *a)
{
    exporting x = {a, json_object(), json_array(), 0};
    json_t *listed = faults_json(a->faults), *armed = json_array();
    if (!x.accounts || !x.global || !listed || !armed ||
        account_each(a->d, export_account, &x) != UC_OK)
        x.failed = 1;
    outcomes *cur = x.failed ? NULL : outcomes_slot_get(a->env.outcomes);
    outcomes_each(cur, export_outcome, &x);
    outcomes_unref(cur);
    size_t i;
    json_t *f;
    json_array_foreach(listed, i, f)
        if (!x.failed && json_array_append_new(armed, fault_spec(f)) != 0)
            x.failed = 1;
    json_decref(listed);
    json_t *doc = x.failed ? NULL : json_pack("{s:{s:I},s:o,s:o,s:o}", "clock",
        "offset_seconds", (json_int_t)(clock_offset_ms() / 1000), "accounts", x.accounts,
        "outcomes", x.global, "faults", armed);
    if (!doc) {
        if (!x.failed) /* json_pack took them even so */
            return NULL;
        json_decref(x.accounts);
        json_decref(x.global);
        json_decref(armed);
    }
    return doc;
}

/* ---- the file given at start ---- */

/* loc (without its root) as a path: accounts.ci-key.outcomes[0].domain_type;
 * a name that is not a plain word is quoted: accounts["a.b"]. */
static void path_of(json_t *loc, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 1; i < json_array_size(loc) && n < cap; i++) {
        json_t *p = json_array_get(loc, i);
        const char *k = json_string_value(p);
        int w;
        if (!k)
            w = snprintf(out + n, cap - n, "[%lld]", (long long)json_integer_value(p));
        else if (k[0] && strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_-") == strlen(k))
            w = snprintf(out + n, cap - n, "%s%s", n ? "." : "", k);
        else
            w = snprintf(out + n, cap - n, "[\"%s\"]", k);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

static void describe(jcheck *jc, const char *path, char *err, size_t cap)
{
    size_t n = 0, i;
    json_t *p;
    err[0] = 0;
    json_array_foreach(jcheck_problems(jc), i, p) {
        char where[512];
        json_t *loc = json_object_get(p, "loc");
        const char *type = json_string_value(json_object_get(p, "type"));
        path_of(loc, where, sizeof where);
        const char *detail = "";
        if (type && !strcmp(type, "json_invalid")) { /* loc: [root, byte offset] */
            snprintf(where, sizeof where, "byte %lld",
                     (long long)json_integer_value(json_array_get(loc, 1)));
            detail = json_string_value(json_object_get(json_object_get(p, "ctx"), "error"));
        }
        int w = snprintf(err + n, cap - n, "%s%s: %s%s%s%s%s", i ? "\nucmock: " : "", path,
                         where, where[0] ? ": " : "",
                         json_string_value(json_object_get(p, "msg")), detail && *detail
                         ? ": " : "", detail ? detail : "");
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
    if (jcheck_count(jc) > json_array_size(jcheck_problems(jc)) && n < cap)
        snprintf(err + n, cap - n, "\nucmock: %s: and %zu more problems", path,
                 jcheck_count(jc) - json_array_size(jcheck_problems(jc)));
}

static int read_all(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno ? errno : EIO;
    int rc = 0;
    for (;;) {
        if (buf_reserve(b, 65536) != UC_OK) {
            rc = EFBIG;
            break;
        }
        size_t r = fread(b->data + b->len, 1, 65536, f);
        buf_added(b, r);
        if (r == 0) {
            rc = ferror(f) ? EIO : 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

int scenario_load_file(app *a, const char *path, char *err, size_t errcap)
{
    struct buf b;
    buf_init(&b, FILE_MAX);
    int rc = read_all(path, &b);
    if (rc) {
        snprintf(err, errcap, "%s: %s", path, rc == EFBIG ? "larger than 64 MiB, the most "
                 "a scenario may be" : strerror(rc));
        buf_free(&b);
        return -1;
    }
    jcheck *jc = jcheck_new();
    jloc root = JLOC_ROOT("scenario");
    json_t *doc = jc ? jcheck_load(jc, &root, b.data ? b.data : "", b.len) : NULL;
    buf_free(&b);
    scenario *s = doc ? scenario_check(doc, jc, &root) : NULL;
    json_decref(doc);
    int ok = -1;
    if (jc && jcheck_failed(jc) && !jcheck_oom(jc))
        describe(jc, path, err, errcap);
    else if (!s)
        snprintf(err, errcap, "%s: out of memory", path);
    else if (scenario_apply(a, s, "file") != UC_OK)
        snprintf(err, errcap, "%s: the store failed while applying it", path);
    else
        ok = 0;
    scenario_free(s);
    jcheck_free(jc);
    return ok;
}
