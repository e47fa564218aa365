"""Container tests (run by .ci/run, not by `meson test`: they build images
and take minutes). Every test here needs podman and is skipped, saying so,
when it is not installed; `scripts/install-deps --ci` installs it."""
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'blackbox'))

NO_PODMAN = 'podman is not installed (scripts/install-deps --ci installs it)'


def pytest_collection_modifyitems(items):
    if not shutil.which('podman'):
        for item in items:
            item.add_marker(pytest.mark.skip(reason=NO_PODMAN))


@pytest.fixture(scope='session')
def dist_tarball(tmp_path_factory):
    """`meson dist --no-tests` of HEAD, as a .tar.gz (gzip is in every base
    image; xz is not). Uses build/ (or $UCMOCK_BUILD_DIR), else a fresh
    configure."""
    build = os.environ.get('UCMOCK_BUILD_DIR') or os.path.join(ROOT, 'build')
    if not os.path.exists(os.path.join(build, 'build.ninja')):
        build = str(tmp_path_factory.mktemp('dist-build'))
        subprocess.run(['meson', 'setup', build, ROOT], check=True, capture_output=True,
                       timeout=600)
    p = subprocess.run(['meson', 'dist', '-C', build, '--no-tests', '--formats', 'gztar',
                        '--allow-dirty'], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    dist = os.path.join(build, 'meson-dist')
    tars = [f for f in os.listdir(dist) if f.endswith('.tar.gz')]
    assert len(tars) == 1, tars
    return os.path.join(dist, tars[0])
