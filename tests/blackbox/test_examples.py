"""examples/: the plain shell recipe runs for real against the built binary;
the CI files (Compose, GitHub Actions, GitLab CI) parse as YAML and use the
image, port, environment and health command the Dockerfile defines. (The
health commands also run inside the real image in
tests/container/test_image.py.)"""
import os
import re
import shlex
import subprocess

import requests
import yaml

from harness import UCMOCK_BIN

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
EX = os.path.join(ROOT, 'examples')
RECIPE = os.path.join(EX, 'ci-shell.sh')
HEALTH = ['ucmock', '--probe', 'http://127.0.0.1:8080/healthz']


def load(name):
    with open(os.path.join(EX, name), encoding='utf-8') as f:
        return yaml.safe_load(f)


def dockerfile():
    with open(os.path.join(ROOT, 'Dockerfile'), encoding='utf-8') as f:
        return f.read()


def recipe(*cmd, shell='sh', env=None):
    e = dict(os.environ, UCMOCK=UCMOCK_BIN, **(env or {}))
    return subprocess.run([shell, RECIPE, *cmd], capture_output=True, text=True, timeout=300,
                          env=e)


CHECK = '''
import os, sys, urllib.request
base = os.environ["USER_CLEANING_BASE"]
assert urllib.request.urlopen(base + "/healthz").status == 200
print(base)
sys.exit(int(sys.argv[1]))
'''


def test_shell_recipe_runs_the_command_against_a_fresh_server():
    for shell in ('sh', 'bash'):
        p = recipe('/usr/bin/python3', '-c', CHECK, '0', shell=shell)
        assert p.returncode == 0, p.stdout + p.stderr
        base = p.stdout.strip()
        assert re.fullmatch(r'http://127\.0\.0\.1:\d+', base), p.stdout
        assert 'exited with status' not in p.stderr  # SIGTERM: exit 0
        # stopped afterwards
        try:
            requests.get(base + '/healthz', timeout=5)
            raise AssertionError('the server is still running')
        except requests.ConnectionError:
            pass


def test_shell_recipe_passes_the_command_status_on():
    p = recipe('/usr/bin/python3', '-c', CHECK, '3')
    assert p.returncode == 3, p.stdout + p.stderr


def test_shell_recipe_flags_from_the_environment():
    p = recipe('/usr/bin/python3', '-c', CHECK, '0', env={'UCMOCK_CREDITS': 'many'})
    assert p.returncode == 1
    assert "UCMOCK_CREDITS: expected -1..2000000000 (-1 = unlimited), got 'many'" in p.stderr


def test_dockerfile_healthcheck_is_the_probe():
    m = re.search(r'^HEALTHCHECK .*\\\n\s*CMD (\[.*\])$', dockerfile(), re.M)
    assert m and yaml.safe_load(m.group(1)) == HEALTH


def test_compose():
    doc = load('compose.yaml')
    svc = doc['services']['ucmock']
    assert svc['image'] == 'ucmock'
    assert svc['build']['context'] == '..'
    assert os.path.exists(os.path.join(EX, svc['build']['context'], 'Dockerfile'))
    assert svc['healthcheck']['test'] == ['CMD'] + HEALTH
    assert '8080:8080' in svc['ports']
    assert svc['volumes'] == ['ucmock-data:/data'] and 'ucmock-data' in doc['volumes']
    assert all(k.startswith('UCMOCK_') for k in svc['environment'])
    tests = doc['services']['tests']
    assert tests['depends_on'] == {'ucmock': {'condition': 'service_healthy'}}
    assert tests['environment']['USER_CLEANING_BASE'] == 'http://ucmock:8080'


def test_github_actions():
    doc = load('github-actions.yml')
    build, test = doc['jobs']['ucmock-image'], doc['jobs']['test']
    image = 'ghcr.io/${{ github.repository_owner }}/ucmock:latest'
    assert 'docker build -t "%s"' % image in build['steps'][1]['run']
    assert test['needs'] == 'ucmock-image'
    svc = test['services']['ucmock']
    assert svc['image'] == image
    assert svc['ports'] == ['8080:8080']
    health = re.search(r'--health-cmd "([^"]+)"', svc['options']).group(1)
    assert shlex.split(health) == HEALTH
    assert test['env']['USER_CLEANING_BASE'] == 'http://localhost:8080'


def test_gitlab_ci():
    doc = load('gitlab-ci.yml')
    job = doc['test']
    svc = job['services'][0]
    assert svc['name'] == '$CI_REGISTRY_IMAGE/ucmock:latest' and svc['alias'] == 'ucmock'
    assert job['variables']['USER_CLEANING_BASE'] == 'http://ucmock:8080'
    assert any('$USER_CLEANING_BASE/healthz' in line for line in job['before_script'])
