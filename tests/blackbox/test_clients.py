"""Real clients: the product page's Python code, curl -F, and the page's
Node code (form-data + node-fetch@2) plus Node's built-in fetch, which live
in tests/node/ (run `npm ci` there first; CI does)."""
import json
import os
import shutil
import subprocess

import pytest

from harness import V1
from helpers import KEY, multipart, tasks
from product_page import run_steps

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, '..', 'node')
INPUT = b'email,name\na@example.com,Ann\nplaintext,Bob\nA@EXAMPLE.COM,Cy\n'
RESULT = (b'email,name,category,domain_type\nplaintext,Bob,black,invalid\n'
          b'A@EXAMPLE.COM,Cy,white,unknown\n')


def test_python_seed_code(server, tmp_path, monkeypatch):
    """Steps 1-3 as the product page writes them (product_page.py), with
    the base URL swapped and the 5 s poll shortened; requests is the
    checked session."""
    monkeypatch.setenv('USER_CLEANING_API_KEY', KEY)
    (tmp_path / 'emails.csv').write_bytes(INPUT)
    run_steps(server.http, server.base, tmp_path)
    assert (tmp_path / 'results.csv').read_bytes() == RESULT
    t = tasks(server, KEY)[0]
    assert (t['project_name'], t['filename']) == ('my-list', 'emails.csv')


def test_python_requests_file_tuple_forms(server):
    """Other common ways to pass the file with requests."""
    for files in ({'file': ('e.csv', INPUT)},
                  {'file': ('e.csv', INPUT, 'text/csv')},
                  {'file': ('e.csv', INPUT, 'application/vnd.ms-excel', {'X-Extra': '1'})}):
        r = server.post(V1 + '/batch-check-emails', KEY, files=files,
                        data={'project_name': 'p', 'deduplicate': 'false'})
        assert r.status_code == 200, r.text
        st = server.wait(KEY, r.json()['task_id'])
        assert server.download(KEY, st['task_id']) == (
            b'email,name,category,domain_type\na@example.com,Ann,white,unknown\n'
            b'plaintext,Bob,black,invalid\nA@EXAMPLE.COM,Cy,white,unknown\n')


def curl(*args):
    p = subprocess.run(['curl', '-sS', '--max-time', '120', *args], capture_output=True,
                       timeout=180)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout


@pytest.mark.skipif(not shutil.which('curl'), reason='curl not installed')
def test_curl(server, tmp_path):
    f = tmp_path / 'emails.csv'
    f.write_bytes(INPUT)
    out = curl('-H', 'X-API-Key: ' + KEY, '-F', 'file=@%s' % f, '-F', 'project_name=my-list',
               server.url(V1 + '/batch-check-emails'))
    task_id = json.loads(out)['task_id']
    st = server.wait(KEY, task_id)
    assert st['status'] == 'completed'
    url = json.loads(curl('-H', 'X-API-Key: ' + KEY,
                          server.url(V1 + '/batch-task-download/' + task_id)))['download_url']
    res = tmp_path / 'results.csv'
    curl('-o', str(res), url)
    assert res.read_bytes() == RESULT
    # -J -O names the file after Content-Disposition
    subprocess.run(['curl', '-sS', '-J', '-O', url], cwd=tmp_path, check=True, timeout=180)
    assert (tmp_path / 'emails_results.csv').read_bytes() == RESULT


@pytest.mark.skipif(not shutil.which('curl'), reason='curl not installed')
def test_curl_type_and_filename_overrides(server, tmp_path):
    f = tmp_path / 'data.bin'
    f.write_bytes(b'a@example.com\n')
    out = json.loads(curl('-H', 'X-API-Key: ' + KEY, '-F',
                          'file=@%s;filename=list.txt;type=text/plain' % f,
                          '-F', 'project_name=p', '-F', 'deduplicate=no',
                          server.url(V1 + '/batch-check-emails')))
    server.wait(KEY, out["task_id"])
    result = server.download(KEY, out['task_id'])
    assert result == b'a@example.com,white,unknown\n'
    assert tasks(server, KEY)[0]['filename'] == 'list.txt'


def test_node_clients(server):
    node = shutil.which('node')
    if not node:
        pytest.skip('node is not installed')
    if not os.path.isdir(os.path.join(NODE_DIR, 'node_modules', 'form-data')) or \
            not os.path.isdir(os.path.join(NODE_DIR, 'node_modules', 'node-fetch')):
        pytest.skip('tests/node/node_modules is missing: run `npm ci` in tests/node first')
    env = dict(os.environ, UCMOCK_URL=server.base, USER_CLEANING_API_KEY=KEY)
    p = subprocess.run([node, '--test', '.'], cwd=NODE_DIR, env=env, capture_output=True,
                       timeout=600)
    out = p.stdout.decode() + p.stderr.decode()
    assert p.returncode == 0, out
    assert '# fail 0' in out and '# pass 5' in out, out
    done = [t for t in tasks(server, KEY) if t['status'] == 'completed']
    assert len(done) == 3, tasks(server, KEY)


def test_chunked_upload_from_python(server):
    """What node-fetch@2 + form-data does: Transfer-Encoding: chunked."""
    body, ctype = multipart([('project_name', 'chunked'), ('file', 'e.csv', INPUT)])

    def gen():
        for i in range(0, len(body), 7):
            yield body[i:i + 7]
    r = server.post(V1 + '/batch-check-emails', KEY, data=gen(), headers={'Content-Type': ctype})
    assert r.status_code == 200, r.text
    assert r.request.headers.get('Transfer-Encoding') == 'chunked'
    server.wait(KEY, r.json()['task_id'])
    out = server.download(KEY, r.json()['task_id'])
    assert out == RESULT
