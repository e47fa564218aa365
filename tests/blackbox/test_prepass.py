"""The first pass of a large CSV, TSV or TXT upload runs while its body
streams in (jobs/prepass.c). The bodies here are sent slowly, in pieces,
with a pause before the last one, so that the pre-pass reads part of the
file before the last byte arrives; the log's `prepass_bytes` says how much
it read (more than 0: it ran, and its rows were used). The outcome (result
bytes, counts, or the failure and its reason) is byte for byte that of a
server that reads every row single-threaded after the upload. A cut or
refused upload with a pre-pass running leaves nothing behind."""
import http.client
import json
import random
import socket
import time

import pytest

from harness import V1
from helpers import KEY, assert_no_strays, multipart
from test_split import finish, first_errors, generated, plain_lists, stray_quote, tricky


@pytest.fixture(scope='module')
def pair():
    """A server whose uploads of 1 MB or more get a pre-pass, and one that
    never splits (nor reads ahead)."""
    from harness import Server
    pre = Server(['--workers', '2', '--split-min', '1MB', '--rate-limit', '0'])
    single = Server(['--workers', '1', '--split-min', '5GB', '--rate-limit', '0'])
    yield pre, single
    pre.close()
    single.close()


def slow_post(server, body, ctype, pieces=8, pause=0.1, last_pause=1.0, cut=False):
    """POST the body in pieces with pauses (a long one before the last
    piece, so that the pre-pass has the rest of the file to read); with cut
    the connection closes before the last piece. The response (status,
    JSON) or None when cut."""
    conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=120)
    conn.putrequest('POST', V1 + '/batch-check-emails')
    conn.putheader('X-API-Key', KEY)
    conn.putheader('Content-Type', ctype)
    conn.putheader('Content-Length', str(len(body)))
    conn.endheaders()
    step = len(body) // pieces + 1
    at = 0
    while at < len(body):
        last = at + step >= len(body)
        time.sleep(last_pause if last else pause)
        if last and cut:
            conn.sock.shutdown(socket.SHUT_RDWR)
            conn.close()
            return None
        conn.send(body[at:at + step])
        at += step
    r = conn.getresponse()
    out = r.status, json.loads(r.read())
    conn.close()
    return out


def outcome(server, name, content, dedup, slow):
    if slow:
        body, ctype = multipart([('project_name', 'slow'), ('deduplicate', dedup),
                                 ('file', name, content)])
        status, js = slow_post(server, body, ctype)
        assert status == 200, js
        tid = js['task_id']
    else:
        r = server.submit(KEY, name, content, dedup=dedup)
        assert r.status_code == 200, r.text
        tid = r.json()['task_id']
    return finish(server, tid, 'prepass_bytes')


def same(pair, name, content, dedup='true', read_ahead=True):
    """The slow upload to the pre-pass server against the single one."""
    pre, single = pair
    got, got_body, got_ahead = outcome(pre, name, content, dedup, slow=True)
    want, want_body, want_ahead = outcome(single, name, content, dedup, slow=False)
    assert got == want
    assert got_body == want_body
    if want['status'] == 'completed':
        assert want_ahead == 0
        if read_ahead:
            assert 0 < got_ahead < len(content), 'the pre-pass read nothing'
        else:
            assert got_ahead == 0
    assert_no_strays(pre)
    return got, got_ahead


@pytest.mark.parametrize('fmt', ['csv', 'tsv'])
def test_benchmark_like_files(pair, fmt, tmp_path):
    data = generated(fmt, 60000, tmp_path)  # about 3 MB
    st, _ = same(pair, 'gen.' + fmt, data)
    assert st['status'] == 'completed' and st['duplicates_removed'] > 0
    same(pair, 'gen.' + fmt, data, 'false')


@pytest.mark.parametrize('seed', range(4))
def test_quoted_line_breaks_crlf_and_bom(pair, seed):
    # Quoted cells with line breaks everywhere: every step of the pre-pass
    # ends near some of them, and so does the bound where it stopped.
    st, _ = same(pair, 'tricky.csv', tricky(100 + seed, rows=70000))
    assert st['status'] == 'completed'


