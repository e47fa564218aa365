#!/usr/bin/env python3
"""run.py: ucmock's benchmark suite, end to end, on public tools only.

Usage: /usr/bin/python3 bench/run.py [--quick] [--runs N] [--out bench/RESULTS.md]
                                     [--only csv,csv10,tsv,xlsx,http,concurrent,peers,small]
                                     [--ev-rows N]

Builds a release binary (build-release/), generates deterministic contact
lists (bench/gen.py), and measures, each as the median of N runs:
  - the floor: a libcsv parse + write-back of the same CSV (bench/floor.c);
  - client-side end to end (upload with curl, poll every 10 ms, download
    with curl) and server-side processing time, for 1M and 10M rows CSV and
    1M rows XLSX, with the server's peak memory (VmHWM, a fresh server per
    file); CSV figures also as a ratio to the floor of the same run;
  - wrk -t2 -c64 on the status endpoint, idle and while a 10M-row task runs;
  - 64 clients each submitting a 20,000-row file at once;
  - the XLSX floor (bench/xfloor.c: inflate the input sheet, deflate an XML
    of the result's size), run by run beside ucmock on the same file;
  - the pandas peers (bench/peer.py: regex, and email-validator per row when
    the oracle is there, on --ev-rows rows and scaled), run by run beside
    ucmock on the same file (after one unmeasured ucmock task, and a sync
    before each step);
  - small tasks: median and p99 end to end of a 10-row task from one client,
    and 1,000 10-row tasks from 16 concurrent client processes.
Writes the table to RESULTS.md with the machine's description.
--quick uses 100k/1M rows instead of 1M/10M, for a smoke run. --only runs
the listed measures alone (e.g. `--only xlsx` for the 1M-row XLSX case)
and prints them without touching RESULTS.md unless --out is given."""
import argparse
import concurrent.futures
import http.client
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zipfile

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, 'build-release')
DATA = os.path.join(ROOT, 'bench', 'data')
V1 = '/v1/external-api-requests'
KEY = 'bench-key'


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build():
    if not os.path.isdir(BUILD):
        sh('meson', 'setup', BUILD, '--buildtype=release', cwd=ROOT, stdout=subprocess.DEVNULL)
    sh('meson', 'compile', '-C', BUILD, 'ucmock', 'bench/floor', 'bench/xfloor',
       stdout=subprocess.DEVNULL)


def dataset(fmt, rows):
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, '%s_%d.%s' % (fmt, rows, fmt))
    if not os.path.exists(path):
        print('generating', path, flush=True)
        sh(sys.executable, os.path.join(ROOT, 'bench', 'gen.py'), fmt, str(rows), path + '.tmp')
        os.rename(path + '.tmp', path)
    return path


class Server:
    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix='ucmock-bench-')
        self.proc = subprocess.Popen(
            [os.path.join(BUILD, 'ucmock'), '--listen', '127.0.0.1:0', '--data-dir',
             os.path.join(self.dir, 'data'), '--quiet', '--rate-limit', '0'] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        self.port = int(re.search(r':(\d+) \(data dir', line).group(1))
        self.base = 'http://127.0.0.1:%d' % self.port
        self.http = requests.Session()

    def cpu_s(self):
        """User + system CPU seconds the server has used so far."""
        with open('/proc/%d/stat' % self.proc.pid) as f:
            st = f.read().rsplit(')', 1)[1].split()
        return (int(st[11]) + int(st[12])) / os.sysconf('SC_CLK_TCK')

    def hwm_kb(self):
        with open('/proc/%d/status' % self.proc.pid) as f:
            return int(re.search(r'VmHWM:\s+(\d+)', f.read()).group(1))

    def close(self):
        self.proc.terminate()
        self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)


