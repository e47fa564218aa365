"""Bad requests to the batch endpoints: each gets the real service's 4xx
JSON answer, creates no task, leaves no file, and the server goes on."""
import os

import pytest
import requests

from harness import V1
from helpers import (GOOD_CSV, KEY, UUID_RE, assert_422, assert_detail, assert_no_strays,
                     assert_still_serving, multipart, raw_exchange, run_ok, tasks,
                     upload_head)

SUBMIT = V1 + '/batch-check-emails'


def no_task_created(server, timeout=15):
    assert tasks(server) == []
    assert_no_strays(server, timeout=timeout)
    assert_still_serving(server)


# ---- auth ----

def test_missing_key(server):
    r = server.post(SUBMIT, None, files={'file': ('a.csv', GOOD_CSV)}, data={'project_name': 'p'})
    assert_detail(r, 401, 'No auth provided')
    assert_detail(server.post(SUBMIT, '', files={'file': ('a.csv', GOOD_CSV)}), 401,
                  'No auth provided')
    for path in ('/batch-check-status/', '/batch-task-download/'):
        assert_detail(server.get(V1 + path + '468e0130-bb87-4db6-8140-8d9aa91d6134'), 401,
                      'No auth provided')
    no_task_created(server)


def test_restricted_keys(make_server):
    s = make_server(['--api-key', 'alpha', '--api-key', 'beta'])
    r = s.submit('gamma', 'a.csv', GOOD_CSV)
    assert_detail(r, 401, 'Invalid API key.')
    assert_detail(s.status('gamma', '468e0130-bb87-4db6-8140-8d9aa91d6134'), 401,
                  'Invalid API key.')
    assert_detail(s.submit(None, 'a.csv', GOOD_CSV), 401, 'No auth provided')
    assert tasks(s) == []
    st, out = run_ok(s, 'a.csv', GOOD_CSV, key='beta')
    # a valid key cannot see the other valid key's task
    assert_detail(s.status('alpha', st['task_id']), 404, 'Task does not exist or has not started')
    assert_still_serving(s, key='alpha')


def test_auth_checked_before_body_is_read(server):
    # 401 comes back even though the body is never sent in full.
    body, ctype = multipart([('project_name', 'p'), ('file', 'a.csv', GOOD_CSV)])
    resp = raw_exchange(server, upload_head(server, ctype, len(body) + 10 ** 9, key=None), body[:50])
    assert resp.startswith(b'HTTP/1.1 401'), resp[:200]
    assert resp.endswith(b'{"detail":"No auth provided"}'), resp[-200:]
    no_task_created(server)


# ---- form fields ----

def test_wrong_file_field_name(server):
    r = server.post(SUBMIT, KEY, files={'upload': ('a.csv', GOOD_CSV)}, data={'project_name': 'p'})
    err = assert_422(r, ('missing', 'file'))[0]
    assert err == {'type': 'missing', 'loc': ['body', 'file'], 'msg': 'Field required',
                   'input': None}
    no_task_created(server)


def test_file_sent_as_text_field(server):
    r = server.post(SUBMIT, KEY, data={'project_name': 'p', 'file': 'email\na@example.com'})
    err = assert_422(r, ('value_error', 'file'))[0]
    assert err['msg'] == "Value error, Expected UploadFile, received: <class 'str'>"
    assert err['input'] == 'email\na@example.com'
    no_task_created(server)


def test_missing_project_name(server):
    r = server.post(SUBMIT, KEY, files={'file': ('a.csv', GOOD_CSV)})
    assert_422(r, ('missing', 'project_name'))
    no_task_created(server)


def test_nothing_at_all(server):
    assert_422(server.post(SUBMIT, KEY), ('missing', 'file'), ('missing', 'project_name'))
    assert_422(server.post(SUBMIT, KEY, json={'project_name': 'p'}),
               ('missing', 'file'), ('missing', 'project_name'))
    r = server.post(SUBMIT, KEY, data={'project_name': 'p', 'deduplicate': 'x'})
    assert_422(r, ('missing', 'file'), ('bool_parsing', 'deduplicate'))
    no_task_created(server)


