"""podman.py: what the container tests need from podman on these machines.

- `PODMAN`: podman with runc when it is installed (crun refuses some cgroup
  layouts); CONTAINERS_CONF, unless the environment sets one, points at a
  file that asks for no default ulimits (the defaults cannot be raised in
  every sandbox).
- ensure_base(suite): the image debian:SUITE-slim, without a registry when
  mmdebstrap is there: made with .ci/container/make-base into a tar cached
  in $UCMOCK_CI_CACHE (default /var/cache/ucmock-ci; remade after 7 days or
  when missing, so a clean machine makes it from scratch), then imported
  under the official name so `FROM debian:SUITE-slim` finds it. Without
  mmdebstrap it is pulled."""
import calendar
import json
import os
import shutil
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MAKE_BASE = os.path.join(ROOT, '.ci', 'container', 'make-base')
MAX_AGE_S = 7 * 86400

PODMAN = ['podman'] + (['--runtime', 'runc'] if shutil.which('runc') else [])

if shutil.which('podman') and not os.environ.get('CONTAINERS_CONF'):
    _conf = os.path.join(tempfile.mkdtemp(prefix='ucmock-podman-'), 'containers.conf')
    with open(_conf, 'w') as f:
        f.write('[containers]\ndefault_ulimits = []\n')
    os.environ['CONTAINERS_CONF'] = _conf


def podman(*args, check=True, timeout=1800, **kw):
    """Run podman; returns CompletedProcess with text stdout/stderr."""
    p = subprocess.run(PODMAN + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError('podman %s: exit %d\n%s\n%s' % (
            ' '.join(map(str, args)), p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    return p


def inspect(kind, name):
    """podman KIND inspect NAME as a dict (KIND: image, container, volume)."""
    return json.loads(podman(kind, 'inspect', name).stdout)[0]


def _cache_dir():
    d = os.environ.get('UCMOCK_CI_CACHE', '/var/cache/ucmock-ci')
    try:
        os.makedirs(d, exist_ok=True)
        if os.access(d, os.W_OK):
            return d
    except OSError:
        pass
    d = os.path.join(tempfile.gettempdir(), 'ucmock-ci-cache')
    os.makedirs(d, exist_ok=True)
    return d


def _fresh(path):
    try:
        return time.time() - os.path.getmtime(path) < MAX_AGE_S
    except OSError:
        return False


def ensure_base(suite):
    """Make sure debian:SUITE-slim exists locally; returns its name and a
    note of what it took (for the CI log)."""
    tag = 'docker.io/library/debian:%s-slim' % suite
    if podman('image', 'exists', tag, check=False).returncode == 0:
        created = inspect('image', tag).get('Created', '')
        try:
            age = time.time() - calendar.timegm(time.strptime(created[:19], '%Y-%m-%dT%H:%M:%S'))
        except ValueError:
            age = 0
        if age < MAX_AGE_S:
            return tag, 'present'
        podman('rmi', '--force', tag, check=False)
    if not shutil.which('mmdebstrap'):
        podman('pull', tag)
        return tag, 'pulled'
    tar = os.path.join(_cache_dir(), '%s-slim.tar' % suite)
    note = 'imported from cache'
    if not _fresh(tar):
        t0 = time.time()
        tmp = tar[:-len('.tar')] + '.part.tar'  # mmdebstrap picks the format by suffix
        p = subprocess.run([MAKE_BASE, suite, tmp], capture_output=True, text=True, timeout=1800)
        if p.returncode != 0:
            raise AssertionError('make-base %s: exit %d\n%s' % (suite, p.returncode,
                                                                  p.stderr[-3000:]))
        os.replace(tmp, tar)
        note = 'made with mmdebstrap in %.0f s' % (time.time() - t0)
    podman('import', tar, tag)
    return tag, note