def test_plain_lists_and_tsv(pair):
    lines, tsv = plain_lists(120000)
    same(pair, 'list.txt', lines)
    same(pair, 'list.tsv', tsv)


def test_a_stray_quote_discards_the_pre_pass(pair):
    # A quote inside an unquoted cell is literal to the reader but flips
    # the quote count, so a step's end lands inside a row: the pre-pass
    # notices, gives up, and the run reads the whole file itself.
    st, _ = same(pair, 'stray.csv', stray_quote(60000), read_ahead=False)
    assert st['status'] == 'completed' and st['rows'] == 60001


@pytest.mark.parametrize('where', [0.1, 0.5, 0.9])
def test_errors_are_the_first_in_the_file(pair, where):
    first_errors(lambda body: same(pair, 'err.csv', body)[0], 120000, where)


def test_a_cut_upload_leaves_nothing(pair):
    pre, _ = pair
    content = b'email,n\n' + b''.join(b'u%d@example.com,%d\n' % (i, i) for i in range(150000))
    body, ctype = multipart([('project_name', 'cut'), ('file', 'cut.csv', content)])
    assert slow_post(pre, body, ctype, cut=True) is None
    assert_no_strays(pre)
    # and the server goes on: a slow upload after it is read ahead as usual
    same(pair, 'after.csv', content)


def test_a_refused_upload_leaves_nothing():
    from harness import Server
    s = Server(['--workers', '2', '--split-min', '1MB', '--max-upload', '3MB',
                '--rate-limit', '0'])
    try:
        rnd = random.Random(7)
        content = b'email,n\n' + b''.join(b'u%d@example.com,%d\n' % (rnd.randrange(10**6), i)
                                          for i in range(200000))
        body, ctype = multipart([('project_name', 'big'), ('file', 'big.csv', content)])
        try:
            got = slow_post(s, body, ctype, pieces=12, pause=0.1, last_pause=0.1)
        except (ConnectionError, OSError):
            got = None  # the server answered 413 and closed mid-body
        assert got is None or got[0] == 413
        assert_no_strays(s)
    finally:
        s.close()


def test_a_queued_task_is_read_whole_while_it_waits(pair):
    # One worker, held by a task that stays processing (its job fault's
    # processing time, on the virtual clock) until the clock moves: the
    # next upload is complete long before a worker takes it, and its
    # pre-pass reads on to the end of the file meanwhile (after the
    # upload's last byte, as the upload is committed and the task waits);
    # the run then has only the dedup and the write left. Same outcome as
    # one reader's. How long the reading takes is the machine's business:
    # the worker is held longer each time until the pre-pass has read it
    # all (which it never does if it stops at the upload's end).
    from harness import Server
    s = Server(['--workers', '1', '--split-min', '1MB', '--rate-limit', '0'])
    try:
        rnd = random.Random(11)
        head = b'email,n\n'
        content = head + b''.join(b'u%d@example.com,%d\n' % (rnd.randrange(50000), i)
                                  for i in range(120000))
        want, want_body, _ = finish(pair[1], pair[1].submit(KEY, 'queued.csv', content)
                                    .json()['task_id'], 'prepass_bytes')
        assert want['duplicates_removed'] > 0
        for hold in (0.5, 2, 8, 32):
            s.post('/__mock/faults', json={'task': {'processing_ms': 3600000}, 'times': 1})
            r = s.submit(KEY, 'hold.csv', b'email\nhold@example.com\n')
            assert r.status_code == 200, r.text
            held = r.json()['task_id']
            r = s.submit(KEY, 'queued.csv', content)
            assert r.status_code == 200, r.text
            time.sleep(hold)
            s.post('/__mock/clock', json={'advance_seconds': 3601})
            assert s.wait(KEY, held, timeout=60)['status'] == 'completed'
            got, got_body, ahead = finish(s, r.json()['task_id'], 'prepass_bytes')
            assert got == want
            assert got_body == want_body
            if ahead == len(content) - len(head):
                break
        assert ahead == len(content) - len(head), 'the pre-pass stopped before the end'
        assert_no_strays(s)
    finally:
        s.close()
