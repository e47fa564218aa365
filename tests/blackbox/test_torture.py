"""Fault injection (the -Dtorture=true build, UCMOCK_TORTURE_BIN): fail the
Nth allocation, disk write or fsync made by our code while a batch is
uploaded, processed and downloaded, for every N the scenario reaches.
Each run must end cleanly: a JSON error or a failed task with a reason,
or a correct result; the server keeps serving and stops with exit 0; and
after a restart without faults, earlier work is intact, storage equals
the bytes on disk, and nothing is left in tmp/."""
import contextlib
import os
import re
import time

import pytest
import requests

from harness import V1, Server
from helpers import FIXTURES, stored_bytes

BIN = os.environ.get('UCMOCK_TORTURE_BIN')
pytestmark = pytest.mark.skipif(not BIN, reason='set UCMOCK_TORTURE_BIN to a -Dtorture=true build')

CSV = b'email,n\n' + b''.join(b'u%d@example.com,%d\n' % (i % 40, i) for i in range(50))
KEEP = b'email\nkeep@example.com\n'


def expected_result():
    lines = CSV.split(b'\n')[1:-1]
    last = {l.split(b',')[0]: k for k, l in enumerate(lines)}
    return b'email,n,category,domain_type\n' + b''.join(
        l + b',white,unknown\n' for k, l in enumerate(lines) if last[l.split(b',')[0]] == k)


def scenario(s, name='a.csv', content=CSV, want=None):
    """Returns a description of how it ended; raises on an unclean end.
    A completed task's result must be want (default: CSV's result)."""
    try:
        r = s.submit('t', name, content)
    except requests.ConnectionError:
        return 'connection closed'
    if r.status_code != 200:
        assert 400 <= r.status_code < 600 and 'detail' in r.json(), r.text
        return 'http %d' % r.status_code
    tid = r.json()['task_id']
    deadline = time.time() + 60
    while True:  # a poll may itself meet the fault: a JSON 500, then retry
        p = s.status('t', tid)
        if p.status_code == 500:
            assert p.json() == {'detail': 'Internal Server Error'}
            continue
        assert p.status_code == 200, p.text
        st = p.json()
        if st['status'] != 'processing':
            break
        assert time.time() < deadline, 'task stuck in processing'
        time.sleep(0.02)
    if st['status'] == 'failed':
        assert st['error'], st
        return 'failed: ' + st['error']
    u = s.get(V1 + '/batch-task-download/' + tid, 't')
    if u.status_code == 500:
        u = s.get(V1 + '/batch-task-download/' + tid, 't')
    if u.status_code != 200:
        return 'download url %d' % u.status_code
    try:
        d = s.http.get(u.json()['download_url'])
    except requests.ConnectionError:
        return 'download cut'
    if d.status_code == 200:
        assert d.content == (want if want is not None else expected_result())
    return 'completed'


def check_after(s, keep_id, keep_out):
    # restart without faults: everything consistent
    assert s.stop() == 0, s.read_log()[-3000:]
    s.env.pop('UCMOCK_TORTURE', None)
    s.start()
    assert s.download('t', keep_id) == keep_out
    tasks = s.get('/__mock/tasks').json()['tasks']
    for t in tasks:
        assert t['status'] in ('completed', 'failed'), t
    used = s.get('/__mock/accounts/t').json()['storage_used']
    assert used == stored_bytes(s, 't')  # the files as the rows say
    assert not any(f.startswith('tmp/') for f in s.data_files())


@contextlib.contextmanager
def torture_bin():
    """Servers started inside run the torture build (BIN)."""
    import harness
    old = harness.UCMOCK_BIN
    harness.UCMOCK_BIN = BIN
    try:
        yield
    finally:
        harness.UCMOCK_BIN = old


