/* config.c: command-line flags and UCMOCK_* environment variables.
 *
 * One table describes every setting: its flag, value form, default and help
 * text, so --help, the environment, the parser and its error messages can
 * never disagree. A refused value always says what would be accepted. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum opt_kind {
    OPT_PATH,     /* non-empty text, stored in a char array */
    OPT_INT,      /* whole number in [min, max] */
    OPT_SIZE,     /* bytes: "5GB", "512KiB" */
    OPT_DURATION, /* "90s", "1h30m" or a bare number in the flag's old unit */
    OPT_BOOL,
    OPT_KEYS,     /* repeatable flag; the variable is comma-separated */
    OPT_LISTEN,   /* HOST:PORT */
    OPT_BAN,      /* 3..5 or off */
    OPT_URL,      /* absolute http(s) URL */
    OPT_CHOICE,   /* one word of a fixed list, stored in a char array */
};

typedef struct opt {
    const char *name;      /* flag without dashes */
    enum opt_kind kind;
    size_t off, sz;        /* the member: offset and size in config */
    int64_t min, max;      /* OPT_INT range; OPT_DURATION range in ms */
    int64_t unit_ms;       /* OPT_DURATION: a bare number's unit and the
                              member's unit */
    const char *def;       /* default as text, NULL = none (zero) */
    const char *form;      /* value form in --help; NULL for a switch */
    const char *help;
    const char *note;      /* OPT_INT: what special values mean */
} opt;

#define F(m) offsetof(config, m), sizeof(((config *)0)->m)

static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const formats[] = {"text", "json", NULL};

static const opt opts[] = {
    {"listen", OPT_LISTEN, F(listen_host), 0, 0, 0, "127.0.0.1:8080", "HOST:PORT",
     "address to listen on; port 0 picks a free one (the first stdout line tells which)",
     NULL},
    {"data-dir", OPT_PATH, F(data_dir), 0, 0, 0, "./ucmock-data", "DIR",
     "database, uploads, results and signing secret; one server per dir", NULL},
    {"workers", OPT_INT, F(workers), 1, 256, 0, NULL, "N",
     "worker threads processing tasks (default: number of cores)", NULL},
    {"split-min", OPT_SIZE, F(split_min), 0, 0, 0, "4MiB", "SIZE",
     "a CSV/TSV/TXT upload this large is read on its worker and every idle one "
     "(0: split every upload, for tests)", NULL},
    {"public-url", OPT_URL, F(public_url), 0, 0, 0, NULL, "URL",
     "origin for download URLs, e.g. http://localhost:8080 (default: request Host)",
     NULL},
    {"api-key", OPT_KEYS, 0, 0, 0, 0, 0, NULL, "KEY",
     "accept only this key (repeatable; env: comma-separated); default any non-empty key",
     NULL},
    {"domain-lists", OPT_PATH, F(domain_lists), 0, 0, 0, NULL, "DIR",
     "directory of domain lists extending or replacing the built-in ones", NULL},
    {"ban-threshold", OPT_BAN, F(ban_threshold), 3, 5, 0, "5", "3..5|off",
     "black single-check results per IP before it is banned; off never bans", NULL},
    {"credits", OPT_INT, F(credits), -1, 2000000000L, 0, "-1", "N",
     "credits each account starts with (-1 = unlimited)", "-1 = unlimited"},
    {"rate-limit", OPT_INT, F(rate_limit), 0, 1000000, 0, "100", "N",
     "batch submissions per key per minute (0 = off)", "0 = off"},
    {"storage-limit", OPT_SIZE, F(storage_limit), 0, 0, 0, "5GB", "SIZE",
     "storage per account: uploads plus results", NULL},
    {"retention-days", OPT_INT, F(retention_days), 1, 3650, 0, "30", "DAYS",
     "days after submission when a project is deleted", NULL},
    {"journal-size", OPT_INT, F(journal_size), 1, 1000000, 0, "1000", "N",
     "API requests kept in the request journal", NULL},
    {"processing-delay", OPT_DURATION, F(processing_delay_ms), 0, 3600000, 1, "0",
     "DURATION", "how long every task stays processing (bare number: milliseconds)",
     NULL},
    {"url-ttl", OPT_DURATION, F(url_ttl_seconds), 1000, 7 * 86400000LL, 1000, "3600",
     "DURATION", "how long a download URL stays valid (bare number: seconds)", NULL},
    {"max-upload", OPT_SIZE, F(max_upload), 0, 0, 0, "5GB", "SIZE",
     "largest single upload accepted", NULL},
    {"xlsx-max-inflated", OPT_SIZE, F(xlsx_max_inflated), 0, 0, 0, "2GiB", "SIZE",
     "bytes an XLSX may inflate to in total (zip bomb guard)", NULL},
    {"xlsx-max-entries", OPT_INT, F(xlsx_max_entries), 1, 1000000, 0, "10000", "N",
     "entries an XLSX archive may hold", NULL},
    {"log-level", OPT_CHOICE, F(log_level), 0, 0, 0, "info", "LEVEL",
     "debug, info, warn or error", NULL},
    {"log-format", OPT_CHOICE, F(log_format), 0, 0, 0, "text", "text|json",
     "log lines on stderr: logfmt text, or one JSON object per line", NULL},
    {"quiet", OPT_BOOL, F(quiet), 0, 0, 0, "false", NULL, "no access log", NULL},
    {"scenario", OPT_PATH, F(scenario), 0, 0, 0, NULL, "FILE",
     "JSON scenario applied at start: clock, accounts, lists, outcomes, faults", NULL},
    {"tls-cert", OPT_PATH, F(tls_cert), 0, 0, 0, NULL, "FILE",
     "PEM certificate: serve HTTPS (needs --tls-key)", NULL},
    {"tls-key", OPT_PATH, F(tls_key), 0, 0, 0, NULL, "FILE", "PEM private key", NULL},
};
#define N_OPTS (sizeof opts / sizeof opts[0])

