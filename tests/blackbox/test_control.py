"""The control API: reset, the request journal, HTTP and job faults, the
processing delay, the access log, health, and HTTPS."""
import os
import socket
import subprocess
import time

import pytest
import requests

from harness import V1, Server

KEY = 'ctl-key'
CSV = b'email\na@example.com\nb@example.com\nplaintext\n'


def test_reset_everything(server):
    server.run(KEY, 'a.csv', CSV)
    server.run('other', 'b.csv', CSV)
    server.put('/__mock/accounts/%s/lists/black' % KEY, data=b'example.com\n')
    server.post('/__mock/faults', json={'respond': {'status': 500}, 'match': {'path_prefix': '/nowhere'}})
    r = server.post('/__mock/reset', json={})
    assert r.status_code == 200 and r.json()['reset'] is True
    assert server.get('/__mock/tasks').json()['tasks'] == []
    assert server.data_files() == []
    assert server.get('/__mock/faults').json()['faults'] == []
    assert server.get('/__mock/requests').json()['requests'] == []
    assert server.get('/__mock/accounts/%s/lists/black' % KEY).text == ''
    assert server.get('/__mock/accounts/' + KEY).json()['charged'] == 0


def test_reset_one_account(server):
    a, _ = server.run(KEY, 'a.csv', CSV)
    b, _ = server.run('other', 'b.csv', CSV)
    server.post('/__mock/reset', json={'api_key': KEY})
    journal = server.get('/__mock/requests').json()['requests']
    assert journal and all(e['api_key'] != KEY for e in journal)
    tasks = server.get('/__mock/tasks').json()['tasks']
    assert [t['task_id'] for t in tasks] == [b['task_id']]
    assert server.status(KEY, a['task_id']).status_code == 404
    assert server.status('other', b['task_id']).status_code == 200
    assert server.post('/__mock/reset', json={'api_key': 5}).status_code == 400
    assert server.post('/__mock/reset', data=b'{nope').status_code == 400


def test_journal(make_server):
    s = make_server(['--journal-size', '5'])
    st, _ = s.run(KEY, 'a.csv', CSV)
    s.get(V1 + '/batch-check-status/' + st['task_id'], 'someone')
    entries = s.get('/__mock/requests').json()['requests']
    assert len(entries) == 5  # bounded
    last = entries[-1]
    assert last['method'] == 'GET' and last['status'] == 404 and last['api_key'] == 'someone'
    assert last['path'] == V1 + '/batch-check-status/' + st['task_id']
    assert last['task_id'] == st['task_id']
    assert isinstance(last['duration_ms'], int) and last['time'].endswith('Z')
    mine = s.get('/__mock/requests', params={'api_key': KEY}).json()['requests']
    assert mine and all(e['api_key'] == KEY for e in mine)
    dl = s.get('/__mock/requests', params={'path_prefix': '/downloads/'}).json()['requests']
    assert [e['path'].split('?')[0] for e in dl] == ['/downloads/' + st['task_id']]
    by_task = s.get('/__mock/requests', params={'task_id': st['task_id']}).json()['requests']
    assert by_task and all(e['task_id'] == st['task_id'] for e in by_task)
    # control calls are not journalled; DELETE clears
    assert s.delete('/__mock/requests').status_code == 200
    assert s.get('/__mock/requests').json()['requests'] == []


