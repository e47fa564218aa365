"""The documentation keeps up with the server (issue 12: the README documents
every endpoint and flag; issue 11: "How it is built" describes the tree).
The running server's own lists are the truth: the flags of `ucmock --help`
and the routes of `GET /__mock` (made from the route table); openapi.yaml
against the route table and the man page against --help are held by
test_contract.py and tests/package."""
import os
import re
import subprocess

from harness import UCMOCK_BIN

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE')


def readme():
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as f:
        return f.read()


def section(text, title):
    """The body of the README section `## title` (up to the next `## `)."""
    m = re.search(r'^## %s\n(.*?)(?=^## )' % re.escape(title), text, re.M | re.S)
    assert m, 'README has no section "## %s"' % title
    return m.group(1)


def help_flags():
    p = subprocess.run([UCMOCK_BIN, '--help'], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    flags = re.findall(r'^  (--[a-z][a-z0-9-]*)', p.stdout, re.M)
    assert len(flags) > 20, p.stdout
    return set(flags) - {'--help', '--version'}


def normalize(path):
    """/__mock/x/{key}/y/{white|grey|black}?q= -> /__mock/x/{}/y/{}"""
    path = path.split('?')[0].replace('\\|', '|')
    return re.sub(r'\{[^}]*\}', '{}', path)


def readme_operations(text):
    """(METHOD, path) of each control API table row of the README. A row's
    first cell names them as `GET /p`, `GET`/`PUT /p` or `GET /p`, `POST /p`:
    each method goes to the next path written after it."""
    ops = set()
    for line in text.splitlines():
        if not line.startswith('| `'):
            continue
        cell = line.split(' | ')[0]
        pending = []
        for word in re.split(r'[\s,]+', ' '.join(re.findall(r'`([^`]*)`', cell))):
            if word in METHODS:
                pending.append(word)
            elif word.startswith('/'):
                ops |= {(m, normalize(word)) for m in pending}
                pending = []
            else:
                pending = []
    return ops


# -- the parser above, on rows written each way the README writes them -----

def test_readme_rows_are_read_as_written():
    rows = '\n'.join([
        '| `GET /healthz` | x |',
        '| `GET /__mock/clock`, `POST /__mock/clock` `{"advance_seconds": N}` | x |',
        '| `GET`/`PUT /__mock/accounts/{key}/lists/{white\\|grey\\|black}` | x |',
        '| `GET`/`DELETE /__mock/requests?path_prefix=&api_key=` | x |',
        '| `DELETE /__mock/tasks/{id}` (owner\'s key) | x |',
        '| `GET batch-check-status/{task_id}` | x |',
    ])
    assert readme_operations(rows) == {
        ('GET', '/healthz'), ('GET', '/__mock/clock'), ('POST', '/__mock/clock'),
        ('GET', '/__mock/accounts/{}/lists/{}'), ('PUT', '/__mock/accounts/{}/lists/{}'),
        ('GET', '/__mock/requests'), ('DELETE', '/__mock/requests'),
        ('DELETE', '/__mock/tasks/{}')}


# -- flags -----------------------------------------------------------------

def test_every_flag_is_in_the_readme_table():
    table = section(readme(), 'Command line')
    in_table = set()
    for line in table.splitlines():
        if line.startswith('| `--'):
            in_table |= set(re.findall(r'`(--[a-z][a-z0-9-]*)`', line.split(' | ')[0]))
    flags = help_flags()
    assert sorted(flags - in_table) == [], 'flags of --help missing from README "Command line"'
    assert sorted(in_table - flags) == [], 'README lists flags --help does not know'


# -- routes ----------------------------------------------------------------

def test_every_control_route_is_in_the_readme(server):
    r = server.get('/__mock')
    assert r.status_code == 200
    served = {(e['method'], normalize(e['path'])) for e in r.json()['endpoints']}
    def is_control(op):
        return op[1].startswith(('/__mock', '/healthz'))
    control = set(filter(is_control, served))
    assert len(control) >= 20, served
    documented = set(filter(is_control, readme_operations(section(readme(), 'The API'))))
    assert sorted(control - documented) == [], 'control routes missing from README'
    assert sorted(documented - control) == [], 'README documents routes the server lacks'
    text = readme()
    for op in served - control:  # the dashboard and the OpenAPI document
        assert '<http://127.0.0.1:8080%s>' % op[1] in text or '`%s`' % op[1] in text, op


# -- the tree --------------------------------------------------------------

def test_how_it_is_built_names_every_source_file():
    block = re.search(r'```\n(src/main\.c.*?)```', section(readme(), 'How it is built'), re.S)
    assert block, 'the tree block of "How it is built"'
    named = set(re.findall(r'[\w.-]+\.(?:c|h|html)\b', block.group(1)))
    missing = []
    for d, _, files in os.walk(os.path.join(ROOT, 'src')):
        for f in files:
            if f.endswith('.c') and f not in named:
                missing.append(os.path.relpath(os.path.join(d, f), ROOT))
    assert sorted(missing) == [], 'source files README\'s "How it is built" does not name'
    for folder in sorted(os.listdir(os.path.join(ROOT, 'src'))):
        if os.path.isdir(os.path.join(ROOT, 'src', folder)):
            assert re.search(r'^src/%s/ ' % folder, block.group(1), re.M), folder
