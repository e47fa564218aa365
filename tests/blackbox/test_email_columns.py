"""Finding the address column in files exported by real address books and
CRMs (fixtures/exports/), headers in any spelling, the choice among several
candidate columns, the headerless file with a junk first line, and the
failure reason that lists the headers it saw."""
import io
import os

import openpyxl
import pytest

from helpers import FIXTURES, counts, parse_delimited, run_failed, run_ok

EXPORTS = os.path.join(FIXTURES, 'exports')

# fixture -> the header of the column that must be chosen. Every fixture
# holds the same three contacts in that column: a disposable address, a
# multi-alias one and an invalid one; any other e-mail column holds other
# values, so the categories prove which column was read.
CASES = {
    'outlook.csv': 'E-mail Address',
    'google_contacts.csv': 'E-mail 1 - Value',
    'apple_contacts_vcard.csv': 'Email (home)',
    'mailchimp.csv': 'Email Address',
    'hubspot.csv': 'Email',
    'salesforce.csv': 'Email',
}
EXPECTED = [('black', 'disposable'), ('grey', 'multi-alias services'), ('black', 'invalid')]


@pytest.mark.parametrize('name', sorted(CASES))
def test_export_csv_column_found(server, name):
    data = open(os.path.join(EXPORTS, name), 'rb').read()
    st, out = run_ok(server, name, data)
    assert counts(st) == (3, 0, 1, 2), st
    rows = parse_delimited(out)
    header = rows[0]
    assert header[-2:] == ['category', 'domain_type']
    col = header.index(CASES[name])
    assert [r[col] for r in rows[1:]] == ['test@disposable.com', 'test@multi-alias.com',
                                          'not-an-address']
    assert [tuple(r[-2:]) for r in rows[1:]] == EXPECTED
    # the rest of each row is the input's, unchanged
    assert out.startswith(data.split(b'\n')[0].rstrip(b'\r'))


def test_excel_xlsx_column_found(server):
    data = open(os.path.join(EXPORTS, 'excel.xlsx'), 'rb').read()
    st, out = run_ok(server, 'excel.xlsx', data)
    assert counts(st) == (3, 0, 1, 2), st
    ws = openpyxl.load_workbook(io.BytesIO(out)).worksheets[0]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0][2] == 'E-Mail Address' and rows[0][-2:] == ['category', 'domain_type']
    assert [tuple(r[-2:]) for r in rows[1:]] == EXPECTED


@pytest.mark.parametrize('header', [
    'E-mail Address', 'E-mail 1 - Value', 'E-Mail Address', 'Email_Address', 'Contact Email',
    'mail', 'EMAIL', ' email ', 'e_mail', 'Email Addresses', 'Emails', 'Work E-mail',
    'Email 1', 'Primary Email'])
def test_header_spellings(server, header):
    data = ('id,%s\n1,test@disposable.com\n' % header).encode()
    st, out = run_ok(server, 'h.csv', data)
    assert counts(st) == (1, 0, 0, 1)
    assert parse_delimited(out)[1][-2:] == ['black', 'disposable']


@pytest.mark.parametrize('header', [
    'E-mail Display Name', 'E-mail Type', 'E-mail 1 - Label', 'Email Domain', 'Mailing Address',
    'HasOptedOutOfEmail', 'EmailBouncedReason', 'Email Opt Out', 'gmail'])
def test_names_that_are_not_address_columns(server, header):
    data = ('%s,name\nx,Ann\n' % header).encode()
    reason = run_failed(server, 'h.csv', data)
    assert reason.startswith('No email column found in the headers: "%s", "name"' % header.strip())


@pytest.mark.parametrize('headers,chosen', [
    # a plain name beats a numbered, a qualified and a higher-numbered one
    (['E-mail 2 Address', 'Work Email', 'E-mail 1 - Value', 'Email'], 3),
    (['E-mail 2 Address', 'Work Email', 'E-mail 1 - Value'], 2),
    (['E-mail 2 Address', 'Work Email'], 1),
    (['E-mail 3 Address', 'E-mail 2 Address'], 0),
    # the leftmost of equals
    (['Email Address', 'Email'], 0),
    (['Email (work)', 'Contact Email'], 0),
])
def test_choice_among_candidates_is_ranked_then_leftmost(server, headers, chosen):
    values = ['test@gmail.com'] * len(headers)
    values[chosen] = 'test@disposable.com'
    data = (','.join(headers) + '\n' + ','.join(values) + '\n').encode()
    st, out = run_ok(server, 'c.csv', data)
    assert parse_delimited(out)[1][-2:] == ['black', 'disposable'], (headers, chosen)


def test_failure_lists_the_first_ten_headers(server):
    headers = ['col%d' % i for i in range(14)]
    data = (','.join(headers) + '\n' + ','.join('x' * 14) + '\n').encode()
    reason = run_failed(server, 'n.csv', data)
    assert reason == ('No email column found in the headers: ' +
                      ', '.join('"col%d"' % i for i in range(10)) +
                      ' and 4 more. Name the address column email, e-mail or email '
                      'address, or put the addresses in the first column')


def test_failure_lists_headers_in_xlsx(server):
    wb = openpyxl.Workbook()
    wb.active.append(['Name', 'Phone'])
    wb.active.append(['Ann', '123'])
    buf = io.BytesIO()
    wb.save(buf)
    reason = run_failed(server, 'n.xlsx', buf.getvalue())
    assert reason.startswith('No email column found in the headers: "Name", "Phone". ')


@pytest.mark.parametrize('name,data', [
    ('j.csv', b'Exported from my phone 2024\na@example.com,Ann\ntest@disposable.com,Bo\n'),
    ('j.txt', b'My list:\na@example.com\ntest@disposable.com\n'),
    ('j.tsv', b'contacts\na@example.com\tAnn\ntest@disposable.com\tBo\n'),
])
def test_junk_first_line_then_addresses_reads_headerless(server, name, data):
    st, out = run_ok(server, name, data)
    # the junk line is a data row like the others: invalid, not charged
    assert counts(st) == (3, 0, 1, 2), st
    rows = parse_delimited(out, '\t' if name.endswith('.tsv') else ',')
    assert [r[-2:] for r in rows] == [['black', 'invalid'], ['white', 'unknown'],
                                      ['black', 'disposable']]


def test_junk_first_line_xlsx_reads_headerless(server):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(['Exported contacts'])
    ws.append(['a@example.com', 'Ann'])
    ws.append(['test@disposable.com', 'Bo'])
    buf = io.BytesIO()
    wb.save(buf)
    st, out = run_ok(server, 'j.xlsx', buf.getvalue())
    assert counts(st) == (3, 0, 1, 2), st
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(out)).active.iter_rows()]
    assert [tuple(r[-2:]) for r in rows] == [('black', 'invalid'), ('white', 'unknown'),
                                             ('black', 'disposable')]


def test_first_line_and_most_rows_without_addresses_still_fail(server):
    data = b'notes\nhello\nworld\na@example.com\n'
    reason = run_failed(server, 'n.txt', data)
    assert reason.startswith('No email column found in the headers: "notes". ')
