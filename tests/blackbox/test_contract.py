"""The OpenAPI document (openapi.yaml) against the server and its code.

* the served /openapi.json is the document;
* the route table of src/http/routes.c and the document's operations are
  the same set;
* the document is well formed (schemas, $refs, security -> 401);
* the contract check (contract.py) rejects what it should;
* a tour of the API produces every documented (path, method, status) except
  the few only a broken disk or database can produce, each response passing
  the contract check on the way.
"""
import json
import os
import re
import time

import jsonschema
import pytest
import requests

import contract
from harness import V1

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
ROUTES_C = os.path.join(ROOT, 'src', 'http', 'routes.c')
SPEC = contract.SPEC
HTTP_METHODS = {'GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS', 'TRACE'}

# Responses only a storage or database failure (or shutting down) produces.
UNREACHABLE = {'500', '503'}


def normalize(template):
    return re.sub(r'\{[^}]*\}', '{}', template)


def route_table():
    """(METHOD, path template) of each row of routes.c's routes[]."""
    src = open(ROUTES_C, encoding='utf-8').read()
    macros = dict(re.findall(r'#define\s+(\w+)\s+"([^"]*)"', src))
    table = re.search(r'static const route routes\[\] = \{(.*?)\n\};', src, re.S)
    assert table, 'routes[] not found in routes.c'
    rows = re.findall(r'\{\s*"([A-Z]+)",\s*((?:\w+\s+)?)"([^"]*)",\s*([01]),', table.group(1))
    assert len(rows) >= 10, rows
    out = set()
    for method, macro, path, has_param in rows:
        if macro.strip():
            path = macros[macro.strip()] + path
        if has_param == '1':
            path += '{}'
        out.add((method, path))
    # routes.c rewrites /__mock/accounts/{key}/lists/{kind} to
    # /__mock/lists/{key}/{kind} before matching: the public path is the former.
    assert '"/__mock/lists/%.*s/%s"' in src, 'the lists rewrite in routes.c changed'
    return {(m, '/__mock/accounts/{}/lists/{}' if p == '/__mock/lists/{}' else p)
            for m, p in out}


def documented_operations():
    ops = set()
    for template, item in SPEC['paths'].items():
        for method in item:
            if method.upper() in HTTP_METHODS:
                ops.add((method.upper(), normalize(template)))
    return ops


def test_served_openapi_equals_yaml(server):
    r = server.get('/openapi.json')
    assert r.status_code == 200
    assert r.headers['Content-Type'] == 'application/json'
    assert r.json() == contract.load_spec()


def test_route_table_and_document_agree():
    table, doc = route_table(), documented_operations()
    assert table - doc == set(), 'routes missing from openapi.yaml'
    assert doc - table == set(), 'operations in openapi.yaml the server does not route'


def test_document_is_well_formed():
    assert SPEC['openapi'].startswith('3.1')
    resolver = jsonschema.RefResolver.from_schema(SPEC)
    refs = []

    def walk(o):
        if isinstance(o, dict):
            if isinstance(o.get('$ref'), str):
                refs.append(o['$ref'])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(SPEC)
    for ref in refs:
        resolver.resolve(ref)  # raises if dangling
    for name, schema in SPEC['components']['schemas'].items():
        jsonschema.Draft202012Validator.check_schema(schema)
    ids = set()
    for template, item in SPEC['paths'].items():
        for method, op in item.items():
            if method.upper() not in HTTP_METHODS:
                continue
            assert op.get('operationId') and op['operationId'] not in ids, (template, method)
            ids.add(op['operationId'])
            assert op.get('responses'), (template, method)
            if op.get('security'):
                assert '401' in op['responses'], (template, method)
            for code, resp in op['responses'].items():
                resp = contract.CONTRACT.deref(resp)
                for media in (resp.get('content') or {}).values():
                    if 'schema' in media:
                        jsonschema.Draft202012Validator.check_schema(media['schema'])


# ---- the checker itself ----

def fake(method, url, status, body=b'', ctype='application/json', headers=None):
    r = requests.Response()
    r.status_code = status
    r._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    r.headers['Content-Type'] = ctype
    for k, v in (headers or {}).items():
        r.headers[k] = v
    r.request = requests.Request(method, url).prepare()
    r.url = url
    return r


BASE = 'http://127.0.0.1:9'  # never contacted: no faults are armed for it