def end_to_end(srv, path, out):
    """Upload, poll every 10 ms, download: (seconds, processing ms)."""
    t0 = time.perf_counter()
    up = subprocess.run(['curl', '-sS', '-H', 'X-API-Key: ' + KEY, '-F', 'file=@' + path,
                         '-F', 'project_name=bench', srv.base + V1 + '/batch-check-emails'],
                        check=True, capture_output=True)
    tid = json.loads(up.stdout)['task_id']
    h = {'X-API-Key': KEY}
    while True:
        st = srv.http.get(srv.base + V1 + '/batch-check-status/' + tid, headers=h).json()
        if st['status'] != 'processing':
            break
        time.sleep(0.01)
    assert st['status'] == 'completed', st
    url = srv.http.get(srv.base + V1 + '/batch-task-download/' + tid, headers=h).json()['download_url']
    sh('curl', '-sS', '-o', out, url)
    secs = time.perf_counter() - t0
    tasks = srv.http.get(srv.base + '/__mock/tasks', headers=h).json()['tasks']
    proc_ms = next(t['processing_ms'] for t in tasks if t['task_id'] == tid)
    srv.http.delete(srv.base + '/__mock/tasks/' + tid, headers=h)  # keep the quota free
    return secs, proc_ms


def floor(path, runs, out):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sh(os.path.join(BUILD, 'bench', 'floor'), path, out)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure_file(path, runs, out):
    srv = Server()
    try:
        e2e, proc = [], []
        for _ in range(runs):
            s, p = end_to_end(srv, path, out)
            e2e.append(s)
            proc.append(p / 1000)
        return statistics.median(e2e), statistics.median(proc), srv.hwm_kb() / 1024
    finally:
        srv.close()


