"""Logs that show what happened (issue 12): one line per event, in logfmt
text or, with --log-format json, one JSON object per line."""
import json


def log_lines(server):
    return [ln for ln in server.read_log().splitlines() if ln.strip()]


def json_lines(server):
    out = []
    for ln in log_lines(server):
        obj = json.loads(ln)  # every line is one JSON object
        assert isinstance(obj, dict), ln
        assert {'ts', 'level', 'event'} <= set(obj), ln
        out.append(obj)
    return out


def test_json_log_format_for_collectors(make_server):
    s = make_server(['--log-format', 'json', '--quiet'])
    s.stop()
    events = json_lines(s)
    ready = [e for e in events if e['event'] == 'ready']
    assert len(ready) == 1 and ready[0]['port'] == s.port and ready[0]['level'] == 'info'
    assert isinstance(ready[0]['workers'], int)
    assert [e['event'] for e in events][-2:] == ['stopping', 'stopped']


def test_json_log_format_from_the_environment(make_server):
    s = make_server(['--quiet'], env={'UCMOCK_LOG_FORMAT': 'json'})
    s.stop()
    assert 'ready' in [e['event'] for e in json_lines(s)]


def test_text_log_lines_name_their_event(make_server):
    s = make_server(['--quiet'])
    s.stop()
    lines = log_lines(s)
    assert any(' level=info event=ready port=%d ' % s.port in ln for ln in lines), lines
    assert all(ln.startswith('time=') for ln in lines), lines


# -- what happened, one line per event ---------------------------------------

import re
import time

from harness import V1

LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_logfmt(line):
    """A text log line as a dict (quoted values unescaped)."""
    out = {}
    for k, v in LOGFMT.findall(line):
        if v.startswith('"'):
            v = re.sub(r'\\x([0-9a-f]{2})', lambda m: chr(int(m.group(1), 16)), v[1:-1])
            v = v.replace('\\"', '"').replace('\\n', '\n').replace('\\\\', '\\')
        out[k] = v
    return out


def events(server, name=None):
    got = [parse_logfmt(ln) for ln in log_lines(server)]
    return [e for e in got if name is None or e.get('event') == name]


def wait_event(server, name, timeout=30, **fields):
    """The first logged event `name` whose fields include `fields`. A
    worker writes its line just after the row changes, so poll."""
    deadline = time.time() + timeout
    while True:
        for e in events(server, name):
            if all(e.get(k) == str(v) for k, v in fields.items()):
                return e
        if time.time() > deadline:
            raise AssertionError('no %s %r in the log:\n%s' % (name, fields, server.read_log()))
        time.sleep(0.05)


CSV = b'email,name\na@example.com,A\nA@EXAMPLE.com,B\nplaintext,C\nb@example.com,D\n'


def test_task_lifecycle_is_logged(make_server):
    s = make_server()
    key = 'ci-job-1'
    r = s.submit(key, 'my list.csv', CSV, project_name='p1')
    tid = r.json()['task_id']
    st = s.wait(key, tid)
    assert st['status'] == 'completed'
    sub = wait_event(s, 'task_submitted', task=tid)
    assert sub['key'] == key and sub['file'] == 'my list.csv' and sub['format'] == 'csv'
    assert sub['size'] == str(len(CSV)) and sub['project'] == 'p1'
    done = wait_event(s, 'task_completed', task=tid)
    assert (done['rows'], done['duplicates'], done['invalid'], done['charged']) == \
        ('4', '1', '1', '2') == tuple(str(st[k]) for k in ('rows', 'duplicates_removed',
                                                             'invalid', 'charged'))
    assert int(done['ms']) >= 0 and done['key'] == key and done['level'] == 'info'

    bad = s.submit(key, 'bad.csv', b'name\nx\n').json()['task_id']
    st_bad = s.wait(key, bad)
    failed = wait_event(s, 'task_failed', task=bad)
    assert failed['reason'] == st_bad['error'] and failed['reason'].startswith('No email column')

    assert s.delete('/__mock/tasks/' + tid, key).status_code == 200
    assert wait_event(s, 'task_deleted', task=tid)['why'] == 'by_hand'
    old = s.submit(key, 'old.csv', CSV).json()['task_id']
    s.wait(key, old)
    assert s.post('/__mock/clock', json={'advance_seconds': 31 * 86400}).status_code == 200
    assert wait_event(s, 'task_deleted', task=old)['why'] == 'retention'
    last = s.submit(key, 'last.csv', CSV).json()['task_id']
    s.wait(key, last)
    assert s.post('/__mock/reset', json={'api_key': key}).status_code == 200
    assert wait_event(s, 'task_deleted', task=last)['why'] == 'reset'
    assert wait_event(s, 'task_deleted', task=bad)['why'] == 'retention'
    # one line per event: the first task was submitted, completed and
    # deleted once each
    for name in ('task_submitted', 'task_completed', 'task_deleted'):
        assert len([e for e in events(s, name) if e.get('task') == tid]) == 1, name