/* ---- value parsers ---- */

int config_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || v < 0) /* "nan" would cast badly */
        return -1;
    while (*end == ' ')
        end++;
    struct { const char *u; double m; } units[] = {
        {"", 1}, {"B", 1},
        {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
        {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
        {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
        {"TiB", 1099511627776.0},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(end, units[i].u) == 0) {
            /* "KiB" vs "KB": strcasecmp would let "kib" match only KiB. */
            double b = v * units[i].m;
            if (b > 1.8e19)
                return -1;
            *out = (uint64_t)(b + 0.5);
            return 0;
        }
    }
    return -1;
}

void config_format_size(uint64_t bytes, char *out, size_t cap)
{
    static const struct { const char *u; uint64_t m; } units[] = {
        {"TB", 1000000000000ULL}, {"TiB", 1ULL << 40}, {"GB", 1000000000ULL},
        {"GiB", 1ULL << 30},      {"MB", 1000000ULL},  {"MiB", 1ULL << 20},
        {"KB", 1000ULL},          {"KiB", 1ULL << 10},
    };
    for (size_t i = 0; bytes && i < sizeof units / sizeof units[0]; i++)
        if (bytes % units[i].m == 0) {
            snprintf(out, cap, "%" PRIu64 " %s", bytes / units[i].m, units[i].u);
            return;
        }
    snprintf(out, cap, "%" PRIu64 " byte%s", bytes, bytes == 1 ? "" : "s");
}

#define DURATION_MAX_MS (100LL * 365 * 86400000)

int config_parse_duration(const char *s, int64_t bare_ms, int64_t *out_ms)
{
    static const struct { const char *u; int64_t ms; } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    };
    int64_t total = 0;
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return -1;
    while (*p) {
        int64_t n = 0;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p)) {
            n = n * 10 + (*p++ - '0');
            if (n > DURATION_MAX_MS)
                return -1;
        }
        size_t ul = 0;
        while (isalpha((unsigned char)p[ul]))
            ul++;
        int64_t unit = -1;
        if (ul == 0 && p == s + strspn(s, "0123456789") && !*p)
            unit = bare_ms; /* the whole value is a bare number */
        for (size_t i = 0; ul && i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].u) == ul && !strncmp(p, units[i].u, ul))
                unit = units[i].ms;
        if (unit < 0 || n > DURATION_MAX_MS / unit)
            return -1;
        total += n * unit;
        if (total > DURATION_MAX_MS)
            return -1;
        p += ul;
    }
    *out_ms = total;
    return 0;
}

