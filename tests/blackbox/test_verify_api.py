"""Verification as a client sees it: every outcome of fixtures/outcomes.csv
through a batch, the single check (shape, sandbox addresses, validation
errors, IP ban), the account's own lists, credits and the batch rate
limit."""
import csv
import io
import os
import re

import pytest

from harness import V1
from helpers import FIXTURES, KEY, assert_detail, counts, run_ok

CHECK = V1 + '/check-email'
BANNED = 'Your IP address is banned. Contact the service administrator to unlock access.'
NO_CREDITS = 'Insufficient credits — please top up your balance.'

# Every (category, domain_type) pair api-facts.md lists for batch results.
ALL_PAIRS = {
    ('white', 'unknown'), ('black', 'invalid'), ('black', 'disposable'),
    ('grey', 'multi-alias services'), ('grey', 'masked legitimate'),
    ('black', 'masked legitimate'), ('grey', 'suspicious signs'),
    ('black', 'suspicious signs'), ('black', 'no website'),
    ('white', 'white'), ('grey', 'grey'), ('black', 'black'),
}


def outcomes():
    with open(os.path.join(FIXTURES, 'outcomes.csv'), newline='') as f:
        return list(csv.DictReader(f))


# The last rows of outcomes.csv show outcomes a scenario chose: they hold
# with this file loaded (--scenario), and only then.
OUTCOMES_SCENARIO = os.path.join(FIXTURES, 'outcomes.scenario.json')


@pytest.fixture
def scenario_server(make_server):
    return make_server(['--scenario', OUTCOMES_SCENARIO])


def check(server, email, key=KEY):
    """POST check-email?email=...; the response."""
    return server.post(CHECK, key, params={'email': email})


def check_ok(server, email, key=KEY):
    r = check(server, email, key)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def verdicts(server, key, lines):
    """Run a one-column CSV through a batch: {email: (category, domain_type)}."""
    body = ('email\n' + ''.join(a + '\n' for a in lines)).encode()
    _, out = run_ok(server, 'v.csv', body, key=key, dedup='false')
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    assert [r['email'] for r in rows] == list(lines)
    return {r['email']: (r['category'], r['domain_type']) for r in rows}


# What email-validator 2.3.0 behind pydantic v2's wrapper says about each address
# (the oracle's texts; tests/verify/differential.py compares many more).
REASONS = {
    'plaintext': 'An email address must have an @-sign.',
    'missing@tld': 'The part after the @-sign is not valid. It should have a period.',
    '@nodomain.': 'There must be something before the @-sign.',
    'a@b@c.com': "The part after the @-sign contains invalid characters: '@'.",
    'user@localhost': 'The part after the @-sign is not valid. It should have a period.',
    'x@y.test': 'The part after the @-sign is a special-use or reserved name that cannot '
                'be used with email.',
    'x@y.local': 'The part after the @-sign is a special-use or reserved name that cannot '
                 'be used with email.',
    'x@y.onion': 'The part after the @-sign is a special-use or reserved name that cannot '
                 'be used with email.',
    '"q"@example.com': 'Quoting the part before the @-sign is not allowed here.',
    'user@[1.2.3.4]': 'A bracketed IP address after the @-sign is not allowed here.',
    'a..b@example.com': 'An email address cannot have two periods in a row.',
    '.a@example.com': 'An email address cannot start with a period.',
    'user@-bad.com': 'An email address cannot have a hyphen immediately after the @-sign.',
    'user@exa mple.com': 'The part after the @-sign contains invalid characters: SPACE.',
    'user@': 'There must be something after the @-sign.',
    '': 'An email address must have an @-sign.',
    'UPPER@EX\u200bAMPLE.COM': 'The email address contains unsafe characters: ZERO WIDTH '
                               'SPACE.',
    'Na.me <a@b.com>': "The display name contains invalid characters when not quoted: '.'.",
    'Name <a@b.com': 'An open angle bracket at the start of the email address has to be '
                     'followed by a close angle bracket at the end.',
    'a\x00b@x.io': 'The email address contains invalid characters before the @-sign: '
                   'U+0000.',
    'a b@example.com': 'The email address contains invalid characters before the @-sign: '
                       'SPACE.',
    ' ' * 2042 + 'a@b.com': 'Length must not exceed 2048 characters',
}