@pytest.mark.parametrize('name,ok', [
    ('x' * 50, True), ('x' * 51, False), ('\u00e9' * 50, True), ('\u00e9' * 51, False),
    ('\U0001f600' * 50, True), ('\U0001f600' * 51, False), ('x', True), ('', False),
], ids=['50', '51', '50-2byte', '51-2byte', '50-4byte', '51-4byte', '1', 'empty'])
def test_project_name_length_in_characters(server, name, ok):
    r = server.submit(KEY, 'a.csv', GOOD_CSV, project_name=name)
    if ok:
        assert r.status_code == 200, r.text
        st = server.wait(KEY, r.json()['task_id'])
        assert st['project_name'] == name
        return
    if name:
        err = assert_422(r, ('string_too_long', 'project_name'))[0]
        assert err['msg'] == 'String should have at most 50 characters'
        assert err['ctx'] == {'max_length': 50} and err['input'] == name
    else:
        err = assert_422(r, ('string_too_short', 'project_name'))[0]
        assert err['ctx'] == {'min_length': 1}
    no_task_created(server)


# ---- file names ----

@pytest.mark.parametrize('filename', ['a.xls', 'a.json', 'noext', 'a.csv.exe', 'csv', '.csv.',
                                      'a.csv ', 'a.xlsm', 'a.ods'])
def test_bad_extension(server, filename):
    assert_detail(server.submit(KEY, filename, GOOD_CSV), 400, 'Invalid file extension.')
    no_task_created(server)


@pytest.mark.parametrize('filename,fmt', [('a.CSV', 'csv'), ('a.Tsv', 'tsv'), ('A.TXT', 'txt'),
                                          ('x.y.csv', 'csv'), ('.csv', 'csv')])
def test_extension_is_case_insensitive(server, filename, fmt):
    content = GOOD_CSV.replace(b',', b'\t') if fmt == 'tsv' else GOOD_CSV
    st, out = run_ok(server, filename, content)
    t = tasks(server, KEY)[0]
    assert (t['filename'], t['format']) == (filename, fmt)
    assert out.replace(b'\t', b',') == b'email,name,category,domain_type\nok@example.com,OK,white,unknown\n'


@pytest.mark.parametrize('filename,base', [('../../x.csv', 'x.csv'), ('/etc/x.csv', 'x.csv'),
                                           ('..\\..\\x.csv', 'x.csv'), ('a/b/../x.csv', 'x.csv')])
def test_filename_path_parts_dropped(server, filename, base):
    st, out = run_ok(server, filename, GOOD_CSV)
    t = tasks(server, KEY)[0]
    assert t['filename'] == base
    d = server.get(V1 + '/batch-task-download/' + st['task_id'], KEY).json()['download_url']
    cd = server.http.get(d).headers['Content-Disposition']
    assert cd.startswith('attachment; filename="x_results.csv"'), cd
    # Nothing was written next to or above the data dir.
    top = os.path.dirname(os.path.dirname(server.data_dir))
    for root, _, files in os.walk(os.path.dirname(server.data_dir)):
        assert 'x.csv' not in files, root
    assert not os.path.exists(os.path.join(top, 'x.csv'))
    assert_no_strays(server)


def test_filename_missing_from_file_part(server):
    # A file part without filename= is a text field to Starlette.
    body = (b'--BB\r\nContent-Disposition: form-data; name="project_name"\r\n\r\np\r\n'
            b'--BB\r\nContent-Disposition: form-data; name="file"\r\n\r\nemail\r\n--BB--\r\n')
    r = server.post(SUBMIT, KEY, data=body, headers={'Content-Type': 'multipart/form-data; boundary=BB'})
    assert_422(r, ('value_error', 'file'))
    no_task_created(server)


# ---- malformed and cut-off bodies ----

@pytest.mark.parametrize('body,ctype', [
    (b'--BB\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nemail\n',
     'multipart/form-data; boundary=BB'),
    (b'whatever', 'multipart/form-data'),
    (b'--BB\r\nContent-Disposition: form-data; name="project_name"\r\n\r\np',
     'multipart/form-data; boundary=BB'),
], ids=['no-closing-boundary', 'no-boundary-param', 'cut-in-text-field'])
def test_malformed_multipart(server, body, ctype):
    r = server.post(SUBMIT, KEY, data=body, headers={'Content-Type': ctype})
    assert_detail(r, 400, 'There was an error parsing the body')
    no_task_created(server)