/* ms as the shortest exact "7d", "1h", "90s", "250ms", "0". */
static void format_ms(int64_t ms, char *out, size_t cap)
{
    static const struct { const char *u; int64_t ms; } units[] = {
        {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1},
    };
    if (ms == 0) {
        snprintf(out, cap, "0");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms % units[i].ms == 0) {
            snprintf(out, cap, "%" PRId64 "%s", ms / units[i].ms, units[i].u);
            return;
        }
}

static int set_listen(config *cfg, const char *v)
{
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v)
        return -1;
    size_t hl = (size_t)(colon - v);
    if (v[0] == '[') { /* [::1]:8080 */
        if (hl < 3 || v[hl - 1] != ']')
            return -1;
        v++;
        hl -= 2;
    } else if (memchr(v, ':', hl)) {
        return -1; /* an IPv6 address needs its brackets */
    }
    if (hl >= sizeof cfg->listen_host)
        return -1;
    const char *d = colon + 1;
    if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 5)
        return -1;
    long port = strtol(d, NULL, 10);
    if (port > 65535)
        return -1;
    memcpy(cfg->listen_host, v, hl);
    cfg->listen_host[hl] = 0;
    cfg->listen_port = (uint16_t)port;
    return 0;
}

/* An absolute http:// or https:// URL with a host, no query or fragment;
 * trailing slashes are dropped (paths are appended to it). */
static int set_url(char *dst, size_t cap, const char *v)
{
    const char *rest;
    if (!strncasecmp(v, "http://", 7))
        rest = v + 7;
    else if (!strncasecmp(v, "https://", 8))
        rest = v + 8;
    else
        return -1;
    if (!*rest || *rest == '/' || *rest == ':' || *rest == '?' || *rest == '#')
        return -1;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '?' || *p == '#' || *p == '\\')
            return -1;
    size_t n = strlen(v);
    while (n > 0 && v[n - 1] == '/')
        n--;
    if (n >= cap)
        return -1;
    memcpy(dst, v, n);
    dst[n] = 0;
    return 0;
}

static int add_key(config *cfg, const char *p, size_t n)
{
    if (n == 0 || cfg->n_api_keys == CONFIG_MAX_KEYS)
        return -1;
    char *k = strndup(p, n);
    if (!k)
        return -1;
    cfg->api_keys[cfg->n_api_keys++] = k;
    return 0;
}

/* The variable's comma-separated list: every entry non-empty (a stray
 * comma is a typo, not "any key"); spaces around entries are dropped. */
static int add_key_list(config *cfg, const char *v)
{
    for (;;) {
        const char *e = strchr(v, ',');
        size_t n = e ? (size_t)(e - v) : strlen(v);
        while (n && *v == ' ') {
            v++;
            n--;
        }
        while (n && v[n - 1] == ' ')
            n--;
        if (add_key(cfg, v, n) != 0)
            return -1;
        if (!e)
            return 0;
        v = e + 1;
    }
}

static int is_choice(const opt *o, const char *v)
{
    const char *const *c = o->off == offsetof(config, log_level) ? levels : formats;
    for (; *c; c++)
        if (!strcasecmp(v, *c))
            return 1;
    return 0;
}

