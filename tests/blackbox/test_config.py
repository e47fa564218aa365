"""Safe to start in anyone's CI: one server per address and per data dir,
and every refused flag or UCMOCK_* value says what is allowed (issue 12)."""
import os
import signal
import subprocess
import tempfile
import time
import urllib.parse

import pytest

from harness import UCMOCK_BIN, V1

KEY = 'key-1'
SLOW_TASK = b'email\na@example.com\n'


def run_bin(args, env=None, timeout=30):
    """Run ucmock with args (and extra environment); it must exit by itself.
    Returns (exit status, stdout, stderr)."""
    with tempfile.TemporaryDirectory(prefix='ucmock-cfg-') as tmp:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith('UCMOCK_')}
        full_env.update(env or {})
        cmd = [UCMOCK_BIN]
        if not any(a.startswith('--data-dir') for a in args):
            cmd += ['--data-dir', os.path.join(tmp, 'data')]
        p = subprocess.run(cmd + list(args), capture_output=True, env=full_env,
                           timeout=timeout)
        return p.returncode, p.stdout.decode(), p.stderr.decode()


def start_second(args):
    """Start a second ucmock that should refuse to run: it must exit by
    itself (an old build kept running, which the timeout turns into a
    failure). Returns (exit status, stderr)."""
    p = subprocess.Popen([UCMOCK_BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError('the second ucmock kept running: %r %r' % (out, err))
    return p.returncode, err.decode()


# -- one server per listen address ----------------------------------------

def test_taken_address_fails_at_start(make_server):
    first = make_server()
    with tempfile.TemporaryDirectory(prefix='ucmock-cfg-') as tmp:
        addr = '127.0.0.1:%d' % first.port
        rc, err = start_second(['--listen', addr, '--data-dir', os.path.join(tmp, 'd')])
        assert rc == 1, err
        assert 'ucmock: %s is already in use' % addr in err, err
        # the second server left no data dir behind: it touched nothing
        assert not os.path.exists(os.path.join(tmp, 'd'))
    # every request still reaches the first server
    r = first.submit(KEY, 'a.csv', SLOW_TASK)
    assert r.status_code == 200
    tid = r.json()['task_id']
    for _ in range(20):
        assert first.status(KEY, tid).status_code == 200


def test_port_zero_picks_distinct_free_ports(make_server):
    a = make_server()
    b = make_server()
    assert a.port != b.port and a.port > 0 and b.port > 0


def test_restart_on_the_same_port_after_connections(make_server):
    """SO_REUSEADDR stays: connections left in TIME_WAIT by the stopped
    server do not block a restart on its port."""
    s = make_server()
    for _ in range(5):
        assert s.get('/healthz').status_code == 200
    s.http.close()
    port = s.port
    s.restart()
    assert s.port == port and s.get('/healthz').status_code == 200


def test_address_that_cannot_be_bound_is_named():
    rc, _, err = run_bin(['--listen', '192.0.2.1:18206'])  # TEST-NET: not ours
    assert rc == 1
    assert err.strip() == ('ucmock: cannot listen on 192.0.2.1:18206: '
                           'Cannot assign requested address'), err


# -- one server per data dir ------------------------------------------------

def test_second_server_on_same_data_dir_is_refused(make_server):
    first = make_server(['--processing-delay', '3600000'])
    tid = first.submit(KEY, 'a.csv', SLOW_TASK).json()['task_id']
    before = [f for f in first.data_files() if f.startswith('uploads/')]
    assert before  # the upload is stored (a worker may also be writing in tmp/)
    rc, err = start_second(['--listen', '127.0.0.1:0', '--data-dir', first.data_dir])
    assert rc == 1, err
    assert ('ucmock: data dir %s is in use by another ucmock (pid %d)'
            % (first.data_dir, first.proc.pid)) in err, err
    # nothing of the first server's was swept or failed
    assert set(before) <= set(first.data_files())
    st = first.status(KEY, tid).json()
    assert st['status'] == 'processing', st


def test_lock_of_a_killed_server_never_blocks_a_restart(make_server):
    s = make_server()
    r = s.run(KEY, 'a.csv', SLOW_TASK)[0]
    old_pid = s.proc.pid
    s.kill()
    lock = os.path.join(s.data_dir, 'ucmock.lock')
    assert os.path.exists(lock)  # left behind, as after any crash
    s.start()
    assert s.proc.pid != old_pid
    with open(lock) as f:
        assert f.read().strip() == str(s.proc.pid)
    assert s.status(KEY, r['task_id']).json()['status'] == 'completed'


def test_lock_file_with_garbage_or_dead_pid_is_no_obstacle(make_server):
    with tempfile.TemporaryDirectory(prefix='ucmock-cfg-') as tmp:
        data = os.path.join(tmp, 'data')
        os.mkdir(data, 0o700)
        with open(os.path.join(data, 'ucmock.lock'), 'w') as f:
            f.write('99999999\ngarbage\n')
        s = make_server(data_dir=data)
        assert s.get('/healthz').status_code == 200
        s.close()


def test_lock_is_released_at_a_clean_stop(make_server):
    s = make_server()
    assert s.stop() == 0
    s.start()
    assert s.get('/healthz').status_code == 200


# -- clear errors for bad configuration --------------------------------------

BAD_FLAGS = [
    (['--ban-threshold', '7'], "ucmock: --ban-threshold: expected 3..5 or off, got '7'"),
    (['--listen', '18205'], "ucmock: --listen: expected HOST:PORT"),
    (['--listen', '127.0.0.1:99999'], "got '127.0.0.1:99999'"),
    (['--url-ttl', 'soon'], "ucmock: --url-ttl: expected a duration"),
    (['--url-ttl', '8d'], "1s..7d"),
    (['--url-ttl', '0'], "ucmock: --url-ttl: expected a duration"),
    (['--processing-delay', '1x'], "ucmock: --processing-delay: expected a duration"),
    (['--retention-days', '0'], "ucmock: --retention-days: expected 1..3650, got '0'"),
    (['--storage-limit', '5', 'GB'], "write the size as one word, '5GB'"),
    (['--storage-limit', 'lots'], "ucmock: --storage-limit: expected a size such as"),
    (['--public-url', 'localhost:8080'],
     "ucmock: --public-url: expected an absolute http:// or https:// URL"),
    (['--public-url', 'ftp://example.com'], "got 'ftp://example.com'"),
    (['--public-url', 'http://'], "got 'http://'"),
    (['--api-key='], "ucmock: --api-key: expected a non-empty key"),
    (['--api-key', ''], "ucmock: --api-key: expected a non-empty key"),
    (['--workers', 'many'], "ucmock: --workers: expected 1..256, got 'many'"),
    (['--log-level', 'loud'], "ucmock: --log-level: expected debug, info, warn or error"),
    (['--log-format', 'xml'], "ucmock: --log-format: expected text or json, got 'xml'"),
    (['--quiet=maybe'], "ucmock: --quiet: expected"),
    (['--no-such-flag'], "ucmock: unknown flag '--no-such-flag'"),
    (['--listen'], "ucmock: --listen needs a value: HOST:PORT"),
    (['stray'], "ucmock: unexpected argument 'stray'"),
]


@pytest.mark.parametrize('args,message', BAD_FLAGS, ids=[' '.join(a) for a, _ in BAD_FLAGS])
def test_bad_flag_says_what_is_allowed(args, message):
    rc, out, err = run_bin(args)
    assert rc == 2, (rc, err)
    assert message in err, err
    assert 'bad value for' not in err
    assert out == ''


def test_storage_limit_in_two_words_names_the_fix():
    rc, _, err = run_bin(['--storage-limit', '5', 'GB'])
    assert rc == 2
    assert err.strip() == "ucmock: --storage-limit: write the size as one word, '5GB', not '5 GB'"


BAD_ENV = [
    ({'UCMOCK_BAN_THRESHOLD': '7'}, "ucmock: UCMOCK_BAN_THRESHOLD: expected 3..5 or off, got '7'"),
    ({'UCMOCK_LISTEN': '18205'}, "ucmock: UCMOCK_LISTEN: expected HOST:PORT"),
    ({'UCMOCK_URL_TTL': 'soon'}, "ucmock: UCMOCK_URL_TTL: expected a duration"),
    ({'UCMOCK_RETENTION_DAYS': '0'}, "ucmock: UCMOCK_RETENTION_DAYS: expected 1..3650, got '0'"),
    ({'UCMOCK_PUBLIC_URL': 'localhost:8080'}, "ucmock: UCMOCK_PUBLIC_URL: expected an absolute"),
    ({'UCMOCK_API_KEY': ''}, "ucmock: UCMOCK_API_KEY: expected"),
    ({'UCMOCK_API_KEY': 'a,,b'}, "ucmock: UCMOCK_API_KEY: expected"),
    ({'UCMOCK_LOG_FORMAT': 'xml'}, "ucmock: UCMOCK_LOG_FORMAT: expected text or json, got 'xml'"),
]


@pytest.mark.parametrize('env,message', BAD_ENV, ids=[list(e)[0] for e, _ in BAD_ENV])
def test_bad_environment_names_the_variable(env, message):
    rc, out, err = run_bin([], env=env)
    assert rc == 2, (rc, err)
    assert message in err, err


def test_help_shows_value_forms_and_the_control_api():
    rc, out, err = run_bin(['--help'])
    assert rc == 0, err
    for form in ('--listen HOST:PORT', '--storage-limit SIZE', '--url-ttl DURATION',
                 '--processing-delay DURATION', '--data-dir DIR', '--public-url URL',
                 '--ban-threshold 3..5|off', '--log-format text|json', '--api-key KEY'):
        assert form in out, form
    assert 'VALUE' not in out
    assert '/__mock' in out and 'README' in out
    assert 'UCMOCK_LOG_FORMAT' in out


def download_expires(server):
    """The expiry (unix seconds) of a fresh download URL."""
    st, _ = server.run(KEY, 'a.csv', SLOW_TASK)
    r = server.get(V1 + '/batch-task-download/' + st['task_id'], KEY)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.json()['download_url']).query)
    return int(q['expires'][0])


