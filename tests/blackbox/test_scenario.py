"""Scenarios (README "Scenarios"): examples/scenario.json applied at start,
section by section; a bad file refusing to start (exit 2, the file and the
JSON path named); PUT /__mock/scenario all or nothing; GET, PUT on a fresh
server, GET giving the same document; chosen outcomes in batch results (CSV
and XLSX) and the single check, an account's own beating a global one, an
invalid address staying black/invalid; reset forgetting them."""
import copy
import csv
import io
import json
import os
import subprocess
import tempfile

import openpyxl
import pytest

from harness import UCMOCK_BIN, V1
from helpers import run_ok

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
EXAMPLE = os.path.join(ROOT, 'examples', 'scenario.json')
CHECK = V1 + '/check-email'


def example():
    with open(EXAMPLE, encoding='utf-8') as f:
        return json.load(f)


def check(server, key, email):
    """The single check's (category, type)."""
    r = server.post(CHECK, key, params={'email': email})
    assert r.status_code == 200, r.text
    return r.json()['category'], r.json()['type']


def export(server):
    r = server.get('/__mock/scenario')
    assert r.status_code == 200, r.text
    return r.json()


def put(server, doc):
    return server.put('/__mock/scenario', json=doc)


def batch(server, key, lines, dedup='false'):
    """A one-column CSV through a batch: [(email, category, domain_type)]
    and the status."""
    body = ('email\n' + ''.join(a + '\n' for a in lines)).encode()
    st, out = run_ok(server, 'v.csv', body, key=key, dedup=dedup)
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    return [(r['email'], r['category'], r['domain_type']) for r in rows], st


# ---- the example, at start ----

def test_example_takes_effect_at_start(make_server):
    s = make_server(['--scenario', EXAMPLE])
    # the whole state, as the file says it (nothing else has happened yet)
    assert export(s) == example()
    # clock
    assert s.get('/__mock/clock').json()['offset_seconds'] == 3600
    # accounts: credits and lists
    acct = s.get('/__mock/accounts/ci-key').json()
    assert acct['credits'] == 100
    assert s.get('/__mock/accounts/ci-key/lists/white').text.split() == ['vip.example']
    assert s.get('/__mock/accounts/ci-key/lists/black').text.split() == ['spam.example']
    assert check(s, 'ci-key', 'x@vip.example') == ('white', 'white')
    # faults: the first status request of ci-key gets the 503, once (the
    # GET lets the contract check know of the fault the file armed)
    assert len(s.get('/__mock/faults').json()['faults']) == 1
    r = s.get(V1 + '/batch-check-status/00000000-0000-4000-8000-000000000000', 'ci-key')
    assert (r.status_code, r.json()) == (503, {'detail': 'try later'})
    r = s.get(V1 + '/batch-check-status/00000000-0000-4000-8000-000000000000', 'ci-key')
    assert r.status_code == 404, r.text
    # global outcomes: an address, a domain with its subdomains
    assert check(s, 'ci-key', 'alice@corp.example') == ('grey', 'masked legitimate')
    assert check(s, 'other', 'Alice@Corp.Example') == ('grey', 'masked legitimate')
    assert check(s, 'other', 'x@mail.corp2.example') == ('black', 'no website')
    # the account's own outcome, for that account only
    assert check(s, 'ci-key', 'bob@team.example') == ('black', 'suspicious signs')
    assert check(s, 'other', 'bob@team.example') == ('white', 'unknown')
    assert s.get('/__mock/accounts/ci-key').json()['credits'] == 100 - 3  # three checks


def test_scenario_from_the_environment(make_server):
    s = make_server(env={'UCMOCK_SCENARIO': EXAMPLE})
    assert s.get('/__mock/clock').json()['offset_seconds'] == 3600
    assert check(s, 'k', 'alice@corp.example') == ('grey', 'masked legitimate')
    assert 'event=scenario_applied source=file accounts=1 outcomes=3 faults=1' in s.read_log()


def test_applied_again_at_every_start(make_server):
    """Declarative: a restart with the file sets what it names back."""
    s = make_server(['--scenario', EXAMPLE])
    assert s.put('/__mock/accounts/ci-key', json={'credits': 5}).status_code == 200
    assert s.post('/__mock/reset', json={}).status_code == 200
    assert check(s, 'k', 'alice@corp.example') == ('white', 'unknown')
    s.restart()
    assert s.get('/__mock/accounts/ci-key').json()['credits'] == 100
    assert check(s, 'k', 'alice@corp.example') == ('grey', 'masked legitimate')


