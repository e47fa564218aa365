"""The Python test helper (clients/python/ucmock_testing.py) against the real
binary ($UCMOCK_BIN): the product page's Python code runs through it, an
expired URL after advance_clock(3601), a 503 from arm_fault retried by the
client, lists, accounts, reset, the journal, attaching by URL, start
errors, the pytest plugin, and `pip install ./clients/python`."""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

HERE = os.path.dirname(os.path.abspath(__file__))
HELPER_DIR = os.path.dirname(HERE)
ROOT = os.path.join(HELPER_DIR, '..', '..')
sys.path.insert(0, HELPER_DIR)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'blackbox'))

from product_page import run_steps  # noqa: E402
from ucmock_testing import UcMock, UcMockError  # noqa: E402

V1 = '/v1/external-api-requests'
INPUT = b'email,name\na@example.com,Ann\nplaintext,Bob\nA@EXAMPLE.COM,Cy\n'
RESULT = (b'email,name,category,domain_type\nplaintext,Bob,black,invalid\n'
          b'A@EXAMPLE.COM,Cy,white,unknown\n')


@pytest.fixture
def mock():
    with UcMock() as m:
        yield m


@pytest.fixture
def page(tmp_path, monkeypatch):
    """A working dir with the page's emails.csv; returns a runner of the
    page's steps for a mock (and an optional requests-like client)."""
    (tmp_path / 'emails.csv').write_bytes(INPUT)

    def run(m, client=requests, expect=RESULT):
        monkeypatch.setenv('USER_CLEANING_API_KEY', m.api_key)
        task_id, url = run_steps(client, m.base_url, tmp_path)
        assert (tmp_path / 'results.csv').read_bytes() == expect
        return task_id, url
    return run


def test_product_page_code(mock, page):
    task_id, _ = page(mock)
    acct = mock.account()
    assert (acct['api_key'], acct['credits'], acct['charged']) == (mock.api_key, None, 1)
    mine = mock.requests(api_key=mock.api_key, path_prefix=V1)
    assert [(r['method'], r['status']) for r in mine][:1] == [('POST', 200)]
    assert all(r['status'] == 200 for r in mine)
    assert {r.get('task_id') for r in mock.requests(task_id=task_id)} == {task_id}
    assert mock.requests(api_key='nobody') == []


def test_stop_ends_the_server_and_removes_its_data_dir():
    m = UcMock().start()
    data = m._tmp.name
    assert os.path.isdir(data)
    m.stop()
    assert m.returncode == 0
    assert not os.path.exists(data)
    with pytest.raises(requests.ConnectionError):
        requests.get(m.base_url + '/healthz', timeout=5)


def test_expired_url_after_advance_clock(mock, page):
    task_id, url = page(mock)
    assert requests.get(url).status_code == 200
    clock = mock.advance_clock(3601)
    assert clock['offset_seconds'] == 3601
    r = requests.get(url)
    assert (r.status_code, r.json()) == (403, {'detail': 'Download link has expired'})
    # a fresh URL works again
    fresh = requests.get(f'{mock.base_url}{V1}/batch-task-download/{task_id}',
                         headers={'X-API-Key': mock.api_key}).json()['download_url']
    assert requests.get(fresh).content == RESULT


def test_retried_503_from_arm_fault(mock, page):
    """The first status poll gets 503 Retry-After; a client that retries
    (urllib3's Retry, as many do) goes on and finishes the page's steps."""
    fid = mock.arm_fault({
        'match': {'method': 'GET', 'path_prefix': V1 + '/batch-check-status',
                  'api_key': mock.api_key},
        'respond': {'status': 503, 'body': {'detail': 'try later'},
                    'headers': {'Retry-After': '0'}},
        'times': 1})
    assert isinstance(fid, int)
    session = requests.Session()
    session.mount('http://', HTTPAdapter(max_retries=Retry(
        total=3, status_forcelist=[503], allowed_methods=None, backoff_factor=0)))
    task_id, _ = page(mock, session)
    polls = [r['status'] for r in mock.requests(path_prefix=V1 + '/batch-check-status/')]
    assert polls[:2] == [503, 200], polls
    # used up: a plain client is not faulted any more
    r = requests.get(f'{mock.base_url}{V1}/batch-check-status/{task_id}',
                     headers={'X-API-Key': mock.api_key})
    assert r.status_code == 200


def test_arm_fault_id_names_the_fault(mock):
    """The id arm_fault returns is the fault's: GET and DELETE
    /__mock/faults/{id} reach that one only."""
    keep = mock.arm_fault({'match': {'path_prefix': '/v1/', 'api_key': mock.api_key},
                           'respond': {'status': 500}, 'times': 5})
    gone = mock.arm_fault({'match': {'path_prefix': '/v1/', 'api_key': mock.api_key},
                           'respond': {'status': 502}})
    one = requests.get(f'{mock.base_url}/__mock/faults/{gone}').json()
    assert one['id'] == gone and one['respond'] == {'status': 502}
    assert requests.delete(f'{mock.base_url}/__mock/faults/{gone}').status_code == 200
    assert requests.get(f'{mock.base_url}/__mock/faults/{gone}').status_code == 404
    listed = requests.get(f'{mock.base_url}/__mock/faults').json()['faults']
    assert [(f['id'], f['times_left']) for f in listed] == [(keep, 5)]
    mock.clear_faults()


