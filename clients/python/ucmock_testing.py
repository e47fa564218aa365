"""ucmock_testing: run ucmock from Python tests. Standard library only.

    from ucmock_testing import UcMock

    with UcMock() as mock:          # `ucmock` on a free port, a temporary data dir
        client = MyClient(base_url=mock.base_url, api_key=mock.api_key)
        ...
        mock.advance_clock(3601)    # download URLs have expired now

The binary is `binary`, else $UCMOCK_BIN, else `ucmock` on PATH. With
`url=` nothing is started: the object attaches to a running server (a
container, a CI service) and only talks to it.

`scenario=` (a dict, or the path of a JSON file) sets the server's state at
start: `--scenario` for a server started here, PUT /__mock/scenario for one
attached to (README "Scenarios"):

    with UcMock(scenario={"outcomes": [{"domain": "corp.example",
            "category": "grey", "domain_type": "masked legitimate"}]}) as mock:
        ...

As a pytest plugin (`pytest -p ucmock_testing`, or `pytest_plugins =
["ucmock_testing"]` in a conftest.py) it gives the fixture `ucmock`: one
server for the whole session (or the one at $UCMOCK_URL), and for each test
a UcMock with a fresh API key whose account is reset after the test (and
every fault cleared, if the test armed any). Extra server flags come from
the ini option `ucmock_args` (e.g. `ucmock_args = --processing-delay 50`).
"""
import json
import os
import secrets
import select
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

__all__ = ['UcMock', 'UcMockError']
__version__ = '0.1.0'

START_TIMEOUT = 30     # seconds to the first output line and a healthy /healthz
STOP_TIMEOUT = 10      # seconds from SIGTERM before SIGKILL
HTTP_TIMEOUT = 30      # seconds per control request
LIST_KINDS = ('white', 'grey', 'black')
REQUEST_FILTERS = ('path_prefix', 'api_key', 'task_id')


class UcMockError(RuntimeError):
    """The server did not start or stop cleanly, or a control request
    failed (then `status` and `body` hold the answer)."""

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.status = status
        self.body = body