def validator_reason(addr):
    return REASONS[addr]


def account(server, key):
    r = server.get('/__mock/accounts/' + key)
    assert r.status_code == 200, r.text
    return r.json()


def reset(server, body=None):
    r = server.post('/__mock/reset', json=body or {})
    assert r.status_code == 200, r.text


# ---- 1. every outcome through a batch ----

def test_outcomes_csv_batch(scenario_server):
    server = scenario_server
    rows = outcomes()
    with open(os.path.join(FIXTURES, 'outcomes.csv'), 'rb') as f:
        content = f.read()
    st, out = run_ok(server, 'outcomes.csv', content)
    got = list(csv.DictReader(io.StringIO(out.decode())))
    assert len(got) == len(rows)
    assert list(got[0]) == ['email', 'expected_category', 'expected_domain_type',
                            'category', 'domain_type']
    for want, row in zip(rows, got):
        assert row['email'] == want['email']
        assert (row['category'], row['domain_type']) == (
            want['expected_category'], want['expected_domain_type']), row
    pairs = {(r['category'], r['domain_type']) for r in got}
    assert pairs == ALL_PAIRS
    invalid = sum(1 for r in rows if r['expected_domain_type'] == 'invalid')
    assert counts(st) == (len(rows), 0, invalid, len(rows) - invalid)


def test_outcomes_single_check(scenario_server):
    """The single check agrees with the batch on every valid row (invalid ones
    are 422 there); the ban counter is reset after each black result. The
    scenario's outcomes are lost with the reset, so it is put back."""
    server = scenario_server
    with open(OUTCOMES_SCENARIO, 'rb') as f:
        scenario = f.read()
    for want in outcomes():
        if want['expected_domain_type'] == 'invalid':
            assert check(server, want['email']).status_code == 422
            continue
        j = check_ok(server, want['email'])
        assert (j['category'], j['type']) == (want['expected_category'],
                                              want['expected_domain_type']), j
        if j['category'] == 'black':
            reset(server)
            r = server.put('/__mock/scenario', data=scenario)
            assert r.status_code == 200, r.text


def test_outcomes_csv_needs_its_scenario(server):
    """Without the scenario, its rows fall to the ordinary rules: the file's
    scenario rows are what the scenario changes."""
    rows = [r for r in outcomes() if 'corp' in r['email'].lower()]
    assert len(rows) == 5
    got = verdicts(server, KEY, [r['email'] for r in rows])
    changed = [r['email'] for r in rows
               if got[r['email']] != (r['expected_category'], r['expected_domain_type'])]
    assert changed == [r['email'] for r in rows if r['expected_domain_type'] != 'invalid']


# ---- 2. the single check ----

def test_check_email_shape(server):
    r = server.post('/__mock/clock', json={'set': '2025-12-26T10:00:00Z'})
    assert r.status_code == 200, r.text
    r = check(server, 'test@disposable.com')
    assert r.status_code == 200
    assert r.headers['Content-Type'].startswith('application/json')
    assert r.json() == {
        'category': 'black', 'date_added': 'Dec 26, 2025', 'domain': 'disposable.com',
        'domain_age': 'unknown', 'email': 'test@disposable.com', 'mx_record': '',
        'premium': 'False', 'remaining_attempts_before_ban': 4, 'type': 'disposable',
    }
    # key order as the real service sends it
    assert list(r.json()) == ['category', 'date_added', 'domain', 'domain_age', 'email',
                              'mx_record', 'premium', 'remaining_attempts_before_ban',
                              'type']


def test_check_email_sandbox(server):
    server.post('/__mock/clock', json={'set': '2025-12-26T10:00:00Z'})
    j = check_ok(server, 'test@multi-alias.com')
    assert j == {
        'category': 'grey', 'date_added': 'Dec 26, 2025', 'domain': 'multi-alias.com',
        'domain_age': 'unknown', 'email': 'test@multi-alias.com', 'mx_record': '',
        'premium': 'False', 'remaining_attempts_before_ban': 5,
        'type': 'multi-alias services',
    }
    j = check_ok(server, 'test@gmail.com')
    assert (j['category'], j['type'], j['domain'], j['email']) == (
        'white', 'unknown', 'gmail.com', 'test@gmail.com')
    assert j['remaining_attempts_before_ban'] == 5
    for k in ('date_added', 'domain', 'domain_age', 'email', 'mx_record', 'premium', 'type',
              'category'):
        assert isinstance(j[k], str), k
    assert type(j['remaining_attempts_before_ban']) is int
    j = check_ok(server, 'anyone@some-company.io')
    assert (j['category'], j['type']) == ('white', 'unknown')
    # the date follows the virtual clock
    server.post('/__mock/clock', json={'advance_seconds': 86400 * 10})
    assert check_ok(server, 'test@gmail.com')['date_added'] == 'Jan 05, 2026'


