/* config.c: command-line flags and UCMOCK_* environment variables.
 *
 * One table describes every setting: its flag, default and help text, so
 * --help, the environment and the parser can never disagree. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum opt_kind { OPT_STR, OPT_INT, OPT_SIZE, OPT_BOOL, OPT_KEYS, OPT_LISTEN };

typedef struct opt {
    const char *name;      /* flag without dashes */
    enum opt_kind kind;
    size_t off;            /* offset into config */
    size_t cap;            /* buffer size for OPT_STR */
    long min, max;         /* range for OPT_INT */
    const char *def;       /* default as text, NULL = none */
    const char *help;
} opt;

#define F(m) offsetof(config, m)
#define S(m) sizeof(((config *)0)->m)

static const opt opts[] = {
    {"listen", OPT_LISTEN, 0, 0, 0, 0, "127.0.0.1:8080",
     "HOST:PORT to listen on (port 0 picks a free one)"},
    {"data-dir", OPT_STR, F(data_dir), S(data_dir), 0, 0, "./ucmock-data",
     "where the database, uploads, results and signing secret live"},
    {"workers", OPT_INT, F(workers), 0, 1, 256, NULL,
     "worker threads processing tasks (default: number of cores)"},
    {"public-url", OPT_STR, F(public_url), S(public_url), 0, 0, "",
     "origin for download URLs, e.g. http://localhost:8080 (default: request Host)"},
    {"api-key", OPT_KEYS, 0, 0, 0, 0, NULL,
     "accept only this key (repeatable; env: comma-separated); default any non-empty key"},
    {"domain-lists", OPT_STR, F(domain_lists), S(domain_lists), 0, 0, "",
     "directory of domain lists extending or replacing the built-in ones"},
    {"ban-threshold", OPT_INT, F(ban_threshold), 0, 3, 5, "5",
     "black single-check results per IP before it is banned (3..5, or off)"},
    {"credits", OPT_INT, F(credits), 0, -1, 2000000000L, "-1",
     "credits each account starts with (-1 = unlimited)"},
    {"rate-limit", OPT_INT, F(rate_limit), 0, 0, 1000000, "100",
     "batch submissions per key per minute (0 = off)"},
    {"storage-limit", OPT_SIZE, F(storage_limit), 0, 0, 0, "5GB",
     "storage per account: uploads plus results (units: KB MB GB, KiB MiB GiB)"},
    {"retention-days", OPT_INT, F(retention_days), 0, 1, 3650, "30",
     "days after submission when a project is deleted"},
    {"journal-size", OPT_INT, F(journal_size), 0, 1, 1000000, "1000",
     "API requests kept in the request journal"},
    {"processing-delay", OPT_INT, F(processing_delay_ms), 0, 0, 3600000, "0",
     "milliseconds every task stays processing before it completes"},
    {"url-ttl", OPT_INT, F(url_ttl_seconds), 0, 1, 86400 * 7, "3600",
     "seconds a download URL stays valid"},
    {"max-upload", OPT_SIZE, F(max_upload), 0, 0, 0, "5GB",
     "largest single upload accepted"},
    {"xlsx-max-inflated", OPT_SIZE, F(xlsx_max_inflated), 0, 0, 0, "2GiB",
     "bytes an XLSX may inflate to in total (zip bomb guard)"},
    {"xlsx-max-entries", OPT_INT, F(xlsx_max_entries), 0, 1, 1000000, "10000",
     "entries an XLSX archive may hold"},
    {"log-level", OPT_STR, F(log_level), S(log_level), 0, 0, "info",
     "debug, info, warn or error"},
    {"quiet", OPT_BOOL, F(quiet), 0, 0, 0, "false", "no access log"},
    {"tls-cert", OPT_STR, F(tls_cert), S(tls_cert), 0, 0, "",
     "PEM certificate: serve HTTPS (needs --tls-key)"},
    {"tls-key", OPT_STR, F(tls_key), S(tls_key), 0, 0, "", "PEM private key"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])

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

static int set_listen(config *cfg, const char *v)
{
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v)
        return -1;
    size_t hl = (size_t)(colon - v);
    if (v[0] == '[' && hl >= 2 && v[hl - 1] == ']') { /* [::1]:8080 */
        v++;
        hl -= 2;
    }
    if (hl >= sizeof cfg->listen_host)
        return -1;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return -1;
    memcpy(cfg->listen_host, v, hl);
    cfg->listen_host[hl] = 0;
    cfg->listen_port = (uint16_t)port;
    return 0;
}

