"""test_hostile.py: the hostile-input corpus of tests/hostile/cases.json
against one running server.

Every case is sent (uploads through the checked session, odd HTTP over a
bare socket) and its expected outcome checked; then, after the whole
corpus: the server still answers /healthz, the data dir holds nothing but
the tasks' own files, each as large as its row says (storage_problems),
each key's storage accounting equals what its tasks' rows count, and a
normal batch still goes through. All failures are collected
and reported together, so one run shows every misbehaviour."""
import base64
import json
import os
import socket
import sys
import time

import requests

from harness import V1
from helpers import GOOD_CSV, GOOD_RESULT, KEY, multipart, run_ok, storage_problems, tasks

HOSTILE = os.path.join(os.path.dirname(__file__), '..', 'hostile')
sys.path.insert(0, HOSTILE)
import generate  # noqa: E402

OTHER_KEY = 'intruder'
CASES = json.load(open(os.path.join(HOSTILE, 'cases.json'), encoding='utf-8'))['cases']


# -- raw HTTP --

def _exchange(server, data, timeout=30):
    """Send bytes, read until the server closes. Returns (status or None,
    headers dict, body bytes, closed_without_answer); status 'timeout' when
    the server neither answered nor closed within timeout seconds."""
    s = socket.create_connection(('127.0.0.1', server.port), timeout=timeout)
    chunks = []
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-send: read what it said, if anything
        while True:
            try:
                c = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                if not chunks:
                    return 'timeout', {}, b'', False
                break
            if not c:
                break
            chunks.append(c)
    finally:
        s.close()
    raw = b''.join(chunks)
    if not raw.startswith(b'HTTP/'):
        return None, {}, raw, True
    head, _, body = raw.partition(b'\r\n\r\n')
    lines = head.split(b'\r\n')
    status = int(lines[0].split()[1])
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(b':')
        hdrs[k.strip().lower().decode()] = v.strip().decode('latin-1')
    if 'content-length' in hdrs:
        body = body[:int(hdrs['content-length'])]
    return status, hdrs, body, False


def _request(server, method, path, headers=(), body=b'', key=KEY):
    lines = ['%s %s HTTP/1.1' % (method, path), 'Host: 127.0.0.1:%d' % server.port,
             'Connection: close']
    if key:
        lines.append('X-API-Key: ' + key)
    lines += list(headers)
    if body or method == 'POST':
        lines.append('Content-Length: %d' % len(body))
    return '\r\n'.join(lines).encode() + b'\r\n\r\n' + body


SUBMIT = V1 + '/batch-check-emails'
ONE_ROW = ('file', 'one.csv', b'email\na@example.com\n')


def _upload(server, parts, ctype=None, extra=()):
    body, ct = multipart(parts)
    return _request(server, 'POST', SUBMIT, ['Content-Type: ' + (ctype or ct)] + list(extra),
                    body)


