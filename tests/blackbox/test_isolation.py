"""Isolation and secrets: accounts never see each other, ids are random
UUIDv4, download links are bound to their task and expiry, the data dir is
private, SQL is never spliced, and no client text becomes a path."""
import os
import re
import stat
import urllib.parse

from harness import V1
from helpers import stored_bytes

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
CSV = b'email\na@example.com\nb@example.com\n'
UUID4 = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')


def test_accounts_are_isolated(server):
    a, _ = server.run('alice', 'a.csv', CSV)
    b, _ = server.run('bob', 'b.csv', CSV)
    for key, other in (('alice', b), ('bob', a)):
        tid = other['task_id']
        assert server.status(key, tid).status_code == 404
        assert server.get(V1 + '/batch-task-download/' + tid, key).status_code == 404
        assert server.delete('/__mock/tasks/' + tid, key).status_code == 404
        listed = server.get('/__mock/tasks', key).json()
        assert [t['task_id'] for t in listed['tasks']] != [] and \
            tid not in [t['task_id'] for t in listed['tasks']]
    # the failed attempts changed nothing
    assert server.status('alice', a['task_id']).json()['status'] == 'completed'
    assert server.status('bob', b['task_id']).json()['status'] == 'completed'
    # storage is counted per account
    acc_a = server.get('/__mock/accounts/alice').json()['storage_used']
    acc_b = server.get('/__mock/accounts/bob').json()['storage_used']
    assert acc_a == stored_bytes(server, 'alice') > 0
    assert acc_b == stored_bytes(server, 'bob') > 0
    # the journal filter shows one account only
    j = server.get('/__mock/requests', params={'api_key': 'alice'}).json()['requests']
    assert j and all(e['api_key'] == 'alice' for e in j)


def test_task_ids_are_random_uuid4(server):
    ids = [server.submit('k', 'a.csv', CSV).json()['task_id'] for _ in range(40)]
    assert len(set(ids)) == 40
    assert all(UUID4.match(i) for i in ids)
    # no two share a long prefix (not a counter or a clock)
    assert len({i[:8] for i in ids}) == 40


def test_signature_bound_to_task_and_expiry(server):
    a, out_a = server.run('k', 'a.csv', CSV)
    b, _ = server.run('k', 'b.csv', b'email\nc@example.com\n')
    ua = urllib.parse.urlsplit(server.get(V1 + '/batch-task-download/' + a['task_id'], 'k').json()['download_url'])
    ub = urllib.parse.urlsplit(server.get(V1 + '/batch-task-download/' + b['task_id'], 'k').json()['download_url'])
    qa = dict(urllib.parse.parse_qsl(ua.query))
    qb = dict(urllib.parse.parse_qsl(ub.query))
    assert server.http.get(server.url(ua.path + '?' + ua.query)).content == out_a
    cases = [
        (ua.path, {'expires': qa['expires'], 'signature': qb['signature']}),       # other task's signature
        (ua.path, {'expires': str(int(qa['expires']) + 3600), 'signature': qa['signature']}),  # later expiry
        (ub.path, qa),                                                              # this signature on the other task
        (ua.path, {'expires': qa['expires']}),                                      # no signature
        (ua.path, {'signature': qa['signature']}),                                  # no expiry
        (ua.path, {'expires': qa['expires'], 'signature': qa['signature'][:-1] + ('0' if qa['signature'][-1] != '0' else '1')}),
        (ua.path, {'expires': '-1', 'signature': qa['signature']}),
        (ua.path, {'expires': qa['expires'], 'signature': 'zz' * 32}),
    ]
    for path, q in cases:
        r = server.http.get(server.url(path + '?' + urllib.parse.urlencode(q)))
        assert r.status_code == 403, (q, r.status_code)
        assert r.json() == {'detail': 'Invalid download link signature'}
    # upper-case hex is the same signature
    r = server.http.get(server.url(ua.path + '?' + urllib.parse.urlencode(
        {'expires': qa['expires'], 'signature': qa['signature'].upper()})))
    assert r.status_code == 200


def test_data_dir_is_private(server):
    server.run('k', 'a.csv', CSV)
    server.submit('k', 'b.xlsx', open(os.path.join(ROOT, 'fixtures', 'xlsx', 'openpyxl.xlsx'), 'rb').read())
    # The XLSX task is still running: its scratch files in tmp/ may go
    # between the listing and the stat; one that is gone has nothing to check.
    for root, dirs, files in os.walk(server.data_dir):
        assert stat.S_IMODE(os.stat(root).st_mode) == 0o700, root
        for f in files:
            p = os.path.join(root, f)
            try:
                mode = os.stat(p).st_mode
            except FileNotFoundError:
                assert os.path.basename(root) == 'tmp', p
                continue
            assert stat.S_IMODE(mode) == 0o600, p


def test_no_client_text_becomes_a_path(server):
    for name in ('../../../etc/x.csv', '..\\..\\x.csv', '/abs/path.csv', 'a/../../b.csv',
                 '%2e%2e%2fx.csv', 'nul\x00.csv'.replace('\x00', ''), '....//x.csv'):
        r = server.submit('../../key', name, CSV, project_name='../../p')
        assert r.status_code == 200, (name, r.text)
        server.wait('../../key', r.json()['task_id'])
    names = server.data_files()
    pat = re.compile(r'^(uploads|results)/[0-9a-f-]{36}\.csv$')
    assert names and all(pat.match(n) for n in names), names
    # nothing appeared beside the data dir
    parent = os.path.dirname(server.data_dir)
    assert sorted(os.listdir(parent)) == sorted(
        [os.path.basename(server.data_dir)] + [f for f in os.listdir(parent) if f.endswith('.log')])


def test_every_sql_statement_is_prepared():
    """SQL text in the C sources is only ever a string literal handed to
    the statement cache (values are bound), or the embedded migrations."""
    src = os.path.join(ROOT, 'src')
    helper_calls = 0
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith('.c'):
                continue
            text = open(os.path.join(dirpath, f)).read()
            for m in re.finditer(r'\bdb_stmt\(\s*\w+\s*,\s*(.)', text):
                assert m.group(1) == '"', '%s: db_stmt with a non-literal SQL' % f
            # store/db.h's helpers: db_exec(d, SQL, ...), db_start(&q, d, SQL, ...)
            calls = re.findall(r'\bdb_exec\(\s*[\w>-]+\s*,\s*("|\w+)', text) + \
                re.findall(r'\bdb_start\(\s*&?[\w.>-]+\s*,\s*[\w>-]+\s*,\s*("|\w+)', text)
            for arg in calls:
                # db.c's own db_exec hands its sql parameter on to db_start
                assert arg == '"' or (f == 'db.c' and arg == 'sql'), \
                    '%s: db_exec/db_start with SQL from %s' % (f, arg)
            helper_calls += len(calls)
            for m in re.finditer(r'\bsqlite3_(exec|prepare\w*)\(\s*[\w>-]+\s*,\s*([^,]+),', text):
                arg = m.group(2).strip()
                assert arg.startswith('"') or arg in ('sql', '(const char *)f->data'), \
                    '%s: sqlite3_%s with SQL from %s' % (f, m.group(1), arg)
            assert not re.search(r'snprintf\([^;]*(SELECT|INSERT|UPDATE|DELETE) ', text), \
                '%s builds SQL with snprintf' % f
    assert helper_calls >= 10  # the scan does see the store's statements
