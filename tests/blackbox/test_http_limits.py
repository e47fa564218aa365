"""test_http_limits.py: how large a request's head may be, and what a
client gets past it; uploads gathered into large writes stay whole.

The head (request line and headers) lives in the connection's 64 KiB
memory pool (server.c): one header or a URL of up to about 60 KiB, some
300 cookie lines, are served as usual; past that libmicrohttpd answers
431 (headers) or 414 (request line) and closes the connection."""
from harness import V1
from helpers import KEY, multipart, raw_exchange, run_ok

STATUS = V1 + '/batch-check-status/00000000-0000-0000-0000-000000000000'
NO_TASK = b'{"detail":"Task does not exist or has not started"}'


def _send(server, path, headers):
    """One request over a bare socket; (status line, body) once the
    server closes."""
    lines = ['GET %s HTTP/1.1' % path, 'Host: 127.0.0.1', 'X-API-Key: ' + KEY,
             'Connection: close'] + headers
    raw = raw_exchange(server, '\r\n'.join(lines).encode())
    head, _, body = raw.partition(b'\r\n\r\n')
    return head.split(b'\r\n')[0].decode(), body


def test_large_heads_are_served(server):
    # What browsers, proxies and SDKs send at the most (8-16 KiB), and well
    # past it: each one answered by the route (the task is unknown: 404).
    cookies = ['Cookie: c%d=%s' % (i, 'v' * 100) for i in range(150)]  # 16 KiB
    for headers, path in (
            (['X-Pad: ' + 'p' * 16384], STATUS),
            (['X-Pad: ' + 'p' * 40000], STATUS),
            (cookies, STATUS),
            (['X-Trace-%d: %s' % (i, 't' * 60) for i in range(200)], STATUS),
            ([], STATUS + '?q=' + 'u' * 16384),
            ([], STATUS + '?q=' + 'u' * 40000)):
        status, body = _send(server, path, headers)
        assert status == 'HTTP/1.1 404 Not Found', (status, len(path), len(headers))
        assert body == NO_TASK, body[:200]


def test_head_past_the_pool_is_refused(server):
    status, body = _send(server, STATUS, ['X-Pad: ' + 'p' * 80000])
    assert status == 'HTTP/1.1 431 Request Header Fields Too Large', status
    assert b'Request too big' in body, body[:200]
    status, _ = _send(server, STATUS, ['Cookie: c%d=%s' % (i, 'v' * 100) for i in range(700)])
    assert status == 'HTTP/1.1 431 Request Header Fields Too Large', status
    status, _ = _send(server, STATUS + '?q=' + 'u' * 80000, [])
    assert status == 'HTTP/1.1 414 URI Too Long', status
    # refused requests leave the server serving
    status, body = _send(server, STATUS, [])
    assert status == 'HTTP/1.1 404 Not Found' and body == NO_TASK, status


def test_upload_with_a_large_head(server):
    csv = b'email\n' + b''.join(b'user%d@example.com\n' % i for i in range(100))
    r = server.post(V1 + '/batch-check-emails', KEY, files={'file': ('a.csv', csv)},
                    data={'project_name': 'p'}, headers={'Cookie': 'c=' + 'v' * 16000})
    assert r.status_code == 200, r.text
    st = server.wait(KEY, r.json()['task_id'])
    assert st['status'] == 'completed' and st['rows'] == 100, st


def _addresses(n, tag):
    return b'email,n\n' + b''.join(b'%s%d@example.com,%d\n' % (tag, i, i) for i in range(n))


def test_upload_written_in_chunks_stays_whole(server):
    # Sizes around the 256 KiB write chunk of upload.c: the result holds
    # every row, in order, whatever part of the file was still gathered.
    for n in (1, 14000, 14563, 40001):
        data = _addresses(n, b'u')
        st, out = run_ok(server, 'a.csv', data)
        assert st['rows'] == n, (n, len(data), st)
        lines = out.split(b'\n')
        assert lines[1].startswith(b'u0@example.com,0,'), lines[1]
        assert lines[n].startswith(b'u%d@example.com,%d,' % (n - 1, n - 1)), lines[n]


def test_last_file_part_wins_after_a_large_one(server):
    # The first file part is past the write chunk (part of it written, the
    # rest gathered), the second replaces it whole.
    body, ctype = multipart([('project_name', 'p'), ('file', 'a.csv', _addresses(30000, b'first')),
                             ('file', 'b.csv', _addresses(3, b'second'))])
    r = server.post(V1 + '/batch-check-emails', KEY, data=body,
                    headers={'Content-Type': ctype})
    assert r.status_code == 200, r.text
    st = server.wait(KEY, r.json()['task_id'])
    assert st['status'] == 'completed' and st['rows'] == 3, st
    out = server.download(KEY, st['task_id'])
    assert out.count(b'second') == 3 and b'first' not in out, out[:300]
