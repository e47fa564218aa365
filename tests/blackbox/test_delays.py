"""Requests that must wait (a fault's delay) hold no thread of their own:
the server suspends their connections and one timer thread resumes them
when due. Stopping the server closes the ones still waiting."""
import select
import socket
import time

from harness import V1

STATUS = V1 + '/batch-check-status/'


def threads(s):
    with open('/proc/%d/status' % s.proc.pid) as f:
        for line in f:
            if line.startswith('Threads:'):
                return int(line.split()[1])
    raise AssertionError('no Threads line')


def wait_until(cond, what, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError('still waiting after %ss for %s' % (timeout, what))


def arm_delay(s, delay_ms, times):
    r = s.post('/__mock/faults', json={'match': {'path_prefix': STATUS},
                                       'respond': {'delay_ms': delay_ms, 'status': 503},
                                       'times': times})
    assert r.status_code == 201, r.text


def open_requests(s, n):
    socks = []
    for i in range(n):
        c = socket.create_connection(('127.0.0.1', s.port))
        c.sendall(('GET %s%d HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n\r\n'
                   % (STATUS, i)).encode())
        socks.append(c)
    return socks


def hold(make_server, delay_ms, n):
    """A fresh server, its thread count, and n raw requests sent to a
    delay fault armed for exactly n of them."""
    s = make_server()
    assert s.get('/__mock/faults').status_code == 200
    before = threads(s)
    arm_delay(s, delay_ms, n)
    return s, before, open_requests(s, n)


def all_taken(s):
    """Every use of the armed fault has been taken by a request."""
    return s.get('/__mock/faults').json()['faults'] == []


def test_500_delayed_requests_hold_no_thread_and_stop_closes_them(make_server):
    s, before, socks = hold(make_server, 30000, 500)
    try:
        wait_until(lambda: all_taken(s), 'the 500 requests to reach the fault')
        assert threads(s) == before
        # all 500 are still waiting, and the server serves others meanwhile
        readable, _, _ = select.select(socks, [], [], 0)
        assert readable == []
        assert s.get('/healthz').status_code == 200
        assert threads(s) == before
        # Stopping does not wait out the delay (nor abort on the suspended
        # connections): it closes them unanswered and exits 0.
        assert s.stop(timeout=60) == 0
        for c in socks:
            c.settimeout(30)
            try:
                assert c.recv(4096) == b''
            except ConnectionResetError:
                pass
    finally:
        for c in socks:
            c.close()


def test_delayed_answers_arrive_from_the_timer(make_server):
    s, before, socks = hold(make_server, 300, 50)
    try:
        for c in socks:
            c.settimeout(60)
            assert c.recv(4096).startswith(b'HTTP/1.1 503 '), 'no delayed answer'
        assert all_taken(s)
        assert threads(s) == before
    finally:
        for c in socks:
            c.close()
    # the fault is used up: the real answer again, at once
    assert s.status('k', 'x').status_code == 404