MALFORMED = [
    'plaintext', 'missing@tld', '@nodomain.', 'a@b@c.com', 'user@localhost',
    'x@y.test', 'x@y.local', 'x@y.onion', '"q"@example.com', 'user@[1.2.3.4]',
    'a..b@example.com', '.a@example.com', 'user@-bad.com', 'user@exa mple.com',
    'user@', '', 'UPPER@EX\u200bAMPLE.COM', 'Na.me <a@b.com>', 'Name <a@b.com',
    ' ' * 2042 + 'a@b.com',
]


@pytest.mark.parametrize('addr', MALFORMED, ids=lambda a: a[:40])
def test_check_email_malformed(server, addr):
    reason = validator_reason(addr)
    r = check(server, addr)
    assert r.status_code == 422, (r.status_code, r.text)
    detail = r.json()['detail']
    assert isinstance(detail, list) and len(detail) == 1
    e = detail[0]
    assert e['type'] == 'value_error'
    assert e['loc'] == ['query', 'email']
    assert e['msg'] == 'value is not a valid email address: ' + reason
    assert e['input'] == addr
    # nothing charged, no ban counted
    assert check_ok(server, 'test@gmail.com')['remaining_attempts_before_ban'] == 5
    assert account(server, KEY)['charged'] == 1


# pydantic's EmailStr hands the app the normalized address: the single check
# answers with it (email and domain), after pydantic's strip and "Name <addr>"
# unwrapping. (input, email, domain)
NORMALIZED = [
    ('Info@Example.COM', 'info@example.com', 'example.com'),  # RFC 2142 name
    ('Jane.Doe@Example.COM', 'Jane.Doe@example.com', 'example.com'),
    ('  test@gmail.com\t', 'test@gmail.com', 'gmail.com'),
    ('user@example.com ', 'user@example.com', 'example.com'),
    ('Jane Doe <jane@example.com>', 'jane@example.com', 'example.com'),
    ('"Doe, Jane" <jane@example.com>', 'jane@example.com', 'example.com'),
    ('a@xn--bcher-kva.de', 'a@b\u00fccher.de', 'b\u00fccher.de'),
    ('a@B\u00dcCHER.de', 'a@b\u00fccher.de', 'b\u00fccher.de'),
    ('e\u0301@example.com', '\u00e9@example.com', 'example.com'),  # NFC
    ('a' * 65 + '@example.com', 'a' * 65 + '@example.com', 'example.com'),
    (' ' * 2041 + 'a@b.com', 'a@b.com', 'b.com'),
]


@pytest.mark.parametrize('given,email,domain', NORMALIZED, ids=lambda a: a[:40])
def test_check_email_normalized(server, given, email, domain):
    j = check_ok(server, given)
    assert (j['email'], j['domain']) == (email, domain), j


def test_batch_cells_as_pydantic(server):
    """A batch cell is judged as the single check judges its value: surrounding
    white space and a display name are accepted (pydantic strips and unwraps),
    and the row keeps its text as given."""
    cells = ['  test@gmail.com  ', 'Jane Doe <test+tag@example.com>', '"Doe, Jane" <x@y.io>',
             'UPPER@EX\u200bAMPLE.COM', 'a' * 65 + '@example.com', 'Name <a@b.com',
             'x@disposable.com\t', '<test@multi-alias.com>',
             '"' + 'n' * 2000 + '" <x@y.io>',        # long, but under the 2,048 cap
             '"' + 'n' * 2040 + '" <x@y.io>']        # over it
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['email'])
    for c in cells:
        w.writerow([c])
    _, out = run_ok(server, 'cells.csv', buf.getvalue().encode(), dedup='false')
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    assert [r['email'] for r in rows] == cells
    assert [(r['category'], r['domain_type']) for r in rows] == [
        ('white', 'unknown'), ('grey', 'suspicious signs'), ('white', 'unknown'),
        ('black', 'invalid'), ('white', 'unknown'), ('black', 'invalid'),
        ('black', 'disposable'), ('grey', 'multi-alias services'), ('white', 'unknown'),
        ('black', 'invalid')]


