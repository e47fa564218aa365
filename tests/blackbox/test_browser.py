"""The dashboard in a real browser: runs tests/browser/dashboard.test.mjs
(node:test + playwright-core driving Debian's /usr/bin/chromium) against
the binary under test. Skipped, with the reason, when Chromium, Node or
tests/browser/node_modules is missing (CI installs them: `apt-get install
chromium` and `npm ci` in tests/browser)."""
import os
import shutil
import subprocess

import pytest

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER_DIR = os.path.join(HERE, '..', 'browser')
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')


def missing():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return 'Chromium not installed at %s (apt-get install -y chromium)' % CHROMIUM
    if not shutil.which('node'):
        return 'node not found on PATH'
    if not os.path.isdir(os.path.join(BROWSER_DIR, 'node_modules', 'playwright-core')):
        return 'tests/browser/node_modules missing (run `npm ci` in tests/browser)'
    return None


@pytest.mark.skipif(missing() is not None, reason=missing() or '')
def test_dashboard_in_chromium(tmp_path):
    # The screenshot is this run's own: other suites may run at the same time.
    screenshot = str(tmp_path / 'dashboard.png')
    env = dict(os.environ, UCMOCK_BIN=os.path.abspath(harness.UCMOCK_BIN),
               CHROMIUM=CHROMIUM, SCREENSHOT=screenshot)
    p = subprocess.run(['node', '--test', 'dashboard.test.mjs'], cwd=BROWSER_DIR, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    out = p.stdout.decode(errors='replace')
    assert p.returncode == 0, out[-8000:]
    assert os.path.getsize(screenshot) > 0