static int add_keys(config *cfg, const char *v, char sep)
{
    const char *p = v;
    while (*p) {
        const char *e = sep ? strchr(p, sep) : NULL;
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0) {
            if (cfg->n_api_keys == CONFIG_MAX_KEYS)
                return -1;
            char *k = strndup(p, n);
            if (!k)
                return -1;
            cfg->api_keys[cfg->n_api_keys++] = k;
        }
        p += n;
        if (*p)
            p++;
    }
    return 0;
}

static int set_opt(config *cfg, const opt *o, const char *v, int from_env)
{
    char *base = (char *)cfg;
    switch (o->kind) {
    case OPT_LISTEN:
        return set_listen(cfg, v);
    case OPT_STR:
        if (strlen(v) >= o->cap)
            return -1;
        strcpy(base + o->off, v);
        return 0;
    case OPT_INT: {
        if (o->off == F(ban_threshold) && !strcasecmp(v, "off")) {
            cfg->ban_threshold = 0; /* never ban */
            return 0;
        }
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < o->min || n > o->max)
            return -1;
        if (o->off == F(credits))
            *(int64_t *)(base + o->off) = n;
        else if (o->off == F(xlsx_max_entries))
            *(uint32_t *)(base + o->off) = (uint32_t)n;
        else
            *(int *)(base + o->off) = (int)n;
        return 0;
    }
    case OPT_SIZE:
        return config_parse_size(v, (uint64_t *)(base + o->off));
    case OPT_BOOL:
        if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"))
            *(bool *)(base + o->off) = true;
        else if (!strcmp(v, "0") || !strcasecmp(v, "false") ||
                 !strcasecmp(v, "no") || !*v)
            *(bool *)(base + o->off) = false;
        else
            return -1;
        return 0;
    case OPT_KEYS:
        return add_keys(cfg, v, from_env ? ',' : 0);
    }
    return -1;
}

static void env_name(const opt *o, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "UCMOCK_");
    for (const char *p = o->name; *p && n + 1 < cap; p++)
        buf[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    buf[n] = 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ucmock [flags]\n\n"
               "A local, offline twin of the user.cleaning batch email-verification API.\n"
               "Every flag also reads an environment variable (shown on the right).\n\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        char env[64], left[64];
        env_name(&opts[i], env, sizeof env);
        snprintf(left, sizeof left, "--%s%s", opts[i].name,
                 opts[i].kind == OPT_BOOL ? "" : " VALUE");
        fprintf(f, "  %-28s %s\n  %-28s   [%s%s%s]\n", left, opts[i].help, "",
                env, opts[i].def && *opts[i].def ? ", default " : "",
                opts[i].def && *opts[i].def ? opts[i].def : "");
    }
    fprintf(f, "  %-28s %s\n  %-28s %s\n  %-28s %s\n", "--probe URL",
            "GET URL, exit 0 when it answers 200, else 1 (a health check)", "--help",
            "show this help", "--version", "print the version");
}

int config_parse(config *cfg, int argc, char **argv)
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
            fprintf(stderr, "ucmock: bad value for %s: '%s'\n", env, v);
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
    optind = 1;
    while ((c = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
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
        if (c < 256) {
            usage(stderr);
            return -1;
        }
        const opt *o = &opts[c - 256];
        if (o->kind == OPT_KEYS && !cli_keys) { /* flags replace env keys */
            config_free(cfg);
            cli_keys = 1;
        }
        const char *v = optarg ? optarg : (o->kind == OPT_BOOL ? "true" : "");
        if (set_opt(cfg, o, v, 0) != 0) {
            fprintf(stderr, "ucmock: bad value for --%s: '%s'\n", o->name, v);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ucmock: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!!cfg->tls_cert[0] != !!cfg->tls_key[0]) {
        fprintf(stderr, "ucmock: --tls-cert and --tls-key go together\n");
        return -1;
    }
    size_t pl = strlen(cfg->public_url);
    while (pl > 0 && cfg->public_url[pl - 1] == '/')
        cfg->public_url[--pl] = 0;
    return 0;
}

void config_free(config *cfg)
{
    for (size_t i = 0; i < cfg->n_api_keys; i++)
        free(cfg->api_keys[i]);
    cfg->n_api_keys = 0;
}