def test_body_not_multipart(server):
    r = server.post(SUBMIT, KEY, data=b'email\na@example.com\n', headers={'Content-Type': 'text/csv'})
    assert_422(r, ('missing', 'file'), ('missing', 'project_name'))
    no_task_created(server)


@pytest.mark.parametrize('sent', [0, 100, 200 * 1024])
def test_upload_cut_off_mid_body(server, sent):
    content = b'email\n' + b'a@example.com\n' * 30000
    body, ctype = multipart([('project_name', 'p'), ('file', 'a.csv', content)])
    assert sent < len(body)
    assert raw_exchange(server, upload_head(server, ctype, len(body) + 4096), body[:sent],
                        close_early=True) is None
    # polls until the partial file is gone; a connection whose end the
    # server misses is closed by the 20 s idle timeout at the latest
    no_task_created(server, timeout=40)


def test_last_file_part_wins(server):
    body, ctype = multipart([('project_name', 'p'),
                             ('file', 'first.csv', b'email\nfirst@example.com\n'),
                             ('file', 'second.csv', b'email\nsecond@example.com\n')])
    r = server.post(SUBMIT, KEY, data=body, headers={'Content-Type': ctype})
    assert r.status_code == 200, r.text
    st = server.wait(KEY, r.json()['task_id'])
    assert server.download(KEY, st['task_id']) == b'email,category,domain_type\nsecond@example.com,white,unknown\n'
    assert tasks(server, KEY)[0]['filename'] == 'second.csv'
    assert_no_strays(server)


def test_unknown_form_fields_ignored(server):
    r = server.submit(KEY, 'a.csv', GOOD_CSV, colour='blue')
    assert r.status_code == 200, r.text
    assert server.wait(KEY, r.json()['task_id'])['status'] == 'completed'


def test_submit_response_shape(server):
    r = server.submit(KEY, 'a.csv', GOOD_CSV)
    assert r.status_code == 200
    assert r.headers['Content-Type'].startswith('application/json')
    body = r.json()
    assert set(body) == {'task_id', 'status', 'message'}
    assert UUID_RE.match(body['task_id'])
    assert body['status'] == 'processing'
    assert body['message'] == 'File upload successful. Processing started.'


# ---- methods, paths, ids ----

@pytest.mark.parametrize('method,path', [
    ('GET', SUBMIT), ('PUT', SUBMIT), ('DELETE', SUBMIT), ('PATCH', SUBMIT),
    ('POST', V1 + '/batch-check-status/468e0130-bb87-4db6-8140-8d9aa91d6134'),
    ('DELETE', V1 + '/batch-check-status/468e0130-bb87-4db6-8140-8d9aa91d6134'),
    ('POST', V1 + '/batch-task-download/468e0130-bb87-4db6-8140-8d9aa91d6134'),
    ('POST', '/downloads/468e0130-bb87-4db6-8140-8d9aa91d6134'),
])
def test_wrong_method(server, method, path):
    r = server.http.request(method, server.url(path), headers={'X-API-Key': KEY})
    assert_detail(r, 405, 'Method Not Allowed')


@pytest.mark.parametrize('path', [V1 + '/batch-check-email', V1 + '/', V1 + '/batch-check-status/',
                                  V1 + '/batch-check-status/a/b', '/v2/external-api-requests/batch-check-emails',
                                  V1 + '/batch-check-emails/'])
def test_unknown_path(server, path):
    assert_detail(server.get(path, KEY), 404, 'Not Found')


@pytest.mark.parametrize('task_id', ['468e0130-bb87-4db6-8140-8d9aa91d6134', 'nope',
                                     '468E0130-BB87-4DB6-8140-8D9AA91D6134', 'x' * 200])
def test_unknown_task_id(server, task_id):
    run_ok(server, 'a.csv', GOOD_CSV)
    for ep in ('/batch-check-status/', '/batch-task-download/'):
        assert_detail(server.get(V1 + ep + task_id, KEY), 404,
                      'Task does not exist or has not started')


