"""Storage lifecycle on the virtual clock: URL expiry, 30-day retention,
deletion by hand, the storage quota, restarts and crashes."""
import os
import signal
import socket
import time

import pytest

from harness import V1, Server
from helpers import stored_bytes

KEY = 'life-key'
CSV = b'email,n\n' + b''.join(b'user%d@example.com,%d\n' % (i, i) for i in range(200))


def account(server, key=KEY):
    r = server.get('/__mock/accounts/' + key)
    assert r.status_code == 200
    return r.json()


def storage_all(server):
    tasks = server.get('/__mock/tasks').json()['tasks']
    keys = {t['api_key'] for t in tasks}
    return sum(account(server, k)['storage_used'] for k in keys)


def test_clock_get_and_set(server):
    c = server.get('/__mock/clock').json()
    assert c['offset_seconds'] == 0 and c['now'].endswith('Z')
    c = server.post('/__mock/clock', json={'advance_seconds': 90}).json()
    assert c['offset_seconds'] == 90
    c = server.post('/__mock/clock', json={'set': '2031-01-02T03:04:05Z'}).json()
    assert c['now'].startswith('2031-01-02T03:04')
    assert server.post('/__mock/clock', json={'set': 'yesterday'}).status_code == 400
    assert server.post('/__mock/clock', json={}).status_code == 400


def test_download_url_expires_after_an_hour(server):
    st, _ = server.run(KEY, 'a.csv', CSV)
    url = server.get(V1 + '/batch-task-download/' + st['task_id'], KEY).json()['download_url']
    server.post('/__mock/clock', json={'advance_seconds': 3599})
    assert server.http.get(url).status_code == 200
    server.post('/__mock/clock', json={'advance_seconds': 2})
    r = server.http.get(url)
    assert r.status_code == 403
    assert r.json() == {'detail': 'Download link has expired'}
    # a fresh URL works again
    assert server.download(KEY, st['task_id']).startswith(b'email,n,category,domain_type')


def test_retention_deletes_after_30_days(server):
    st, _ = server.run(KEY, 'a.csv', CSV)
    tid = st['task_id']
    url = server.get(V1 + '/batch-task-download/' + tid, KEY).json()['download_url']
    assert account(server)['storage_used'] == stored_bytes(server, KEY) > 0
    server.post('/__mock/clock', json={'advance_seconds': 30 * 86400 - 60})
    assert server.status(KEY, tid).status_code == 200
    server.post('/__mock/clock', json={'advance_seconds': 120})
    r = server.status(KEY, tid)
    assert r.status_code == 404
    assert r.json() == {'detail': 'Task does not exist or has not started'}
    assert server.get(V1 + '/batch-task-download/' + tid, KEY).status_code == 404
    # the URL was issued an hour... 30 days ago: expired anyway; the
    # project is gone either way
    assert server.http.get(url).status_code in (403, 404)
    assert account(server)['storage_used'] == 0
    assert server.data_files() == []


def test_upload_run_on_receipt_is_never_stored(server):
    """A small upload runs as it arrives and only its result is stored;
    one past 64 KiB runs on a worker from its stored upload. Both count
    their upload towards the quota."""
    st, _ = server.run(KEY, 'a.csv', CSV)
    assert server.data_files() == ['results/%s.csv' % st['task_id']]
    big = CSV + b''.join(b'more%d@example.com,%d\n' % (i, i) for i in range(3000))
    assert len(big) > 64 << 10
    st2, _ = server.run(KEY, 'b.csv', big)
    assert server.data_files() == sorted(['results/%s.csv' % st['task_id'],
                                          'results/%s.csv' % st2['task_id'],
                                          'uploads/%s.csv' % st2['task_id']])
    assert account(server)['storage_used'] == stored_bytes(server, KEY) > len(CSV) + len(big)


def test_retention_days_flag(make_server):
    s = make_server(['--retention-days', '1'])
    st, _ = s.run(KEY, 'a.csv', CSV)
    s.post('/__mock/clock', json={'advance_seconds': 86400 + 1})
    assert s.status(KEY, st['task_id']).status_code == 404


def test_delete_by_hand(server):
    st, _ = server.run(KEY, 'a.csv', CSV)
    tid = st['task_id']
    assert server.delete('/__mock/tasks/' + tid, 'someone-else').status_code == 404
    assert server.status(KEY, tid).status_code == 200
    r = server.delete('/__mock/tasks/' + tid, KEY)
    assert r.status_code == 200 and r.json() == {'task_id': tid, 'deleted': True}
    assert server.status(KEY, tid).status_code == 404
    assert server.delete('/__mock/tasks/' + tid, KEY).status_code == 404
    assert server.delete('/__mock/tasks/' + tid).status_code == 401
    assert server.data_files() == []
    assert account(server)['storage_used'] == 0


def test_delete_while_processing_cancels(make_server):
    s = make_server(['--processing-delay', '5000'])
    r = s.submit(KEY, 'a.csv', CSV)
    tid = r.json()['task_id']
    assert s.status(KEY, tid).json()['status'] == 'processing'
    assert s.delete('/__mock/tasks/' + tid, KEY).status_code == 200
    assert s.status(KEY, tid).status_code == 404
    time.sleep(0.3)
    assert s.data_files() == []
    # the pool is free for the next task
    st, out = s.run(KEY, 'b.csv', CSV)
    assert st['status'] == 'completed'