def wrk(srv, tid, seconds=10):
    r = subprocess.run(['wrk', '-t2', '-c64', '-d%ds' % seconds, '--latency', '-H',
                        'X-API-Key: ' + KEY, srv.base + V1 + '/batch-check-status/' + tid],
                       check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', r).group(1))
    m = re.search(r'99%\s+([\d.]+)(us|ms|s)', r)
    p99 = float(m.group(1)) * {'us': 0.001, 'ms': 1, 's': 1000}[m.group(2)]
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', r)
    sock = re.search(r'Socket errors: (.*)', r)
    return rps, p99, (int(errors.group(1)) if errors else 0), (sock.group(1) if sock else '')


def http_bench(big_path):
    srv = Server()
    try:
        h = {'X-API-Key': KEY}
        small = dataset('csv', 1000)
        tid = srv.http.post(srv.base + V1 + '/batch-check-emails', headers=h,
                            files={'file': open(small, 'rb')}, data={'project_name': 'x'}).json()['task_id']
        while srv.http.get(srv.base + V1 + '/batch-check-status/' + tid, headers=h).json()['status'] == 'processing':
            time.sleep(0.01)
        idle = wrk(srv, tid)
        # the same while a large task runs
        t = threading.Thread(target=subprocess.run, args=(
            ['curl', '-sS', '-o', '/dev/null', '-H', 'X-API-Key: ' + KEY, '-F', 'file=@' + big_path,
             '-F', 'project_name=big', srv.base + V1 + '/batch-check-emails'],))
        t.start()
        time.sleep(0.5)
        busy = wrk(srv, tid, 8)
        t.join()
        still = [x for x in srv.http.get(srv.base + '/__mock/tasks', headers=h).json()['tasks']
                 if x['status'] == 'processing']
        return idle, busy, bool(still)
    finally:
        srv.close()


def concurrent_submissions(clients=64):
    path = dataset('csv', 20000)
    data = open(path, 'rb').read()
    srv = Server()
    try:
        ref_out = os.path.join(tempfile.gettempdir(), 'ucmock-bench-ref.csv')
        end_to_end(srv, path, ref_out)
        ref = open(ref_out, 'rb').read()

        def one(i):
            s = requests.Session()
            h = {'X-API-Key': 'client-%d' % i}
            tid = s.post(srv.base + V1 + '/batch-check-emails', headers=h,
                         files={'file': ('c%d.csv' % i, data)}, data={'project_name': 'c'}).json()['task_id']
            while True:
                st = s.get(srv.base + V1 + '/batch-check-status/' + tid, headers=h).json()
                if st['status'] != 'processing':
                    break
                time.sleep(0.01)
            url = s.get(srv.base + V1 + '/batch-task-download/' + tid, headers=h).json()['download_url']
            return s.get(url).content == ref

        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(clients) as ex:
            ok = list(ex.map(one, range(clients)))
        return time.perf_counter() - t0, sum(ok), clients
    finally:
        srv.close()


def result_sheet_bytes(path):
    """The uncompressed size of a result workbook's sheet XML."""
    with zipfile.ZipFile(path) as z:
        return z.getinfo('xl/worksheets/sheet1.xml').file_size


def xfloor(path, result_bytes, level):
    """One run of the XLSX floor: seconds."""
    t0 = time.perf_counter()
    sh(os.path.join(BUILD, 'bench', 'xfloor'), path, str(result_bytes), str(level),
       stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def measure_xlsx(path, runs, out):
    """ucmock on an XLSX and the XLSX floor at zlib levels 6 and 1, in turn
    run by run; medians of each figure and of the ratios pair by pair."""
    srv = Server()
    try:
        rec = []
        for _ in range(runs):
            s, p = end_to_end(srv, path, out)
            sheet = result_sheet_bytes(out)
            rec.append((s, p / 1000, xfloor(path, sheet, 6), xfloor(path, sheet, 1)))
        med = lambda k: statistics.median(r[k] for r in rec)
        ratio = lambda a, b: statistics.median(r[a] / r[b] for r in rec)
        return {'e2e': med(0), 'proc': med(1), 'f6': med(2), 'f1': med(3),
                'proc_f6': ratio(1, 2), 'proc_f1': ratio(1, 3), 'e2e_f6': ratio(0, 2),
                'mem': srv.hwm_kb() / 1024, 'size': os.path.getsize(out), 'sheet': sheet}
    finally:
        srv.close()


def peer(path, kind, out, rows=None):
    """One run of the pandas peer: its JSON line, or None when the
    email-validator peer has no oracle."""
    cmd = [sys.executable, os.path.join(ROOT, 'bench', 'peer.py'), path, out, kind]
    r = subprocess.run(cmd + (['--rows', str(rows)] if rows else []), capture_output=True,
                       text=True)
    if r.returncode == 3:
        return None
    if r.returncode:
        sys.exit('peer.py failed: ' + r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def peers(csv_path, xlsx_path, runs, ev_rows, out):
    """ucmock end to end against its floor and the pandas peers on the same
    files, run by run. Returns result rows."""
    rows = []
    srv = Server()
    try:
        # The peer's seconds leave out its interpreter's start and pandas'
        # import; ucmock's leave out the server's first task, which faults
        # in its tables (a test suite's server has served one before).
        # And each step starts with the last one's written file on disk:
        # pandas' to_csv leaves ~60 MB of dirty pages, whose writeback
        # otherwise lands in the next step's time.
        end_to_end(srv, csv_path, out)
        rec = []
        for _ in range(runs):
            os.sync()
            e2e, _proc = end_to_end(srv, csv_path, out)
            os.sync()
            fl = floor(csv_path, 1, out)
            os.sync()
            rec.append((e2e, fl, peer(csv_path, 'regex', out + '.peer.csv')['seconds']))
        n = sum(1 for _ in open(csv_path)) - 1
        e2e = statistics.median(r[0] for r in rec)
        rows.append(('%s-row CSV, ucmock against pandas + regex' % f'{n:,}',
                     'ucmock %.2f s, %.2fx its floor (%.2f s); peer %.2f s: ucmock %.1fx faster'
                     % (e2e, statistics.median(r[0] / r[1] for r in rec),
                        statistics.median(r[1] for r in rec), statistics.median(r[2] for r in rec),
                        statistics.median(r[2] / r[0] for r in rec)),
                     '>= 10x faster than the peer'))
        print(rows[-1], flush=True)
        ev = peer(csv_path, 'ev', out + '.peer.csv', min(ev_rows, n))
        if ev is None:
            rows.append(('%s-row CSV, pandas + email-validator 2.3.0' % f'{n:,}',
                         'not run: the oracle (../shared/oracle) is not here', '(ratio only)'))
        else:
            scaled = ev['seconds'] * n / ev['rows']
            rows.append(('%s-row CSV, pandas + email-validator 2.3.0 (pydantic\'s wrapper)' % f'{n:,}',
                         'peer %.1f s%s: ucmock %.0fx faster'
                         % (scaled, '' if ev['rows'] == n else
                            ' (%.2f s on the first %s rows, scaled by rows)' % (ev['seconds'], f"{ev['rows']:,}"),
                            scaled / e2e), '(ratio only)'))
        print(rows[-1], flush=True)
        rec = []
        for _ in range(runs):
            os.sync()
            e2e, proc = end_to_end(srv, xlsx_path, out)
            sheet = result_sheet_bytes(out)
            os.sync()
            xf = xfloor(xlsx_path, sheet, 6)
            os.sync()
            rec.append((e2e, proc / 1000, xf, peer(xlsx_path, 'regex', out + '.peer.xlsx')['seconds']))
        rows.append(('%s XLSX, ucmock against pandas + regex (openpyxl)' % os.path.basename(xlsx_path),
                     'ucmock %.2f s, processing %.2fx its floor (%.2f s, zlib 6); peer %.2f s: ucmock %.1fx faster'
                     % (statistics.median(r[0] for r in rec), statistics.median(r[1] / r[2] for r in rec),
                        statistics.median(r[2] for r in rec), statistics.median(r[3] for r in rec),
                        statistics.median(r[3] / r[0] for r in rec)),
                     '>= 20x faster than the peer'))
        print(rows[-1], flush=True)
    finally:
        srv.close()
    return rows


BOUNDARY = 'ucmock-bench-boundary'


def multipart(data, name):
    head = ('--%s\r\nContent-Disposition: form-data; name="project_name"\r\n\r\nsmall\r\n'
            '--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
            'Content-Type: text/csv\r\n\r\n' % (BOUNDARY, BOUNDARY, name)).encode()
    return head + data + ('\r\n--%s--\r\n' % BOUNDARY).encode()


class SmallClient:
    """One keep-alive connection (http.client: less client cost than
    requests), submitting a task, polling with a 0.5 ms pause, downloading.
    polls counts the status requests made."""

    def __init__(self, port, key):
        self.c = http.client.HTTPConnection('127.0.0.1', port)
        self.h = {'X-API-Key': key}
        self.polls = 0

    def req(self, method, path, body=None, ctype=None):
        h = dict(self.h)
        if ctype:
            h['Content-Type'] = ctype
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        return r.status, r.read()

    def task(self, body):
        _, b = self.req('POST', V1 + '/batch-check-emails', body,
                        'multipart/form-data; boundary=' + BOUNDARY)
        tid = json.loads(b)['task_id']
        while True:
            _, b = self.req('GET', V1 + '/batch-check-status/' + tid)
            self.polls += 1
            if json.loads(b)['status'] != 'processing':
                break
            time.sleep(0.0005)
        _, b = self.req('GET', V1 + '/batch-task-download/' + tid)
        u = urllib.parse.urlsplit(json.loads(b)['download_url'])
        return self.req('GET', u.path + '?' + u.query)[1]


def small_worker(port, i, n, body, ref, barrier, q):
    c = SmallClient(port, 'small-%d' % i)
    barrier.wait()
    q.put((sum(c.task(body) == ref for _ in range(n)), c.polls))


def small_tasks(single=300, total=1000, clients=16):
    """Median and p99 end to end of a 10-row task (one client, one after the
    other, after 30 unmeasured), and total time of `total` such tasks from
    `clients` processes started together; with the status polls a task
    took, on average, in each part."""
    body = multipart(open(dataset('csv', 10), 'rb').read(), 'small.csv')
    srv = Server()
    try:
        c = SmallClient(srv.port, 'small-single')
        ref = c.task(body)
        times, polls = [], 0
        for k in range(single + 30):
            if k == 30:
                polls = c.polls
            t0 = time.perf_counter()
            assert c.task(body) == ref
            if k >= 30:
                times.append(time.perf_counter() - t0)
        times.sort()
        med, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
        spolls = (c.polls - polls) / single
        ctx = multiprocessing.get_context('fork')
        barrier, q = ctx.Barrier(clients + 1), ctx.Queue()
        share = [total // clients + (i < total % clients) for i in range(clients)]
        procs = [ctx.Process(target=small_worker, args=(srv.port, i, share[i], body, ref, barrier, q))
                 for i in range(clients)]
        for p in procs:
            p.start()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        barrier.wait()
        t0, cpu0 = time.perf_counter(), srv.cpu_s()
        got = [q.get() for _ in procs]
        secs, cpu = time.perf_counter() - t0, srv.cpu_s() - cpu0
        for p in procs:
            p.join()
        # the clients share the cores with the server: their CPU (user +
        # system, from their start) says how much of the time is theirs
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        ccpu = ru.ru_utime + ru.ru_stime - ru0.ru_utime - ru0.ru_stime
        ok, mpolls = sum(g[0] for g in got), sum(g[1] for g in got) / total
        return med, p99, spolls, secs, ok, total, cpu, ccpu, mpolls
    finally:
        srv.close()


def machine():
    cpu = ''
    try:
        cpu = re.search(r'model name\s*:\s*(.*)', open('/proc/cpuinfo').read()).group(1)
    except (OSError, AttributeError):
        pass
    mem = int(re.search(r'MemTotal:\s+(\d+)', open('/proc/meminfo').read()).group(1)) // 1024 // 1024
    return '%s, %d cores, %d GiB, Linux %s' % (cpu or platform.processor(), os.cpu_count(), mem,
                                               platform.release())


MEASURES = ('csv', 'csv10', 'tsv', 'xlsx', 'http', 'concurrent', 'peers', 'small')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--out', default=None)
    ap.add_argument('--only', default='', help='comma-separated: ' + ','.join(MEASURES))
    ap.add_argument('--ev-rows', type=int, default=100000,
                    help='rows the email-validator peer runs on (scaled to the file)')
    a = ap.parse_args()
    only = set(filter(None, a.only.split(',')))
    if only - set(MEASURES):
        ap.error('--only takes ' + ','.join(MEASURES))
    if a.out is None and not only:
        a.out = os.path.join(ROOT, 'bench', 'RESULTS.md')
    want = lambda m: not only or m in only
    build()
    small, big = (100000, 1000000) if a.quick else (1000000, 10000000)
    out = os.path.join(tempfile.gettempdir(), 'ucmock-bench-out')
    rows = []

    if want('csv'):
        csv1 = dataset('csv', small)
        fl = floor(csv1, a.runs, out)
        e2e, proc, mem = measure_file(csv1, a.runs, out)
        rows.append(('%s-row CSV (%.0f MB), end to end' % (f'{small:,}', os.path.getsize(csv1) / 1e6),
                     '%.2f s (%.2fx floor %.2f s); processing %.2f s; peak %.0f MB' % (e2e, e2e / fl, fl, proc, mem),
                     '<= 1.0 s, <= 2.5x floor; <= 150 MB'))
        print(rows[-1], flush=True)

    if want('csv10'):
        csv10 = dataset('csv', big)
        fl10 = floor(csv10, max(1, a.runs // 2), out)
        e2e, proc, mem = measure_file(csv10, a.runs, out)
        rows.append(('%s-row CSV (%.0f MB), end to end' % (f'{big:,}', os.path.getsize(csv10) / 1e6),
                     '%.2f s (%.2fx floor %.2f s); processing %.2f s; peak %.0f MB' % (e2e, e2e / fl10, fl10, proc, mem),
                     '<= 12 s; <= 1 GB'))
        print(rows[-1], flush=True)

    if want('tsv'):
        tsv = dataset('tsv', small)
        e2e, proc, mem = measure_file(tsv, a.runs, out)
        rows.append(('%s-row TSV, end to end' % f'{small:,}',
                     '%.2f s; processing %.2f s; peak %.0f MB' % (e2e, proc, mem), '(no target)'))
        print(rows[-1], flush=True)

    if want('xlsx'):
        xlsx = dataset('xlsx', small)
        m = measure_xlsx(xlsx, a.runs, out)
        rows.append(('%s-row XLSX (%.0f MB), end to end' % (f'{small:,}', os.path.getsize(xlsx) / 1e6),
                     '%.2f s; processing %.2f s = %.2fx the floor at zlib 6 (%.2f s), %.2fx at zlib 1 '
                     '(%.2f s); peak %.0f MB; result %.1f MB (sheet XML %.0f MB)'
                     % (m['e2e'], m['proc'], m['proc_f6'], m['f6'], m['proc_f1'], m['f1'], m['mem'],
                        m['size'] / 1e6, m['sheet'] / 1e6),
                     '<= 2.5 s; processing <= 1.0x floor; <= 300 MB'))
        print(rows[-1], flush=True)

    if want('http'):
        idle, busy, was_busy = http_bench(dataset('csv', big))
        rows.append(('status endpoint, idle (wrk -t2 -c64)',
                     '%.0f req/s, p99 %.2f ms, %d errors %s' % (idle[0], idle[1], idle[2], idle[3]),
                     '>= 30,000 req/s, p99 < 5 ms'))
        rows.append(('status endpoint, during a %s-row task' % f'{big:,}',
                     '%.0f req/s, p99 %.2f ms, %d errors %s%s' % (busy[0], busy[1], busy[2], busy[3],
                                                                  '' if was_busy else ' (task ended early)'),
                     '>= 5,000 req/s, p99 < 50 ms'))
        print(rows[-2:], flush=True)

    if want('concurrent'):
        secs, ok, n = concurrent_submissions()
        rows.append(('64 concurrent 20k-row submissions', '%d/%d correct, all done in %.2f s' % (ok, n, secs),
                     'all correct, <= 3 s'))
        print(rows[-1], flush=True)

    if want('peers'):
        rows += peers(dataset('csv', small), dataset('xlsx', 100000), a.runs, a.ev_rows, out)

    if want('small'):
        med, p99, spolls, secs, ok, total, cpu, ccpu, mpolls = small_tasks()
        rows.append(('10-row task, one client, end to end (upload, poll, download)',
                     'median %.2f ms, p99 %.2f ms; %.2f status polls a task'
                     % (med * 1000, p99 * 1000, spolls), 'median <= 5 ms'))
        rows.append(('1,000 10-row tasks from 16 concurrent clients',
                     '%d/%d correct, all done in %.2f s (server CPU %.2f s, the clients\' %.2f s; '
                     '%.2f status polls a task)' % (ok, total, secs, cpu, ccpu, mpolls),
                     '<= 2 s'))
        print(rows[-2:], flush=True)

    if not a.out:
        return
    with open(a.out, 'w') as f:
        f.write('# Benchmark results\n\n')
        f.write('Machine: %s. Command: `/usr/bin/python3 bench/run.py%s --runs %d`, %s.\n'
                'Medians of %d runs; the floor is `bench/floor` (libcsv parse + write-back) '
                'measured in the same run.\n\n' % (machine(), ' --quick' if a.quick else '', a.runs,
                                                   time.strftime('%Y-%m-%d'), a.runs))
        f.write('| measure | result | target |\n|---|---|---|\n')
        for r in rows:
            f.write('| %s | %s | %s |\n' % r)
    print('wrote', a.out)


if __name__ == '__main__':
    main()