@pytest.mark.parametrize('resp', [
    fake('GET', BASE + '/nope', 200, {'x': 1}),
    fake('GET', BASE + '/nope', 404, {'detail': 'Nope'}),
    fake('GET', BASE + '/__mock/lists/k/white', 200, b'', 'text/plain; charset=utf-8'),
    fake('GET', BASE + '/healthz', 418, {'status': 'ok'}),
    fake('GET', BASE + '/healthz', 200, {'status': 'ok', 'extra': 1}),
    fake('GET', BASE + '/healthz', 200, {'status': 'ok'}, 'text/plain'),
    fake('GET', BASE + '/healthz', 200, b'not json'),
    fake('PATCH', BASE + '/healthz', 200, {'status': 'ok'}),
    fake('POST', BASE + V1 + '/batch-check-emails', 429, {'error': 'slow down'},
         headers={'Retry-After': '3'}),
    fake('POST', BASE + V1 + '/batch-check-emails', 429,
         {'error': 'Rate limit exceeded: 100 per 1 minute'}),
    fake('GET', BASE + V1 + '/batch-check-status/x', 200,
         {'task_id': 'x', 'status': 'done'}),
    fake('HEAD', BASE + '/downloads/x', 200, b'body'),
], ids=['unknown-path-200', 'unknown-path-other-404', 'undocumented-alias', 'status',
        'extra-key', 'content-type', 'not-json', 'method', 'rate-limit-message',
        'retry-after-missing', 'status-shape', 'head-with-body'])
def test_checker_rejects(resp):
    with pytest.raises(AssertionError):
        contract.check_response(resp)


def test_checker_accepts_router_answers():
    contract.check_response(fake('GET', BASE + '/nope', 404, {'detail': 'Not Found'}))
    contract.check_response(fake('PATCH', BASE + '/healthz', 405,
                                 {'detail': 'Method Not Allowed'}))
    contract.check_response(fake('GET', BASE + V1 + '/batch-check-status/a%2Fb', 404,
                                 {'detail': 'Not Found'}))


def test_checker_is_registered():
    import harness
    assert contract.check_response in harness.RESPONSE_CHECKS


# ---- the tour ----

def csv_of(n, domain='example.com'):
    return b'email\n' + b''.join(b'u%d@%s\n' % (i, domain.encode()) for i in range(n))


def big_body():
    return b'x' * (16 * 1024 * 1024 + 10)


