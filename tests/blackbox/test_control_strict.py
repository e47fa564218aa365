"""The control API refuses what it does not understand (issue 12): every
JSON body is checked strictly and every problem is listed as pydantic v2
lists them, with its path and what is allowed, and nothing changes; query
names a control route does not take are refused; GET /__mock is an index
made from the route table; faults have ids; accounts can be listed and
their balance set; the clock goes back to real time and never backwards by
advance_seconds; a job's processing time runs on the virtual clock; list
entries are checked line by line."""
import time

import pytest

import contract
from harness import V1

KEY = 'strict-key'
CSV = b'email\na@example.com\nb@example.com\n'
STATUS = V1 + '/batch-check-status/00000000-0000-4000-8000-000000000000'


def problems(r):
    """The 400's problem list, each entry checked for its shape."""
    assert r.status_code == 400, r.text
    detail = r.json()['detail']
    assert isinstance(detail, list) and detail
    for p in detail:
        assert set(p) - {'ctx'} == {'type', 'loc', 'msg', 'input'}, p
        assert p['loc'][0] in ('body', 'query'), p
    return detail


def only(r):
    """The one problem of a 400: (type, loc, msg)."""
    detail = problems(r)
    assert len(detail) == 1, detail
    return detail[0]['type'], detail[0]['loc'], detail[0]['msg']


# ---- the observed cases ----

def test_misspelt_match_key_is_refused_and_arms_nothing(server):
    r = server.post('/__mock/faults', json={'match': {'path': '/v1/x'},
                                            'respond': {'status': 503}})
    t, loc, msg = only(r)
    assert (t, loc) == ('extra_forbidden', ['body', 'match', 'path'])
    assert 'allowed keys: method, path_prefix, api_key' in msg
    assert r.json()['detail'][0]['input'] == '/v1/x'
    assert server.get('/__mock/faults').json()['faults'] == []
    assert server.get(STATUS, KEY).status_code == 404  # not faulted


def test_misspelt_respond_key_is_refused(server):
    r = server.post('/__mock/faults', json={'respond': {'stauts': 503}})
    t, loc, msg = only(r)
    assert (t, loc) == ('extra_forbidden', ['body', 'respond', 'stauts'])
    assert 'allowed keys: status, body, headers, delay_ms, drop_connection, ' \
           'drop_after_bytes' in msg
    assert server.get('/__mock/faults').json()['faults'] == []
    assert server.get(STATUS, KEY).status_code == 404


def test_reset_with_a_misspelt_key_wipes_nothing(server):
    st, _ = server.run(KEY, 'a.csv', CSV)
    server.run('bystander', 'b.csv', CSV)
    r = server.post('/__mock/reset', json={'apikey': KEY})
    t, loc, msg = only(r)
    assert (t, loc) == ('extra_forbidden', ['body', 'apikey'])
    assert 'allowed keys: api_key' in msg
    assert len(server.get('/__mock/tasks').json()['tasks']) == 2
    assert server.status(KEY, st['task_id']).json()['status'] == 'completed'
    # null is no key: refused too, rather than read as "everyone"
    t, loc, _ = only(server.post('/__mock/reset', json={'api_key': None}))
    assert (t, loc) == ('string_type', ['body', 'api_key'])
    assert len(server.get('/__mock/tasks').json()['tasks']) == 2


def test_every_problem_is_listed(server):
    r = server.post('/__mock/faults', json={
        'match': {'method': 'FETCH', 'path': '/v1'}, 'times': 0,
        'respond': {'status': 99, 'delay_ms': 'soon'}, 'extra': True})
    got = [(p['type'], p['loc']) for p in problems(r)]
    assert sorted(got) == sorted([
        ('extra_forbidden', ['body', 'extra']),
        ('greater_than_equal', ['body', 'times']),
        ('extra_forbidden', ['body', 'match', 'path']),
        ('literal_error', ['body', 'match', 'method']),
        ('greater_than_equal', ['body', 'respond', 'status']),
        ('int_type', ['body', 'respond', 'delay_ms']),
    ])
    by_loc = {tuple(p['loc']): p for p in r.json()['detail']}
    assert by_loc[('body', 'times')]['ctx'] == {'ge': 1}
    assert by_loc[('body', 'match', 'method')]['msg'] == "Input should be 'GET', 'HEAD' or 'POST'"
    assert by_loc[('body', 'respond', 'status')]['input'] == 99
    assert server.get('/__mock/faults').json()['faults'] == []


