"""Load and slow clients: wrk against status and download (zero errors,
memory flat), 200 concurrent uploads of mixed sizes all correct, and 100
slow clients trickling headers or bodies while others are served.
UCMOCK_LOAD_SECONDS sets each wrk run's length (default 60)."""
import concurrent.futures
import os
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest
import requests

from harness import V1

SECONDS = int(os.environ.get('UCMOCK_LOAD_SECONDS', '60'))
SANITIZED = bool(os.environ.get('ASAN_OPTIONS'))  # ASan's quarantine grows memory on purpose


def rss_kb(server):
    with open('/proc/%d/status' % server.proc.pid) as f:
        return int(re.search(r'VmRSS:\s+(\d+)', f.read()).group(1))


def wrk(url, seconds, headers=()):
    cmd = ['wrk', '-t2', '-c32', '-d%ds' % seconds, '--timeout', '10s']
    for h in headers:
        cmd += ['-H', h]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    reqs = int(re.search(r'(\d+) requests in', out).group(1))
    non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    sock = re.search(r'Socket errors: (.*)', out)
    return reqs, int(non2xx.group(1)) if non2xx else 0, sock.group(1) if sock else None, out


@pytest.mark.skipif(not shutil.which('wrk'), reason='wrk is not installed')
def test_wrk_status_and_download(server):
    st, out = server.run('load', 'a.csv', b'email\n' + b''.join(
        b'user%d@example.com\n' % i for i in range(2000)))
    tid = st['task_id']
    url = server.get(V1 + '/batch-task-download/' + tid, 'load').json()['download_url']
    half = max(2, SECONDS)  # both run at once, for the whole time
    results = {}

    def run(name, u, hdr):
        results[name] = wrk(u, half, hdr)

    before = None
    t1 = threading.Thread(target=run, args=('status', server.url(V1 + '/batch-check-status/' + tid),
                                            ['X-API-Key: load']))
    t2 = threading.Thread(target=run, args=('download', url, []))
    t1.start()
    t2.start()
    time.sleep(min(5, half / 3))
    before = rss_kb(server)
    t1.join()
    t2.join()
    after = rss_kb(server)
    for name, (reqs, non2xx, sock, text) in results.items():
        assert reqs > 0, text
        assert non2xx == 0, (name, text)
        assert sock is None, (name, text)
    if not SANITIZED:
        assert after < before * 1.5 + 16 * 1024, (before, after)
    assert server.download('load', tid) == out


def test_200_concurrent_uploads_mixed_sizes(server):
    def body(i):
        n = [1, 10, 100, 1000, 20000][i % 5]
        return b'email,i\n' + b''.join(b'u%d-%d@example.com,%d\n' % (i, j % (n - n // 10 or 1), j)
                                       for j in range(n))

    def expected(data):
        lines = data.split(b'\n')[1:-1]
        last = {}
        for k, line in enumerate(lines):
            last[line.split(b',')[0].lower()] = k
        kept = [line for k, line in enumerate(lines) if last[line.split(b',')[0].lower()] == k]
        return b'email,i,category,domain_type\n' + b''.join(l + b',white,unknown\n' for l in kept)

    def one(i):
        s = requests.Session()
        data = body(i)
        key = 'conc-%d' % (i % 7)
        r = s.post(server.url(V1 + '/batch-check-emails'), headers={'X-API-Key': key},
                   files={'file': ('f%d.csv' % i, data)}, data={'project_name': 'p%d' % i}, timeout=120)
        assert r.status_code == 200, r.text
        tid = r.json()['task_id']
        deadline = time.time() + 300
        while time.time() < deadline:
            st = s.get(server.url(V1 + '/batch-check-status/' + tid), headers={'X-API-Key': key}).json()
            if st['status'] != 'processing':
                break
            time.sleep(0.05)
        assert st['status'] == 'completed', st
        url = s.get(server.url(V1 + '/batch-task-download/' + tid), headers={'X-API-Key': key}).json()['download_url']
        assert s.get(url).content == expected(data), i
        return True

    with concurrent.futures.ThreadPoolExecutor(64) as ex:
        assert all(ex.map(one, range(200)))


def test_slow_clients_do_not_block_others(make_server):
    s = make_server(['--rate-limit', '0'])
    socks = []
    try:
        for i in range(100):
            c = socket.create_connection(('127.0.0.1', s.port))
            if i % 2:   # trickles its headers
                c.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\n')
            else:       # trickles a body
                c.sendall(b'POST %s/batch-check-emails HTTP/1.1\r\nHost: x\r\nX-API-Key: slow\r\n'
                          b'Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n'
                          b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nemail\n'
                          % V1.encode())
            socks.append(c)
        for round_ in range(3):
            for c in socks:
                c.sendall(b'X-Slow: 1\r\n' if socks.index(c) % 2 else b'a@example.com\n')
            t0 = time.monotonic()
            st, out = s.run('fast', 'a.csv', b'email\nok@example.com\n')
            assert st['status'] == 'completed'
            assert time.monotonic() - t0 < 10
            time.sleep(0.2)
    finally:
        for c in socks:
            c.close()
    # the half-sent uploads left nothing behind
    deadline = time.time() + 30
    while time.time() < deadline and any(f.startswith('tmp/') for f in s.data_files()):
        time.sleep(0.2)
    assert not any(f.startswith('tmp/') for f in s.data_files())
