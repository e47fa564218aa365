"""`ucmock --probe URL`: the container image's health check, which needs no
curl. Exit 0 only for a 200 answer; 1 for any other status, no server, a
server that never answers, or a bad URL (Docker reserves 2)."""
import socket
import subprocess

from harness import UCMOCK_BIN


def probe(url):
    p = subprocess.run([UCMOCK_BIN, '--probe', url], capture_output=True, timeout=60)
    return p.returncode, p.stderr.decode()


def test_healthy_server(server):
    assert probe(server.url('/healthz')) == (0, '')
    assert probe('http://localhost:%d/healthz' % server.port)[0] == 0
    assert probe(server.base)[0] == 0  # no path: GET /, the dashboard


def test_other_status(server):
    rc, err = probe(server.url('/nothere'))
    assert rc == 1 and 'status 404' in err, err


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_no_server():
    rc, err = probe('http://127.0.0.1:%d/healthz' % free_port())
    assert rc == 1 and 'Connection refused' in err, err


def test_silent_server():
    """A listener that accepts (the kernel completes the handshake) and
    never answers: the probe gives up on its own deadline."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen(4)
        rc, err = probe('http://127.0.0.1:%d/healthz' % s.getsockname()[1])
    assert rc == 1 and 'timed out' in err, err


def test_not_http():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen(4)
        p = subprocess.Popen([UCMOCK_BIN, '--probe', 'http://127.0.0.1:%d/' % s.getsockname()[1]],
                             stderr=subprocess.PIPE)
        c, _ = s.accept()
        c.sendall(b'SSH-2.0-OpenSSH_9.2\r\n')
        c.close()
        assert p.wait(60) == 1
        assert 'not an HTTP answer' in p.stderr.read().decode()
        p.stderr.close()


def test_bad_urls():
    for url in ('localhost:8080/healthz', 'https://127.0.0.1/', 'http://', 'http://h:x/',
                'http://[::1/', 'http://h:99999999/'):
        rc, err = probe(url)
        assert rc == 1 and '--probe takes' in err, (url, err)