def test_check_email_missing(server):
    r = server.post(CHECK, KEY)
    assert r.status_code == 422
    assert r.json() == {'detail': [{'type': 'missing', 'loc': ['query', 'email'],
                                    'msg': 'Field required', 'input': None}]}


def test_check_email_auth(server, make_server):
    r = server.post(CHECK, params={'email': 'test@gmail.com'})
    assert_detail(r, 401, 'No auth provided')
    r = server.post(CHECK, '', params={'email': 'test@gmail.com'})
    assert_detail(r, 401, 'No auth provided')
    s = make_server(['--api-key', 'good'])
    assert_detail(check(s, 'test@gmail.com', 'bad'), 401, 'Invalid API key.')
    assert check(s, 'test@gmail.com', 'good').status_code == 200


# ---- 3. IP ban ----

def ban_countdown(server, threshold):
    """Black results from one IP count down from threshold, across keys."""
    # white and grey results, and 422s, do not count
    for addr in ('test@gmail.com', 'test@multi-alias.com', 'a+b@example.com'):
        assert check_ok(server, addr)['remaining_attempts_before_ban'] == threshold
    assert check(server, 'plaintext').status_code == 422
    for i in range(threshold):
        key = 'key-%d' % (i % 2)  # the counter is per IP, not per key
        j = check_ok(server, 'test@disposable.com', key)
        assert j['category'] == 'black'
        assert j['remaining_attempts_before_ban'] == threshold - 1 - i
        if i < threshold - 1:
            j = check_ok(server, 'test@gmail.com', key)
            assert j['remaining_attempts_before_ban'] == threshold - 1 - i


def assert_banned(server):
    for key in (KEY, 'key-0', 'someone-else'):
        for addr in ('test@gmail.com', 'test@disposable.com'):
            assert_detail(check(server, addr, key), 403, BANNED)
    # the ban is checked before the address is looked at
    assert_detail(server.post(CHECK, KEY), 403, BANNED)
    assert_detail(check(server, 'plaintext'), 403, BANNED)
    # but after the key
    assert_detail(server.post(CHECK, params={'email': 'test@gmail.com'}), 401,
                  'No auth provided')


def test_ban_default_threshold(server):
    ban_countdown(server, 5)
    assert_banned(server)
    # batches are not affected by the ban
    run_ok(server, 'a.csv', b'email\ntest@gmail.com\n')
    # a reset of an account that made no single check keeps IP bans
    reset(server, {'api_key': 'no-single-checks'})
    assert_banned(server)
    # a reset of one whose checks came from this IP lifts its ban (issue 12)
    reset(server, {'api_key': KEY})
    assert check_ok(server, 'test@gmail.com', 'fresh')['remaining_attempts_before_ban'] == 5
    # and so does a full reset
    ban_countdown(server, 5)
    assert_banned(server)
    reset(server)
    assert check_ok(server, 'test@gmail.com')['remaining_attempts_before_ban'] == 5
    assert check_ok(server, 'test@disposable.com')['remaining_attempts_before_ban'] == 4


def test_ban_threshold_3(make_server):
    s = make_server(['--ban-threshold', '3'])
    ban_countdown(s, 3)
    assert_banned(s)
    reset(s)
    assert check_ok(s, 'test@gmail.com')['remaining_attempts_before_ban'] == 3


def test_ban_counts_account_black(server):
    """A black verdict from the account's own black list counts as well."""
    r = server.put('/__mock/accounts/%s/lists/black' % KEY, data='blocked.org\n')
    assert r.status_code == 200, r.text
    j = check_ok(server, 'x@blocked.org')
    assert (j['category'], j['type'], j['remaining_attempts_before_ban']) == ('black', 'black', 4)
    j = check_ok(server, 'x@account-black.com', 'other')
    assert (j['category'], j['type'], j['remaining_attempts_before_ban']) == ('black', 'black', 3)