def test_task_listing(server):
    a, _ = server.run('key-a', 'a.csv', CSV, project_name='first')
    b, _ = server.run('key-b', 'b.csv', CSV, project_name='second')
    mine = server.get('/__mock/tasks', 'key-a').json()
    assert [t['task_id'] for t in mine['tasks']] == [a['task_id']]
    assert mine['storage']['used'] == account(server, 'key-a')['storage_used']
    assert mine['storage']['limit'] == 5 * 10**9
    every = server.get('/__mock/tasks').json()['tasks']
    assert {(t['task_id'], t['api_key']) for t in every} == {
        (a['task_id'], 'key-a'), (b['task_id'], 'key-b')}


def test_quota(make_server):
    s = make_server(['--storage-limit', '20KB'])
    st, _ = s.run(KEY, 'a.csv', CSV)          # ~5 KB upload + ~7 KB result
    used = account(s)['storage_used']
    assert used == stored_bytes(s, KEY)
    assert 0 < used < 20000
    before = s.data_files()
    big = b'email\n' + b'x' * (20000 - used)  # would pass the limit
    r = s.submit(KEY, 'big.csv', big)
    assert r.status_code == 413
    assert r.json() == {'detail': 'Storage quota exceeded, please delete old projects.'}
    assert s.data_files() == before
    assert len(s.get('/__mock/tasks', KEY).json()['tasks']) == 1
    # another account has its own quota
    assert s.submit('other', 'big.csv', big).status_code == 200
    # deleting frees the space
    s.delete('/__mock/tasks/' + st['task_id'], KEY)
    assert s.submit(KEY, 'big.csv', big).status_code == 200


def test_quota_stops_reading_a_large_upload(make_server):
    s = make_server(['--storage-limit', '1MB'])
    sock = socket.create_connection(('127.0.0.1', s.port))
    boundary = 'XyZ'
    head = ('--%s\r\nContent-Disposition: form-data; name="project_name"\r\n\r\np\r\n'
            '--%s\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            'Content-Type: text/csv\r\n\r\nemail\n' % (boundary, boundary)).encode()
    total = 200 * 1024 * 1024
    sock.sendall(('POST %s/batch-check-emails HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\n'
                  'Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n'
                  % (V1, KEY, boundary, total)).encode() + head)
    chunk = b'a@example.com\n' * 4096
    sent = len(head)
    reply = b''
    sock.settimeout(30)
    try:
        while sent < total - len(chunk):
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        reply = sock.recv(65536)
    except (ConnectionResetError, socket.timeout):
        pass
    sock.close()
    assert sent < total / 2, 'the server read far past the quota'
    assert reply.startswith(b'HTTP/1.1 413'), reply[:200]
    time.sleep(0.2)
    assert s.data_files() == []


def test_sigterm_exits_cleanly_and_restart_keeps_everything(server):
    st, out = server.run(KEY, 'a.csv', CSV)
    url = server.get(V1 + '/batch-task-download/' + st['task_id'], KEY).json()['download_url']
    t0 = time.time()
    assert server.stop() == 0
    assert time.time() - t0 < 10
    server.start()
    url = url.split('/downloads/')[1]
    # same secret: the URL issued before the restart still works
    assert server.http.get(server.url('/downloads/' + url)).content == out
    assert server.status(KEY, st['task_id']).json() == st


def test_processing_task_resumes_after_restart(make_server):
    s = make_server(['--processing-delay', '4000'])
    tid = s.submit(KEY, 'a.csv', CSV).json()['task_id']
    time.sleep(0.2)
    assert s.stop() == 0
    s.start()
    st = s.wait(KEY, tid)
    assert st['status'] == 'completed' and st['rows'] == 200


def big_csv(n):
    return b'email,i\n' + b''.join(b'u%d@example.com,%d\n' % (i % (n - n // 10), i)
                                   for i in range(n))


@pytest.mark.parametrize('delay', [0.0, 0.05, 0.15, 0.3])
def test_sigkill_during_processing_then_restart(make_server, delay):
    s = make_server(['--workers', '1'])
    data = big_csv(300000)
    reference, ref_out = s.run('ref', 'ref.csv', data)
    tid = s.submit(KEY, 'a.csv', data).json()['task_id']
    time.sleep(delay)
    s.kill()
    s.start()
    st = s.wait(KEY, tid)
    assert st['status'] == 'completed'
    for k in ('rows', 'duplicates_removed', 'invalid', 'charged'):
        assert st[k] == reference[k]
    assert s.download(KEY, tid) == ref_out
    assert storage_all(s) == stored_bytes(s)
    assert not os.listdir(os.path.join(s.data_dir, 'tmp'))


def test_sigkill_mid_upload_leaves_nothing(server):
    sock = socket.create_connection(('127.0.0.1', server.port))
    sock.sendall(('POST %s/batch-check-emails HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\n'
                  'Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000000\r\n\r\n'
                  '--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
                  % (V1, KEY)).encode() + b'email\n' + b'x@example.com\n' * 100000)
    time.sleep(0.3)
    server.kill()
    sock.close()
    server.start()
    assert server.data_files() == []
    assert server.get('/__mock/tasks').json()['tasks'] == []
