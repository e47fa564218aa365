/* config.h: the server's settings, from flags and UCMOCK_* environment.
 *
 * Every flag --some-name also reads UCMOCK_SOME_NAME; a flag given on the
 * command line wins over the environment. */
#ifndef UC_CONFIG_H
#define UC_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define CONFIG_MAX_KEYS 64

typedef struct config {
    char listen_host[256];
    uint16_t listen_port;
    char data_dir[1024];
    int workers;
    uint64_t split_min;              /* delimited uploads this large use idle workers */
    char public_url[512];            /* "" = derive from the Host header */
    char *api_keys[CONFIG_MAX_KEYS]; /* empty = any non-empty key */
    size_t n_api_keys;
    char domain_lists[1024];         /* "" = built-in lists only */
    int ban_threshold;               /* 3..5; 0 = off (never ban) */
    int64_t credits;                 /* -1 = unlimited */
    int rate_limit;                  /* per key per minute; 0 = off */
    uint64_t storage_limit;          /* bytes per account */
    int retention_days;
    int journal_size;
    int processing_delay_ms;
    int url_ttl_seconds;
    uint64_t max_upload;             /* bytes per upload */
    uint64_t xlsx_max_inflated;      /* bytes inflated per archive */
    uint32_t xlsx_max_entries;
    char log_level[16];              /* debug, info, warn, error */
    char log_format[8];              /* text, json */
    bool quiet;
    char tls_cert[1024];
    char tls_key[1024];
    char scenario[1024];             /* "" = none; applied at start */
    char probe_url[512];             /* --probe URL: check health, do not serve */
} config;

/* Fill cfg from argv and the environment. Returns 0 on success, 1 when
 * the program should exit successfully (--help/--version printed), -1 on a
 * bad flag or variable (a message saying what is allowed is printed to
 * stderr). On a non-zero return nothing is left to free; on 0 the caller
 * owns cfg's keys (config_free). */
int config_parse(config *cfg, int argc, char **argv);
void config_free(config *cfg);

/* Parse a size such as "10MB", "5GB", "512KiB", "123" (bytes). Decimal
 * units are powers of 10, binary units (KiB, MiB, GiB) powers of 2.
 * Returns 0 on success. */
int config_parse_size(const char *s, uint64_t *out);

/* A byte count as a person would write it: the largest unit that divides
 * it exactly ("5 GB", "2 GiB", "512 KiB"), else "1234 bytes". */
void config_format_size(uint64_t bytes, char *out, size_t cap);

/* Parse a duration: one or more NUMBER UNIT terms ("90s", "30m", "1h30m";
 * units ms, s, m, h, d), or a bare whole number, which counts in bare_ms
 * (1000 for a flag that always took seconds). Result in milliseconds.
 * Returns 0 on success, -1 when malformed or past 100 years. */
int config_parse_duration(const char *s, int64_t bare_ms, int64_t *out_ms);

#endif