# ---- 4. account lists ----

WHITE = ('# allowed despite the domain lists\n'
         'test@disposable.com   # an address\n'
         '\n'
         'Trusted.ORG\n'
         'both.net\n'
         'missingtld\n')
GREY = 'review.net\n  # indented comment\ntest@disposable.com\nboth.net\n'
BLACK = 'bad@gmail.com\r\n@spam-domain.net\r\nboth.net\r\naccount-white.com\r\n'

# address -> (category, domain_type) with the lists above, and without
EXPECT = {
    'test@disposable.com': (('grey', 'grey'), ('black', 'disposable')),  # grey > white
    'other@disposable.com': (('black', 'disposable'), ('black', 'disposable')),
    'a@trusted.org': (('white', 'white'), ('white', 'unknown')),
    'A@Mail.TRUSTED.org': (('white', 'white'), ('white', 'unknown')),  # parent domain
    'a+b.c.d.e@trusted.org': (('white', 'white'), ('black', 'suspicious signs')),
    'x@review.net': (('grey', 'grey'), ('white', 'unknown')),
    'bad@gmail.com': (('black', 'black'), ('white', 'unknown')),
    'good@gmail.com': (('white', 'unknown'), ('white', 'unknown')),
    'x@spam-domain.net': (('black', 'black'), ('white', 'unknown')),
    'x@both.net': (('black', 'black'), ('white', 'unknown')),  # black > grey > white
    'x@account-white.com': (('black', 'black'), ('white', 'white')),
    'x@account-grey.com': (('grey', 'grey'), ('grey', 'grey')),
    'x@gmail.com.evil.io': (('white', 'unknown'), ('white', 'unknown')),
    'x@missingtld': (('black', 'invalid'), ('black', 'invalid')),  # syntax first
}


def put_list(server, key, kind, body):
    r = server.put('/__mock/accounts/%s/lists/%s' % (key, kind), data=body.encode())
    assert r.status_code == 200, r.text
    return r.json()


def get_list(server, key, kind):
    r = server.get('/__mock/accounts/%s/lists/%s' % (key, kind))
    assert r.status_code == 200, r.text
    assert r.headers['Content-Type'].startswith('text/plain')
    return r.text


def test_account_lists(server):
    assert get_list(server, KEY, 'white') == ''
    assert put_list(server, KEY, 'white', WHITE) == {'api_key': KEY, 'kind': 'white',
                                                     'entries': 4}
    assert put_list(server, KEY, 'grey', GREY)['entries'] == 3
    assert put_list(server, KEY, 'black', BLACK)['entries'] == 4
    assert get_list(server, KEY, 'white') == WHITE
    assert get_list(server, KEY, 'grey') == GREY
    assert get_list(server, KEY, 'black') == BLACK
    assert get_list(server, 'other', 'black') == ''

    addrs = list(EXPECT)
    mine = verdicts(server, KEY, addrs)
    theirs = verdicts(server, 'other', addrs)
    for a, (with_lists, without) in EXPECT.items():
        assert mine[a] == with_lists, a
        assert theirs[a] == without, a

    # the single check honours them too (reset: black results would ban)
    for a, (with_lists, without) in EXPECT.items():
        for key, want in ((KEY, with_lists), ('other', without)):
            r = check(server, a, key)
            if want[1] == 'invalid':
                assert r.status_code == 422
                continue
            assert r.status_code == 200, r.text
            assert (r.json()['category'], r.json()['type']) == want, (key, a)
            if want[0] == 'black':
                # a reset lifts the IP ban, and drops the lists
                reset(server)
                put_list(server, KEY, 'white', WHITE)
                put_list(server, KEY, 'grey', GREY)
                put_list(server, KEY, 'black', BLACK)

    # PUT replaces: an empty list removes the entries
    put_list(server, KEY, 'grey', '')
    put_list(server, KEY, 'black', '# nothing\n')
    j = check_ok(server, 'test@disposable.com')
    assert (j['category'], j['type']) == ('white', 'white')
    j = check_ok(server, 'x@both.net')
    assert (j['category'], j['type']) == ('white', 'white')