def test_clear_faults(mock):
    mock.arm_fault({'match': {'path_prefix': '/v1/'}, 'respond': {'status': 500}})
    url = f'{mock.base_url}{V1}/batch-check-status/x'
    assert requests.get(url, headers={'X-API-Key': mock.api_key}).status_code == 500
    mock.clear_faults()
    assert requests.get(url, headers={'X-API-Key': mock.api_key}).status_code == 404


def test_set_list(mock, page):
    assert mock.set_list('black', ['example.com', '# a comment']) == 1
    page(mock, expect=b'email,name,category,domain_type\nplaintext,Bob,black,invalid\n'
                      b'A@EXAMPLE.COM,Cy,black,black\n')
    other = 'someone-else'
    assert mock.set_list('white', 'a@example.com\nb@example.com\n', api_key=other) == 2
    body = requests.get(f'{mock.base_url}/__mock/accounts/{other}/lists/white').text
    assert body == 'a@example.com\nb@example.com\n'
    with pytest.raises(ValueError):
        mock.set_list('red', [])


def test_set_credits(mock, page):
    assert mock.set_credits(1)['credits'] == 1
    page(mock)  # one valid row is charged
    assert mock.account()['credits'] == 0
    r = requests.post(f'{mock.base_url}{V1}/batch-check-emails',
                      headers={'X-API-Key': mock.api_key},
                      files={'file': ('e.csv', INPUT)}, data={'project_name': 'p'})
    assert r.status_code == 402
    assert mock.set_credits(None)['credits'] is None
    assert mock.account()['credits'] is None


def test_reset_by_key(mock, page):
    task_id, _ = page(mock)
    other = UcMock(url=mock.base_url).start()
    other.set_list('grey', ['kept.example'])
    mock.reset()
    r = requests.get(f'{mock.base_url}{V1}/batch-check-status/{task_id}',
                     headers={'X-API-Key': mock.api_key})
    assert r.status_code == 404
    assert mock.account()['charged'] == 0
    assert requests.get(f'{mock.base_url}/__mock/accounts/{other.api_key}/lists/grey'
                        ).text.strip() == 'kept.example'
    mock.reset(api_key=other.api_key)
    assert requests.get(f'{mock.base_url}/__mock/accounts/{other.api_key}/lists/grey'
                        ).text == ''


def test_attach_by_url(mock):
    with UcMock(url=mock.base_url + '/') as attached:
        assert attached.base_url == mock.base_url
        assert attached.api_key != mock.api_key
        attached.advance_clock(60)
    # stopping an attached object leaves the server running
    assert requests.get(mock.base_url + '/healthz').status_code == 200
    assert UcMock(url=mock.base_url, api_key='mine').api_key == 'mine'


SCENARIO = {'outcomes': [{'domain': 'example.com', 'category': 'grey',
                           'domain_type': 'masked legitimate'}]}
SCENARIO_RESULT = (b'email,name,category,domain_type\nplaintext,Bob,black,invalid\n'
                   b'A@EXAMPLE.COM,Cy,grey,masked legitimate\n')


def test_scenario_as_a_dict(page):
    with UcMock(scenario=SCENARIO) as m:
        page(m, expect=SCENARIO_RESULT)
        assert m.export_scenario()['outcomes'] == SCENARIO['outcomes']


def test_scenario_as_a_path(tmp_path, page):
    example = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'examples',
                           'scenario.json')
    with UcMock(scenario=example) as m:
        with open(example) as f:
            assert m.export_scenario() == json.load(f)
    path = tmp_path / 'scenario.json'
    path.write_text(json.dumps(SCENARIO))
    with UcMock(scenario=path) as m:
        page(m, expect=SCENARIO_RESULT)


def test_scenario_on_an_attached_server(mock, page):
    with UcMock(url=mock.base_url, scenario=SCENARIO) as attached:
        page(attached, expect=SCENARIO_RESULT)
    mock.load_scenario({'outcomes': []})
    page(mock)
    with pytest.raises(UcMockError) as e:
        mock.load_scenario({'outcomes': [{'domain': 'x.example', 'category': 'grey',
                                          'domain_type': 'shady'}]})
    assert e.value.status == 400
    assert e.value.body['detail'][0]['loc'] == ['body', 'outcomes', 0, 'domain_type']


def test_bad_scenario_does_not_start():
    with pytest.raises(UcMockError, match='did not start') as e:
        UcMock(scenario={'outcomes': 'all'}).start()
    assert 'outcomes: Input should be a valid list' in str(e.value)
    with pytest.raises(TypeError):
        UcMock(scenario=['not', 'a', 'dict'])


