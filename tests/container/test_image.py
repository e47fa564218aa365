"""The container image (Dockerfile): built with podman in docker format (which
keeps HEALTHCHECK), at most 100 MB, a runtime stage without compiler or -dev
packages, non-root; the product page's Python client against a container,
a restart on the same volume keeping every task and URL, the health check
(and the health commands the examples use), SIGTERM to PID 1 stopping it
with exit status 0 inside `podman stop -t 10` (after 10 s podman would
SIGKILL, exit 137)."""
import json
import os
import re
import secrets
import shlex
import socket
import time

import pytest
import requests
import yaml

from podman import ROOT, ensure_base, inspect, podman
from product_page import run_steps

IMAGE = 'localhost/ucmock-ci-test:latest'
HEALTH_CMD = ['ucmock', '--probe', 'http://127.0.0.1:8080/healthz']
INPUT = b'email,name\na@example.com,Ann\nplaintext,Bob\nA@EXAMPLE.COM,Cy\n'
RESULT = (b'email,name,category,domain_type\nplaintext,Bob,black,invalid\n'
          b'A@EXAMPLE.COM,Cy,white,unknown\n')
V1 = '/v1/external-api-requests'


@pytest.fixture(scope='module')
def image():
    t0 = time.time()
    base, how = ensure_base('bookworm')
    print('\ndebian:bookworm-slim %s' % how)
    podman('build', '--format', 'docker', '--pull=never', '--network=host', '-t', IMAGE, ROOT,
           timeout=3000)
    print('image built in %.0f s' % (time.time() - t0))
    yield IMAGE
    podman('rmi', '--force', IMAGE, check=False)
    podman('image', 'prune', '--force', check=False)  # the build stage's layers


def test_image_metadata(image):
    info = inspect('image', image)
    size = int(info['Size'])
    print('image size %.1f MB' % (size / 1e6))
    assert size <= 100 * 1000 * 1000
    cfg = info['Config']
    assert cfg['User'] == '10001:10001'
    assert cfg['Entrypoint'] == ['ucmock']
    assert 'UCMOCK_LISTEN=0.0.0.0:8080' in cfg['Env']
    assert 'UCMOCK_DATA_DIR=/data' in cfg['Env']
    assert '8080/tcp' in cfg['ExposedPorts']
    assert '/data' in cfg['Volumes']
    health = info.get('Healthcheck') or cfg.get('Healthcheck')  # podman / docker
    assert health['Test'] == ['CMD'] + HEALTH_CMD
    assert cfg.get('StopSignal') in ('SIGTERM', '15')