def test_account_lists_bad_kind(server):
    for kind in ('purple', 'whitelist', 'White', ''):
        p = '/__mock/accounts/%s/lists/%s' % (KEY, kind)
        assert server.get(p).status_code == 404, kind
        assert server.put(p, data=b'x.com\n').status_code == 404, kind
    # a list with an entry holding white space is refused
    r = server.put('/__mock/accounts/%s/lists/white' % KEY, data=b'a b.com\n')
    assert r.status_code == 400, r.text
    assert get_list(server, KEY, 'white') == ''


# ---- 5. credits ----

def test_credits_batch(make_server):
    s = make_server(['--credits', '5'])
    a = account(s, KEY)
    assert (a['credits'], a['charged']) == (5, 0)
    st, _ = run_ok(s, 'a.csv', b'email\na@x.io\nb@x.io\nplaintext\nc@x.io\nmissing@tld\n')
    assert counts(st) == (5, 0, 2, 3)
    a = account(s, KEY)
    assert (a['credits'], a['charged']) == (2, 3)
    # three more than the two left: the task fails and charges nothing
    r = s.submit(KEY, 'b.csv', b'email\nd@x.io\ne@x.io\nf@x.io\n')
    assert r.status_code == 200, r.text
    st = s.wait(KEY, r.json()['task_id'])
    assert st['status'] == 'failed'
    assert st['error'] == NO_CREDITS
    assert st['charged'] == 0
    a = account(s, KEY)
    assert (a['credits'], a['charged']) == (2, 3)
    # invalid addresses are never charged, even with no credit to spare
    st, _ = run_ok(s, 'c.csv', b'email\nplaintext\n@nodomain.\nd@x.io\ne@x.io\n')
    assert counts(st) == (4, 0, 2, 2)
    a = account(s, KEY)
    assert (a['credits'], a['charged']) == (0, 5)
    # at 0 a new submission is refused outright
    assert_detail(s.submit(KEY, 'd.csv', b'email\ng@x.io\n'), 402, NO_CREDITS)
    assert_detail(s.submit(KEY, 'e.csv', b'email\nplaintext\n'), 402, NO_CREDITS)
    # another account has its own credits
    assert account(s, 'other')['credits'] == 5
    run_ok(s, 'f.csv', b'email\ng@x.io\n', key='other')
    assert account(s, 'other')['credits'] == 4


def test_credits_single(make_server):
    s = make_server(['--credits', '2'])
    assert check_ok(s, 'a@x.io')['category'] == 'white'
    assert account(s, KEY)['credits'] == 1
    assert check(s, 'plaintext').status_code == 422  # not charged
    assert s.post(CHECK, KEY).status_code == 422
    assert account(s, KEY)['credits'] == 1
    assert check_ok(s, 'test@disposable.com')['category'] == 'black'  # black costs 1 too
    a = account(s, KEY)
    assert (a['credits'], a['charged']) == (0, 2)
    assert_detail(check(s, 'b@x.io'), 402, NO_CREDITS)
    # a 402 neither charges nor counts toward the ban
    a = account(s, KEY)
    assert (a['credits'], a['charged']) == (0, 2)
    assert check(s, 'test@disposable.com', 'other').json()['remaining_attempts_before_ban'] == 3
    # validation comes before the credit check
    assert check(s, 'plaintext').status_code == 422
    # batches at 0 credits are refused as well
    assert_detail(s.submit(KEY, 'a.csv', b'email\na@x.io\n'), 402, NO_CREDITS)


def test_credits_unlimited(server):
    a = account(server, KEY)
    assert a['credits'] is None
    check_ok(server, 'a@x.io')
    run_ok(server, 'a.csv', b'email\na@x.io\nb@x.io\nplaintext\n')
    a = account(server, KEY)
    assert (a['credits'], a['charged']) == (None, 3)


# ---- 6. rate limit ----

RATE_MSG = 'Rate limit exceeded: %d per 1 minute'


def submit_small(server, key=KEY):
    return server.submit(key, 'r.csv', b'email\na@x.io\n')


def assert_429(r, limit):
    assert r.status_code == 429, (r.status_code, r.text)
    assert r.headers['Content-Type'].startswith('application/json')
    assert r.json() == {'error': RATE_MSG % limit}
    assert re.fullmatch(r'[0-9]+', r.headers['Retry-After']), r.headers
    wait = int(r.headers['Retry-After'])
    assert 1 <= wait <= 60
    return wait


