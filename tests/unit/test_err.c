/* test_err.c: every error code has its own description. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"

static void test_descriptions_distinct(void **state)
{
    (void)state;
    for (int a = UC_OK; a <= UC_EEXIST; a++)
        for (int b = a + 1; b <= UC_EEXIST; b++)
            assert_string_not_equal(uc_strerror(a), uc_strerror(b));
    assert_string_equal(uc_strerror(UC_OK), "ok");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptions_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
