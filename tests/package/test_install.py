"""What `meson install` gives a user: bin/ucmock and its man page,
share/man/man1/ucmock.1, and nothing else; the page renders without a
warning, has the binary's version and describes every flag of --help.
(That the `meson dist` tarball builds on a clean machine is checked in
tests/container/test_distros.py.)"""
import json
import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
MAN = os.path.join(HERE, '..', '..', 'man', 'ucmock.1')
BUILD = os.environ.get('UCMOCK_BUILD_DIR') or os.path.join(HERE, '..', '..', 'build')
UCMOCK_BIN = os.environ.get('UCMOCK_BIN') or os.path.join(BUILD, 'ucmock')


def run(*cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, timeout=300, **kw)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """meson install into a fresh DESTDIR: (root, prefix-relative paths)."""
    dest = tmp_path_factory.mktemp('destdir')
    rc, out, err = run('meson', 'install', '-C', BUILD, '--no-rebuild', '--destdir', str(dest))
    assert rc == 0, out + err
    opts = {o['name']: o['value'] for o in json.loads(
        run('meson', 'introspect', BUILD, '--buildoptions')[1])}
    root = os.path.join(str(dest), opts['prefix'].lstrip('/'))
    files = set()
    for d, _, names in os.walk(str(dest)):
        for n in names:
            files.add(os.path.relpath(os.path.join(d, n), root))
    return root, opts, files


def test_installs_the_binary_and_the_man_page(installed):
    root, opts, files = installed
    assert files == {os.path.join(opts['bindir'], 'ucmock'),
                     os.path.join(opts['mandir'], 'man1', 'ucmock.1')}
    rc, out, _ = run(os.path.join(root, opts['bindir'], 'ucmock'), '--version')
    assert rc == 0 and out.startswith('ucmock ')
    with open(os.path.join(root, opts['mandir'], 'man1', 'ucmock.1'), 'rb') as f, \
            open(MAN, 'rb') as g:
        assert f.read() == g.read()


def test_groff_renders_without_warnings():
    rc, out, err = run('groff', '-ww', '-z', '-man', MAN)
    assert (rc, err) == (0, '')


@pytest.mark.skipif(not shutil.which('man'), reason='man-db is not installed (groff checks it)')
def test_man_renders_without_warnings():
    rc, out, err = run('man', '--warnings', '-l', MAN, env=dict(os.environ, MANWIDTH='80'))
    assert rc == 0 and err == '', err
    for section in ('NAME', 'SYNOPSIS', 'OPTIONS', 'CONTROL API', 'ENVIRONMENT', 'FILES',
                    'EXIT STATUS'):
        assert re.search('^' + section + '$', out, re.M), section


def man_text():
    with open(MAN, encoding='utf-8') as f:
        return f.read().replace('\\-', '-')


def test_version_matches_the_binary():
    version = run(UCMOCK_BIN, '--version')[1].split()[1]
    assert re.search(r'^\.TH UCMOCK 1 \S+ "ucmock %s"' % re.escape(version), man_text(), re.M)


def test_every_flag_is_described():
    rc, out, _ = run(UCMOCK_BIN, '--help')
    assert rc == 0
    flags = re.findall(r'^  (--[a-z][a-z0-9-]*)', out, re.M)
    assert len(flags) > 20, out
    text = man_text()
    described = set(re.findall(r'^\.(?:BI|B) (--[a-z][a-z0-9-]*)', text, re.M))
    assert sorted(set(flags) - described) == []
    assert sorted(described - set(flags)) == []


def test_control_api_paths_are_described():
    """Every control path the README's table lists is in the page."""
    with open(os.path.join(HERE, '..', '..', 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    paths = set(re.findall(r'`(?:GET|POST|PUT|DELETE)[^`]*?(/(?:__mock|healthz)[a-z_/]*)', readme))
    assert len(paths) >= 7, paths
    text = re.sub(r'\\f[BIR]', '', man_text())
    for p in paths:
        assert p.rstrip('/') in text, p