def test_runtime_has_no_build_tools(image):
    out = podman('run', '--rm', '--network=host', '--entrypoint', 'dpkg-query', image,
                 '-W', '-f', '${Package}\\n').stdout.split()
    assert 'libmicrohttpd12' in out and 'libcsv3' in out
    assert [p for p in out if p.endswith('-dev') or p in (
        'gcc', 'cpp', 'clang', 'meson', 'ninja-build', 'pkg-config', 'binutils')] == []


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Container:
    """One `podman run -d` of the image, published on a loopback port."""

    def __init__(self, image, volume, port, extra=()):
        self.name = 'ucmock-test-' + secrets.token_hex(4)
        self.base = 'http://127.0.0.1:%d' % port
        podman('run', '-d', '--name', self.name, '-p', '127.0.0.1:%d:8080' % port,
               '-v', '%s:/data' % volume, *extra, image)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(self.base + '/healthz', timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError('never healthy\n' + self.logs())

    def logs(self):
        p = podman('logs', self.name, check=False)
        return p.stdout + p.stderr

    def stop(self):
        """podman stop -t 10: SIGTERM, SIGKILL after 10 s. Returns the exit code."""
        podman('stop', '-t', '10', self.name)
        return inspect('container', self.name)['State']['ExitCode']

    def remove(self):
        podman('rm', '--force', self.name, check=False)


@pytest.fixture
def volume():
    name = 'ucmock-test-' + secrets.token_hex(4)
    podman('volume', 'create', name)
    yield name
    podman('volume', 'rm', '--force', name, check=False)


def example_health_commands():
    """The health commands examples/ use for this image, as argv lists."""
    ex = os.path.join(ROOT, 'examples')
    with open(os.path.join(ex, 'compose.yaml')) as f:
        compose = yaml.safe_load(f)
    cmds = [compose['services']['ucmock']['healthcheck']['test'][1:]]
    with open(os.path.join(ex, 'github-actions.yml')) as f:
        gha = yaml.safe_load(f)
    for job in gha['jobs'].values():
        for svc in job.get('services', {}).values():
            m = re.search(r'--health-cmd "([^"]+)"', svc.get('options', ''))
            if m:
                cmds.append(shlex.split(m.group(1)))
    assert len(cmds) == 2, cmds
    return cmds


def test_seed_client_restart_health_sigterm(image, volume, tmp_path, monkeypatch):
    port = free_port()
    c = Container(image, volume, port)
    try:
        # the product page's code against the container
        (tmp_path / 'emails.csv').write_bytes(INPUT)
        monkeypatch.setenv('USER_CLEANING_API_KEY', 'container-key')
        task_id, url = run_steps(requests, c.base, tmp_path)
        assert (tmp_path / 'results.csv').read_bytes() == RESULT
        assert url.startswith(c.base + '/downloads/' + task_id)

        # non-root: PID 1 runs as uid 10001
        status = podman('exec', c.name, 'cat', '/proc/1/status').stdout
        assert re.search(r'^Uid:\s+10001\s', status, re.M), status
        assert podman('exec', c.name, 'cat', '/proc/1/comm').stdout.strip() == 'ucmock'

        # the image's HEALTHCHECK, and the commands the examples use
        podman('healthcheck', 'run', c.name)
        assert inspect('container', c.name)['State']['Health']['Status'] == 'healthy'
        for cmd in example_health_commands():
            podman('exec', c.name, *cmd)

        # SIGTERM to PID 1: exit 0 before podman's 10 s SIGKILL
        assert c.stop() == 0, c.logs()
        assert 'event=stopped' in c.logs()
    finally:
        c.remove()

    # a new container on the same volume (and port) keeps tasks and URLs
    c = Container(image, volume, port)
    try:
        st = requests.get(f'{c.base}{V1}/batch-check-status/{task_id}',
                          headers={'X-API-Key': 'container-key'}).json()
        assert (st['status'], st['project_name'], st['rows']) == ('completed', 'my-list', 3)
        r = requests.get(url)
        assert (r.status_code, r.content) == (200, RESULT)
        assert c.stop() == 0, c.logs()
    finally:
        c.remove()


def test_mounted_scenario(image, volume, tmp_path):
    """-e UCMOCK_SCENARIO=/scenario.json with the file mounted: applied at
    start (examples/scenario.json, exported back as it is); a bad one stops
    the container with exit status 2, naming the path in the file."""
    example = os.path.join(ROOT, 'examples', 'scenario.json')
    port = free_port()
    c = Container(image, volume, port, extra=(
        '-v', '%s:/scenario.json:ro' % example, '-e', 'UCMOCK_SCENARIO=/scenario.json'))
    try:
        with open(example) as f:
            want = json.load(f)
        assert requests.get(c.base + '/__mock/scenario', timeout=10).json() == want
        r = requests.post(c.base + V1 + '/check-email', params={'email': 'alice@corp.example'},
                          headers={'X-API-Key': 'k'}, timeout=10)
        assert (r.json()['category'], r.json()['type']) == ('grey', 'masked legitimate')
        assert c.stop() == 0
    finally:
        c.remove()
    bad = tmp_path / 'bad.json'
    bad.write_text('{"outcomes": [{"domain": "x.example", "category": "grey", '
                   '"domain_type": "shady"}]}')
    bad.chmod(0o644)
    p = podman('run', '--rm', '-v', '%s:/scenario.json:ro' % bad, '-e',
               'UCMOCK_SCENARIO=/scenario.json', '-v', '%s:/data' % volume, image, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    # (podman may add lines of its own, e.g. about systemd health checks)
    assert "\nucmock: /scenario.json: outcomes[0].domain_type: Input should be 'unknown', " \
        in '\n' + p.stderr, p.stderr