@pytest.mark.parametrize('path', ['..%2F..%2Fsecret', 'a%2Fb', 'x' * 300])
def test_task_id_that_is_no_path_segment(server, path):
    # Starlette decodes %2F before routing (no route matches); an over-long
    # id is refused by the router too: both are a plain 404.
    for ep in ('/batch-check-status/', '/batch-task-download/'):
        r = server.get(V1 + ep + path, KEY)
        assert r.status_code == 404 and 'detail' in r.json(), r.text


def test_another_keys_task(server):
    st, _ = run_ok(server, 'a.csv', GOOD_CSV, key='owner')
    for ep in ('/batch-check-status/', '/batch-task-download/'):
        assert_detail(server.get(V1 + ep + st['task_id'], 'intruder'), 404,
                      'Task does not exist or has not started')
    assert tasks(server, 'intruder') == []


# ---- account limits ----

def test_rate_limit(make_server):
    s = make_server(['--rate-limit', '2'])
    for _ in range(2):
        assert s.submit(KEY, 'a.csv', GOOD_CSV).status_code == 200
    r = s.submit(KEY, 'a.csv', GOOD_CSV)
    assert r.status_code == 429
    assert r.json() == {'error': 'Rate limit exceeded: 2 per 1 minute'}
    assert int(r.headers['Retry-After']) >= 1
    assert len(tasks(s)) == 2
    # per key: another key is not limited
    st, _ = run_ok(s, 'a.csv', GOOD_CSV, key='other')
    assert_no_strays(s)


def test_no_credits(make_server):
    s = make_server(['--credits', '0'])
    assert_detail(s.submit(KEY, 'a.csv', GOOD_CSV), 402,
                  'Insufficient credits \u2014 please top up your balance.')
    assert tasks(s) == []
    assert_no_strays(s)


def test_credits_run_out_during_a_task(make_server):
    s = make_server(['--credits', '2'])
    st, _ = run_ok(s, 'a.csv', b'email\na@example.com\nplaintext\n', key=KEY)
    assert st['charged'] == 1
    r = s.submit(KEY, 'b.csv', b'email\nb@example.com\nc@example.com\n')
    assert r.status_code == 200
    st = s.wait(KEY, r.json()['task_id'])
    assert st['status'] == 'failed'
    assert st['error'] == 'Insufficient credits \u2014 please top up your balance.'
    assert_no_strays(s)


def test_storage_quota(make_server):
    s = make_server(['--storage-limit', '1KB'])
    big = b'email\n' + b'a@example.com\n' * 100000
    assert_detail(s.submit(KEY, 'a.csv', big), 413,
                  'Storage quota exceeded, please delete old projects.')
    assert tasks(s) == []
    assert_no_strays(s)
    st, _ = run_ok(s, 'a.csv', GOOD_CSV)
    # uploads and results both count: a second small batch no longer fits
    run_ok(s, 'b.csv', GOOD_CSV)
    r = s.submit(KEY, 'c.csv', b'email\n' + b'x@example.com\n' * 60)
    assert_detail(r, 413, 'Storage quota exceeded, please delete old projects.')


def test_max_upload(make_server):
    s = make_server(['--max-upload', '1KB'])
    big = b'email\n' + b'a@example.com\n' * 100000
    # names the limit and the flag that sets it (was a bare 'File too large')
    assert_detail(s.submit(KEY, 'a.csv', big), 413,
                  'File too large: the limit is 1 KB (--max-upload)')
    assert tasks(s) == []
    assert_no_strays(s)
    st, _ = run_ok(s, 'a.csv', GOOD_CSV)


@pytest.mark.parametrize('flag,detail', [
    ('--storage-limit', 'Storage quota exceeded, please delete old projects.'),
    ('--max-upload', 'File too large: the limit is 1 KB (--max-upload)')])
def test_cap_crossed_by_last_chunk_is_answered(make_server, flag, detail):
    s = make_server([flag, '1KB'])
    small_but_over = b'email\n' + b'a@example.com\n' * 100   # 1.4 KB: one recv()
    answers = set()
    for _ in range(20):
        try:
            r = s.submit(KEY, 'a.csv', small_but_over, timeout=5)
            answers.add((r.status_code, r.text))
        except requests.exceptions.ReadTimeout:
            answers.add('no answer')
    assert answers == {(413, '{"detail":"%s"}' % detail)}