BAD_BODIES = [
    # (method, path, body, type, loc)
    ('POST', '/__mock/faults', {'respond': {'status': '503'}}, 'int_type',
     ['body', 'respond', 'status']),
    ('POST', '/__mock/faults', {'respond': {'status': 503.0}}, 'int_type',
     ['body', 'respond', 'status']),
    ('POST', '/__mock/faults', {'respond': {'status': 600}}, 'less_than_equal',
     ['body', 'respond', 'status']),
    ('POST', '/__mock/faults', {'respond': {'drop_connection': 'yes'}}, 'bool_type',
     ['body', 'respond', 'drop_connection']),
    ('POST', '/__mock/faults', {'respond': {'headers': {'X-A': 1}}}, 'string_type',
     ['body', 'respond', 'headers', 'X-A']),
    ('POST', '/__mock/faults', {'respond': {'headers': {'X-A': 'a\r\nSet-Cookie: x'}}},
     'value_error', ['body', 'respond', 'headers', 'X-A']),
    ('POST', '/__mock/faults', {'respond': {'status': 500, 'drop_connection': True}},
     'value_error', ['body', 'respond']),
    ('POST', '/__mock/faults', {'respond': {}, 'times': 'twice'}, 'int_type',
     ['body', 'times']),
    ('POST', '/__mock/faults', {'respond': {}, 'match': 'GET'}, 'dict_type',
     ['body', 'match']),
    ('POST', '/__mock/faults', {'respond': {}, 'match': {'path_prefix': '/__mock/clock'}},
     'value_error', ['body', 'match', 'path_prefix']),
    ('POST', '/__mock/faults', {'task': {'outcome': 'maybe'}}, 'literal_error',
     ['body', 'task', 'outcome']),
    ('POST', '/__mock/faults', {'task': {'processing_ms': -5}}, 'greater_than_equal',
     ['body', 'task', 'processing_ms']),
    ('POST', '/__mock/faults', {'task': {}, 'match': {'path_prefix': '/v1/'}}, 'value_error',
     ['body', 'match']),
    ('POST', '/__mock/faults', {'respond': {}, 'task': {}}, 'value_error', ['body']),
    ('POST', '/__mock/faults', {}, 'value_error', ['body']),
    ('POST', '/__mock/faults', [], 'dict_type', ['body']),
    ('POST', '/__mock/clock', {'advance_seconds': '60'}, 'float_type',
     ['body', 'advance_seconds']),
    ('POST', '/__mock/clock', {'advance_seconds': -60}, 'greater_than_equal',
     ['body', 'advance_seconds']),
    ('POST', '/__mock/clock', {'set': 'tomorrow'}, 'value_error', ['body', 'set']),
    ('POST', '/__mock/clock', {'set': 5}, 'string_type', ['body', 'set']),
    ('POST', '/__mock/clock', {'advance_seconds': 1, 'set': '2030-01-01T00:00:00Z'},
     'value_error', ['body']),
    ('POST', '/__mock/clock', {'advance': 60}, 'extra_forbidden', ['body', 'advance']),
    ('POST', '/__mock/reset', {'api_key': 5}, 'string_type', ['body', 'api_key']),
    ('POST', '/__mock/reset', {'api_key': ''}, 'string_too_short', ['body', 'api_key']),
    ('POST', '/__mock/reset', 'everything', 'dict_type', ['body']),
    ('PUT', '/__mock/accounts/acct', {'credits': -1}, 'greater_than_equal',
     ['body', 'credits']),
    ('PUT', '/__mock/accounts/acct', {'credits': '5'}, 'int_type', ['body', 'credits']),
    ('PUT', '/__mock/accounts/acct', {'credits': 1.5}, 'int_type', ['body', 'credits']),
    ('PUT', '/__mock/accounts/acct', {}, 'missing', ['body', 'credits']),
    ('PUT', '/__mock/accounts/acct', {'credit': 5}, 'extra_forbidden', ['body', 'credit']),
]