static int set_opt(config *cfg, const opt *o, const char *v, int from_env)
{
    char *m = (char *)cfg + o->off;
    switch (o->kind) {
    case OPT_LISTEN:
        return set_listen(cfg, v);
    case OPT_URL:
        return set_url(m, o->sz, v);
    case OPT_CHOICE:
        if (!is_choice(o, v))
            return -1;
        /* fall through */
    case OPT_PATH:
        if (!*v || strlen(v) >= o->sz)
            return -1;
        strcpy(m, v);
        return 0;
    case OPT_BAN:
        if (!strcasecmp(v, "off")) {
            *(int *)m = 0;
            return 0;
        }
        /* fall through */
    case OPT_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (errno || end == v || *end || isspace((unsigned char)*v) || n < o->min ||
            n > o->max)
            return -1;
        if (o->sz == sizeof(int64_t))
            *(int64_t *)m = n;
        else if (o->off == offsetof(config, xlsx_max_entries))
            *(uint32_t *)m = (uint32_t)n;
        else
            *(int *)m = (int)n;
        return 0;
    }
    case OPT_DURATION: {
        int64_t ms;
        if (config_parse_duration(v, o->unit_ms, &ms) != 0 || ms < o->min ||
            ms > o->max || ms % o->unit_ms)
            return -1;
        *(int *)m = (int)(ms / o->unit_ms);
        return 0;
    }
    case OPT_SIZE:
        return config_parse_size(v, (uint64_t *)m);
    case OPT_BOOL:
        if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"))
            *(bool *)m = true;
        else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
                 !*v) /* UCMOCK_QUIET= (empty) has always meant off */
            *(bool *)m = false;
        else
            return -1;
        return 0;
    case OPT_KEYS:
        return from_env ? add_key_list(cfg, v) : add_key(cfg, v, strlen(v));
    }
    return -1;
}

/* What the option accepts, as the end of "NAME: expected ...". */
static void expected(const opt *o, int from_env, char *out, size_t cap)
{
    char lo[32], hi[32];
    switch (o->kind) {
    case OPT_PATH:
        snprintf(out, cap, "a non-empty path");
        return;
    case OPT_INT:
        snprintf(out, cap, "%" PRId64 "..%" PRId64 "%s%s%s", o->min, o->max,
                 o->note ? " (" : "", o->note ? o->note : "", o->note ? ")" : "");
        return;
    case OPT_SIZE:
        snprintf(out, cap, "a size such as 500MB, 5GB or 2GiB (units B KB MB GB TB, "
                           "KiB MiB GiB TiB)");
        return;
    case OPT_DURATION:
        format_ms(o->min, lo, sizeof lo);
        format_ms(o->max, hi, sizeof hi);
        snprintf(out, cap, "a duration %s..%s such as 90s, 30m, 1h or 1h30m (units ms s "
                           "m h d; a bare number is %s)", lo, hi,
                 o->unit_ms == 1000 ? "seconds" : "milliseconds");
        return;
    case OPT_BOOL:
        snprintf(out, cap, "true or false (or 1/0, yes/no)");
        return;
    case OPT_KEYS:
        snprintf(out, cap, from_env ? "one or more non-empty keys separated by commas "
                                      "(at most %d)" : "a non-empty key (at most %d)",
                 CONFIG_MAX_KEYS);
        return;
    case OPT_LISTEN:
        snprintf(out, cap, "HOST:PORT such as 127.0.0.1:8080 or [::1]:8080 (port "
                           "0..65535; 0 picks a free one)");
        return;
    case OPT_BAN:
        snprintf(out, cap, "%" PRId64 "..%" PRId64 " or off", o->min, o->max);
        return;
    case OPT_URL:
        snprintf(out, cap, "an absolute http:// or https:// URL such as "
                           "http://localhost:8080 (no query or fragment)");
        return;
    case OPT_CHOICE:
        snprintf(out, cap, "%s", o->off == offsetof(config, log_level)
                                     ? "debug, info, warn or error" : "text or json");
        return;
    }
}

