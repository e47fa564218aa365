/* test_log.c: log lines as a collector reads them: logfmt values quoted
 * and escaped, one JSON object per line, keys shown without the secret. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "core/log.h"

/* Run fn with stderr going to a file; returns what it wrote (malloc'd). */
static char *capture(void (*fn)(void))
{
    char path[] = "/tmp/ucmock-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    fn();
    dup2(saved, 2);
    close(saved);
    off_t n = lseek(fd, 0, SEEK_END);
    char *buf = calloc(1, (size_t)n + 1);
    assert_int_equal(pread(fd, buf, (size_t)n, 0), n);
    close(fd);
    unlink(path);
    return buf;
}

static void emit(void)
{
    log_line l;
    if (log_begin(&l, LOG_INFO, "task_submitted")) {
        log_str(&l, "key", "ci-job-1");
        log_str(&l, "file", "my list \"v2\".csv");
        log_str(&l, "bad", "a\nb\xff");
        log_str(&l, "empty", "");
        log_str(&l, "none", NULL);
        log_int(&l, "size", 1234);
        log_end(&l);
    }
    if (log_begin(&l, LOG_DEBUG, "hidden")) /* below the threshold */
        log_end(&l);
}

static void test_text(void **state)
{
    (void)state;
    log_set_level("info");
    log_set_format("text");
    char *out = capture(emit);
    assert_non_null(strstr(out, " level=info event=task_submitted key=ci-job-1 "
                                "file=\"my list \\\"v2\\\".csv\" bad=\"a\\nb\\xff\" "
                                "empty=\"\" size=1234\n"));
    assert_true(!strncmp(out, "time=", 5));
    assert_null(strstr(out, "hidden"));
    assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1); /* one line */
    free(out);
}

static void test_json(void **state)
{
    (void)state;
    log_set_level("info");
    log_set_format("json");
    char *out = capture(emit);
    log_set_format("text");
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], 0); /* one line */
    json_error_t e;
    json_t *o = json_loads(out, 0, &e);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(o, "event")), "task_submitted");
    assert_non_null(json_string_value(json_object_get(o, "ts")));
    assert_string_equal(json_string_value(json_object_get(o, "file")), "my list \"v2\".csv");
    assert_string_equal(json_string_value(json_object_get(o, "bad")), "a\nb\xef\xbf\xbd");
    assert_int_equal(json_integer_value(json_object_get(o, "size")), 1234);
    assert_null(json_object_get(o, "none"));
    json_decref(o);
    free(out);
}

static void emit_long(void)
{
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    log_line l;
    if (log_begin(&l, LOG_INFO, "long")) {
        for (int i = 0; i < 5; i++)
            log_str(&l, "v", big);
        log_end(&l);
    }
}

static void test_long_values_are_cut(void **state)
{
    (void)state;
    log_set_format("text");
    char *out = capture(emit_long);
    size_t n = strlen(out);
    assert_true(n <= LOG_LINE_MAX);
    assert_int_equal(out[n - 1], '\n');
    assert_non_null(strstr(out, "x…\""));
    free(out);
}

static void test_key_shown(void **state)
{
    (void)state;
    char a[LOG_KEY_SHOWN], b[LOG_KEY_SHOWN];
    log_key_shown("ci-job-1", a);
    assert_string_equal(a, "ci-job-1");
    log_key_shown("", a);
    assert_string_equal(a, "");
    log_key_shown("sk_live_0123456789abcdef", a);
    log_key_shown("sk_live_0123456789abcdeg", b);
    assert_int_equal(strncmp(a, "sk_live_…#", strlen("sk_live_…#")), 0);
    assert_int_equal(strlen(a), strlen("sk_live_…#") + 6);
    assert_string_not_equal(a, b);
    assert_null(strstr(a, "0123"));
    log_key_shown("abcdefg\xc3\xa9xyz", a); /* é at bytes 7-8: not split */
    assert_int_equal(strncmp(a, "abcdefg…#", strlen("abcdefg…#")), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_long_values_are_cut),
        cmocka_unit_test(test_key_shown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