class UcMock:
    """A running ucmock: started here (binary, args) or attached to (url).

    api_key is the key the members use when given none; default a fresh
    random one, so that two UcMock objects on one server never share an
    account."""

    def __init__(self, binary=None, args=(), api_key=None, url=None, scenario=None):
        if scenario is not None and not isinstance(scenario, (dict, str, os.PathLike)):
            raise TypeError('scenario must be a dict or the path of a JSON file')
        self.api_key = api_key or 'ucmock-' + secrets.token_hex(8)
        self._scenario = scenario
        self.base_url = url.rstrip('/') if url else None
        self.returncode = None
        self._binary = binary
        self._args = [str(a) for a in args]
        self._attach = url is not None
        self._proc = None
        self._tmp = None
        self._log = None

    # -- process ------------------------------------------------------------

    def start(self):
        """Start (or attach) and wait until /healthz answers 200. Returns self."""
        if self._attach:
            self._wait_healthy(time.monotonic() + START_TIMEOUT)
            if self._scenario is not None:
                self.load_scenario(self._scenario)
            return self
        if self._proc:
            return self
        binary = self._binary or os.environ.get('UCMOCK_BIN') or shutil.which('ucmock')
        if not binary:
            raise UcMockError('no ucmock binary: pass binary=, set UCMOCK_BIN or put '
                              'ucmock on PATH')
        self._tmp = tempfile.TemporaryDirectory(prefix='ucmock-')
        log_path = os.path.join(self._tmp.name, 'ucmock.log')
        self._log = open(log_path, 'wb')
        cmd = [binary, '--listen', '127.0.0.1:0',
               '--data-dir', os.path.join(self._tmp.name, 'data')] + self._args
        if isinstance(self._scenario, dict):
            path = os.path.join(self._tmp.name, 'scenario.json')
            with open(path, 'w', encoding='utf-8') as f:
                json.dump(self._scenario, f)
            cmd += ['--scenario', path]
        elif self._scenario is not None:
            cmd += ['--scenario', os.path.abspath(self._scenario)]
        try:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=self._log)
        except OSError as e:
            self._cleanup()
            raise UcMockError('cannot run %s: %s' % (binary, e)) from None
        deadline = time.monotonic() + START_TIMEOUT
        line = self._first_line(deadline)
        # "ucmock listening on http://127.0.0.1:PORT (data dir ...)"
        words = line.split()
        if len(words) < 4 or words[:3] != ['ucmock', 'listening', 'on']:
            self._fail_start('ucmock did not start (%r)' % line)
        self.base_url = words[3]
        try:
            self._wait_healthy(deadline)
        except UcMockError as e:
            self._fail_start(str(e))
        return self

    def stop(self):
        """SIGTERM the server started here (SIGKILL after 10 s) and remove
        its data dir; an attached server is left running. Raises UcMockError
        when it did not exit with status 0."""
        if not self._proc:
            self._cleanup()
            return
        proc, self._proc = self._proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stdout.close()
        self.returncode = proc.returncode
        log = self._read_log()
        self._cleanup()
        if self.returncode != 0:
            raise UcMockError('ucmock exited with status %s\n%s' % (self.returncode, log[-4000:]))

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            self.stop()
        except UcMockError:
            if exc_type is None:
                raise

    def _first_line(self, deadline):
        out = self._proc.stdout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail_start('ucmock printed nothing in %d s' % START_TIMEOUT)
            ready, _, _ = select.select([out], [], [], left)
            if ready:
                return out.readline().decode(errors='replace').strip()

    def _wait_healthy(self, deadline):
        last = None
        while time.monotonic() < deadline:
            if self._proc and self._proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base_url + '/healthz', timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError) as e:
                last = e
            time.sleep(0.05)
        raise UcMockError('%s/healthz never answered 200 (%s)' % (self.base_url, last))

    def _fail_start(self, why):
        if self._proc:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            self._proc.stdout.close()
            self._proc = None
        log = self._read_log()
        self._cleanup()
        raise UcMockError('%s\n%s' % (why, log[-4000:]))

    def _read_log(self):
        if not self._tmp:
            return ''
        try:
            with open(os.path.join(self._tmp.name, 'ucmock.log'), 'rb') as f:
                return f.read().decode(errors='replace')
        except OSError:
            return ''

    def _cleanup(self):
        if self._log:
            self._log.close()
            self._log = None
        if self._tmp:
            self._tmp.cleanup()
            self._tmp = None

    # -- control API ----------------------------------------------------------

    def reset(self, api_key=None):
        """Wipe one account (default: this object's key): its tasks, files,
        usage, lists, own outcomes, the faults and journal entries with its
        key, rate and ban counters. The clock is kept."""
        self._call('POST', '/__mock/reset', {'api_key': api_key or self.api_key})

    def advance_clock(self, seconds):
        """Move the virtual clock forward; returns {"now", "offset_seconds"}."""
        return self._call('POST', '/__mock/clock', {'advance_seconds': seconds})

    def arm_fault(self, spec):
        """Arm a fault (the README's Faults section) and return its id.
        It applies to every key unless spec["match"]["api_key"] says one."""
        return self._call('POST', '/__mock/faults', spec)['id']

    def clear_faults(self):
        """Clear every fault on the server."""
        self._call('DELETE', '/__mock/faults')

    def set_list(self, kind, entries, api_key=None):
        """Replace the account's white, grey or black list with entries
        (addresses or domains: a list of strings, or one newline-separated
        string). Returns the number of entries the server counted."""
        if kind not in LIST_KINDS:
            raise ValueError('kind must be one of %s' % ', '.join(LIST_KINDS))
        body = entries if isinstance(entries, str) else '\n'.join(entries) + '\n'
        return self._call('PUT', '/__mock/accounts/%s/lists/%s' % (self._key(api_key), kind),
                          body.encode('utf-8'), 'text/plain; charset=utf-8')['entries']

    def set_credits(self, n, api_key=None):
        """Set the account's credit balance (None: unlimited). Returns the
        account as account() does."""
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
            raise ValueError('credits must be an integer >= 0 or None')
        return self._call('PUT', '/__mock/accounts/' + self._key(api_key), {'credits': n})

    def account(self, api_key=None):
        """{"api_key", "credits" (None = unlimited), "charged",
        "storage_used", "storage_limit"}."""
        return self._call('GET', '/__mock/accounts/' + self._key(api_key))

    def requests(self, **filters):
        """The journal of API requests, oldest first, each {"time", "method",
        "path", "api_key", "status", "duration_ms", "task_id"?}. Filters:
        path_prefix, api_key, task_id."""
        bad = set(filters) - set(REQUEST_FILTERS)
        if bad:
            raise TypeError('unknown filter %s (allowed: %s)' % (
                ', '.join(sorted(bad)), ', '.join(REQUEST_FILTERS)))
        query = urllib.parse.urlencode({k: v for k, v in filters.items() if v is not None})
        return self._call('GET', '/__mock/requests' + ('?' + query if query else ''))['requests']

    def load_scenario(self, scenario):
        """Apply a scenario (a dict, or the path of a JSON file) to the
        running server, all or nothing; returns the state as
        export_scenario() does. A refused one raises UcMockError with the
        problem list in `body`."""
        if not isinstance(scenario, dict):
            with open(scenario, encoding='utf-8') as f:
                scenario = json.load(f)
        return self._call('PUT', '/__mock/scenario', scenario)

    def export_scenario(self):
        """The server's state as a scenario document (a dict): accounts,
        outcomes, armed faults, clock. load_scenario() of it on a fresh
        server gives the same state."""
        return self._call('GET', '/__mock/scenario')

    def _key(self, api_key):
        return urllib.parse.quote(api_key or self.api_key, safe='')

    def _call(self, method, path, body=None, content_type='application/json'):
        if not self.base_url:
            raise UcMockError('not started: use `with UcMock() as mock` or call start()')
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            req.add_header('Content-Type', content_type)
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            e.close()
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = raw.decode(errors='replace')
            raise UcMockError('%s %s: %d %s' % (method, path, e.code, raw[:500].decode(
                errors='replace')), e.code, answer) from None
        return json.loads(raw) if raw else None


# -- pytest plugin (`pytest -p ucmock_testing`) --------------------------------

try:
    import pytest
except ImportError:  # the helper itself needs no pytest
    pytest = None

if pytest is not None:
    def pytest_addoption(parser):
        parser.addini('ucmock_args', 'flags for the ucmock server the `ucmock` fixture '
                      'starts (shell words)', default='')

    @pytest.fixture(scope='session')
    def ucmock_server(pytestconfig):
        """One server for the session: $UCMOCK_URL if set, else started here."""
        url = os.environ.get('UCMOCK_URL')
        args = shlex.split(pytestconfig.getini('ucmock_args') or '')
        with UcMock(args=args, url=url) as server:
            yield server

    @pytest.fixture
    def ucmock(ucmock_server):
        """The session's server, seen with a fresh API key; that account is
        reset after the test, and every fault cleared if the test armed any."""
        mock = _TestMock(url=ucmock_server.base_url)
        mock.start()
        yield mock
        mock.reset()
        if mock.armed:
            mock.clear_faults()

    class _TestMock(UcMock):
        armed = False

        def arm_fault(self, spec):
            self.armed = True
            return super().arm_fault(spec)