@pytest.mark.parametrize('method,path,body,type_,loc', BAD_BODIES,
                         ids=['%s %s %s' % (m, p, b) for m, p, b, _, _ in BAD_BODIES])
def test_wrong_types_and_ranges_are_refused(server, method, path, body, type_, loc):
    before = {p: server.get(p).json() for p in ('/__mock/faults', '/__mock/accounts')}
    offset = server.get('/__mock/clock').json()['offset_seconds']
    r = server.http.request(method, server.url(path), json=body)
    first = problems(r)[0]
    assert (first['type'], first['loc']) == (type_, loc), r.text
    assert first['msg']
    # nothing changed
    assert {p: server.get(p).json() for p in before} == before
    assert server.get('/__mock/clock').json()['offset_seconds'] == offset


def test_a_body_that_is_not_json(server):
    for path in ('/__mock/faults', '/__mock/clock', '/__mock/reset'):
        r = server.post(path, data=b'{"respond": ')
        t, loc, msg = only(r)
        assert t == 'json_invalid' and loc[0] == 'body' and isinstance(loc[1], int)
        assert msg == 'JSON decode error' and r.json()['detail'][0]['ctx']['error']
    r = server.post('/__mock/faults', data=b'{"respond": {}, "respond": {}}')
    assert only(r)[0] == 'json_invalid'  # a duplicate name is refused, not merged


def test_query_names_a_route_does_not_take_are_refused(server):
    server.run(KEY, 'a.csv', CSV)
    journal = server.get('/__mock/requests').json()['requests']
    assert journal
    # DELETE /__mock/requests?api_key=K does not mean "only K's": refused
    t, loc, msg = only(server.delete('/__mock/requests', params={'api_key': KEY}))
    assert (t, loc) == ('extra_forbidden', ['query', 'api_key'])
    assert 'none are allowed' in msg or 'no keys are allowed' in msg
    assert server.get('/__mock/requests').json()['requests'] == journal
    # the journal's own filters are the names it takes
    t, loc, msg = only(server.get('/__mock/requests', params={'key': KEY}))
    assert (t, loc) == ('extra_forbidden', ['query', 'key'])
    assert 'allowed keys: path_prefix, api_key, task_id' in msg
    assert server.get('/__mock/requests', params={'api_key': KEY}).status_code == 200


# ---- the index ----

def test_index_lists_every_control_endpoint(server):
    r = server.get('/__mock')
    assert r.status_code == 200
    body = r.json()
    assert body['openapi'] == '/openapi.json'
    listed = {(e['method'], e['path']) for e in body['endpoints']}
    assert all(e['summary'] and '\n' not in e['summary'] for e in body['endpoints'])
    # exactly the mock's own operations of the OpenAPI document: the index
    # is made from the route table, which test_contract.py holds to the
    # document
    own = {(m.upper(), t) for t, item in contract.SPEC['paths'].items()
           for m, op in item.items()
           if isinstance(op, dict) and op.get('tags') and op['tags'][0] in ('control',
                                                                           'service')}
    assert listed == own
    for m, p in [('GET', '/__mock'), ('DELETE', '/__mock/faults/{id}'),
                 ('PUT', '/__mock/accounts/{key}'), ('GET', '/__mock/accounts'),
                 ('DELETE', '/__mock/clock'), ('DELETE', '/__mock/bans')]:
        assert (m, p) in listed


# ---- faults by id ----

