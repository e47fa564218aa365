"""helpers.py: shared helpers for the batch black-box tests.

Everything goes through harness.Server (its checked `http` session), except
raw_exchange(), which speaks HTTP over a bare socket for the cases no client
library will produce (bodies cut off mid-way, hand-made multipart)."""
import csv
import io
import os
import re
import socket
import time

from harness import V1

KEY = 'key-1'
GOOD_CSV = b'email,name\nok@example.com,OK\n'
GOOD_RESULT = b'email,name,category,domain_type\nok@example.com,OK,white,unknown\n'
FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')
UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


def counts(st):
    """(rows, duplicates_removed, invalid, charged) of a status JSON."""
    return st['rows'], st['duplicates_removed'], st['invalid'], st['charged']


def run_ok(server, filename, content, key=KEY, **kw):
    """Submit, wait, download; the task must complete. (status, bytes)."""
    st, out = server.run(key, filename, content, **kw)
    assert st['status'] == 'completed', st
    return st, out


def run_failed(server, filename, content, key=KEY, **kw):
    """Submit a file the server accepts but cannot process: the task must
    fail with a reason; returns the reason (status JSON 'error')."""
    r = server.submit(key, filename, content, **kw)
    assert r.status_code == 200, r.text
    st = server.wait(key, r.json()['task_id'])
    assert st['status'] == 'failed', st
    assert isinstance(st.get('error'), str) and st['error'], st
    assert counts(st) == (0, 0, 0, 0), st
    # A failed task has no result to hand out.
    d = server.get(V1 + '/batch-task-download/' + st['task_id'], key)
    assert d.status_code == 400 and d.json() == {'detail': 'Error processing file'}, d.text
    return st['error']


def tasks(server, key=None):
    """The control API's task list (every key's when key is None)."""
    r = server.get('/__mock/tasks', key)
    assert r.status_code == 200, r.text
    return r.json()['tasks']


# A delimited upload up to this size with no delay runs on the receiving
# thread (src/jobs/submit.c, runs_here) and is never stored.
RUN_ON_RECEIPT_MAX = 64 << 10


def storage_problems(server):
    """The tasks' rows against the data dir, as a list of problems (empty:
    none): every file in uploads/ and results/ is a listed task's and as
    large as its row's upload_bytes or result_bytes says; a completed
    task's result is there; a task's upload is missing only when the task
    ran on receipt (finished, a delimited upload of at most
    RUN_ON_RECEIPT_MAX bytes: its bytes are counted, never stored)."""
    want, owner = {}, {}
    for t in tasks(server):
        up = 'uploads/%s.%s' % (t['task_id'], t['format'])
        want[up], owner[up] = t['upload_bytes'], t
        if t['status'] == 'completed':
            res = 'results/%s.%s' % (t['task_id'], t['format'])
            want[res], owner[res] = t['result_bytes'], t
    problems = []
    disk = {f: os.path.getsize(os.path.join(server.data_dir, f))
            for f in server.data_files() if not f.startswith('tmp/')}
    for f, n in sorted(disk.items()):
        if f not in want:
            problems.append('%s: no listed task owns it' % f)
        elif n != want[f]:
            problems.append('%s: %d bytes, its row says %d' % (f, n, want[f]))
    for f in sorted(set(want) - set(disk)):
        t = owner[f]
        if (f.startswith('results/') or t['status'] == 'processing' or t['format'] == 'xlsx'
                or t['upload_bytes'] > RUN_ON_RECEIPT_MAX):
            problems.append('%s (%s, %d bytes) is missing' % (f, t['status'], want[f]))
    return problems


def stored_bytes(server, key=None):
    """What key's tasks (every key's: None) count towards storage, once the
    data dir has been checked against the rows (storage_problems)."""
    problems = storage_problems(server)
    assert not problems, problems
    return sum(t['upload_bytes'] + t['result_bytes'] for t in tasks(server, key))


