"""Builds on current distributions, from the `meson dist` tarball alone, in
fresh debian:SUITE-slim containers (Debian 12 and 13): the README's quick
start (`scripts/serve` installs only what building and running need, builds
the server alone, starts it healthy, stops with 0 on SIGTERM), then the
unit tests built with GCC and with clang, warning-free under -Dwerror=true.
The steps are .ci/container/distro-check; each passed step prints a
"check:" line."""
import os
import time

import pytest

from podman import ROOT, ensure_base, podman


@pytest.mark.parametrize('suite', ['bookworm', 'trixie'])
def test_quick_start_and_unit_tests(suite, dist_tarball):
    t0 = time.time()
    image, how = ensure_base(suite)
    print('debian:%s-slim %s' % (suite, how))
    p = podman('run', '--rm', '--network=host',
               '-v', '%s:/dist/ucmock.tar.gz:ro' % dist_tarball,
               '-v', '%s:/ci:ro' % os.path.join(ROOT, '.ci', 'container'),
               image, 'bash', '/ci/distro-check', '/dist/ucmock.tar.gz',
               check=False, timeout=3000)
    checks = [line for line in p.stdout.splitlines() if line.startswith('check:')]
    print('\n'.join(checks))
    print('%s: %.0f s' % (suite, time.time() - t0))
    assert p.returncode == 0, p.stdout[-6000:] + p.stderr[-6000:]
    assert checks[-1] == 'check: all done'
    assert sum('no warnings' in c for c in checks) == 2