def test_faults_have_ids(server):
    ids = []
    for status in (501, 502, 503):
        r = server.post('/__mock/faults', json={'match': {'path_prefix': STATUS},
                                                'respond': {'status': status}, 'times': 2})
        assert r.status_code == 201
        ids.append(r.json()['id'])
    assert len(set(ids)) == 3
    listed = server.get('/__mock/faults').json()['faults']
    assert [(f['id'], f['times_left']) for f in listed] == [(i, 2) for i in ids]
    one = server.get('/__mock/faults/%d' % ids[1]).json()
    assert one['id'] == ids[1] and one['respond'] == {'status': 502} and one['times_left'] == 2
    # the first is used once: its uses left show
    assert server.get(STATUS, KEY).status_code == 501
    assert server.get('/__mock/faults/%d' % ids[0]).json()['times_left'] == 1
    # delete only the first
    r = server.delete('/__mock/faults/%d' % ids[0])
    assert r.status_code == 200 and r.json() == {'id': ids[0], 'deleted': True}
    assert [f['id'] for f in server.get('/__mock/faults').json()['faults']] == ids[1:]
    assert server.get(STATUS, KEY).status_code == 502
    for bad in (str(ids[0]), '999', 'abc', '0', '-1', '1e3'):
        for r in (server.get('/__mock/faults/' + bad), server.delete('/__mock/faults/' + bad)):
            assert r.status_code == 404 and r.json() == {'detail': 'Fault not found'}, bad
    assert len(server.get('/__mock/faults').json()['faults']) == 2


def test_a_query_on_the_collection_delete_is_not_delete_all(server):
    a = server.post('/__mock/faults', json={'respond': {'status': 500},
                                            'match': {'api_key': 'x'}}).json()['id']
    b = server.post('/__mock/faults', json={'respond': {'status': 500},
                                            'match': {'api_key': 'y'}}).json()['id']
    t, loc, _ = only(server.delete('/__mock/faults', params={'id': a}))
    assert (t, loc) == ('extra_forbidden', ['query', 'id'])
    assert [f['id'] for f in server.get('/__mock/faults').json()['faults']] == [a, b]
    assert server.delete('/__mock/faults').json() == {'cleared': True}
    assert server.get('/__mock/faults').json()['faults'] == []


# ---- accounts ----

def test_accounts_list_and_set_credits(server):
    server.run('acct-a', 'a.csv', CSV)
    server.get('/__mock/accounts/acct-b')
    accounts = server.get('/__mock/accounts').json()['accounts']
    assert [a['api_key'] for a in accounts] == ['acct-a', 'acct-b']
    a = accounts[0]
    assert a['charged'] == 2 and a['credits'] is None and a['storage_used'] > 0
    # a balance of 3 at run time: a 2-row task fits once, then 402
    r = server.put('/__mock/accounts/acct-c', json={'credits': 3})
    assert r.status_code == 200
    assert r.json() == {'api_key': 'acct-c', 'credits': 3, 'charged': 0, 'storage_used': 0,
                        'storage_limit': a['storage_limit']}
    st, _ = server.run('acct-c', 'a.csv', CSV)
    assert st['status'] == 'completed'
    assert server.get('/__mock/accounts/acct-c').json()['credits'] == 1
    st, _ = server.run('acct-c', 'a.csv', CSV)
    assert st['status'] == 'failed'  # 2 valid rows, 1 credit
    assert server.put('/__mock/accounts/acct-c', json={'credits': 0}).json()['credits'] == 0
    r = server.submit('acct-c', 'a.csv', CSV)
    assert r.status_code == 402
    # null: unlimited again; charged is kept
    r = server.put('/__mock/accounts/acct-c', json={'credits': None})
    assert r.json()['credits'] is None and r.json()['charged'] == 2
    assert server.submit('acct-c', 'a.csv', CSV).status_code == 200
    assert len(server.get('/__mock/accounts').json()['accounts']) == 3


# ---- clock ----

def test_clock_delete_returns_to_real_time(server):
    r = server.post('/__mock/clock', json={'advance_seconds': 86400 * 3})
    assert r.json()['offset_seconds'] == 86400 * 3
    r = server.delete('/__mock/clock')
    assert r.status_code == 200 and r.json()['offset_seconds'] == 0
    assert server.get('/__mock/clock').json()['offset_seconds'] == 0


def test_negative_advance_is_refused(server):
    server.post('/__mock/clock', json={'advance_seconds': 100})
    t, loc, msg = only(server.post('/__mock/clock', json={'advance_seconds': -50}))
    assert (t, loc) == ('greater_than_equal', ['body', 'advance_seconds'])
    assert msg == 'Input should be greater than or equal to 0'
    assert server.get('/__mock/clock').json()['offset_seconds'] == 100