def sweep(kind, limit, name='a.csv', content=CSV, want=None):
    """The scenario with the Nth counted call failing, for N = 1..limit."""
    outcomes = {}
    for n in range(1, limit + 1):
        with torture_bin():
            s = Server(env={})
            try:
                keep, keep_out = s.run('t', 'keep.csv', KEEP)  # before any fault
                s.stop()
                s.env['UCMOCK_TORTURE'] = '%s:%d' % (kind, n)
                s.start()
                outcomes[n] = scenario(s, name, content, want)
                # the one fault may land on this very request (a JSON
                # 500); the next one is served
                if s.get('/healthz').status_code != 200:
                    assert s.get('/healthz').status_code == 200
                check_after(s, keep['task_id'], keep_out)
            finally:
                s.close()
    # the sweep reached past the last counted call: some run saw no fault
    assert 'completed' in outcomes.values(), outcomes
    assert len(set(outcomes.values())) > 1, outcomes
    return outcomes


@pytest.mark.parametrize('kind,limit', [('alloc', 70), ('write', 20), ('fsync', 8)])
def test_torture(kind, limit):
    sweep(kind, limit)


@pytest.mark.parametrize('kind,limit', [('alloc', 100), ('write', 40)])
def test_torture_xlsx(kind, limit):
    """The same for a styled workbook: reading its look (styles, widths,
    sheet name), spilling styled cells, writing the styles part; about 95
    counted allocations and 35 writes reach past the task's end."""
    with open(os.path.join(FIXTURES, 'xlsx', 'openpyxl_styled.xlsx'), 'rb') as f:
        data = f.read()
    s = Server()
    try:
        want = s.run('t', 'a.xlsx', data)[1]  # the untortured result
    finally:
        s.close()
    outcomes = sweep(kind, limit, 'a.xlsx', data, want)
    assert any(o.startswith('failed: ') for o in outcomes.values()), outcomes


# Past 64 KiB (src/jobs/submit.c's SUBMIT_HERE_MAX): a worker runs it, after
# the upload is durable, so the fsyncs come in a known order.
WORKER_CSV = b'email\n' + b''.join(b'user%d@example.com\n' % i for i in range(5000))


def files_settle(s, within=30.0):
    """The data dir's files once no job is left writing any: polled until
    empty, or as they are after `within` seconds."""
    end = time.monotonic() + within
    while s.data_files() and time.monotonic() < end:
        time.sleep(0.05)
    return s.data_files()


def failed_fsync(s):
    """The file whose fsync the torture build failed (its log line, see
    src/core/torture.h), relative to the data dir with the task id as ID;
    None when no fsync failed."""
    got = re.findall(r'torture: \w+ \d+ failed: (\S+)', s.read_log())
    assert len(got) <= 1, got
    if not got:
        return None
    rel = os.path.relpath(got[0], s.data_dir)
    return re.sub(r'[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}', 'ID', rel)


def fsync_fault_submit(n, content):
    """Submit content to a server whose nth fsync fails. An upload's
    fsync failing (its file or uploads/) answers a JSON 500 and leaves no
    task and no file; any other failing (the result's) leaves the
    submission standing and its task failed, never completed. Either way
    the next submission completes. The file whose fsync failed (failed_fsync)."""
    with torture_bin():
        s = Server(env={'UCMOCK_TORTURE': 'fsync:%d' % n})
        try:
            r = s.submit('t', 'a.csv', content)
            if r.status_code == 500:
                assert r.json() == {'detail': 'Error processing file'}
                assert s.get('/__mock/tasks').json()['tasks'] == []
                # a job started on the upload before its fsync is told
                # there is no task and removes its result file as it ends
                assert files_settle(s) == []
            else:
                assert r.status_code == 200, r.text
                st = s.wait('t', r.json()['task_id'])
                assert st['status'] == 'failed', st
            failed = failed_fsync(s)
            assert failed is not None
            assert r.status_code == (500 if failed.startswith('uploads') else 200), failed
            assert s.run('t', 'b.csv', KEEP)[0]['status'] == 'completed'
            return failed
        finally:
            s.close()


