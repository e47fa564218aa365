"""Errors on the submission path that must not be dropped: each is made
to happen (the database is broken from outside while the server runs),
answers a JSON 500, and leaves nothing behind."""
import os
import sqlite3

from harness import V1
from helpers import GOOD_CSV, KEY, assert_detail, assert_no_strays, run_ok, tasks


def db_exec(server, *sql):
    """Run SQL on the server's database from another connection."""
    c = sqlite3.connect(os.path.join(server.data_dir, 'ucmock.db'), timeout=30)
    try:
        for q in sql:
            c.execute(q)
        c.commit()
    finally:
        c.close()


def test_storage_sum_unreadable_answers_500(make_server):
    """The storage used cannot be read when an upload begins: a 500, not
    the whole quota taken as room (which let the body in, or answered 413
    to a declared length past the limit)."""
    s = make_server(['--storage-limit', '1KB'])
    db_exec(s, 'ALTER TABLE tasks RENAME TO tasks_away')
    big = b'email\n' + b'a@example.com\n' * 100000   # declared length past the limit
    for body in (big, GOOD_CSV):
        assert_detail(s.submit(KEY, 'a.csv', body), 500, 'Error processing file')
    assert [f for f in s.data_files()] == []
    db_exec(s, 'ALTER TABLE tasks_away RENAME TO tasks')
    assert tasks(s) == []
    st, out = run_ok(s, 'a.csv', GOOD_CSV)
    assert_no_strays(s)