def test_journal_last_n(server):
    """?last=N: the newest N of the matching entries, still newest last, and
    how many matched; the dashboard reads its last 100 this way."""
    key = 'journal-last-key'
    for i in range(5):
        server.get(V1 + '/batch-check-status/%08d-0000-4000-8000-000000000000' % i, key)
    server.get(V1 + '/batch-check-status/00000009-0000-4000-8000-000000000000', 'someone-else')
    every = server.get('/__mock/requests', params={'api_key': key}).json()
    assert every['matched'] == len(every['requests']) == 5
    r = server.get('/__mock/requests', params={'api_key': key, 'last': '2'})
    assert r.status_code == 200
    assert r.json() == {'requests': every['requests'][-2:], 'matched': 5}
    assert [e['path'][-36:-28] for e in r.json()['requests']] == ['00000003', '00000004']
    whole = server.get('/__mock/requests').json()
    assert whole['matched'] == len(whole['requests']) >= 6
    assert server.get('/__mock/requests', params={'last': '1'}).json() == {
        'requests': whole['requests'][-1:], 'matched': whole['matched']}
    assert server.get('/__mock/requests', params={'api_key': key, 'last': '1000000'}).json() == every
    none = server.get('/__mock/requests', params={'api_key': 'nobody', 'last': '3'}).json()
    assert none == {'requests': [], 'matched': 0}
    for bad, type_ in [('0', 'greater_than_equal'), ('1000001', 'less_than_equal'),
                       ('99999999999999999999999', 'less_than_equal'),
                       ('-1', 'greater_than_equal'), ('-99999999999999999999', 'greater_than_equal'),
                       ('2.0', 'int_parsing'), ('', 'int_parsing'), ('-', 'int_parsing'),
                       (' 2', 'int_parsing'), ('+2', 'int_parsing'), ('ten', 'int_parsing')]:
        r = server.get('/__mock/requests', params={'api_key': key, 'last': bad})
        assert r.status_code == 400, (bad, r.text)
        [p] = r.json()['detail']
        assert (p['type'], p['loc'], p['input']) == (type_, ['query', 'last'], bad), p


def test_journal_records_the_submission(server):
    r = server.submit(KEY, 'a.csv', CSV)
    tid = r.json()['task_id']
    e = server.get('/__mock/requests', params={'path_prefix': V1 + '/batch-check-emails'}).json()['requests']
    assert len(e) == 1 and e[0]['status'] == 200 and e[0]['task_id'] == tid and e[0]['method'] == 'POST'


def wait_for(what, cond, timeout=30):
    """Poll cond() until it is true (a wait for the server, not a timing)."""
    deadline = time.time() + timeout
    while not cond():
        assert time.time() < deadline, 'waited in vain for ' + what
        time.sleep(0.02)


def test_journal_lists_requests_in_the_order_they_arrived(server):
    """A request completes when its connection is done with it, which can
    be after the client has read the answer and sent its next request on
    another connection (the Python client's journal once listed its GET
    before its POST). Made to happen: POST A arrives and waits for the rest
    of its body; GET B arrives, is answered and journalled; then A ends.
    Listed by arrival: A, B."""
    key = 'order-key'
    path = V1 + '/check-email?email=a@example.com'

    def journal():
        return server.get('/__mock/requests', params={'api_key': key}).json()['requests']
    # a fault that only counts: it fires in A's header phase, so its going
    # tells that A has arrived
    fid = server.post('/__mock/faults', json={
        'match': {'method': 'POST', 'path_prefix': V1 + '/check-email', 'api_key': key},
        'respond': {}, 'times': 1}).json()['id']
    a = socket.create_connection(('127.0.0.1', server.port), timeout=30)
    try:
        a.sendall(('POST %s HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\n'
                   'Content-Length: 10\r\nConnection: close\r\n\r\n12345'
                   % (path, key)).encode())
        wait_for('A to arrive',
                 lambda: server.get('/__mock/faults/%d' % fid).status_code == 404)
        b = server.get(V1 + '/batch-check-status/00000000-0000-4000-8000-000000000000', key)
        assert b.status_code == 404
        wait_for('B in the journal', lambda: len(journal()) == 1)
        a.sendall(b'67890')
        answer = b''
        while True:
            chunk = a.recv(65536)
            if not chunk:
                break
            answer += chunk
        assert answer.startswith(b'HTTP/1.1 200 '), answer
    finally:
        a.close()
    wait_for('A in the journal', lambda: len(journal()) == 2)
    got = journal()
    assert [(e['method'], e['path'].split('/')[-1]) for e in got] == [
        ('POST', 'check-email'), ('GET', '00000000-0000-4000-8000-000000000000')]
    assert got[0]['time'] <= got[1]['time']  # each entry's time is its arrival


def test_http_fault_canned_response_times(server):
    f = server.post('/__mock/faults', json={
        'match': {'method': 'GET', 'path_prefix': V1 + '/batch-check-status'},
        'respond': {'status': 503, 'body': {'detail': 'Service Unavailable'},
                    'headers': {'Retry-After': '2'}},
        'times': 2})
    assert f.status_code == 201
    assert f.json()['times_left'] == 2 and isinstance(f.json()['id'], int)
    tid = server.submit(KEY, 'a.csv', CSV).json()['task_id']  # POST: not matched
    for _ in range(2):
        r = server.status(KEY, tid)
        assert r.status_code == 503 and r.json() == {'detail': 'Service Unavailable'}
        assert r.headers['Retry-After'] == '2'
    assert server.wait(KEY, tid)['status'] == 'completed'
    assert server.get('/__mock/faults').json()['faults'] == []