# ---- a bad file ----

def start_with(doc_text):
    """Start the binary with a scenario file holding doc_text: (exit
    status, stderr, the file's path). It must not start."""
    with tempfile.TemporaryDirectory(prefix='ucmock-test-') as d:
        path = os.path.join(d, 'scenario.json')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(doc_text)
        p = subprocess.run([UCMOCK_BIN, '--listen', '127.0.0.1:0', '--data-dir',
                            os.path.join(d, 'data'), '--scenario', path],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stderr, p.stdout, path


def test_bad_file_refuses_to_start():
    doc = example()
    doc['accounts']['ci-key']['credit'] = 5                           # unknown key
    doc['outcomes'][1]['domain_type'] = 'no-website'                  # undocumented
    doc['accounts']['ci-key']['outcomes'][0]['category'] = 'white'     # no such pair
    doc['faults'][0]['respond']['stauts'] = 503                       # the fault API's check
    rc, err, out, path = start_with(json.dumps(doc))
    assert rc == 2, (rc, err)
    assert out == ''  # never said it listens
    lines = err.splitlines()
    assert all(line.startswith('ucmock: %s: ' % path) for line in lines), err
    assert len(lines) == 4, err
    assert ('ucmock: %s: accounts.ci-key.credit: Extra inputs are not permitted (allowed '
            'keys: credits, lists, outcomes)' % path) in lines
    assert ("ucmock: %s: outcomes[1].domain_type: Input should be 'unknown', 'disposable', "
            "'multi-alias services', 'masked legitimate', 'suspicious signs', 'no website', "
            "'white', 'grey' or 'black'" % path) in lines
    assert ('ucmock: %s: accounts.ci-key.outcomes[0]: Value error, white / suspicious signs '
            'is not an outcome the service gives: domain_type suspicious signs goes with '
            'category grey or black' % path) in lines
    assert any(line.startswith('ucmock: %s: faults[0].respond.stauts: Extra inputs' % path)
               for line in lines), err


def test_bad_values_refuse_to_start():
    cases = [
        ('{"clock": {"offset_seconds": 1.5}}', 'clock.offset_seconds: Input should be a '
         'valid integer'),
        ('{"outcomes": [{"email": "plaintext", "category": "grey", "domain_type": "grey"}]}',
         'outcomes[0].email: Value error, not a valid address: An email address must have '
         'an @-sign.'),
        ('{"outcomes": [{"domain": "x.example", "category": "black", '
         '"domain_type": "invalid"}]}', "outcomes[0].domain_type: Value error, invalid is "
         "syntax's own outcome"),
        ('{"accounts": {"k": {"lists": {"white": ["a@b.com # c"]}}}}',
         'accounts.k.lists.white[0]: Value error, one address or domain an item'),
        ('{"accounts": {"a.b": {"credits": -1}}}', 'accounts["a.b"].credits: Input should be '
         'greater than or equal to 0'),
        ('{"clock": {}', 'byte 12: JSON decode error'),
    ]
    for text, want in cases:
        rc, err, _, path = start_with(text)
        assert rc == 2, (text, rc, err)
        assert err.startswith('ucmock: %s: %s' % (path, want)), (text, err)


def test_missing_file_refuses_to_start():
    with tempfile.TemporaryDirectory(prefix='ucmock-test-') as d:
        path = os.path.join(d, 'nope.json')
        p = subprocess.run([UCMOCK_BIN, '--listen', '127.0.0.1:0', '--data-dir',
                            os.path.join(d, 'data'), '--scenario', path],
                           capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert p.stderr == 'ucmock: %s: No such file or directory\n' % path


# ---- PUT, GET ----

def test_put_is_all_or_nothing(server):
    assert put(server, example()).status_code == 200
    before = export(server)
    bad = {
        'clock': {'offset_seconds': 7200},
        'accounts': {'new-key': {'credits': 7},
                     'ci-key': {'lists': {'grey': ['ok.example', 'not a domain']}}},
        'outcomes': [{'email': 'carol@corp.example', 'category': 'black',
                      'domain_type': 'disposable'},
                     {'email': 'carol@corp.example', 'category': 'grey',
                      'domain_type': 'grey'}],
        'faults': [],
    }
    r = put(server, bad)
    assert r.status_code == 400, r.text
    problems = r.json()['detail']
    assert [p['loc'] for p in problems] == [
        ['body', 'accounts', 'ci-key', 'lists', 'grey', 1],
        ['body', 'outcomes', 1, 'email'],
    ], problems
    assert problems[1]['msg'] == ('Value error, the list already has an outcome for this '
                                  'address or domain')
    # nothing changed: not the clock, the accounts, the outcomes or the faults
    assert export(server) == before
    assert check(server, 'k', 'carol@corp.example') == ('white', 'unknown')
    # the good part alone applies, and the answer is the state now
    del bad['accounts']['ci-key']
    bad['outcomes'].pop()
    r = put(server, bad)
    assert r.status_code == 200, r.text
    now = r.json()
    assert now == export(server)
    assert now['clock'] == {'offset_seconds': 7200}
    assert now['accounts']['new-key'] == {'credits': 7, 'outcomes': [],
                                          'lists': {'white': [], 'grey': [], 'black': []}}
    assert now['accounts']['ci-key'] == before['accounts']['ci-key']  # not named: kept
    assert now['outcomes'] == bad['outcomes']                         # replaced
    assert now['faults'] == []                                        # replaced
    assert check(server, 'k', 'carol@corp.example') == ('black', 'disposable')
    assert check(server, 'k', 'alice@corp.example') == ('white', 'unknown')


def test_a_section_left_out_is_kept(server):
    assert put(server, example()).status_code == 200
    r = put(server, {'accounts': {'ci-key': {'credits': None}}})
    assert r.status_code == 200, r.text
    got = r.json()
    want = example()
    want['accounts']['ci-key'] = {'credits': None, 'outcomes': [],
                                  'lists': {'white': [], 'grey': [], 'black': []}}
    assert got == want


def test_round_trip_on_two_servers(make_server):
    a = make_server()
    b = make_server()
    # state made by hand on a, through the control API
    assert a.put('/__mock/accounts/k1', json={'credits': 42}).status_code == 200
    assert a.put('/__mock/accounts/k1/lists/grey',
                 data='# review these\nmaybe.example\n  x@y.example  # one address\n'
                 ).status_code == 200
    assert a.get('/__mock/accounts/k2').status_code == 200  # unlimited, empty lists
    r = a.post('/__mock/faults', json={'respond': {'status': 500}, 'times': 3,
                                       'match': {'path_prefix': '/v1/', 'api_key': 'k9'}})
    assert r.status_code == 201
    assert a.post(CHECK, 'k9', params={'email': 'a@b.com'}).status_code == 500  # 2 uses left
    assert a.post('/__mock/faults', json={'task': {'processing_ms': 10}}).status_code == 201
    assert a.post('/__mock/clock', json={'advance_seconds': 90061}).status_code == 200
    assert put(a, {'outcomes': [{'domain': 'corp.example', 'category': 'grey',
                                 'domain_type': 'multi-alias services'}],
                   'accounts': {'k3': {'outcomes': [
                       {'email': 'x@corp.example', 'category': 'black',
                        'domain_type': 'black'}]}}}).status_code == 200
    doc = export(a)
    assert doc['accounts']['k1'] == {'credits': 42, 'outcomes': [], 'lists': {
        'white': [], 'grey': ['maybe.example', 'x@y.example'], 'black': []}}
    assert doc['accounts']['k2'] == {'credits': None, 'outcomes': [], 'lists': {
        'white': [], 'grey': [], 'black': []}}
    assert doc['faults'][0]['times'] == 2 and doc['faults'][1]['times'] is None
    assert doc['clock'] == {'offset_seconds': 90061}
    # on a fresh server
    r = put(b, doc)
    assert r.status_code == 200, r.text
    assert export(b) == doc
    assert check(b, 'k3', 'x@corp.example') == ('black', 'black')
    assert check(b, 'k1', 'x@corp.example') == ('grey', 'multi-alias services')
    # the fault came over with its uses left
    assert b.post(CHECK, 'k9', params={'email': 'a@b.com'}).status_code == 500
    assert b.post(CHECK, 'k9', params={'email': 'a@b.com'}).status_code == 500
    assert b.post(CHECK, 'k9', params={'email': 'a@b.com'}).status_code == 200


# ---- outcomes in results ----

SCENARIO = {
    'outcomes': [
        {'domain': 'corp.example', 'category': 'grey', 'domain_type': 'masked legitimate'},
        {'email': 'boss@corp.example', 'category': 'white', 'domain_type': 'white'},
        {'domain': 'disposable.com', 'category': 'grey', 'domain_type': 'grey'},
    ],
    'accounts': {'acct-1': {'outcomes': [
        {'email': 'BOSS@corp.example', 'category': 'black', 'domain_type': 'black'},
        {'domain': 'eu.corp.example', 'category': 'black', 'domain_type': 'no website'},
    ]}},
}
ADDRESSES = ['a@corp.example', 'Boss@Corp.Example', 'x@eu.corp.example',
             'test@disposable.com', 'a..b@corp.example', 'plain@other.example']
GLOBAL = [('grey', 'masked legitimate'), ('white', 'white'), ('grey', 'masked legitimate'),
          ('grey', 'grey'), ('black', 'invalid'), ('white', 'unknown')]
OWN = [('grey', 'masked legitimate'), ('black', 'black'), ('black', 'no website'),
       ('grey', 'grey'), ('black', 'invalid'), ('white', 'unknown')]


@pytest.mark.parametrize('split', [False, True])
def test_outcomes_in_csv_results(make_server, split):
    """Through the one-thread pass, and through the split path (every idle
    worker on byte ranges of one file, --split-min 0), which shares the
    task's outcomes between its threads."""
    server = make_server(['--split-min', '0'] if split else [])
    assert put(server, SCENARIO).status_code == 200
    for key, want in (('acct-2', GLOBAL), ('acct-1', OWN)):
        rows, st = batch(server, key, ADDRESSES)
        assert rows == [(a,) + w for a, w in zip(ADDRESSES, want)], key
        assert (st['invalid'], st['charged']) == (1, 5)  # an outcome is charged as valid
        # many rows, so that the split path has ranges for several threads
        many = ADDRESSES * 2000
        rows, st = batch(server, key, many)
        assert rows == [(a,) + w for a, w in zip(many, want * 2000)], key
        assert (st['invalid'], st['charged']) == (2000, 10000)


def xlsx(addresses):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(['email', 'n'])
    for i, a in enumerate(addresses):
        ws.append([a, i])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_outcomes_in_xlsx_results(server):
    assert put(server, SCENARIO).status_code == 200
    for key, want in (('acct-2', GLOBAL), ('acct-1', OWN)):
        _, out = run_ok(server, 'v.xlsx', xlsx(ADDRESSES), key=key, dedup='false')
        ws = openpyxl.load_workbook(io.BytesIO(out)).active
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        assert [(r[0], r[2], r[3]) for r in rows] == [(a,) + w
                                                      for a, w in zip(ADDRESSES, want)]


def test_outcomes_in_the_single_check(server):
    assert put(server, SCENARIO).status_code == 200
    for key, want in (('acct-2', GLOBAL), ('acct-1', OWN)):
        for a, w in zip(ADDRESSES, want):
            if w[1] == 'invalid':  # still a 422: syntax comes first
                r = server.post(CHECK, key, params={'email': a})
                assert r.status_code == 422, r.text
                continue
            assert check(server, key, a) == w, (key, a)
        assert server.delete('/__mock/bans').status_code == 200


def test_reset_forgets_outcomes(server):
    assert put(server, SCENARIO).status_code == 200
    assert check(server, 'acct-1', 'boss@corp.example') == ('black', 'black')
    # one account: its own outcomes go, the global ones stay
    assert server.post('/__mock/reset', json={'api_key': 'acct-1'}).status_code == 200
    assert 'acct-1' not in export(server)['accounts']
    assert check(server, 'acct-1', 'boss@corp.example') == ('white', 'white')
    assert export(server)['outcomes'] == SCENARIO['outcomes']
    # everything: the global ones go too
    assert server.post('/__mock/reset', json={}).status_code == 200
    assert export(server)['outcomes'] == []
    assert check(server, 'acct-1', 'boss@corp.example') == ('white', 'unknown')


def test_the_index_lists_the_routes(server):
    got = {(e['method'], e['path']) for e in server.get('/__mock').json()['endpoints']}
    assert {('GET', '/__mock/scenario'), ('PUT', '/__mock/scenario')} <= got


def test_put_refuses_a_wrong_document(server):
    for body, loc in (([], ['body']), ({'clock': {'set': 'yesterday'}}, ['body', 'clock', 'set']),
                      ({'accounts': {'k': {'lists': {'pink': []}}}},
                       ['body', 'accounts', 'k', 'lists', 'pink']),
                      ({'faults': {}}, ['body', 'faults'])):
        r = put(server, body)
        assert r.status_code == 400, (body, r.text)
        assert [p['loc'] for p in r.json()['detail']] == [loc], (body, r.text)
    doc = copy.deepcopy(example())
    doc['clock'] = {'set': '2030-01-01T00:00:00Z'}
    assert put(server, doc).status_code == 200
    assert server.get('/__mock/clock').json()['now'].startswith('2030-01-01T00:00:0')