def test_tour_produces_every_documented_response(make_server):
    s = make_server(['--rate-limit', '3', '--ban-threshold', '3', '--credits', '5',
                     '--storage-limit', '300000', '--max-upload', '200000',
                     '--url-ttl', '60'])
    contract.OBSERVED.clear()
    A, B = 'tour-a', 'tour-b'
    sub = V1 + '/batch-check-emails'

    # service
    assert s.get('/healthz').status_code == 200
    assert s.get('/openapi.json').status_code == 200
    assert s.get('/').status_code == 200
    assert s.put('/healthz').status_code == 405

    # batch-check-emails
    assert s.post(sub, files={'file': ('a.csv', b'email\n')}, data={'project_name': 'p'}) \
        .status_code == 401
    assert s.submit('k' * 600, 'a.csv', b'email\n').status_code == 401
    assert s.post(sub, A, data=b'', headers={'Content-Type': 'multipart/form-data'}) \
        .status_code == 400
    assert s.post(sub, A, data={'x': '1'}).status_code == 422
    assert s.submit(A, 'a.csv', b'email\n', project_name='', dedup='maybe').status_code == 422
    assert s.submit(A, 'a.csv', b'email\n', project_name='x' * 51).status_code == 422
    assert s.post(sub, A, data={'file': 'text', 'project_name': 'p'}).status_code == 422
    assert s.submit(A, 'a.pdf', b'email\n').status_code == 400
    assert s.submit(A, 'big.csv', b'e' * 250000).status_code == 413        # --max-upload
    for i in range(3):
        assert s.submit('tour-rate', 'a.pdf', b'email\n').status_code == 400
    r = s.submit('tour-rate', 'a.pdf', b'email\n')
    assert r.status_code == 429 and int(r.headers['Retry-After']) >= 1
    r = s.submit(A, 'emails.csv', csv_of(3) + b'bad\n', project_name='tour')
    assert r.status_code == 200
    tid = r.json()['task_id']
    st = s.wait(A, tid)
    assert st['status'] == 'completed'
    assert s.submit(B, 'q.csv', b'email\n' + b'a' * 190000).status_code == 200
    assert s.submit(B, 'q.csv', b'email\n' + b'a' * 190000).status_code == 413  # quota

    # check-email (credits 5 per account; ban after 3 black results per IP)
    ce = V1 + '/check-email'
    assert s.post(ce).status_code == 401
    assert s.post(ce, 'tour-poor').status_code == 422
    assert s.post(ce + '?email=plaintext', 'tour-poor').status_code == 422
    for _ in range(5):
        assert s.post(ce + '?email=ok@example.com', 'tour-poor').status_code == 200
    assert s.post(ce + '?email=ok@example.com', 'tour-poor').status_code == 402
    assert s.submit('tour-poor', 'a.csv', b'email\na@example.com\n').status_code == 402
    assert s.post(ce, A, data=big_body()).status_code == 413

    # status and download
    stat, dl = V1 + '/batch-check-status/', V1 + '/batch-task-download/'
    assert s.get(stat + tid).status_code == 401
    assert s.get(stat + tid, B).status_code == 404
    assert s.get(dl + tid).status_code == 401
    assert s.get(dl + 'nope', A).status_code == 404
    r = s.post('/__mock/faults', json={'match': {'api_key': 'tour-slow'}, 'times': 1,
                                       'task': {'processing_ms': 60000}})
    assert r.status_code == 201
    slow = s.submit('tour-slow', 'a.csv', b'email\na@example.com\n').json()['task_id']
    assert s.get(stat + slow, 'tour-slow').json()['status'] == 'processing'
    assert s.get(dl + slow, 'tour-slow').status_code == 404
    assert s.get('/__mock/tasks', 'tour-slow').status_code == 200
    assert s.post('/__mock/faults', json={'match': {'api_key': 'tour-fail'},
                                          'task': {'outcome': 'failed'}}).status_code == 201
    bad = s.submit('tour-fail', 'a.csv', b'email\na@example.com\n').json()['task_id']
    assert s.wait('tour-fail', bad)['status'] == 'failed'
    assert s.get(dl + bad, 'tour-fail').status_code == 400
    assert s.get('/__mock/tasks').status_code == 200  # all accounts, with a failed task

    r = s.get(dl + tid, A)
    assert r.status_code == 200
    url = r.json()['download_url']
    assert s.http.get(url).status_code == 200
    assert s.http.head(url).status_code == 200
    assert s.http.get(url[:-4] + '0000').status_code == 403
    assert s.http.head(url[:-4] + '0000').status_code == 403
    # a well-signed link to a task that is gone
    doomed = s.submit(A, 'd.csv', b'email\na@example.com\n').json()['task_id']
    s.wait(A, doomed)
    gone = s.get(dl + doomed, A).json()['download_url']
    assert s.delete('/__mock/tasks/' + doomed).status_code == 401
    assert s.delete('/__mock/tasks/' + doomed, A).status_code == 200
    assert s.delete('/__mock/tasks/' + doomed, A).status_code == 404
    assert s.http.get(gone).status_code == 404
    assert s.http.head(gone).status_code == 404

    # an injected answer is outside the contract, and accepted as such
    r = s.post('/__mock/faults', json={'match': {'path_prefix': stat, 'method': 'get'},
                                       'respond': {'status': 503, 'body': {'oops': 1},
                                                   'headers': {'X-Fault': 'yes'}},
                                       'times': 1})
    assert r.status_code == 201 and r.json()['times_left'] == 1
    r = s.get(stat + tid, A)
    assert r.status_code == 503 and r.json() == {'oops': 1}
    assert s.get(stat + tid, A).status_code == 200  # used up
    s.post('/__mock/faults', json={'respond': {'delay_ms': 10}, 'times': 2})
    assert s.get(stat + tid, A).status_code == 200  # delayed, then the real answer
    assert s.get('/__mock/faults').status_code == 200
    assert s.post('/__mock/faults', json={'respond': {}, 'task': {}}).status_code == 400
    assert s.post('/__mock/faults', data=b'[').status_code == 400
    assert s.post('/__mock/faults', data=big_body()).status_code == 413
    armed = s.post('/__mock/faults', json={'match': {'path_prefix': '/nowhere'},
                                           'respond': {'status': 500}}).json()
    assert s.get('/__mock/faults/%d' % armed['id']).status_code == 200
    assert s.delete('/__mock/faults/%d' % armed['id']).status_code == 200
    assert s.get('/__mock/faults/%d' % armed['id']).status_code == 404
    assert s.delete('/__mock/faults/%d' % armed['id']).status_code == 404
    assert s.delete('/__mock/faults').status_code == 200

    # the control API's index; every control route refuses a query name it
    # does not take (before it changes anything)
    r = s.get('/__mock')
    assert r.status_code == 200
    values = {'{task_id}': tid, '{key}': A, '{kind}': 'white', '{id}': '1'}
    for e in r.json()['endpoints']:
        if not e['path'].startswith('/__mock'):
            continue
        path = e['path']
        for k, v in values.items():
            path = path.replace(k, v)
        r = s.http.request(e['method'], s.url(path + '?bogus=1'), headers={'X-API-Key': A})
        assert r.status_code == 400, (e, r.text)
        assert r.json()['detail'][0]['loc'] == ['query', 'bogus']

    # clock: expire the link
    assert s.get('/__mock/clock').status_code == 200
    assert s.post('/__mock/clock', json={'advance_seconds': 120}).status_code == 200
    assert s.http.get(url).status_code == 403
    assert s.post('/__mock/clock', json={'set': 'yesterday'}).status_code == 400
    assert s.post('/__mock/clock', json={}).status_code == 400
    assert s.post('/__mock/clock', data=big_body()).status_code == 413
    assert s.delete('/__mock/clock').status_code == 200
    assert s.post('/__mock/clock', json={'advance_seconds': 120}).status_code == 200

    # accounts and lists
    assert s.get('/__mock/accounts/' + A).status_code == 200
    assert s.get('/__mock/accounts/a%2Fb').status_code == 404
    assert s.get('/__mock/accounts').status_code == 200
    assert s.put('/__mock/accounts/tour-rich', json={'credits': 10}).status_code == 200
    assert s.put('/__mock/accounts/tour-rich', json={'credits': -1}).status_code == 400
    assert s.put('/__mock/accounts/a%2Fb', json={'credits': 1}).status_code == 404
    assert s.put('/__mock/accounts/tour-rich', data=big_body()).status_code == 413
    lists = '/__mock/accounts/%s/lists/' % A
    assert s.put(lists + 'grey', data='# vip\nexample.org\nvip@example.net\n') \
        .json()['entries'] == 2
    r = s.get(lists + 'grey')
    assert r.status_code == 200 and 'example.org' in r.text
    assert s.get(lists + 'purple').status_code == 404
    assert s.put(lists + 'purple', data='x').status_code == 404
    assert s.put(lists + 'white', data=b'a\x00b').status_code == 400
    assert s.put(lists + 'white', data=big_body()).status_code == 413

    # scenario: the state as it is, put back as it is
    r = s.get('/__mock/scenario')
    assert r.status_code == 200 and A in r.json()['accounts']
    assert s.put('/__mock/scenario', json=r.json()).json() == r.json()
    assert s.put('/__mock/scenario', json={'clock': 1}).status_code == 400
    assert s.put('/__mock/scenario', data=big_body()).status_code == 413

    # journal
    r = s.get('/__mock/requests', params={'path_prefix': V1, 'api_key': A, 'task_id': tid})
    assert r.status_code == 200 and r.json()['requests']
    assert s.delete('/__mock/requests').status_code == 200

    # ban (per IP, so last of the single checks)
    for left in (2, 1, 0):
        r = s.post(ce + '?email=test@disposable.com', 'tour-ban')
        assert r.status_code == 200 and r.json()['remaining_attempts_before_ban'] == left
    assert s.post(ce + '?email=ok@example.com', 'tour-ban').status_code == 403
    bans = s.get('/__mock/bans')
    assert bans.status_code == 200 and bans.json()['bans'][0]['banned'] is True
    assert s.delete('/__mock/bans').status_code == 200
    assert s.post(ce + '?email=ok@example.com', 'tour-ban').status_code == 200

    # reset
    assert s.post('/__mock/reset', json={'api_key': 5}).status_code == 400
    assert s.post('/__mock/reset', data=big_body()).status_code == 413
    assert s.post('/__mock/reset', json={'api_key': B}).status_code == 200
    assert s.post('/__mock/reset').status_code == 200

    documented = set()
    for template, item in SPEC['paths'].items():
        for method, op in item.items():
            if method.upper() in HTTP_METHODS:
                for code in op['responses']:
                    if code not in UNREACHABLE:
                        documented.add((template, method.upper(), code))
    missing = documented - contract.OBSERVED
    assert not missing, 'documented but never produced: %s' % sorted(missing)