static void env_name(const opt *o, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "UCMOCK_");
    for (const char *p = o->name; *p && n + 1 < cap; p++)
        buf[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    buf[n] = 0;
}

static void refuse(const opt *o, int from_env, const char *v)
{
    char name[64], exp[256];
    if (from_env)
        env_name(o, name, sizeof name);
    else
        snprintf(name, sizeof name, "--%s", o->name);
    expected(o, from_env, exp, sizeof exp);
    fprintf(stderr, "ucmock: %s: expected %s, got '%s'\n", name, exp, v);
}

/* text in lines of at most 80 columns, each after `indent` spaces but the
 * first, which continues a line already `indent` wide. */
static void put_wrapped(FILE *f, int indent, const char *text)
{
    int col = indent;
    const char *p = text;
    while (*p) {
        size_t w = strcspn(p, " ");
        if (col > indent && col + 1 + (int)w > 80) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        }
        if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, w, f);
        col += (int)w;
        p += w;
        p += strspn(p, " ");
    }
    fputc('\n', f);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ucmock [flags]\n\n"
               "A local, offline twin of the user.cleaning batch email-verification API.\n"
               "Every flag also reads an environment variable (shown below it); a flag\n"
               "beats the variable.\n\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        const opt *o = &opts[i];
        char env[64], left[64];
        env_name(o, env, sizeof env);
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->form ? " " : "",
                 o->form ? o->form : "");
        fprintf(f, "  %-29s", left);
        put_wrapped(f, 31, o->help);
        fprintf(f, "%31s[%s%s%s]\n", "", env, o->def ? ", default " : "",
                o->def ? o->def : "");
    }
    fprintf(f, "  %-29s", "--probe URL");
    put_wrapped(f, 31, "GET URL, exit 0 when it answers 200, else 1 (a health check)");
    fprintf(f, "  %-29s%s\n  %-29s%s\n\n", "--help", "show this help", "--version",
            "print the version");
    fprintf(f,
        "Values:\n"
        "  SIZE      500MB, 5GB (decimal: KB MB GB TB) or 512KiB, 2GiB (binary: KiB MiB\n"
        "            GiB TiB), one word\n"
        "  DURATION  90s, 30m, 1h, 1h30m, 7d (units ms s m h d); a bare number keeps the\n"
        "            flag's old unit: seconds for --url-ttl, milliseconds for\n"
        "            --processing-delay\n\n"
        "Control API, for tests: /__mock/... reads and moves the clock, arms faults,\n"
        "resets accounts, lists tasks and the request journal (no key needed); see\n"
        "README.md, \"The API\", and /openapi.json on the running server.\n");
}

/* "--storage-limit 5 GB": getopt took "5" and stops at "GB". Say how to
 * write it when the two words together make a good value (and the same for
 * "--quiet false", whose value must follow an '='). */
