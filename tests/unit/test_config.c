/* test_config.c: the size and duration parsers, flags against the
 * environment, and the lock file of the data dir. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/config.h"
#include "store/dirlock.h"

static void test_durations(void **state)
{
    (void)state;
    static const struct { const char *s; int64_t bare, ms; } ok[] = {
        {"90s", 1000, 90000},   {"30m", 1000, 1800000}, {"1h", 1000, 3600000},
        {"1h30m", 1000, 5400000}, {"7d", 1000, 604800000}, {"250ms", 1, 250},
        {"3600", 1000, 3600000}, {"250", 1, 250},        {"0", 1000, 0},
        {"1m30s", 1, 90000},    {"2h0m", 1, 7200000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ms = -1;
        assert_int_equal(config_parse_duration(ok[i].s, ok[i].bare, &ms), 0);
        assert_int_equal(ms, ok[i].ms);
    }
    static const char *bad[] = {"", "h", "-1s", "1.5h", "1 h", "1hh", "1x", "1h30",
                                "s1", " 1s", "1s ", "99999999999999999999s", "40000d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = -1;
        assert_int_not_equal(config_parse_duration(bad[i], 1000, &ms), 0);
    }
}

static void test_sizes(void **state)
{
    (void)state;
    uint64_t b;
    assert_int_equal(config_parse_size("5GB", &b), 0);
    assert_int_equal(b, 5000000000ULL);
    assert_int_equal(config_parse_size("2GiB", &b), 0);
    assert_int_equal(b, 2147483648ULL);
    assert_int_not_equal(config_parse_size("5 XB", &b), 0);
    assert_int_not_equal(config_parse_size("nan", &b), 0);
    static const struct { uint64_t b; const char *s; } shown[] = {
        {5000000000ULL, "5 GB"}, {2147483648ULL, "2 GiB"}, {1000, "1 KB"},
        {1024, "1 KiB"},         {1500000, "1500 KB"},     {1234, "1234 bytes"},
        {1, "1 byte"},           {0, "0 bytes"},
    };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        char out[32];
        config_format_size(shown[i].b, out, sizeof out);
        assert_string_equal(out, shown[i].s);
        /* what it writes, the parser reads back (but for the spaces) */
        if (shown[i].b > 1) {
            char one[32];
            size_t k = 0;
            for (const char *p = out; *p; p++)
                if (*p != ' ')
                    one[k++] = *p;
            one[k] = 0;
            if (strstr(one, "bytes"))
                one[strlen(one) - 5] = 0;
            assert_int_equal(config_parse_size(one, &b), 0);
            assert_int_equal(b, shown[i].b);
        }
    }
}

static int parse(config *cfg, const char *a1, const char *a2)
{
    char *argv[] = {"ucmock", (char *)a1, (char *)a2, NULL};
    int argc = a1 ? (a2 ? 3 : 2) : 1;
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w"); /* the refusals print; not wanted here */
    int rc = config_parse(cfg, argc, argv);
    fclose(stderr);
    stderr = saved;
    return rc;
}

static void test_flags_and_env(void **state)
{
    (void)state;
    config cfg;
    unsetenv("UCMOCK_URL_TTL");
    assert_int_equal(parse(&cfg, "--url-ttl", "1h"), 0);
    assert_int_equal(cfg.url_ttl_seconds, 3600);
    assert_int_equal(parse(&cfg, "--processing-delay", "2s"), 0);
    assert_int_equal(cfg.processing_delay_ms, 2000);
    assert_int_equal(parse(&cfg, "--url-ttl", "1500ms"), -1); /* not whole seconds */
    assert_int_equal(parse(&cfg, "--ban-threshold", "OFF"), 0);
    assert_int_equal(cfg.ban_threshold, 0);
    assert_int_equal(parse(&cfg, "--ban-threshold", "2"), -1);
    assert_int_equal(parse(&cfg, "--listen", "[::1]:0"), 0);
    assert_string_equal(cfg.listen_host, "::1");
    assert_int_equal(parse(&cfg, "--listen", "::1:80"), -1); /* needs brackets */
    assert_int_equal(parse(&cfg, "--listen", "host:"), -1);
    assert_int_equal(parse(&cfg, "--public-url", "HTTPS://Example.com:8443/x//"), 0);
    assert_string_equal(cfg.public_url, "HTTPS://Example.com:8443/x");
    assert_int_equal(parse(&cfg, "--public-url", "http://a b"), -1);
    assert_int_equal(parse(&cfg, "--public-url", "http://a/?q"), -1);
    assert_int_equal(parse(&cfg, "--public-url", ""), -1);

    setenv("UCMOCK_URL_TTL", "30m", 1);
    assert_int_equal(parse(&cfg, NULL, NULL), 0);
    assert_int_equal(cfg.url_ttl_seconds, 1800);
    assert_int_equal(parse(&cfg, "--url-ttl", "60"), 0); /* a flag beats the env */
    assert_int_equal(cfg.url_ttl_seconds, 60);
    unsetenv("UCMOCK_URL_TTL");

    setenv("UCMOCK_API_KEY", " a , b ", 1);
    assert_int_equal(parse(&cfg, NULL, NULL), 0);
    assert_int_equal(cfg.n_api_keys, 2);
    assert_string_equal(cfg.api_keys[0], "a");
    assert_string_equal(cfg.api_keys[1], "b");
    config_free(&cfg);
    assert_int_equal(parse(&cfg, "--api-key", "c"), 0); /* flags replace the env's */
    assert_int_equal(cfg.n_api_keys, 1);
    assert_string_equal(cfg.api_keys[0], "c");
    config_free(&cfg);
    setenv("UCMOCK_API_KEY", "a,", 1);
    assert_int_equal(parse(&cfg, NULL, NULL), -1); /* refused: nothing left to free */
    assert_int_equal(cfg.n_api_keys, 0);
    unsetenv("UCMOCK_API_KEY");

    setenv("UCMOCK_QUIET", "", 1); /* empty has always meant off */
    assert_int_equal(parse(&cfg, NULL, NULL), 0);
    assert_false(cfg.quiet);
    unsetenv("UCMOCK_QUIET");
}

static void test_dirlock(void **state)
{
    (void)state;
    char dir[] = "/tmp/ucmock-lock-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64];
    snprintf(sub, sizeof sub, "%s/data", dir);
    char err[256];
    int fd;
    assert_int_equal(dirlock_take(sub, &fd, err, sizeof err), UC_OK);
    assert_true(fd >= 0);
    /* another process sees it held, with our pid */
    pid_t child = fork();
    if (child == 0) {
        int f2;
        char e2[256];
        char want[128];
        snprintf(want, sizeof want, "(pid %ld)", (long)getppid());
        _exit(dirlock_take(sub, &f2, e2, sizeof e2) == UC_EEXIST && strstr(e2, want) &&
              strstr(e2, "is in use by another ucmock") ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(child, &st, 0), child);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    dirlock_release(fd);
    /* released: the next owner takes it */
    assert_int_equal(dirlock_take(sub, &fd, err, sizeof err), UC_OK);
    dirlock_release(fd);
    char p[128];
    snprintf(p, sizeof p, "%s/ucmock.lock", sub);
    unlink(p);
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_flags_and_env),
        cmocka_unit_test(test_dirlock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