def test_http_fault_until_cleared_and_key_match(server):
    server.post('/__mock/faults', json={'match': {'api_key': 'victim'},
                                        'respond': {'status': 500}})
    for _ in range(3):
        r = server.get(V1 + '/batch-check-status/x', 'victim')
        assert r.status_code == 500 and r.json() == {'detail': 'Injected fault'}
    assert server.get(V1 + '/batch-check-status/x', 'bystander').status_code == 404
    faults = server.get('/__mock/faults').json()['faults']
    assert len(faults) == 1 and faults[0]['times_left'] is None
    server.delete('/__mock/faults')
    assert server.get(V1 + '/batch-check-status/x', 'victim').status_code == 404


def test_fault_validation(server):
    for bad in ({}, {'respond': {'status': 99}}, {'respond': {}, 'task': {}},
                {'respond': {'status': 500}, 'times': 0}, {'task': {'outcome': 'maybe'}},
                {'respond': {'delay_ms': -1}}):
        assert server.post('/__mock/faults', json=bad).status_code == 400, bad


def test_delay_fault(server):
    server.post('/__mock/faults', json={'match': {'path_prefix': '/healthz'},
                                        'respond': {'delay_ms': 500}, 'times': 1})
    # /healthz is never faulted (a harness needs it): the fault waits for
    # a real API path instead
    server.delete('/__mock/faults')
    server.post('/__mock/faults', json={'match': {'path_prefix': V1 + '/batch-check-status'},
                                        'respond': {'delay_ms': 400}, 'times': 1})
    t0 = time.monotonic()
    r = server.status(KEY, '00000000-0000-4000-8000-000000000000')
    assert r.status_code == 404  # the real answer, late
    assert time.monotonic() - t0 >= 0.35
    # other requests are served meanwhile: a delay holds no server thread
    server.post('/__mock/faults', json={'match': {'path_prefix': V1 + '/batch-check-status'},
                                        'respond': {'delay_ms': 3000}, 'times': 1})
    import threading
    slow = threading.Thread(target=server.status, args=(KEY, 'x'))
    slow.start()
    time.sleep(0.1)
    t0 = time.monotonic()
    for _ in range(20):
        assert server.get('/healthz').status_code == 200
    assert time.monotonic() - t0 < 2.5
    slow.join()


def test_drop_connection_fault(server):
    server.post('/__mock/faults', json={'match': {'path_prefix': V1 + '/batch-check-status'},
                                        'respond': {'drop_connection': True}, 'times': 1})
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url(V1 + '/batch-check-status/x'), headers={'X-API-Key': KEY})
    assert server.status(KEY, 'x').status_code == 404


def test_download_cut_mid_body(server):
    big = b'email\n' + b''.join(b'user%d@example.com\n' % i for i in range(20000))
    st, full = server.run(KEY, 'a.csv', big)
    url = server.get(V1 + '/batch-task-download/' + st['task_id'], KEY).json()['download_url']
    server.post('/__mock/faults', json={'match': {'path_prefix': '/downloads/'},
                                        'respond': {'drop_after_bytes': 1000}, 'times': 1})
    got = b''
    try:  # urllib3 may raise on the short body or just end it early
        with requests.get(url, stream=True) as r:
            assert r.status_code == 200
            assert int(r.headers['Content-Length']) == len(full)
            for chunk in r.iter_content(512):
                got += chunk
    except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError):
        pass
    assert 0 < len(got) < len(full) and full.startswith(got)
    assert server.http.get(url).content == full  # the fault is used up