def assert_detail(resp, status, detail):
    """A FastAPI-style {"detail": "..."} error."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers['Content-Type'].startswith('application/json'), resp.headers
    assert resp.json() == {'detail': detail}, resp.text


def assert_422(resp, *errors):
    """pydantic's list form; errors are (type, loc-field) pairs, in order."""
    assert resp.status_code == 422, (resp.status_code, resp.text)
    got = resp.json()['detail']
    assert [(e['type'], e['loc'][1]) for e in got] == list(errors), got
    for e in got:
        assert e['loc'][0] == 'body' and set(e) >= {'type', 'loc', 'msg', 'input'}, e
    return got


def assert_no_strays(server, timeout=15):
    """The data dir holds only what live tasks own: uploads/ID.FMT for each
    task (none for a task run on receipt: storage_problems), results/ID.FMT
    for completed ones, and nothing in tmp/. Cleanup of
    an aborted request may lag its close, so poll (generously)."""
    deadline = time.time() + timeout
    while True:
        by_id = {t['task_id']: t for t in tasks(server)}
        allowed = set()
        for t in by_id.values():
            allowed.add('uploads/%s.%s' % (t['task_id'], t['format']))
            if t['status'] == 'completed':
                allowed.add('results/%s.%s' % (t['task_id'], t['format']))
        stray = [f for f in server.data_files() if f not in allowed]
        if not stray:
            return
        if time.time() > deadline:
            raise AssertionError('stray files in the data dir: %r' % stray)
        time.sleep(0.05)


def assert_still_serving(server, key=KEY):
    """After a bad request: a normal batch still works end to end and the
    data dir holds no leftovers."""
    st, out = run_ok(server, 'after.csv', GOOD_CSV, key=key)
    assert out == GOOD_RESULT
    assert counts(st) == (1, 0, 0, 1)
    assert_no_strays(server)


def parse_delimited(data, delimiter=','):
    """Rows of a result, as Python's csv module reads them."""
    text = data.decode('utf-8-sig')
    return list(csv.reader(io.StringIO(text, newline=''), delimiter=delimiter))


def multipart(parts, boundary='ucmockBoundary7MA4YWxk'):
    """A multipart/form-data body. parts: (name, value) for text fields or
    (name, filename, bytes) for files. Returns (body, content_type)."""
    out = []
    for p in parts:
        out.append(b'--' + boundary.encode() + b'\r\n')
        if len(p) == 2:
            out.append(b'Content-Disposition: form-data; name="%s"\r\n\r\n' % p[0].encode())
            out.append(p[1] if isinstance(p[1], bytes) else p[1].encode())
        else:
            out.append(b'Content-Disposition: form-data; name="%s"; filename="%s"\r\n'
                       % (p[0].encode(), p[1].encode()))
            out.append(b'Content-Type: application/octet-stream\r\n\r\n')
            out.append(p[2])
        out.append(b'\r\n')
    out.append(b'--' + boundary.encode() + b'--\r\n')
    return b''.join(out), 'multipart/form-data; boundary=' + boundary


def raw_exchange(server, head, body=b'', close_early=False, timeout=30):
    """Send raw bytes (head is the request line + headers, without the
    blank line). With close_early the socket closes right after sending
    (a client that dies mid-upload) and None is returned; otherwise the
    raw response bytes are read until the server closes (a reset after
    the answer, e.g. when it closed with part of the request unread, ends
    them too)."""
    s = socket.create_connection(('127.0.0.1', server.port), timeout=timeout)
    try:
        s.sendall(head.rstrip(b'\r\n') + b'\r\n\r\n' + body)
        if close_early:
            return None
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except ConnectionResetError:
                break
            if not c:
                break
            chunks.append(c)
        return b''.join(chunks)
    finally:
        s.close()


def upload_head(server, content_type, length, key=KEY, path=V1 + '/batch-check-emails'):
    lines = ['POST %s HTTP/1.1' % path, 'Host: 127.0.0.1:%d' % server.port,
             'Content-Type: %s' % content_type, 'Content-Length: %d' % length,
             'Connection: close']
    if key:
        lines.append('X-API-Key: %s' % key)
    return ('\r\n'.join(lines)).encode()