RAW = {
    'multipart_missing_boundary': lambda s: _upload(
        s, [('project_name', 'p'), ONE_ROW], ctype='multipart/form-data'),
    'multipart_never_closed': lambda s: _request(
        s, 'POST', SUBMIT, ['Content-Type: multipart/form-data; boundary=BND'],
        b'--BND\r\nContent-Disposition: form-data; name="project_name"\r\n\r\np\r\n'
        b'--BND\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        b'Content-Type: text/csv\r\n\r\nemail\na@example.com\n'),
    'multipart_wrong_boundary': lambda s: _upload(
        s, [('project_name', 'p'), ONE_ROW], ctype='multipart/form-data; boundary=NotTheOne'),
    'multipart_duplicates': lambda s: _upload(
        s, [('project_name', 'first'), ('file', 'a.csv', b'email\nx@example.com\n'),
            ('project_name', 'second'), ('deduplicate', 'maybe'), ('deduplicate', 'false'),
            ('file', 'b.csv', b'email\na@example.com\nb@example.com\n')]),
    'multipart_huge_part_header': lambda s: _request(
        s, 'POST', SUBMIT, ['Content-Type: multipart/form-data; boundary=BND'],
        b'--BND\r\nContent-Disposition: form-data; name="project_name"\r\n\r\np\r\n'
        b'--BND\r\nContent-Disposition: form-data; name="file"; filename="'
        + b'a' * 200000 + b'.csv"\r\nContent-Type: text/csv\r\n\r\nemail\na@example.com\n'
        b'\r\n--BND--\r\n'),
    'multipart_many_parts': lambda s: _upload(
        s, [('project_name', 'p%d' % i) for i in range(10000)] + [ONE_ROW]),
    'multipart_bad_utf8_name': lambda s: _upload(
        s, [('project_name', b'a\xff\xfe\x80'), ONE_ROW]),
    'huge_header': lambda s: _request(s, 'GET', '/healthz', ['X-Pad: ' + 'p' * 300000]),
    'many_headers': lambda s: _request(s, 'GET', '/healthz',
                                       ['X-H%d: v' % i for i in range(5000)]),
    'huge_url': lambda s: _request(s, 'GET', '/healthz?x=' + 'u' * 300000),
    'garbage_request_line': lambda s: b'GARBAGE \xff\xfe\r\nHost: x\r\n\r\n',
    'nul_request_line': lambda s: b'\x00\x01\x02 GARBAGE \xff\xfe\r\n\r\n',
    'bad_version': lambda s: b'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n',
    'content_length_short': lambda s: (lambda body_ct: (
        ('POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-Key: %s\r\n'
         'Content-Type: %s\r\nContent-Length: 40\r\n\r\n'
         % (SUBMIT, KEY, body_ct[1])).encode() + body_ct[0]))(
        multipart([('project_name', 'p'), ONE_ROW])),
    'unknown_verb': lambda s: _request(s, 'FROB', '/healthz'),
}


# -- sending cases --

def _content(spec):
    if 'text' in spec:
        return spec['text'].encode('utf-8')
    if 'hex' in spec:
        return bytes.fromhex(spec['hex'])
    if 'b64' in spec:
        return base64.b64decode(spec['b64'])
    if 'fixture' in spec:
        return generate.fixture(spec['fixture'])
    return generate.generate(spec['gen'], **spec.get('args', {}))


def _path(path, ref):
    return (path.replace('{task}', ref).replace('{TASK}', ref.upper())
            .replace('{long}', 'a' * 1000))


def _send(server, case, ref):
    """Returns ('http', status, json-or-None) or ('raw', status, json-or-None,
    closed)."""
    send = case['send']
    if send['kind'] == 'upload':
        r = server.submit(KEY, send['filename'], _content(send['content']),
                          project_name=case['name'][:50])
        return 'http', r.status_code, _json(r.content)
    if send['kind'] == 'http':
        key = send.get('key')
        key = KEY if key is True else (key or None)
        r = server.http.request(send['method'], server.url(_path(send['path'], ref)),
                                headers={'X-API-Key': key} if key else {})
        return 'http', r.status_code, _json(r.content)
    status, hdrs, body, closed = _exchange(server, RAW[send['raw']](server),
                                           timeout=send.get('timeout', 30))
    return 'raw', status, _json(body), closed


def _json(b):
    try:
        return json.loads(b.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        return None


def _check_answer(exp, got):
    """Problems with an immediate answer (not a task)."""
    kind, status, body = got[0], got[1], got[2]
    if 'http_any' in exp:
        if status == 'timeout':
            return [] if exp.get('timeout_ok') else ['neither answered nor closed']
        if status is None:
            return [] if exp.get('closed_ok') else ['closed the connection without an answer']
        if status not in exp['http_any']:
            return ['status %s not in %s (body %r)' % (status, exp['http_any'], body)]
        return []
    if status != exp['http']:
        return ['status %s, expected %s (body %r)' % (status, exp['http'], body)]
    if 'detail' in exp and (not isinstance(body, dict) or body.get('detail') != exp['detail']):
        return ['body %r, expected detail %r' % (body, exp['detail'])]
    return []


def _check_task(server, exp, st, listing):
    probs = []
    if st['status'] != exp['task']:
        return ['task %s, expected %s (%r)' % (st['status'], exp['task'], st.get('error'))]
    if exp['task'] == 'failed':
        if exp['error_contains'] not in (st.get('error') or ''):
            probs.append('error %r lacks %r' % (st.get('error'), exp['error_contains']))
        if (st['rows'], st['charged']) != (0, 0):
            probs.append('failed task counted rows: %r' % st)
        d = server.get(V1 + '/batch-task-download/' + st['task_id'], KEY)
        if d.status_code != 400:
            probs.append('download of a failed task: %d %s' % (d.status_code, d.text))
    else:
        for k in ('rows', 'project_name'):
            if k in exp and st.get(k) != exp[k]:
                probs.append('%s %r, expected %r' % (k, st.get(k), exp[k]))
        if 'filename' in exp:
            t = listing.get(st['task_id'])
            if not t or t['filename'] != exp['filename']:
                probs.append('listed filename %r, expected %r'
                             % (t and t['filename'], exp['filename']))
        r = server.get(V1 + '/batch-task-download/' + st['task_id'], KEY)
        if r.status_code != 200 or server.http.get(r.json()['download_url']).status_code != 200:
            probs.append('result not downloadable: %d %s' % (r.status_code, r.text))
    return probs


def _wait(server, task_id, deadline):
    while time.time() < deadline:
        r = server.status(KEY, task_id)
        if r.status_code != 200:
            raise AssertionError('status %d %s' % (r.status_code, r.text))
        if r.json()['status'] != 'processing':
            return r.json()
        time.sleep(0.05)
    raise AssertionError('still processing')


# -- the test --

def test_hostile_corpus(server):
    assert len(CASES) >= 40
    st, out = run_ok(server, 'ref.csv', GOOD_CSV)
    assert out == GOOD_RESULT
    ref = st['task_id']

    problems = {}
    pending = []  # (case, task_id): accepted uploads, checked once all are in
    t0 = time.time()
    for case in CASES:
        exp = case['expected']
        try:
            got = _send(server, case, ref)
        except (requests.ConnectionError, OSError) as e:
            got = None
            problems[case['name']] = ['request failed: %r' % e]
        except AssertionError as e:  # the OpenAPI contract check
            got = None
            problems[case['name']] = ['contract: %s' % e]
        if server.proc.poll() is not None:
            raise AssertionError('server died on case %s (exit %s)\n%s'
                                 % (case['name'], server.proc.returncode,
                                    server.read_log()[-4000:]))
        if got is None:
            continue
        if 'task' in exp:
            if got[1] == 200 and isinstance(got[2], dict) and 'task_id' in got[2]:
                pending.append((case, got[2]['task_id']))
            else:
                problems[case['name']] = ['not accepted: %s %r' % (got[1], got[2])]
        else:
            p = _check_answer(exp, got)
            if p:
                problems[case['name']] = p
    sent = time.time() - t0

    deadline = time.time() + 90
    listing = {}
    for case, tid in pending:
        try:
            st = _wait(server, tid, deadline)
            if not listing:
                listing = {t['task_id']: t for t in tasks(server)}
            p = _check_task(server, case['expected'], st, listing)
        except (requests.ConnectionError, AssertionError) as e:
            p = ['status of task %s: %s' % (tid, str(e)[:300])]
        if p:
            problems[case['name']] = p

    # After the corpus: still serving, nothing left behind, honest books.
    after = []
    if server.get('/healthz').status_code != 200:
        after.append('/healthz does not answer 200')
    listed = {t['task_id']: t for t in tasks(server)}
    for t in listed.values():
        if t['status'] == 'processing':
            after.append('task %s still processing' % t['task_id'])
    stray = [f for f in server.data_files() if f.startswith('tmp/')]
    if stray:
        after.append('files left in tmp/: %s' % stray[:20])
    if len(listed) != 1 + len(pending):
        after.append('/__mock/tasks lists %d tasks, %d were accepted'
                     % (len(listed), 1 + len(pending)))
    after += storage_problems(server)
    for key in (KEY, OTHER_KEY):
        used = server.get('/__mock/accounts/' + key).json()['storage_used']
        rows = sum(t['upload_bytes'] + t['result_bytes'] for t in tasks(server, key))
        if rows != used:
            after.append('%s: storage_used %d != %d bytes its tasks\' rows count'
                         % (key, used, rows))
    try:
        st, out = run_ok(server, 'after.csv', GOOD_CSV)
        if out != GOOD_RESULT:
            after.append('normal batch result differs: %r' % out)
    except AssertionError as e:
        after.append('normal batch fails: %s' % e)
    if after:
        problems['(after the corpus)'] = after

    report = '\n'.join('%s: %s' % (k, '; '.join(v)) for k, v in problems.items())
    assert not problems, ('%d of %d hostile cases misbehaved (sent in %.1fs):\n%s'
                          % (len(problems), len(CASES), sent, report))
