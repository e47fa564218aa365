"""harness.py: start the real ucmock binary and talk to it over HTTP.

Every black-box test goes through Server: it starts build/ucmock on a free
loopback port with a fresh data dir, and its `http` session is a
requests.Session whose responses pass through every checker registered in
RESPONSE_CHECKS (the OpenAPI contract check registers itself there), so no
response a test sees escapes validation."""
import os
import re
import signal
import subprocess
import tempfile
import time

import requests

V1 = '/v1/external-api-requests'
UCMOCK_BIN = os.environ.get('UCMOCK_BIN') or os.path.join(
    os.path.dirname(__file__), '..', '..', 'build', 'ucmock')

# Callables (response) -> None, raising AssertionError on a bad response.
RESPONSE_CHECKS = []


class CheckedSession(requests.Session):
    def request(self, method, url, *args, **kwargs):
        # The session's own CA (a test's self-signed cert) must win over
        # REQUESTS_CA_BUNDLE, which requests would otherwise prefer.
        kwargs.setdefault('verify', self.verify)
        resp = super().request(method, url, *args, **kwargs)
        for check in RESPONSE_CHECKS:
            check(resp)
        return resp


class Server:
    """A running ucmock. args: extra flags; data_dir: reuse one (restarts)."""

    def __init__(self, args=(), data_dir=None, env=None, port=0, scheme='http', verify=True):
        self.args = list(args)
        self.own_dir = data_dir is None
        self.tmp = tempfile.TemporaryDirectory(prefix='ucmock-test-') if self.own_dir else None
        self.data_dir = data_dir or os.path.join(self.tmp.name, 'data')
        self.env = dict(os.environ, **(env or {}))
        self.port = port
        self.proc = None
        self.scheme = scheme
        self.http = CheckedSession()
        self.http.verify = verify
        self.log_path = os.path.join(os.path.dirname(self.data_dir), 'ucmock-%d.log' % os.getpid())
        self.start()

    # -- process control --
    def start(self):
        self.log = open(self.log_path, 'ab')
        # UCMOCK_WRAPPER runs the server under a tool, e.g. valgrind
        wrapper = os.environ.get('UCMOCK_WRAPPER', '').split()
        cmd = wrapper + [UCMOCK_BIN, '--listen', '127.0.0.1:%d' % self.port,
                         '--data-dir', self.data_dir] + self.args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, env=self.env)
        line = self.proc.stdout.readline().decode()
        m = re.search(r':(\d+) \(data dir', line)
        if not m:
            self.proc.wait(10)
            raise RuntimeError('ucmock did not start: %r\n%s' % (line, self.read_log()))
        self.port = int(m.group(1))
        self.base = '%s://127.0.0.1:%d' % (self.scheme, self.port)
        deadline = time.time() + (60 if wrapper else 10)
        while time.time() < deadline:
            try:
                if requests.get(self.base + '/healthz', timeout=2,
                                verify=self.http.verify).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.02)
        raise RuntimeError('ucmock never became healthy')

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Stop the process; returns its exit code."""
        if not self.proc:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        finally:
            self.proc.stdout.close()
            self.log.close()
            self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self, sig=signal.SIGTERM):
        self.stop(sig)
        self.start()

    def close(self):
        if self.proc:
            rc = self.stop()
            # A clean SIGTERM stop exits 0; under the sanitizers a leak or
            # error report changes the exit code and fails the test here.
            assert rc == 0, 'ucmock exited %r\n%s' % (rc, self.read_log()[-4000:])
        self.http.close()
        if self.tmp:
            self.tmp.cleanup()

    def read_log(self):
        try:
            with open(self.log_path, 'rb') as f:
                return f.read().decode(errors='replace')
        except OSError:
            return ''

    # -- HTTP helpers --
    def url(self, path):
        return self.base + path

    def get(self, path, key=None, **kw):
        return self.http.get(self.url(path), headers=_hdr(key, kw), **kw)

    def post(self, path, key=None, **kw):
        return self.http.post(self.url(path), headers=_hdr(key, kw), **kw)

    def put(self, path, key=None, **kw):
        return self.http.put(self.url(path), headers=_hdr(key, kw), **kw)

    def delete(self, path, key=None, **kw):
        return self.http.delete(self.url(path), headers=_hdr(key, kw), **kw)

    def submit(self, key, filename, content, project_name='test', dedup=None, **form):
        """POST batch-check-emails; returns the response."""
        data = {'project_name': project_name}
        if dedup is not None:
            data['deduplicate'] = dedup
        data.update(form)
        return self.post(V1 + '/batch-check-emails', key,
                         files={'file': (filename, content)}, data=data)

    def status(self, key, task_id):
        return self.get(V1 + '/batch-check-status/' + task_id, key)

    def wait(self, key, task_id, timeout=120):
        """Poll until the task leaves processing; returns the status JSON."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.status(key, task_id)
            assert r.status_code == 200, r.text
            if r.json()['status'] != 'processing':
                return r.json()
            time.sleep(0.02)
        raise AssertionError('task %s still processing after %ss' % (task_id, timeout))

    def download(self, key, task_id):
        """Ask for the URL and fetch it (no key, as real clients do)."""
        r = self.get(V1 + '/batch-task-download/' + task_id, key)
        assert r.status_code == 200, r.text
        d = self.http.get(r.json()['download_url'])
        assert d.status_code == 200, d.text
        return d.content

    def run(self, key, filename, content, **kw):
        """Submit, wait, download: (status JSON, result bytes or None)."""
        r = self.submit(key, filename, content, **kw)
        assert r.status_code == 200, r.text
        st = self.wait(key, r.json()['task_id'])
        if st['status'] != 'completed':
            return st, None
        return st, self.download(key, st['task_id'])

    def data_files(self):
        """Every file under the data dir except the database, secret and
        lock file."""
        out = []
        for root, _, files in os.walk(self.data_dir):
            for f in files:
                p = os.path.relpath(os.path.join(root, f), self.data_dir)
                if not p.startswith('ucmock.db') and p not in ('secret', 'ucmock.lock'):
                    out.append(p)
        return sorted(out)


def _hdr(key, kw):
    h = dict(kw.pop('headers', None) or {})
    if key is not None:
        h['X-API-Key'] = key
    return h