@pytest.mark.parametrize('args,env,ttl', [
    (['--url-ttl', '1h'], {}, 3600),
    (['--url-ttl', '90s'], {}, 90),
    (['--url-ttl', '1h30m'], {}, 5400),
    (['--url-ttl', '7200'], {}, 7200),  # bare seconds, as the flag always took
    ([], {'UCMOCK_URL_TTL': '30m'}, 1800),
])
def test_durations_take_units(make_server, args, env, ttl):
    s = make_server(args, env=env)
    before = int(time.time())
    expires = download_expires(s)
    after = int(time.time()) + 1
    assert before + ttl <= expires <= after + ttl


@pytest.mark.parametrize('args,env', [(['--ban-threshold', 'off'], {}),
                                      ([], {'UCMOCK_BAN_THRESHOLD': 'off'})])
def test_ban_threshold_off_never_bans(make_server, args, env):
    s = make_server(args, env=env)
    for i in range(8):
        r = s.post(V1 + '/check-email', 'key-%d' % i, params={'email': 'x@disposable.com'})
        assert r.status_code == 200, r.text
        assert r.json()['category'] == 'black'
        assert r.json()['remaining_attempts_before_ban'] == 5


def test_good_values_still_start(make_server):
    s = make_server(['--storage-limit', '5GB', '--retention-days', '1', '--public-url',
                     'https://mock.example:8443/', '--api-key', 'k1', '--processing-delay',
                     '250ms', '--ban-threshold', '3', '--log-format', 'text'])
    r = s.submit('k1', 'a.csv', SLOW_TASK)
    assert r.status_code == 200
    st = s.wait('k1', r.json()['task_id'])
    url = s.get(V1 + '/batch-task-download/' + st['task_id'], 'k1').json()['download_url']
    assert url.startswith('https://mock.example:8443/downloads/')


def test_bad_tls_files_are_not_called_an_address_problem(tmp_path):
    (tmp_path / 'c.pem').write_text('not a certificate\n')
    (tmp_path / 'k.pem').write_text('not a key\n')
    rc, _, err = run_bin(['--listen', '127.0.0.1:0', '--tls-cert', str(tmp_path / 'c.pem'),
                          '--tls-key', str(tmp_path / 'k.pem')])
    assert rc == 1
    assert 'ucmock: cannot start HTTPS: are --tls-cert and --tls-key a matching PEM' in err, err
    assert 'in use' not in err