def test_client_retry_loop_survives_503_and_429(make_server):
    """A typical client: retry on 429/503 honouring Retry-After."""
    s = make_server(['--rate-limit', '2'])
    s.post('/__mock/faults', json={'match': {'path_prefix': V1 + '/batch-check-status'},
                                   'respond': {'status': 503, 'headers': {'Retry-After': '0'}},
                                   'times': 3})

    def call(fn, *a, **kw):
        for _ in range(50):
            r = fn(*a, **kw)
            if r.status_code in (429, 503):
                if r.status_code == 429:  # move the virtual clock past the window
                    s.post('/__mock/clock', json={'advance_seconds': int(r.headers['Retry-After'])})
                continue
            return r
        raise AssertionError('gave up')

    ids = [call(s.submit, KEY, 'a%d.csv' % i, CSV).json()['task_id'] for i in range(4)]
    for tid in ids:
        while call(s.status, KEY, tid).json()['status'] == 'processing':
            time.sleep(0.02)
    journal = s.get('/__mock/requests').json()['requests']
    assert sum(e['status'] == 429 for e in journal) >= 1
    assert sum(e['status'] == 503 for e in journal) == 3


def test_job_fault_fails_next_task(server):
    server.post('/__mock/faults', json={'task': {'outcome': 'failed', 'error': 'Error processing file'},
                                        'match': {'api_key': KEY}, 'times': 1})
    other = server.submit('other', 'a.csv', CSV).json()['task_id']
    tid = server.submit(KEY, 'a.csv', CSV).json()['task_id']
    st = server.wait(KEY, tid)
    assert st['status'] == 'failed' and st['error'] == 'Error processing file'
    assert server.wait('other', other)['status'] == 'completed'
    again = server.submit(KEY, 'a.csv', CSV).json()['task_id']
    assert server.wait(KEY, again)['status'] == 'completed'


def test_job_fault_processing_time_moves_progress(server):
    server.post('/__mock/faults', json={'task': {'processing_ms': 1500}, 'times': 1})
    tid = server.submit(KEY, 'a.csv', CSV).json()['task_id']
    seen = []
    while True:
        st = server.status(KEY, tid).json()
        if st['status'] != 'processing':
            break
        seen.append(st['progress'])
        time.sleep(0.1)
    assert st['status'] == 'completed'
    assert len(seen) >= 5 and seen == sorted(seen) and seen[-1] > seen[0]
    assert all(0 <= p < 100 for p in seen)


def test_processing_delay_flag(make_server):
    s = make_server(['--processing-delay', '800'])
    tid = s.submit(KEY, 'a.csv', CSV).json()['task_id']
    assert s.status(KEY, tid).json()['status'] == 'processing'
    r = s.get(V1 + '/batch-task-download/' + tid, KEY)
    assert r.status_code == 404 and r.json() == {'detail': 'Task is still processing'}
    assert s.wait(KEY, tid)['status'] == 'completed'


def test_access_log_and_quiet(make_server):
    s = make_server()
    s.run(KEY, 'a.csv', CSV)
    log = s.read_log()
    assert ('event=request method=POST path=/v1/external-api-requests/batch-check-emails '
            'status=200') in log
    assert 'key=ctl-key ' in log  # up to 8 characters a key is shown whole (test_logs.py)
    q = make_server(['--quiet'])
    q.run(KEY, 'a.csv', CSV)
    assert 'method=POST' not in q.read_log()


def test_healthz_reports_unusable_data_dir(server):
    tmp = os.path.join(server.data_dir, 'tmp')
    os.chmod(tmp, 0o500)
    try:
        if os.access(tmp, os.W_OK):  # root ignores modes
            os.rename(tmp, tmp + '.away')
            try:
                assert server.get('/healthz').status_code == 503
            finally:
                os.rename(tmp + '.away', tmp)
        else:
            assert server.get('/healthz').status_code == 503
    finally:
        os.chmod(tmp, 0o700)
    assert server.get('/healthz').status_code == 200


def test_https(tmp_path, make_server):
    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
                    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
                    '-keyout', str(key), '-out', str(cert)], check=True, capture_output=True)
    s = make_server(['--tls-cert', str(cert), '--tls-key', str(key)], scheme='https',
                    verify=str(cert))
    assert s.base.startswith('https://')
    st, out = s.run(KEY, 'a.csv', CSV)
    assert out.startswith(b'email,category,domain_type')
    url = s.get(V1 + '/batch-task-download/' + st['task_id'], KEY).json()['download_url']
    assert url.startswith('https://127.0.0.1:')
    with pytest.raises(requests.ConnectionError):
        requests.get('http://127.0.0.1:%d/healthz' % s.port, timeout=5)
