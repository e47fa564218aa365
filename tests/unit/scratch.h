/* scratch.h: what the unit tests on real files and a real database share:
 * removing a scratch directory, and raw SQL on the store's database (e.g. a
 * trigger that makes one step fail). Include after cmocka.h. */
#ifndef UC_TEST_SCRATCH_H
#define UC_TEST_SCRATCH_H

#include <ftw.h>
#include <stdio.h>
#include "store/db.h"

static inline int scratch_rm_one(const char *path, const struct stat *st, int flag,
                                 struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Remove dir and everything below it. */
static inline void scratch_remove(const char *dir)
{
    nftw(dir, scratch_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Run SQL text on d's database; a failure fails the test. */
static inline void scratch_sql(db *d, const char *sql)
{
    db_conn *c = db_acquire(d);
    assert_non_null(c);
    assert_int_equal(sqlite3_exec(db_handle(c), sql, NULL, NULL, NULL), SQLITE_OK);
    db_release(d, c);
}

#endif