def test_processing_ms_runs_on_the_virtual_clock(server):
    server.post('/__mock/faults', json={'task': {'processing_ms': 3600000}, 'times': 1})
    tid = server.submit(KEY, 'a.csv', CSV).json()['task_id']
    assert server.status(KEY, tid).json()['status'] == 'processing'
    server.post('/__mock/clock', json={'advance_seconds': 3601})
    # an hour of processing has passed on the clock: done at once, not in an hour
    assert server.wait(KEY, tid, timeout=60)['status'] == 'completed'


def test_processing_delay_flag_runs_on_the_virtual_clock(make_server):
    s = make_server(['--processing-delay', '3600000'])
    tid = s.submit(KEY, 'a.csv', CSV).json()['task_id']
    st = s.status(KEY, tid).json()
    assert st['status'] == 'processing' and st['progress'] < 50
    s.post('/__mock/clock', json={'advance_seconds': 1800})
    # half way on the clock, counted from the submission; on a busy machine
    # the worker may not have read the two rows yet: wait for it to
    for _ in range(3000):
        st = s.status(KEY, tid).json()
        if st['status'] != 'processing' or st['progress'] >= 45:
            break
        time.sleep(0.02)
    assert st['status'] == 'processing' and 45 <= st['progress'] <= 55, st  # half way
    s.post('/__mock/clock', json={'advance_seconds': 1801})
    assert s.wait(KEY, tid, timeout=60)['status'] == 'completed'


def test_a_delay_counts_from_the_submission_not_from_a_free_worker(make_server):
    """A task's processing time runs from its submission on the virtual
    clock, so a task queued behind another ends as soon as its time has
    passed, not a whole delay after a worker took it up. (It counted from
    the worker's start: under load a worker could take a task after the
    test had already moved the clock, and the flag's test above saw 0%
    progress half way through.) One worker, held by the first task."""
    s = make_server(['--workers', '1'])
    for k in ('first', 'queued'):
        assert s.post('/__mock/faults', json={'match': {'api_key': k}, 'times': 1,
                                              'task': {'processing_ms': 3600000}}
                      ).status_code == 201
    a = s.submit('first', 'a.csv', CSV).json()['task_id']
    b = s.submit('queued', 'b.csv', CSV).json()['task_id']
    assert s.status('queued', b).json()['status'] == 'processing'
    s.post('/__mock/clock', json={'advance_seconds': 3601})
    # both were submitted an hour ago: the first ends, then the queued one
    # as soon as the worker takes it
    assert s.wait('first', a, timeout=60)['status'] == 'completed'
    assert s.wait('queued', b, timeout=60)['status'] == 'completed'


# ---- lists ----

def test_list_entries_are_checked_line_by_line(server):
    path = '/__mock/accounts/%s/lists/black' % KEY
    good = '# ours\nexample.org\nvip@example.net\n*.example.com\n'
    assert server.put(path, data=good).json()['entries'] == 3
    bad = 'fine.example\nbad_label.com\n\nmissing@tld\n  a b.com  \nok@example.com\n!x.com\n'
    r = server.put(path, data=bad)
    detail = problems(r)
    assert [(p['loc'], p['input']) for p in detail] == [
        (['body', 2], 'bad_label.com'), (['body', 4], 'missing@tld'),
        (['body', 5], '  a b.com  '), (['body', 7], '!x.com')]
    assert all(p['type'] == 'value_error' for p in detail)
    assert detail[0]['msg'].startswith('Value error, line 2: not a valid domain: ')
    assert detail[1]['msg'].startswith('Value error, line 4: not a valid address: ')
    assert detail[2]['msg'] == 'Value error, line 5: white space inside the entry'
    # the list is left as it was
    assert server.get(path).text == good
    # a name without a dot is a top-level domain, unless a reserved one
    assert server.put(path, data='xyz\n').json()['entries'] == 1
    t, loc, msg = only(server.put(path, data='localhost\n'))
    assert loc == ['body', 1] and 'special-use or reserved name' in msg
    assert server.put(path, data=good).json()['entries'] == 3
    # a NUL is a bad line too, named by its number
    t, loc, msg = only(server.put(path, data=b'ok.example\nnul\x00here.com\n'))
    assert loc == ['body', 2] and msg == 'Value error, line 2: holds a NUL byte'
    assert server.get(path).text == good