def test_rate_limit(make_server):
    s = make_server(['--rate-limit', '3'])
    s.post('/__mock/clock', json={'set': '2025-12-26T10:00:00Z'})
    for _ in range(3):
        assert submit_small(s).status_code == 200
    wait = assert_429(submit_small(s), 3)
    assert wait == 60
    # a request that fails validation is not counted, and not limited
    r = s.post(V1 + '/batch-check-emails', KEY, files={'file': ('r.csv', b'email\n')})
    assert r.status_code == 422
    # per key
    assert submit_small(s, 'other').status_code == 200
    # the single check is not rate limited
    assert check(s, 'a@x.io').status_code == 200
    # the window runs on the virtual clock
    s.post('/__mock/clock', json={'advance_seconds': 30})
    wait = assert_429(submit_small(s), 3)
    assert 29 <= wait <= 30
    s.post('/__mock/clock', json={'advance_seconds': 31})
    for _ in range(3):
        assert submit_small(s).status_code == 200
    assert_429(submit_small(s), 3)
    # tasks that were limited were never created
    r = s.get('/__mock/tasks', KEY)
    assert len([t for t in r.json()['tasks'] if t.get('api_key', KEY) == KEY]) == 6


def test_rate_limit_advance_61(make_server):
    s = make_server(['--rate-limit', '3'])
    for _ in range(3):
        assert submit_small(s).status_code == 200
    assert_429(submit_small(s), 3)
    assert_429(submit_small(s), 3)
    s.post('/__mock/clock', json={'advance_seconds': 61})
    assert submit_small(s).status_code == 200


def test_rate_limit_reset_per_key(make_server):
    s = make_server(['--rate-limit', '1'])
    assert submit_small(s).status_code == 200
    assert submit_small(s, 'other').status_code == 200
    assert_429(submit_small(s), 1)
    reset(s, {'api_key': KEY})
    assert submit_small(s).status_code == 200
    assert_429(submit_small(s, 'other'), 1)


def test_rate_limit_off(make_server):
    s = make_server(['--rate-limit', '0'])
    for i in range(110):
        r = submit_small(s)
        assert r.status_code == 200, (i, r.status_code, r.text)


def test_rate_limit_default(server):
    for i in range(100):
        r = submit_small(server)
        assert r.status_code == 200, (i, r.status_code, r.text)
    assert_429(submit_small(server), 100)


# ---- query parameter parsing, as FastAPI/Starlette reads it ----
#
# (These once failed: req_query used libmicrohttpd's header-style lookup,
# case-insensitive and first value wins.)

def raw_check(server, query, key=KEY):
    """check-email with a query string sent exactly as written."""
    return server.post(CHECK + '?' + query, key)


def test_query_name_is_case_sensitive(server):
    r = raw_check(server, 'EMAIL=a@x.io')
    assert r.status_code == 422
    assert r.json()['detail'][0]['type'] == 'missing'


def test_query_repeated_takes_last(server):
    r = raw_check(server, 'email=x@y.io&email=plaintext')
    assert r.status_code == 422
    assert r.json()['detail'][0]['input'] == 'plaintext'


def test_query_nul_not_truncated(server):
    addr = 'a\x00b@x.io'
    r = raw_check(server, 'email=a%00b@x.io')
    assert r.status_code == 422
    e = r.json()['detail'][0]
    assert e['input'] == addr
    assert e['msg'] == 'value is not a valid email address: ' + validator_reason(addr)


def test_query_plus_is_space(server):
    """A raw '+' in the query string is a space (form encoding), as in
    Starlette: the address then fails validation."""
    r = raw_check(server, 'email=a+b@example.com')
    assert r.status_code == 422
    e = r.json()['detail'][0]
    assert e['input'] == 'a b@example.com'
    assert e['msg'] == ('value is not a valid email address: '
                        + validator_reason('a b@example.com'))
    j = raw_check(server, 'email=a%2Bb@example.com').json()
    assert (j['email'], j['category'], j['type']) == ('a+b@example.com', 'grey',
                                                       'suspicious signs')
