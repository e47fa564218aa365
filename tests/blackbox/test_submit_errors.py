"""Errors on the submission and single-check paths that must not be
dropped: each is made to happen (the database is broken from outside
while the server runs), answers a JSON 500, and leaves nothing behind:
no task, no file, no charge, no ban count."""
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
    # the sum per key is kept in its own table by triggers on tasks
    db_exec(s, 'ALTER TABLE storage RENAME TO storage_away')
    big = b'email\n' + b'a@example.com\n' * 100000   # declared length past the limit
    for body in (big, GOOD_CSV):
        assert_detail(s.submit(KEY, 'a.csv', body), 500, 'Error processing file')
    assert [f for f in s.data_files()] == []
    db_exec(s, 'ALTER TABLE storage_away RENAME TO storage')
    assert tasks(s) == []
    st, out = run_ok(s, 'a.csv', GOOD_CSV)
    assert_no_strays(s)


def test_single_check_charge_error_answers_500(make_server):
    """The charge of a single check fails for a reason other than credits:
    a 500, nothing charged and no ban counted (it was answered 200 and
    charged nothing before)."""
    s = make_server(['--credits', '10'])
    check = V1 + '/check-email?email=test@disposable.com'
    first = s.post(check, KEY)
    assert first.status_code == 200, first.text
    left = first.json()['remaining_attempts_before_ban']
    db_exec(s, "CREATE TRIGGER no_charge BEFORE UPDATE ON accounts "
               "BEGIN SELECT RAISE(ABORT, 'no charge'); END")
    assert_detail(s.post(check, KEY), 500, 'Internal Server Error')
    db_exec(s, 'DROP TRIGGER no_charge')
    acct = s.get('/__mock/accounts/' + KEY).json()
    assert (acct['credits'], acct['charged']) == (9, 1)
    again = s.post(check, KEY)
    assert again.status_code == 200, again.text
    assert again.json()['remaining_attempts_before_ban'] == left - 1