@pytest.mark.parametrize('content,want', [
    (WORKER_CSV, {'results', 'results/ID.csv', 'uploads', 'uploads/ID.csv'}),
    (KEEP, {'results', 'results/ID.csv'}),
], ids=['worker', 'small'])
def test_commit_fsyncs(content, want):
    """An upload is made durable by two fsyncs (its file, then uploads/),
    and so is its result (the file, then results/); the POST answers only
    once the upload's have succeeded. A worker runs a file past 64 KiB
    after its upload's fsyncs began: the nth fsync may be either file's,
    so the torture build's log says which one failed, and the answer must
    be the one its file calls for (fsync_fault_submit). The order changes
    from run to run, so n goes round 1-4 until each of the four has failed
    (at most four rounds). A small one runs on the receiving thread from
    memory: its upload is never stored, so its result's two fsyncs are the
    only ones (n goes round 1-2)."""
    failed = []
    for k in range(16):
        failed.append(fsync_fault_submit(k % len(want) + 1, content))
        assert failed[-1] in want, failed
        if set(failed) == want:
            break
    assert set(failed) == want, failed


# A result past 16 MiB (twice src/jobs/pass_split.c's SPLIT_SYNC_STEP) is
# flushed to the device behind its writers (fdatasync, counted with fsync):
# after the upload's two fsyncs, the next are those flushes.
BIG_CSV = b'email,name\n' + b''.join(b'user%d@example.com,Name %d\n' % (i, i)
                                     for i in range(400000))


def test_result_flush_fsyncs():
    """The first flush of a large result failing fails the task: its error
    may be seen by that flush alone (a later fsync of the file need not
    report it), so the task must not complete."""
    assert len(BIG_CSV) + 400000 * len(b',white,unknown') > 16 << 20
    assert fsync_fault_submit(3, BIG_CSV) == 'tmp/ID.out'


def large_workbook(rows=15000):
    """A workbook whose sheet XML, and its result's, pass 1 MiB: the sheet
    is inflated on the read-ahead thread (src/core/slots.c) and the result
    deflated in blocks on the writer's workers (src/formats/pdefl.c), so
    faults land on both."""
    import io
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(['email', 'name'])
    for i in range(rows):
        ws.append(['user%d@example.com' % (i % (rows - 100)), 'Name %d' % i])
    b = io.BytesIO()
    wb.save(b)
    return b.getvalue()


@pytest.mark.parametrize('kind,limit', [('alloc', 160), ('write', 60)])
def test_torture_xlsx_threads(kind, limit):
    """The same for a workbook large enough for the XLSX threads: every
    fault, on either side of a thread, still ends cleanly (seen: the
    read-ahead's slots failing fail the task "out of memory", a write
    failing between deflated blocks fails it "Cannot write XLSX: ...", the
    deflate workers' blocks failing to be allocated leave the writer
    deflating every block itself and the task completes, with the same
    bytes)."""
    data = large_workbook()
    s = Server()
    try:
        want = s.run('t', 'a.xlsx', data)[1]
    finally:
        s.close()
    outcomes = sweep(kind, limit, 'a.xlsx', data, want)
    assert any(o.startswith('failed: ') for o in outcomes.values()), outcomes


def test_torture_scenario_put():
    """PUT /__mock/scenario with the Nth counted allocation failing, for
    every N it reaches: the answer is the applied state (200) or a JSON
    500, and the state is never half applied: GET shows it as before the
    PUT or as the scenario says, whole (a 500 can also come after the
    apply, from exporting the answer: putting it again is harmless). The
    server stops with exit 0."""
    import json
    with open(os.path.join(FIXTURES, '..', 'examples', 'scenario.json')) as f:
        doc = json.load(f)
    doc['faults'][0]['match']['api_key'] = 'nobody'  # the GETs below stay unfaulted
    seen = set()
    with torture_bin():
        for n in range(1, 121):
            s = Server(env={'UCMOCK_TORTURE': 'alloc:%d' % n})
            try:
                r = s.put('/__mock/scenario', json=doc)
                assert r.status_code in (200, 500), r.text
                if r.status_code == 500:
                    assert r.json() == {'detail': 'Internal Server Error'}
                state = s.get('/__mock/scenario')
                if state.status_code == 500:  # the fault landed on the export
                    state = s.get('/__mock/scenario')
                got = state.json()
                assert got in (doc, {'clock': {'offset_seconds': 0}, 'accounts': {},
                                     'outcomes': [], 'faults': []}), (n, got)
                if r.status_code == 200:
                    assert r.json() == doc
                seen.add((r.status_code, got == doc))
            finally:
                s.close()
    assert (200, True) in seen and (500, False) in seen, seen
