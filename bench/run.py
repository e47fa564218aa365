#!/usr/bin/env python3
"""run.py: ucmock's benchmark suite, end to end, on public tools only.

Usage: /usr/bin/python3 bench/run.py [--quick] [--runs N] [--out bench/RESULTS.md]
                                     [--only csv,csv10,tsv,xlsx,http,concurrent]

Builds a release binary (build-release/), generates deterministic contact
lists (bench/gen.py), and measures, each as the median of N runs:
  - the floor: a libcsv parse + write-back of the same CSV (bench/floor.c);
  - client-side end to end (upload with curl, poll every 10 ms, download
    with curl) and server-side processing time, for 1M and 10M rows CSV and
    1M rows XLSX, with the server's peak memory (VmHWM, a fresh server per
    file); CSV figures also as a ratio to the floor of the same run;
  - wrk -t2 -c64 on the status endpoint, idle and while a 10M-row task runs;
  - 64 clients each submitting a 20,000-row file at once.
Writes the table to RESULTS.md with the machine's description.
--quick uses 100k/1M rows instead of 1M/10M, for a smoke run. --only runs
the listed measures alone (e.g. `--only xlsx` for the 1M-row XLSX case)
and prints them without touching RESULTS.md unless --out is given."""
import argparse
import concurrent.futures
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

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
    sh('meson', 'compile', '-C', BUILD, 'ucmock', 'bench/floor', stdout=subprocess.DEVNULL)


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


def machine():
    cpu = ''
    try:
        cpu = re.search(r'model name\s*:\s*(.*)', open('/proc/cpuinfo').read()).group(1)
    except (OSError, AttributeError):
        pass
    mem = int(re.search(r'MemTotal:\s+(\d+)', open('/proc/meminfo').read()).group(1)) // 1024 // 1024
    return '%s, %d cores, %d GiB, Linux %s' % (cpu or platform.processor(), os.cpu_count(), mem,
                                               platform.release())


MEASURES = ('csv', 'csv10', 'tsv', 'xlsx', 'http', 'concurrent')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--out', default=None)
    ap.add_argument('--only', default='', help='comma-separated: ' + ','.join(MEASURES))
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
        e2e, proc, mem = measure_file(xlsx, a.runs, out)
        rows.append(('%s-row XLSX (%.0f MB), end to end' % (f'{small:,}', os.path.getsize(xlsx) / 1e6),
                     '%.2f s; processing %.2f s; peak %.0f MB' % (e2e, proc, mem), '<= 4 s; <= 300 MB'))
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