def test_start_errors(tmp_path):
    with pytest.raises(UcMockError, match='cannot run'):
        UcMock(binary=str(tmp_path / 'nothing')).start()
    with pytest.raises(UcMockError, match='did not start') as e:
        UcMock(args=['--rate-limit', 'lots']).start()
    assert "--rate-limit: expected 0..1000000 (0 = off), got 'lots'" in str(e.value)
    with pytest.raises(UcMockError, match='never answered 200'):
        m = UcMock(url='http://127.0.0.1:1')
        import ucmock_testing
        old, ucmock_testing.START_TIMEOUT = ucmock_testing.START_TIMEOUT, 1
        try:
            m.start()
        finally:
            ucmock_testing.START_TIMEOUT = old


def test_binary_from_path(tmp_path, monkeypatch):
    """No binary= and no $UCMOCK_BIN: `ucmock` on PATH."""
    binary = os.environ.get('UCMOCK_BIN')
    if not binary:
        pytest.skip('UCMOCK_BIN names the binary under test')
    (tmp_path / 'ucmock').symlink_to(os.path.abspath(binary))
    monkeypatch.delenv('UCMOCK_BIN')
    monkeypatch.setenv('PATH', str(tmp_path) + os.pathsep + os.environ['PATH'])
    with UcMock() as m:
        assert requests.get(m.base_url + '/healthz').status_code == 200


def test_control_errors(mock):
    with pytest.raises(UcMockError) as e:
        mock.arm_fault({'match': {}})
    assert e.value.status == 400 and 'detail' in e.value.body
    with pytest.raises(TypeError, match='unknown filter'):
        mock.requests(path='/v1')
    with pytest.raises(UcMockError, match='not started'):
        UcMock().account()


def test_pytest_plugin(tmp_path):
    """`pytest -p ucmock_testing`: one server per session, a fresh key per
    test, the account reset after each test and armed faults cleared."""
    (tmp_path / 'test_uses_fixture.py').write_text(textwrap.dedent('''
        import json, urllib.request
        V1 = '/v1/external-api-requests'
        seen = []

        def post_file(ucmock):
            import requests
            r = requests.post(ucmock.base_url + V1 + '/batch-check-emails',
                              headers={'X-API-Key': ucmock.api_key},
                              files={'file': ('e.csv', b'email\\na@example.com\\n')},
                              data={'project_name': 'p'})
            assert r.status_code == 200, r.text

        def tasks(base, key):
            req = urllib.request.Request(base + '/__mock/tasks', headers={'X-API-Key': key})
            return json.load(urllib.request.urlopen(req))['tasks']

        def test_first(ucmock):
            post_file(ucmock)
            ucmock.arm_fault({'match': {'path_prefix': '/v1/'}, 'respond': {'status': 500}})
            seen.append((ucmock.base_url, ucmock.api_key))
            assert len(tasks(ucmock.base_url, ucmock.api_key)) == 1

        def test_second(ucmock):
            base, first_key = seen[0]
            assert ucmock.base_url == base           # one server per session
            assert ucmock.api_key != first_key       # a fresh key per test
            assert tasks(base, first_key) == []      # reset after the test
            post_file(ucmock)                        # the fault was cleared
    '''))
    env = dict(os.environ, PYTHONPATH=HELPER_DIR)
    env.pop('UCMOCK_URL', None)
    p = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                        '-p', 'ucmock_testing', 'test_uses_fixture.py'],
                       cwd=tmp_path, env=env, capture_output=True, timeout=300)
    out = p.stdout.decode() + p.stderr.decode()
    assert p.returncode == 0, out
    assert '2 passed' in out, out


def test_pip_install(tmp_path):
    """`pip install ./clients/python` (offline: setuptools from the system)."""
    venv = tmp_path / 'venv'
    p = subprocess.run([sys.executable, '-m', 'venv', '--system-site-packages', str(venv)],
                       capture_output=True, timeout=300)
    if p.returncode != 0:
        pytest.skip('python3 -m venv does not work here: ' + p.stderr.decode()[-300:])
    py = str(venv / 'bin' / 'python')
    # from a copy: setuptools writes build/ and *.egg-info beside the sources
    src = tmp_path / 'src'
    src.mkdir()
    for name in ('pyproject.toml', 'README.md', 'ucmock_testing.py'):
        shutil.copy(os.path.join(HELPER_DIR, name), src / name)
    p = subprocess.run([py, '-m', 'pip', 'install', '-q', '--no-build-isolation', '--no-index',
                        '--no-deps', str(src)], capture_output=True, timeout=300,
                       cwd=tmp_path)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    p = subprocess.run([py, '-c', 'import ucmock_testing as u; print(u.__file__, u.__version__)'],
                       capture_output=True, timeout=60, cwd=tmp_path)
    out = p.stdout.decode()
    assert p.returncode == 0 and str(venv) in out and '0.1.0' in out, out + p.stderr.decode()
    assert shutil.which('python', path=str(venv / 'bin'))
