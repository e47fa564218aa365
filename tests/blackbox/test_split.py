"""One delimited task read on several threads (--split-min): the result
and the counts, or the failure and its reason, are byte for byte those of
the single-threaded passes, on every delimited fixture, on files like the
benchmark's (bench/gen.py) and on files made to put quoted line breaks,
CR LF, blank lines and errors at the range bounds. The log's `threads`
shows which path ran, so a comparison of the single path with itself
cannot pass for one."""
import glob
import os
import random
import subprocess
import sys

import pytest

from helpers import KEY
from test_logs import wait_event

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKERS = 4


@pytest.fixture(scope='module')
def pair():
    """A server that splits every delimited upload over its 4 workers, and
    one that never splits."""
    from harness import Server
    split = Server(['--workers', str(WORKERS), '--split-min', '0', '--rate-limit', '0'])
    single = Server(['--workers', '1', '--split-min', '5GB', '--rate-limit', '0'])
    yield split, single
    split.close()
    single.close()


def finish(server, tid, field='threads'):
    """Wait for task tid; its status, result (None unless completed) and
    `field` of its task_completed line; then delete it."""
    st = server.wait(KEY, tid)
    body = server.download(KEY, tid) if st['status'] == 'completed' else None
    value = None
    if st['status'] == 'completed':
        value = int(wait_event(server, 'task_completed', task=tid)[field])
    server.delete('/__mock/tasks/' + tid, KEY)
    keep = ('status', 'error', 'rows', 'duplicates_removed', 'invalid', 'charged')
    return {k: st.get(k) for k in keep}, body, value


def outcome(server, name, content, dedup):
    r = server.submit(KEY, name, content, dedup=dedup)
    assert r.status_code == 200, r.text
    return finish(server, r.json()['task_id'])


def same(pair, name, content, dedup='true', threads=WORKERS):
    split, single = pair
    got, got_body, got_threads = outcome(split, name, content, dedup)
    want, want_body, want_threads = outcome(single, name, content, dedup)
    assert got == want
    assert got_body == want_body
    if want['status'] == 'completed':
        assert want_threads == 1
        assert got_threads == threads, 'the split path did not run'
    return got


def fixture_files():
    out = []
    for ext in ('csv', 'tsv', 'txt'):
        out += glob.glob(os.path.join(ROOT, 'fixtures', '**', '*.' + ext), recursive=True)
    return sorted(out)


@pytest.mark.parametrize('dedup', ['true', 'false'])
@pytest.mark.parametrize('path', fixture_files(), ids=lambda p: os.path.relpath(p, ROOT))
def test_every_fixture(pair, path, dedup):
    with open(path, 'rb') as f:
        same(pair, os.path.basename(path), f.read(), dedup)


def generated(fmt, rows, tmp_path):
    path = str(tmp_path / ('gen.' + fmt))
    subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'gen.py'), fmt, str(rows), path],
                   check=True)
    with open(path, 'rb') as f:
        return f.read()


@pytest.mark.parametrize('fmt', ['csv', 'tsv'])
def test_benchmark_like_files(pair, fmt, tmp_path):
    data = generated(fmt, 30000, tmp_path)
    st = same(pair, 'gen.' + fmt, data)
    assert st['status'] == 'completed' and st['duplicates_removed'] > 0
    same(pair, 'gen.' + fmt, data, 'false')


def tricky(seed, rows=3000):
    """Quoted cells with line breaks and quotes, CR LF and LF, blank lines,
    short rows, case variants of earlier addresses, empty addresses."""
    rnd = random.Random(seed)
    nl = rnd.choice([b'\n', b'\r\n'])
    out = [b'\xef\xbb\xbf' if rnd.random() < 0.5 else b'', b'email,note,n' + nl]
    seen = []
    for i in range(rows):
        k = rnd.random()
        if seen and k < 0.15:
            addr = rnd.choice(seen).upper()
        elif k < 0.2:
            addr = b''
        elif k < 0.25:
            addr = b'not an address %d' % i
        else:
            addr = b'user%d@example%d.com' % (rnd.randrange(rows), rnd.randrange(5))
            seen.append(addr)
        note = rnd.choice([b'plain', b'"multi\nline\r\nnote"', b'"with ""quotes"" and, comma"',
                           b'"ends with newline\n"', b'"\n\n"', b''])
        row = b','.join([addr, note, b'%d' % i]) if rnd.random() < 0.9 else addr
        out.append(row + nl)
        if rnd.random() < 0.03:
            out.append(nl * rnd.randrange(1, 3))
    return b''.join(out)


@pytest.mark.parametrize('seed', range(6))
def test_quoted_line_breaks_at_the_bounds(pair, seed):
    st = same(pair, 'tricky.csv', tricky(seed))
    assert st['status'] == 'completed'
    same(pair, 'tricky.csv', tricky(seed), 'false')


def plain_lists(rows):
    """A TXT list with CR LF and repeats, and a TSV with quoted tabs."""
    lines = b''.join(b'User%d@Example.com\r\n' % (i % (rows // 4)) for i in range(rows))
    tsv = b'name\temail\n' + b''.join(b'"n\t%d"\tu%d@example.com\n' % (i, i % (rows // 6))
                                      for i in range(rows))
    return lines, tsv


def test_plain_lists_and_tsv(pair):
    lines, tsv = plain_lists(3000)
    same(pair, 'list.txt', lines)
    same(pair, 'list.tsv', tsv)


def stray_quote(rows):
    """A quote inside an unquoted cell, then quoted line breaks."""
    return b'email,n\n' + b'a"b@example.com,0\n' + b''.join(
        b'u%d@example.com,"line\nbreak %d"\n' % (i, i) for i in range(rows))


def test_a_stray_quote_falls_back_to_one_thread(pair):
    # A quote inside an unquoted cell is literal to the reader but flips
    # the parity guess, so a bound lands inside a quoted line break: the
    # range ends inside a row, which is noticed, and the file is read again
    # on one thread.
    st = same(pair, 'stray.csv', stray_quote(3000), threads=1)
    assert st['status'] == 'completed' and st['rows'] == 3001


def first_errors(run, rows, where):
    """run(body) -> status, for a file with a row of too many fields at
    where (0..1) of rows and invalid UTF-8 later; then a NUL byte there."""
    lines = [b'u%d@example.com,%d' % (i, i) for i in range(rows)]
    at = int(rows * where)
    lines[at] = b'x@example.com,1,2,3'                     # too many fields
    lines[min(at + rows // 4, rows - 1)] = b'bad\xff@example.com,1'  # invalid UTF-8 later
    st = run(b'email,n\n' + b'\n'.join(lines) + b'\n')
    assert st['status'] == 'failed' and 'has 4 fields' in st['error']
    lines[at] = b'nul\x00@example.com,1'
    st = run(b'email,n\n' + b'\n'.join(lines) + b'\n')
    assert st['status'] == 'failed' and 'NUL byte' in st['error']


@pytest.mark.parametrize('where', [0.1, 0.5, 0.9])
def test_errors_are_the_first_in_the_file(pair, where):
    first_errors(lambda body: same(pair, 'err.csv', body), 4000, where)