def test_submitted_is_logged_before_its_end(make_server):
    s = make_server()
    tids = [s.submit('k', 'a.csv', CSV).json()['task_id'] for _ in range(5)]
    for tid in tids:
        s.wait('k', tid)
        wait_event(s, 'task_completed', task=tid)
    order = [(e['event'], e['task']) for e in events(s) if e.get('event', '').startswith('task_')]
    for tid in tids:
        assert order.index(('task_submitted', tid)) < order.index(('task_completed', tid))


def test_access_log_carries_the_task_id(make_server):
    s = make_server()
    st, _ = s.run('k', 'a.csv', CSV)
    tid = st['task_id']

    want = {('POST', V1 + '/batch-check-emails'),
            ('GET', V1 + '/batch-check-status/' + tid),
            ('GET', V1 + '/batch-task-download/' + tid),
            ('GET', '/downloads/' + tid)}

    def seen():
        return {(e['method'], e['path'].split('?')[0]) for e in events(s, 'request')
                if e.get('task') == tid}
    deadline = time.time() + 30
    while not want <= seen() and time.time() < deadline:
        time.sleep(0.05)
    assert want <= seen(), s.read_log()


def test_keys_are_told_apart_without_printing_long_secrets(make_server):
    s = make_server()
    secret1 = 'sk_live_0123456789abcdefSECRET1'
    secret2 = 'sk_live_0123456789abcdefSECRET2'
    for key in ('ci-job-1', 'ci-job-2', secret1, secret2):
        assert s.get(V1 + '/batch-check-status/00000000-0000-4000-8000-000000000000',
                     key).status_code == 404
    def checks():
        return [e for e in events(s, 'request') if 'batch-check-status' in e['path']]
    deadline = time.time() + 30
    while len(checks()) < 4 and time.time() < deadline:
        time.sleep(0.05)
    shown = [e['key'] for e in checks()]
    assert shown[:2] == ['ci-job-1', 'ci-job-2']
    assert all(re.fullmatch(r'sk_live_…#[0-9a-f]{6}', k) for k in shown[2:4]), shown
    assert shown[2] != shown[3]
    log = s.read_log()
    assert 'SECRET' not in log and '0123456789' not in log


def test_faults_armed_and_fired_are_logged(make_server):
    s = make_server()
    r = s.post('/__mock/faults', json={'match': {'path_prefix': V1 + '/batch-check-status'},
                                       'respond': {'status': 503}, 'times': 2})
    fid = r.json()['id']
    armed = wait_event(s, 'fault_armed', fault=fid)
    assert '"status":503' in armed['spec']
    for _ in range(3):
        s.status('k', '00000000-0000-4000-8000-000000000000')
    fired = [e for e in events(s, 'fault_fired') if e['fault'] == str(fid)]
    assert [(e['kind'], e['status'], e['left'], e['method']) for e in fired] == \
        [('http', '503', '1', 'GET'), ('http', '503', '0', 'GET')]
    assert fired[0]['path'].startswith(V1 + '/batch-check-status/')

    r = s.post('/__mock/faults', json={'task': {'outcome': 'failed', 'error': 'boom'},
                                       'times': 1})
    tfid = r.json()['id']
    wait_event(s, 'fault_armed', fault=tfid)
    tid = s.submit('k', 'a.csv', CSV).json()['task_id']
    s.wait('k', tid)
    fired = wait_event(s, 'fault_fired', fault=tfid)
    assert (fired['kind'], fired['fail'], fired['key'], fired['left']) == ('task', 'boom', 'k', '0')
    assert wait_event(s, 'task_failed', task=tid)['reason'] == 'boom'


def test_clock_moves_are_logged(make_server):
    s = make_server()
    s.post('/__mock/clock', json={'advance_seconds': 3600})
    moved = wait_event(s, 'clock_moved')
    assert (moved['by_ms'], moved['offset_ms']) == ('3600000', '3600000')
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z', moved['now']), moved
    s.delete('/__mock/clock')
    back = wait_event(s, 'clock_moved', offset_ms=0)
    assert back['by_ms'] == '-3600000'


def test_json_lines_carry_every_event(make_server):
    s = make_server(['--log-format', 'json'])
    tid = s.submit('ci-job-1', 'my list (2).csv', CSV).json()['task_id']
    s.wait('ci-job-1', tid)
    deadline = time.time() + 30
    while time.time() < deadline:
        got = json_lines(s)
        if any(e['event'] == 'task_completed' for e in got):
            break
        time.sleep(0.05)
    s.stop()
    got = json_lines(s)
    sub = [e for e in got if e['event'] == 'task_submitted'][0]
    assert sub['file'] == 'my list (2).csv' and sub['size'] == len(CSV)
    assert sub['task'] == tid and sub['key'] == 'ci-job-1'
    done = [e for e in got if e['event'] == 'task_completed'][0]
    assert (done['rows'], done['duplicates'], done['invalid'], done['charged']) == (4, 1, 1, 2)
    req = [e for e in got if e['event'] == 'request' and e.get('task') == tid]
    assert req and req[0]['method'] == 'POST' and req[0]['status'] == 200
