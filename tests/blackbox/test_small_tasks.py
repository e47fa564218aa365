"""A task's job starts as soon as its upload is in place, while the upload
is made durable and the row inserted (src/jobs/submit.c): a kill -9 at any
moment of it loses nothing that was answered and leaves no orphan, and a
reset racing with submissions leaves every task whole or gone."""
import threading
import time

import pytest
import requests

from harness import V1
from helpers import assert_no_strays, stored_bytes, tasks

CSV = b'email,name\n' + b''.join(b'ann%d@example.com,Ann %d\n' % (i, i) for i in range(10))


def submit_until_stopped(url, key, stop, answered):
    """Submit small tasks one after the other (a session of its own) until
    stop is set or the server goes away; answered gets the ids of the ones
    answered 200."""
    http = requests.Session()
    while not stop.is_set():
        try:
            r = http.post(url, headers={'X-API-Key': key}, data={'project_name': 'p'},
                          files={'file': ('a.csv', CSV)}, timeout=30)
        except requests.RequestException:  # the server was killed under it
            return
        if r.status_code == 200:
            answered.append(r.json()['task_id'])


def start_clients(s, n):
    url = s.url(V1 + '/batch-check-emails')
    stop, answered = threading.Event(), []
    threads = [threading.Thread(target=submit_until_stopped, args=(url, 'k%d' % i, stop, answered))
               for i in range(n)]
    for t in threads:
        t.start()
    while len(answered) < n:  # under way on every thread
        time.sleep(0.01)
    return stop, threads, answered


def storage_matches_rows(s):
    """Each account's storage is what its tasks' rows count, and the data
    dir holds what the rows say (helpers.storage_problems: a small upload
    run on receipt is counted, never stored)."""
    for k in {t['api_key'] for t in tasks(s)}:
        assert s.get('/__mock/accounts/' + k).json()['storage_used'] == stored_bytes(s, k)


@pytest.mark.parametrize('after', [0.0, 0.05, 0.2, 0.5])
def test_sigkill_amid_small_tasks_then_restart(make_server, after):
    """kill -9 while four clients submit small tasks: after the restart
    every task answered is there and completed with the right result, a
    task cut mid-request is there whole (completed) or not at all, and
    storage equals what the rows count, the files as they say, with
    nothing stray."""
    s = make_server(['--rate-limit', '0'])
    ref = s.run('ref', 'a.csv', CSV)[1]
    stop, threads, answered = start_clients(s, 4)
    time.sleep(after)
    s.kill()
    stop.set()
    for t in threads:
        t.join()
    s.start()
    every = {t['task_id']: t for t in tasks(s) if t['api_key'] != 'ref'}
    assert set(answered) <= set(every)
    for tid, t in every.items():
        st = s.wait(t['api_key'], tid)
        assert st['status'] == 'completed', st
        assert s.download(t['api_key'], tid) == ref
    storage_matches_rows(s)
    assert_no_strays(s)


def test_resets_amid_submissions_leave_every_task_whole(make_server):
    """Resets of everything while four clients submit: a task whose job
    started before its row was in is the submitter's until then (a reset
    neither waits for it nor drops it), so each task is either gone with
    its files or there whole, and completes with the right result."""
    s = make_server(['--rate-limit', '0'])
    ref = s.run('ref', 'a.csv', CSV)[1]
    stop, threads, answered = start_clients(s, 4)
    for _ in range(20):
        assert s.post('/__mock/reset', json={}).status_code == 200
        time.sleep(0.02)
    stop.set()
    for t in threads:
        t.join()
    left = tasks(s)
    assert {t['task_id'] for t in left} <= set(answered)
    for t in left:
        st = s.wait(t['api_key'], t['task_id'])
        assert st['status'] == 'completed', st
        assert s.download(t['api_key'], t['task_id']) == ref
    storage_matches_rows(s)
    assert_no_strays(s)



def test_small_task_is_finished_when_answered(make_server):
    """A small delimited upload with no delay runs before its answer: the
    first status read finds it completed (or failed: a file without an
    address column), with the result the worker path gives (a server with
    a delay, where every task starts processing)."""
    s = make_server(['--rate-limit', '0'])
    slow = make_server(['--rate-limit', '0', '--processing-delay', '50'])
    for name, body, want in [('a.csv', CSV, 'completed'),
                             ('b.tsv', CSV.replace(b',', b'\t'), 'completed'),
                             ('c.csv', b'name\nAnn\n', 'failed')]:
        r = s.submit('k', name, body)
        assert r.status_code == 200, r.text
        assert r.json()['status'] == 'processing'  # the real API's answer
        st = s.status('k', r.json()['task_id']).json()
        assert st['status'] == want, st
        r2 = slow.submit('k', name, body)
        assert slow.status('k', r2.json()['task_id']).json()['status'] == 'processing'
        st2 = slow.wait('k', r2.json()['task_id'])
        assert (st['rows'], st['invalid'], st['charged'], st.get('error')) == \
            (st2['rows'], st2['invalid'], st2['charged'], st2.get('error'))
        if want == 'completed':
            assert s.download('k', st['task_id']) == slow.download('k', st2['task_id'])
    # past 64 KiB: the worker path, without a delay
    big = b'email\n' + b''.join(b'u%d@example.com\n' % i for i in range(5000))
    st, out = s.run('k', 'big.csv', big)
    assert st['status'] == 'completed' and out.count(b'\n') == 5001
    storage_matches_rows(s)
    assert_no_strays(s)
