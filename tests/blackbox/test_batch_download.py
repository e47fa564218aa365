"""Step 3: batch-task-download hands out a signed URL
(/downloads/ID?expires=&signature=) that needs no key and lives one hour."""
import urllib.parse

import pytest

from harness import V1
from helpers import GOOD_CSV, GOOD_RESULT, KEY, assert_detail, run_ok


def download_url(server, task_id, key=KEY):
    r = server.get(V1 + '/batch-task-download/' + task_id, key)
    assert r.status_code == 200, r.text
    return r.json()['download_url']


def with_query(url, **changes):
    u = urllib.parse.urlsplit(url)
    q = dict(urllib.parse.parse_qsl(u.query))
    q.update(changes)
    q = {k: v for k, v in q.items() if v is not None}
    return urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(q)))


def test_url_shape_and_no_key_needed(server):
    st, _ = run_ok(server, 'a.csv', GOOD_CSV)
    r = server.get(V1 + '/batch-task-download/' + st['task_id'], KEY)
    body = r.json()
    url = body['download_url']
    u = urllib.parse.urlsplit(url)
    assert '%s://%s' % (u.scheme, u.netloc) == server.base
    assert u.path == '/downloads/' + st['task_id']
    q = dict(urllib.parse.parse_qsl(u.query))
    assert set(q) == {'expires', 'signature'} and q['expires'].isdigit()
    assert len(q['signature']) == 64
    d = server.http.get(url)  # no X-API-Key
    assert d.status_code == 200 and d.content == GOOD_RESULT
    # a key, even another one, changes nothing
    assert server.http.get(url, headers={'X-API-Key': 'someone-else'}).content == GOOD_RESULT
    # the URL can be fetched again within its hour, and a new one asked for
    assert server.http.get(url).content == GOOD_RESULT
    assert server.http.get(download_url(server, st['task_id'])).content == GOOD_RESULT


@pytest.mark.parametrize('filename,fmt,ctype', [
    ('emails.csv', 'csv', 'text/csv; charset=utf-8'),
    ('emails.tsv', 'tsv', 'text/tab-separated-values; charset=utf-8'),
    ('emails.txt', 'txt', 'text/plain; charset=utf-8'),
])
def test_headers(server, filename, fmt, ctype):
    content = GOOD_CSV.replace(b',', b'\t') if fmt == 'tsv' else GOOD_CSV
    st, _ = run_ok(server, filename, content)
    d = server.http.get(download_url(server, st['task_id']))
    assert d.headers['Content-Type'] == ctype
    assert d.headers['Content-Disposition'] == (
        'attachment; filename="emails_results.%s"; filename*=UTF-8\'\'emails_results.%s' % (fmt, fmt))
    assert int(d.headers['Content-Length']) == len(d.content)


@pytest.mark.parametrize('filename,ascii_name,utf8_name', [
    ('my list.csv', 'my_list_results.csv', 'my%20list_results.csv'),
    ('\u00e9t\u00e9 2024.csv', '__t___2024_results.csv', '%C3%A9t%C3%A9%202024_results.csv'),
    ('a;b=c.csv', 'a_b_c_results.csv', 'a%3Bb%3Dc_results.csv'),
    ('.csv', '.csv_results.csv', '.csv_results.csv'),
    ('x.y.CSV', 'x.y_results.csv', 'x.y_results.csv'),
])
def test_content_disposition_is_safe(server, filename, ascii_name, utf8_name):
    st, _ = run_ok(server, filename, GOOD_CSV)
    cd = server.http.get(download_url(server, st['task_id'])).headers['Content-Disposition']
    assert cd == 'attachment; filename="%s"; filename*=UTF-8\'\'%s' % (ascii_name, utf8_name)


def test_head_request(server):
    st, _ = run_ok(server, 'a.csv', GOOD_CSV)
    h = server.http.head(download_url(server, st['task_id']))
    assert h.status_code == 200 and h.content == b''
    assert int(h.headers['Content-Length']) == len(GOOD_RESULT)


def test_tampered_urls(server):
    st, _ = run_ok(server, 'a.csv', GOOD_CSV)
    other, _ = run_ok(server, 'b.csv', GOOD_CSV)
    url = download_url(server, st['task_id'])
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    sig, exp = q['signature'], q['expires']
    flipped = ('0' if sig[0] != '0' else '1') + sig[1:]
    bad = [
        with_query(url, signature=flipped),
        with_query(url, signature=sig[:-1]),
        with_query(url, signature=sig + '0'),
        with_query(url, signature='z' * 64),
        with_query(url, signature=None),
        with_query(url, expires=None),
        with_query(url, expires=str(int(exp) + 3600)),  # longer life, same signature
        with_query(url, expires='-1'),
        with_query(url, expires=exp + 'x'),
        url.replace(st['task_id'], other['task_id']),   # another task, same signature
        url.split('?')[0],
    ]
    for u in bad:
        assert_detail(server.http.get(u), 403, 'Invalid download link signature')
    # upper-case hex is the same signature
    assert server.http.get(with_query(url, signature=sig.upper())).content == GOOD_RESULT


def test_expired_url(server):
    st, _ = run_ok(server, 'a.csv', GOOD_CSV)
    url = download_url(server, st['task_id'])
    r = server.post('/__mock/clock', json={'advance_seconds': 3601})
    assert r.status_code == 200, r.text
    assert_detail(server.http.get(url), 403, 'Download link has expired')
    # a fresh URL works again
    assert server.http.get(download_url(server, st['task_id'])).content == GOOD_RESULT


def test_url_valid_until_the_hour_is_up(server):
    st, _ = run_ok(server, 'a.csv', GOOD_CSV)
    url = download_url(server, st['task_id'])
    assert server.post('/__mock/clock', json={'advance_seconds': 3500}).status_code == 200
    assert server.http.get(url).content == GOOD_RESULT


def test_url_of_deleted_task(server):
    st, _ = run_ok(server, 'a.csv', GOOD_CSV)
    url = download_url(server, st['task_id'])
    assert server.delete('/__mock/tasks/' + st['task_id'], KEY).status_code == 200
    assert_detail(server.http.get(url), 404, 'Not Found')
    assert_detail(server.status(KEY, st['task_id']), 404, 'Task does not exist or has not started')


def test_download_while_processing(make_server):
    s = make_server(['--processing-delay', '3000'])
    r = s.submit(KEY, 'a.csv', GOOD_CSV)
    tid = r.json()['task_id']
    st = s.status(KEY, tid).json()
    assert st['status'] == 'processing' and 0 <= st['progress'] < 100
    assert_detail(s.get(V1 + '/batch-task-download/' + tid, KEY), 404, 'Task is still processing')
    assert s.wait(KEY, tid)['status'] == 'completed'
    assert s.download(KEY, tid) == GOOD_RESULT


def test_download_of_failed_task(server):
    r = server.submit(KEY, 'a.csv', b'')
    tid = r.json()['task_id']
    assert server.wait(KEY, tid)['status'] == 'failed'
    assert_detail(server.get(V1 + '/batch-task-download/' + tid, KEY), 400, 'Error processing file')


def test_public_url_flag(make_server):
    s = make_server(['--public-url', 'https://files.example.test'])
    tid = s.submit(KEY, 'a.csv', GOOD_CSV).json()['task_id']
    assert s.wait(KEY, tid)['status'] == 'completed'
    url = download_url(s, tid)
    assert url.startswith('https://files.example.test/downloads/' + tid + '?')
    local = s.base + url[len('https://files.example.test'):]
    assert s.http.get(local).content == GOOD_RESULT