static int split_value_hint(const opt *o, const char *v, const char *next)
{
    config probe;
    if (o && o->kind == OPT_BOOL && !v && set_opt(&probe, o, next, 0) == 0 && *next) {
        fprintf(stderr, "ucmock: --%s: write the value after '=', '--%s=%s', not "
                        "'--%s %s'\n", o->name, o->name, next, o->name, next);
        return 1;
    }
    if (!o || (o->kind != OPT_SIZE && o->kind != OPT_DURATION) || !v ||
        !*next || strspn(next, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
                      strlen(next))
        return 0;
    char joined[128];
    snprintf(joined, sizeof joined, "%s%s", v, next);
    uint64_t b;
    int64_t ms;
    if (o->kind == OPT_SIZE ? config_parse_size(joined, &b) != 0
                            : config_parse_duration(joined, o->unit_ms, &ms) != 0)
        return 0;
    fprintf(stderr, "ucmock: --%s: write the %s as one word, '%s', not '%s %s'\n", o->name,
            o->kind == OPT_SIZE ? "size" : "duration", joined, v, next);
    return 1;
}

static int parse_all(config *cfg, int argc, char **argv)
{
    memset(cfg, 0, sizeof *cfg);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->workers = ncpu > 0 ? (int)ncpu : 2;

    for (size_t i = 0; i < N_OPTS; i++)
        if (opts[i].def && set_opt(cfg, &opts[i], opts[i].def, 0) != 0) {
            fprintf(stderr, "ucmock: internal: bad default for --%s\n", opts[i].name);
            return -1;
        }
    for (size_t i = 0; i < N_OPTS; i++) {
        char env[64];
        env_name(&opts[i], env, sizeof env);
        const char *v = getenv(env);
        if (v && set_opt(cfg, &opts[i], v, 1) != 0) {
            refuse(&opts[i], 1, v);
            return -1;
        }
    }

    struct option lo[N_OPTS + 4];
    for (size_t i = 0; i < N_OPTS; i++)
        lo[i] = (struct option){opts[i].name,
                                opts[i].kind == OPT_BOOL ? optional_argument
                                                         : required_argument,
                                NULL, (int)(i + 256)};
    lo[N_OPTS] = (struct option){"help", no_argument, NULL, 'h'};
    lo[N_OPTS + 1] = (struct option){"version", no_argument, NULL, 'V'};
    lo[N_OPTS + 2] = (struct option){"probe", required_argument, NULL, 'P'};
    lo[N_OPTS + 3] = (struct option){NULL, 0, NULL, 0};

    int cli_keys = 0, c;
    const opt *last = NULL;
    const char *last_v = NULL;
    optind = 1;
    opterr = 0;
    /* "+": stop at the first non-flag, so "5 GB" is seen in order. */
    while ((c = getopt_long(argc, argv, "+:hV", lo, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 1;
        }
        if (c == 'V') {
            printf("ucmock 0.1.0\n");
            return 1;
        }
        if (c == 'P') {
            if (strlen(optarg) >= sizeof cfg->probe_url) {
                fprintf(stderr, "ucmock: --probe URL is too long\n");
                return -1;
            }
            strcpy(cfg->probe_url, optarg);
            continue;
        }
        if (c == ':' && optopt == 'P') {
            fprintf(stderr, "ucmock: --probe needs a value: URL\n");
            return -1;
        }
        if (c == ':' && optopt >= 256 && optopt < 256 + (int)N_OPTS) {
            fprintf(stderr, "ucmock: --%s needs a value: %s\n", opts[optopt - 256].name,
                    opts[optopt - 256].form);
            return -1;
        }
        if (c < 256) {
            fprintf(stderr, "ucmock: unknown flag '%s' (ucmock --help lists them)\n",
                    argv[optind - 1]);
            return -1;
        }
        const opt *o = &opts[c - 256];
        if (o->kind == OPT_KEYS && !cli_keys) { /* flags replace env keys */
            config_free(cfg);
            cli_keys = 1;
        }
        const char *v = optarg ? optarg : (o->kind == OPT_BOOL ? "true" : "");
        if (set_opt(cfg, o, v, 0) != 0) {
            refuse(o, 0, v);
            return -1;
        }
        last = o;
        last_v = optarg;
    }
    if (optind < argc) {
        if (!split_value_hint(last, last_v, argv[optind]))
            fprintf(stderr, "ucmock: unexpected argument '%s' (flags start with --; "
                            "ucmock --help lists them)\n", argv[optind]);
        return -1;
    }
    if (!!cfg->tls_cert[0] != !!cfg->tls_key[0]) {
        fprintf(stderr, "ucmock: --tls-cert and --tls-key go together\n");
        return -1;
    }
    return 0;
}

int config_parse(config *cfg, int argc, char **argv)
{
    int rc = parse_all(cfg, argc, argv);
    if (rc != 0) /* nothing to run: the keys taken so far go now */
        config_free(cfg);
    return rc;
}

void config_free(config *cfg)
{
    for (size_t i = 0; i < cfg->n_api_keys; i++)
        free(cfg->api_keys[i]);
    cfg->n_api_keys = 0;
}
